import Foundation
import Pipeline
import Testing

/// `TopologyRunner.apply` in memory: a source stopped by a reload gets its last positions before it is closed, the
/// one kept is never stopped, a replacement starts after it, and the sink set changes between two batches — every
/// entry reaches the sinks of its moment exactly once.
@Suite struct ReloadComplianceTests {
    @Test(.timeLimit(.minutes(1)))
    func aReloadSwapsSourcesAndSinksBetweenTwoBatches() throws {
        let kept = NumberedSource(name: "kept", first: 0)
        let gone = NumberedSource(name: "gone", first: 1_000_000)
        let first = MemorySink(), replacement = MemorySink()
        let run = BackgroundRun(memoryTopology([kept, gone], [first], flushMillis: 10))
        #expect(waitUntil(10) { kept.emitted > 50 && gone.emitted > 50 })

        let added = NumberedSource(name: "added", first: 2_000_000)
        let change = TopologyChange(stop: [gone], start: [(name: "added", make: { added })],
                                    sinks: [.start { replacement }], flushIntervalMillis: 10)
        let applied = DispatchSemaphore(value: 0)
        let result = OutcomeHolder()
        run.runner.apply(change) { outcome in
            result.outcome = outcome
            applied.signal()
        }
        #expect(applied.wait(timeout: .now() + 10) == .success)
        #expect(result.outcome?.refused == nil && result.outcome?.failures == [])
        #expect(waitUntil(10) { added.emitted > 50 })
        run.stop()
        let outcome = try #require(run.wait())
        #expect(outcome.failure == nil)

        // The stopped source: closed once, after everything it emitted was acknowledged; nothing after it.
        #expect(gone.closedAt == gone.emitted && gone.acknowledgedUpTo == gone.emitted, "\(gone.report)")
        #expect(kept.stops == 1 && added.stops == 1, "the kept source was stopped by the reload")
        #expect(kept.acknowledgedUpTo == kept.emitted && added.acknowledgedUpTo == added.emitted)
        #expect(added.firstRunAfter(gone), "the added source started before the stopped one was gone")

        // Every entry once, in the sink of its moment: the first sink until the swap, the replacement after.
        let all = first.all + replacement.all
        #expect(all.count == Set(all).count, "\(all.count - Set(all).count) entries twice")
        #expect(Set(all) == Set(kept.numbers + gone.numbers + added.numbers))
        #expect(!gone.numbers.contains { replacement.all.contains($0) }, "the stopped source reached the new sink")
        #expect(!added.numbers.contains { first.all.contains($0) }, "the added source reached the retired sink")
        #expect(first.durable == first.all && replacement.durable == replacement.all)
    }

    @Test(.timeLimit(.minutes(1)))
    func aReloadAfterTheRunHasEndedIsRefused() throws {
        let source = NumberedSource(name: "short", first: 0, limit: 10)
        let run = BackgroundRun(memoryTopology([source], [MemorySink()], flushMillis: 10))
        _ = try #require(run.wait())
        let applied = DispatchSemaphore(value: 0)
        let result = OutcomeHolder()
        run.runner.apply(TopologyChange(stop: [], start: [], sinks: [], flushIntervalMillis: 10)) { outcome in
            result.outcome = outcome
            applied.signal()
        }
        #expect(applied.wait(timeout: .now() + 5) == .success)
        #expect(result.outcome?.refused == "the run is ending")
    }
}

private final class OutcomeHolder: @unchecked Sendable {
    var outcome: TopologyChange.Outcome?
}

/// Emits one numbered entry per batch every millisecond, each batch with a position (its count), until stopped
/// (or `limit`); records what was acknowledged and when it was closed.
private final class NumberedSource: Source, @unchecked Sendable {
    let name: String
    private let first: Int
    private let limit: Int
    private let lock = NSLock()
    private var count = 0, acked = 0, closed: Int?, runs = 0
    private var started: Date?, ended: Date?
    var stats: SourceStats { SourceStats() }

    init(name: String, first: Int, limit: Int = .max) {
        self.name = name
        self.first = first
        self.limit = limit
    }

    func run(stop: StopSignal, emit: (RawBatch) -> Void) throws {
        lock.lock(); runs += 1; started = Date(); lock.unlock()
        let origin = SourceOrigin(name: name, sessionId: "s")
        while !stop.isTriggered, emitted < limit {
            let line = Array((entryLine(first + emitted, level: "INFO") + "\n").utf8)
            let buffer = ByteBuffer(capacity: line.count)
            buffer.append(line)
            lock.lock(); count += 1; let n = count; lock.unlock()
            emit(RawBatch(buffer: buffer, lines: [LineRef(start: 0, length: line.count - 1, readMillis: nowMillis())],
                          origin: origin, close: .full, inputBytes: line.count,
                          position: SourcePosition(key: name, offset: Int64(n))))
            usleep(1000)
        }
        lock.lock(); ended = Date(); lock.unlock()
    }

    func acknowledge(_ positions: [SourcePosition]) throws {
        lock.lock()
        defer { lock.unlock() }
        for p in positions { acked = max(acked, Int(p.offset)) }
    }

    func afterRun() { lock.lock(); closed = acked; lock.unlock() }

    var emitted: Int { lock.lock(); defer { lock.unlock() }; return count }
    var acknowledgedUpTo: Int { lock.lock(); defer { lock.unlock() }; return acked }
    /// What had been acknowledged when `afterRun` was called (nil: not closed).
    var closedAt: Int? { lock.lock(); defer { lock.unlock() }; return closed }
    var stops: Int { lock.lock(); defer { lock.unlock() }; return runs }
    var numbers: [Int] { (0..<emitted).map { first + $0 } }
    var report: String { "emitted \(emitted), acknowledged \(acknowledgedUpTo), closed at \(closedAt.map(String.init) ?? "never")" }

    func firstRunAfter(_ other: NumberedSource) -> Bool {
        lock.lock(); let start = started; lock.unlock()
        other.lock.lock(); let end = other.ended; other.lock.unlock()
        guard let start, let end else { return false }
        return start >= end
    }
}
