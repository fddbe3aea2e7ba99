import Foundation
import Pipeline
import SegmentFormat
@testable import Sinks
@testable import TestSupport
import Testing

/// Every sink of the project, as the compliance suite builds it. A new sink joins this list.
enum SinkKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case segments, urgent, clickhouse, http, otlp
    var testDescription: String { rawValue }
}

/// One sink's destination and state, shared by the sink instances of a test (a restart opens a new one).
final class SinkFixture: @unchecked Sendable {
    let kind: SinkKind
    let dir = TempDir()
    let receiver: TestHTTPReceiver?
    /// Receiver lines before it was last switched on (what earlier failed attempts left there).
    private var ignoredLines = 0

    init(_ kind: SinkKind) throws {
        self.kind = kind
        receiver = kind == .segments ? nil : try TestHTTPReceiver()
    }

    var segmentOptions: SegmentOptions { SegmentOptions(directory: dir.path + "/out", maxEntries: 300) }

    /// A new sink over the same destination and state; `drainMillis` bounds `finish`'s wait for delivery.
    func make(drainMillis: Int = 5000) throws -> Sink {
        let retry = RetryPolicy(initialMillis: 10, maxMillis: 50)
        switch kind {
        case .segments:
            try FileManager.default.createDirectory(atPath: dir.path + "/out", withIntermediateDirectories: true)
            _ = try SegmentRecovery.recoverOpenSegments(options: segmentOptions)
            return try SegmentSink(options: segmentOptions)
        case .urgent:
            let destination = try UrgentDestination("http://127.0.0.1:\(receiver!.port)/ingest")
            return try UrgentForwarder(configuration: UrgentConfiguration(
                destinations: [destination], stateDirectory: dir.path, drainTimeoutMillis: drainMillis, retry: retry,
                log: { _ in }))
        case .clickhouse:
            var c = try ClickHouseConfiguration(url: "http://127.0.0.1:\(receiver!.port)", compression: .none,
                                                stateDirectory: dir.path, retry: retry, log: { _ in })
            c.drainTimeoutMillis = drainMillis
            return try ClickHouseSink(configuration: c)
        case .http, .otlp:
            let scheme = kind == .otlp ? "otlp+http" : "http"
            let destination = try HTTPOutputDestination("\(scheme)://127.0.0.1:\(receiver!.port)/v1/logs")
            return try HTTPOutputSink(configuration: HTTPOutputConfiguration(
                destinations: [destination], stateDirectory: dir.path, drainTimeoutMillis: drainMillis, retry: retry,
                log: { _ in }))
        }
    }

    /// The receiver refuses (HTTP 500) until `receiverUp`.
    func receiverDown() { receiver?.mode = .error500 }
    func receiverUp() {
        guard let receiver else { return }
        ignoredLines = kind == .otlp ? receiver.decodedBodies.count : receiver.lines.count
        receiver.mode = .ok
    }

    /// Sequence numbers that reached the destination (segments: finalized and open files on disk).
    func received() throws -> [Int] {
        if kind == .otlp, let receiver {
            // ExportLogsServiceRequest → ResourceLogs (1) → ScopeLogs (2) → LogRecord (2) → body (5) → string (1).
            let bodies = receiver.decodedBodies.dropFirst(ignoredLines).flatMap { request in
                ProtobufReader.fields(1, in: request[...]).flatMap { ProtobufReader.fields(2, in: $0) }
                    .flatMap { ProtobufReader.fields(2, in: $0) }
                    .compactMap { ProtobufReader.field(5, in: $0).flatMap { ProtobufReader.field(1, in: $0) } }
                    .map { String(decoding: $0, as: UTF8.self) }
            }
            return sequences(in: bodies.joined(separator: "\n"))
        }
        if let receiver { return sequences(in: receiver.lines.dropFirst(ignoredLines).joined(separator: "\n")) }
        var out: [Int] = []
        for file in try SegmentFiles.expand([dir.path + "/out"], includeOpen: true) {
            let lines = try SegmentSalvager.salvage(path: file).lines
            out += sequences(in: String(decoding: lines.bytes, as: UTF8.self))
        }
        return out
    }

    /// Entries the sink holds durably now (on disk, or delivered, or in its fsynced spool).
    func durable(_ sink: Sink) throws -> Int {
        if kind == .segments { return try received().count }
        let h = sink.health
        return (h.counters["sent"] ?? h.counters["inserted"] ?? 0) + (h.gauges["spooled"] ?? 0)
    }

    /// Stops a spooling sink's threads without waiting for delivery (its spool stays on disk), as a crash would.
    func abandon(_ sink: Sink) {
        (sink as? UrgentForwarder)?.close()
        (sink as? ClickHouseSink)?.close()
        (sink as? HTTPOutputSink)?.close()
    }
}

/// Entries `range` as a batch ready for the sinks (NDJSON and its LZ4 frame).
func sinkBatch(_ range: Range<Int>) -> CompressedBatch {
    let lines = ByteBuffer(capacity: 1 << 16)
    lines.append(Array(range.map { entryLine($0) + "\n" }.joined().utf8))
    let batch = SegmentLine.batch(from: lines, origin: SourceOrigin(name: "compliance", sessionId: "s")).batch
    let frame = ByteBuffer(capacity: lines.count + 1024)
    SegmentCodec.lz4.makeCompressor(level: nil).compress(batch.output.bytes, into: frame)
    return CompressedBatch(encoded: batch, frame: frame)
}

/// Hands entries `range` to `sink` in batches of 100, by its route, as the topology's delivery queue does.
func feed(_ sink: Sink, _ range: Range<Int>) throws {
    let scratch = ByteBuffer(capacity: 1 << 16)
    for start in stride(from: range.lowerBound, to: range.upperBound, by: 100) {
        let b = sinkBatch(start..<min(range.upperBound, start + 100))
        switch sink.route {
        case .all: try sink.accept(b, lines: b.encoded.output.bytes, count: b.encoded.entries.count)
        case let .atLeast(level):
            let n = RouteStage(level: level).select(b.encoded, into: scratch)
            try sink.accept(b, lines: scratch.bytes, count: n)
        }
    }
}

/// Waits for a flush's completion; returns its error.
func flushed(_ sink: Sink) -> Error?? {
    let done = DispatchSemaphore(value: 0)
    let box = FlushBox()
    sink.flush { box.error = $0; done.signal() }
    guard done.wait(timeout: .now() + 10) == .success else { return nil }
    return .some(box.error)
}

private final class FlushBox: @unchecked Sendable { var error: Error? }
