import Foundation
@testable import Sinks
import Testing

/// A receiver in memory that refuses (for good) any request holding a line with "BAD", and fails temporarily on
/// chosen attempts: what the lane delivers, in order, and how many requests it took.
private final class RefusingTransport: DeliveryTransport, @unchecked Sendable {
    let lock = NSLock()
    var delivered: [String] = []
    var requests = 0
    /// Requests (1-based) that fail temporarily (a broken connection).
    var failTemporarilyAt: Set<Int> = []

    func deliver(_ batch: DeliverySpool.Batch) throws {
        lock.lock()
        defer { lock.unlock() }
        requests += 1
        if failTemporarilyAt.contains(requests) { throw TransportError.closedWithoutAnswer }
        let lines = String(decoding: batch.bytes, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines.count == batch.count)
        if lines.contains(where: { $0.contains("BAD") }) {
            throw DeliveryRejection(reason: "HTTP status 400", status: 400, answer: "refused: \(lines.count) line(s)")
        }
        delivered += lines
    }

    func close() {}
}

@Suite struct DeadLetterLaneTests {
    private func entries(_ n: Int, bad: Set<Int>) -> [String] {
        (0..<n).map { #"{"message":"\#(bad.contains($0) ? "BAD" : "ok") \#($0)","context":{"requestId":"r-\#($0)"}}"# }
    }

    private func run(_ lines: [String], transport: RefusingTransport, dir: SinkTempDir) throws -> DeadLetterQueue {
        let spool = try DeliverySpool(directory: dir.path + "/spool", maxBytes: 1 << 30, boundFlag: "--test", log: { _ in })
        let queue = DeadLetterQueue(stateDirectory: dir.path, sink: "test")
        let lane = DeliveryLane(name: "test://receiver", spool: spool, transport: transport,
                                settings: DeliverySettings(label: "test", retry: RetryPolicy(initialMillis: 1, maxMillis: 5),
                                                           deadLetter: queue, log: { _ in }))
        lane.start()
        Array((lines.joined(separator: "\n") + "\n").utf8).withUnsafeBufferPointer { lane.submit($0, count: lines.count) }
        #expect(lane.drain(until: Date().addingTimeInterval(20)))
        lane.close()
        return queue
    }

    @Test func refusedEntriesAreIsolatedAndTheRestIsDeliveredInOrder() throws {
        let dir = SinkTempDir()
        let bad: Set<Int> = [0, 13, 14, 200, 255]
        let lines = entries(256, bad: bad)
        let transport = RefusingTransport()
        let queue = try run(lines, transport: transport, dir: dir)
        #expect(transport.delivered == lines.enumerated().filter { !bad.contains($0.offset) }.map(\.element))
        #expect(queue.count == bad.count)
        let path = try #require(queue.entriesPath)
        let dead = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(dead == bad.sorted().map { lines[$0] })
        let reasons = try String(contentsOfFile: String(path.dropLast(".jsonl".count)) + ".reasons.jsonl", encoding: .utf8)
            .split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(reasons.map { $0["requestId"] as? String } == bad.sorted().map { "r-\($0)" })
        #expect(reasons.map { $0["entry"] as? Int } == Array(1...bad.count))
        #expect(reasons.allSatisfy { $0["status"] as? Int == 400 && ($0["answer"] as? String)?.hasPrefix("refused") == true })
        // Isolation costs a few requests per bad entry (binary splitting), not one per entry.
        #expect(transport.requests < 8 * bad.count * 8, "\(transport.requests) requests")
    }

    @Test func aTemporaryFailureDuringIsolationResumesWithoutDuplicates() throws {
        let dir = SinkTempDir()
        let bad: Set<Int> = [3, 40, 41, 99]
        let lines = entries(100, bad: bad)
        let transport = RefusingTransport()
        transport.failTemporarilyAt = [3, 4, 9, 15]
        let queue = try run(lines, transport: transport, dir: dir)
        #expect(transport.delivered == lines.enumerated().filter { !bad.contains($0.offset) }.map(\.element))
        #expect(queue.count == bad.count)
        let dead = try String(contentsOfFile: try #require(queue.entriesPath), encoding: .utf8).split(separator: "\n")
        #expect(dead.map(String.init) == bad.sorted().map { lines[$0] })
    }

    @Test func withoutAQueueARefusalIsRetriedLikeAnyFailure() throws {
        let dir = SinkTempDir()
        let spool = try DeliverySpool(directory: dir.path + "/spool", maxBytes: 1 << 30, boundFlag: "--test", log: { _ in })
        let transport = RefusingTransport()
        let lane = DeliveryLane(name: "test://receiver", spool: spool, transport: transport,
                                settings: DeliverySettings(label: "test", retry: RetryPolicy(initialMillis: 1, maxMillis: 5),
                                                           log: { _ in }))
        lane.start()
        let lines = entries(10, bad: [5])
        Array((lines.joined(separator: "\n") + "\n").utf8).withUnsafeBufferPointer { lane.submit($0, count: lines.count) }
        #expect(!lane.drain(until: Date().addingTimeInterval(0.5)))
        lane.close()
        #expect(transport.delivered.isEmpty && transport.requests > 1)
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/dead-letter"))
    }

    @Test func permanentHTTPStatuses() {
        #expect(DeliveryRejection.isPermanent(httpStatus: 400) && DeliveryRejection.isPermanent(httpStatus: 413))
        #expect(!DeliveryRejection.isPermanent(httpStatus: 408) && !DeliveryRejection.isPermanent(httpStatus: 429))
        #expect(!DeliveryRejection.isPermanent(httpStatus: 503) && !DeliveryRejection.isPermanent(httpStatus: 200))
    }
}
