import Foundation
import Pipeline
import Testing
@testable import Ingest

/// The intake alone: bounded queue, order, replies fired by acknowledgement and answered `false` at close.
@Suite struct NetworkIntakeTests {
    private let origin = SourceOrigin(name: "test", sessionId: "s")

    private func batch(_ text: String) -> RawBatch {
        let b = ByteBuffer(capacity: 64)
        text.utf8.forEach { b.append($0) }
        return RawBatch(buffer: b, lines: [LineRef(start: 0, length: text.utf8.count, readMillis: 0)], origin: origin,
                        close: .timeout, inputBytes: text.utf8.count)
    }

    @Test func refusesPastTheBoundAndPositionsInOrder() {
        let intake = NetworkIntake(key: "tcp://x", maxQueuedBytes: 10)
        let a = batch("123456"), b = batch("abcdef")
        #expect(intake.offer(a) == .queued)
        #expect(intake.offer(b) == .full)
        #expect(a.position == SourcePosition(key: "tcp://x", offset: 1))
        #expect(b.position == nil)
        #expect(!intake.hasRoom(for: 6))
    }

    @Test func repliesFireOnlyUpToTheAcknowledgedPosition() {
        let intake = NetworkIntake(key: "http://x")
        let seen = Recorder()
        for i in 1...3 { _ = intake.offer(batch("line \(i)")) { seen.add(i, $0) } }
        intake.acknowledge([SourcePosition(key: "other", offset: 9)])
        #expect(seen.values.isEmpty)
        intake.acknowledge([SourcePosition(key: "http://x", offset: 2)])
        #expect(seen.values == [Reply(i: 1, durable: true), Reply(i: 2, durable: true)])
        intake.close()
        #expect(seen.values.last == Reply(i: 3, durable: false))
        #expect(intake.offer(batch("late")) == .stopped)
    }

    @Test func runForwardsInOrderAndDrainsPastTheBoundAtStop() {
        let intake = NetworkIntake(key: "k", maxQueuedBytes: 8)
        let stop = StopSignal()
        _ = intake.offer(batch("first"))
        let resumed = Recorder()
        intake.whenRoom { resumed.add(0, true) }
        var got: [String] = []
        stop.trigger()
        intake.run(stop: stop, emit: { got.append(String(decoding: UnsafeBufferPointer(start: $0.buffer.base, count: $0.buffer.count), as: UTF8.self)) },
                   drain: { #expect(intake.offer(self.batch("cut at stop, over the bound")) == .queued) })
        #expect(got == ["first", "cut at stop, over the bound"])
        #expect(resumed.values.count == 1)
    }
}

struct Reply: Equatable { var i: Int; var durable: Bool }

final class Recorder: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [Reply] = []
    func add(_ i: Int, _ durable: Bool) { lock.lock(); list.append(Reply(i: i, durable: durable)); lock.unlock() }
    var values: [Reply] { lock.lock(); defer { lock.unlock() }; return list }
}
