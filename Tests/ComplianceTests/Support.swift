import Foundation
import Pipeline
#if canImport(Glibc)
import Glibc
#endif

/// A temporary folder, removed when the value goes.
final class TempDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "logpipe-compliance-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Entry line `n` in the segment format: its request ID carries the sequence number.
func entryLine(_ n: Int, level: String = "ERROR") -> String {
    #"{"timestamp":"2026-03-01T10:00:00.\#(String(format: "%03d", n % 1000))Z","level":"\#(level)","message":"seq \#(n)","context":{"service":"compliance","version":"1","environment":"test","host":"h","sessionId":"s","requestId":"req-\#(n)"}}"#
}

/// The sequence numbers in NDJSON text (from `"message":"seq N"`).
func sequences(in text: String) -> [Int] {
    var out: [Int] = []
    for line in text.split(separator: "\n") {
        guard let r = line.range(of: "seq ") else { continue }
        let digits = line[r.upperBound...].prefix { $0.isNumber }
        if let n = Int(digits) { out.append(n) }
    }
    return out
}

/// Waits until `condition` holds or `seconds` pass; returns whether it held.
func waitUntil(_ seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(5000)
    }
    return condition()
}

/// A sink that keeps in memory what it accepted; a flush marks it durable, after `flushDelayMillis` on a queue of
/// its own (a lagging sink). `failAfter`: `accept` throws once that many entries were taken (a sink that breaks).
/// On a failure, what was not yet durable is gone, as after a crash.
final class MemorySink: Sink, @unchecked Sendable {
    let name = "memory"
    let route: Route
    private let lock = NSLock()
    private var accepted: [Int] = []
    private var durableCount = 0
    let flushDelayMillis: Int
    let failAfter: Int?
    private let queue = DispatchQueue(label: "memory-sink-flush")

    init(route: Route = .all, flushDelayMillis: Int = 0, failAfter: Int? = nil) {
        self.route = route
        self.flushDelayMillis = flushDelayMillis
        self.failAfter = failAfter
    }

    struct Broken: Error {}

    func accept(_ batch: CompressedBatch, lines: UnsafeBufferPointer<UInt8>, count: Int) throws {
        let seqs = sequences(in: String(decoding: lines, as: UTF8.self))
        lock.lock()
        defer { lock.unlock() }
        if let failAfter, accepted.count + seqs.count > failAfter {
            accepted.removeLast(accepted.count - durableCount) // not durable: lost with the sink
            throw Broken()
        }
        accepted += seqs
    }

    func flush(_ done: @escaping @Sendable (Error?) -> Void) {
        lock.lock()
        let upTo = accepted.count
        lock.unlock()
        queue.asyncAfter(deadline: .now() + .milliseconds(flushDelayMillis)) { [self] in
            lock.lock()
            // What the sink lost when it broke cannot be flushed: the flush fails, as a real one would.
            let lost = accepted.count < upTo
            if !lost { durableCount = max(durableCount, upTo) }
            lock.unlock()
            done(lost ? Broken() : nil)
        }
    }

    func sync() throws {
        lock.lock()
        durableCount = accepted.count
        lock.unlock()
    }

    func finish() throws -> Bool { true }
    var health: SinkHealth { SinkHealth() }

    /// Sequence numbers durable so far, in arrival order.
    var durable: [Int] { lock.lock(); defer { lock.unlock() }; return Array(accepted[..<durableCount]) }
    var all: [Int] { lock.lock(); defer { lock.unlock() }; return accepted }
    var durableEntries: Int { lock.lock(); defer { lock.unlock() }; return durableCount }
}

/// Wraps a source to check the acknowledgement contract from outside: each acknowledged position must be covered
/// by what the sink holds durably (entries emitted up to that position ≤ entries durable).
final class ObservedSource: Source, @unchecked Sendable {
    let inner: Source
    let sink: MemorySink
    private let lock = NSLock()
    /// Lines emitted up to each position (by key and offset).
    private var linesAt: [String: [(offset: Int64, lines: Int)]] = [:]
    private var emitted = 0
    private(set) var violations: [String] = []
    private(set) var acknowledgedPositions = 0

    init(_ inner: Source, sink: MemorySink) {
        self.inner = inner
        self.sink = sink
    }

    var name: String { inner.name }
    var stats: SourceStats { inner.stats }

    func run(stop: StopSignal, emit: (RawBatch) -> Void) throws {
        try inner.run(stop: stop) { raw in
            lock.lock()
            emitted += raw.lines.count
            if let p = raw.position { linesAt[p.key, default: []].append((p.offset, emitted)) }
            lock.unlock()
            emit(raw)
        }
    }

    func acknowledge(_ positions: [SourcePosition]) throws {
        let durable = sink.durableEntries
        lock.lock()
        for p in positions {
            let lines = linesAt[p.key]?.last { $0.offset <= p.offset }?.lines ?? 0
            if lines > durable { violations.append("\(p.key)@\(p.offset): \(lines) lines emitted, \(durable) durable") }
        }
        acknowledgedPositions += positions.count
        lock.unlock()
        try inner.acknowledge(positions)
    }
}

/// A topology of the given sources and sinks with the real stages and no compression (the sinks under test
/// here take NDJSON).
func memoryTopology(_ sources: [Source], _ sinks: [Sink], flushMillis: Int = 20) -> Topology<BatchEncoder> {
    let enrichment = Enrichment(service: "svc", version: "1", environment: "test", host: "h")
    return Topology<BatchEncoder>(
        sources: sources, sinks: sinks,
        makeWorker: { BatchEncoder(options: EncoderOptions(format: .json, enrichment: enrichment)) },
        process: { encoder, raw in
            CompressedBatch(encoded: encoder.encode(raw, into: ByteBuffer(capacity: raw.buffer.count * 2 + 4096)),
                            frame: ByteBuffer(capacity: 0))
        },
        flushIntervalMillis: flushMillis)
}
