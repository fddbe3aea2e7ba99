import Foundation
@testable import Pipeline
import Testing

/// ``Acknowledgements`` on its own, with sinks that fail, lag and finish out of order.
@Suite struct AcknowledgementsTests {
    /// A source that records what it was told is durable.
    final class RecordingSource: Source, @unchecked Sendable {
        let name: String
        let lock = NSLock()
        var acks: [[SourcePosition]] = []
        var failing = false
        init(_ name: String) { self.name = name }
        func run(stop: StopSignal, emit: (RawBatch) -> Void) throws {}
        var stats: SourceStats { SourceStats() }
        struct CannotRecord: Error {}
        func acknowledge(_ positions: [SourcePosition]) throws {
            lock.lock(); defer { lock.unlock() }
            if failing { throw CannotRecord() }
            acks.append(positions.sorted { $0.key < $1.key })
        }
        var offsets: [[Int64]] { lock.lock(); defer { lock.unlock() }; return acks.map { $0.map(\.offset) } }
    }

    /// A sink whose flushes complete only when the test says so (in any order), or fail.
    final class HeldSink: Sink, @unchecked Sendable {
        let name = "held"
        let lock = NSLock()
        var waiting: [(@Sendable (Error?) -> Void)] = []
        var syncError: Error?
        func accept(_ batch: CompressedBatch, lines: UnsafeBufferPointer<UInt8>, count: Int) throws {}
        func flush(_ done: @escaping @Sendable (Error?) -> Void) { lock.lock(); waiting.append(done); lock.unlock() }
        func sync() throws { if let syncError { throw syncError } }
        func finish() throws -> Bool { true }
        var health: SinkHealth { SinkHealth() }
        /// Completes flush number `i` (in the order they were asked).
        func complete(_ i: Int, _ error: Error? = nil) {
            lock.lock(); let done = waiting[i]; lock.unlock()
            done(error)
        }
    }

    struct DiskGone: Error {}

    static func position(_ key: String, _ offset: Int64, source: Int = 0) -> SourcePosition {
        var p = SourcePosition(key: key, offset: offset)
        p.source = source
        return p
    }

    @Test func aPositionWaitsForEverySinkThatTookItsBatch() {
        let source = RecordingSource("tail")
        let fast = HeldSink(), slow = HeldSink()
        let acks = Acknowledgements(sources: [source], sinks: [fast, slow])
        acks.written(Self.position("a", 10))
        acks.flushInBackground()
        #expect(source.offsets.isEmpty)
        fast.complete(0)
        #expect(source.offsets.isEmpty, "one sink still lags: nothing is acknowledged")
        slow.complete(0)
        #expect(source.offsets == [[10]])
        #expect(acks.waitForRounds() == nil)
    }

    @Test func roundsAreAcknowledgedInTheOrderTheyStarted() {
        let source = RecordingSource("tail")
        let sink = HeldSink()
        let acks = Acknowledgements(sources: [source], sinks: [sink])
        acks.written(Self.position("a", 10))
        acks.flushInBackground()
        acks.written(Self.position("a", 20))
        acks.written(Self.position("b", 5))
        acks.flushInBackground()
        sink.complete(1) // the later round is done first
        #expect(source.offsets.isEmpty, "a later round never commits before an earlier one")
        sink.complete(0)
        #expect(source.offsets == [[10], [20, 5]])
        #expect(acks.acknowledged == 3)
    }

    @Test func afterAFailedFlushNothingLaterIsAcknowledged() {
        let source = RecordingSource("tail")
        let sink = HeldSink()
        let reported = RecordingSource("errors")
        let acks = Acknowledgements(sources: [source], sinks: [sink]) { _ in try? reported.acknowledge([]) }
        acks.written(Self.position("a", 10))
        acks.flushInBackground()
        acks.written(Self.position("a", 20))
        acks.flushInBackground()
        sink.complete(0, DiskGone())
        sink.complete(1)
        #expect(source.offsets.isEmpty)
        #expect(reported.acks.count == 1, "the failure is reported once")
        #expect(acks.waitForRounds() is DiskGone)
    }

    @Test func syncNowAcknowledgesAtOnceAndRethrowsASinkFailure() throws {
        let source = RecordingSource("tail")
        let sink = HeldSink()
        let acks = Acknowledgements(sources: [source], sinks: [sink])
        acks.written(Self.position("a", 7))
        try acks.syncNow()
        #expect(source.offsets == [[7]])
        sink.syncError = DiskGone()
        acks.written(Self.position("a", 9))
        #expect(throws: DiskGone.self) { try acks.syncNow() }
        #expect(source.offsets == [[7]], "a position whose sync failed stays where it was")
    }

    @Test func aSyncRoundBehindAPendingFlushIsAcknowledgedWhenThatFlushIsDone() throws {
        let source = RecordingSource("tail")
        let sink = HeldSink()
        let acks = Acknowledgements(sources: [source], sinks: [sink])
        acks.written(Self.position("a", 10))
        acks.flushInBackground()
        acks.written(Self.position("a", 20))
        try acks.syncNow()
        #expect(source.offsets.isEmpty, "the sync round waits for the round before it")
        sink.complete(0)
        #expect(source.offsets == [[10], [20]])
        #expect(acks.waitForRounds() == nil)
    }

    @Test func eachSourceGetsItsOwnPositionsAndASourceFailureStopsTheRest() {
        let a = RecordingSource("a"), b = RecordingSource("b")
        let sink = HeldSink()
        let acks = Acknowledgements(sources: [a, b], sinks: [sink])
        acks.written(Self.position("f1", 1, source: 0))
        acks.written(Self.position("f2", 2, source: 1))
        acks.written(Self.position("f1", 3, source: 0)) // the newest position per key wins
        acks.flushInBackground()
        sink.complete(0)
        #expect(a.offsets == [[3]])
        #expect(b.offsets == [[2]])
        a.failing = true
        acks.written(Self.position("f1", 4, source: 0))
        acks.flushInBackground()
        acks.written(Self.position("f2", 5, source: 1))
        acks.flushInBackground()
        sink.complete(1)
        sink.complete(2)
        #expect(b.offsets == [[2]], "after a source could not record, nothing later moves")
        #expect(acks.waitForRounds() is RecordingSource.CannotRecord)
    }

    @Test func aRoundWithoutSinksOrPositionsCompletes() throws {
        let acks = Acknowledgements(sources: [], sinks: [])
        acks.flushInBackground()
        try acks.syncNow()
        #expect(acks.waitForRounds() == nil)
    }
}
