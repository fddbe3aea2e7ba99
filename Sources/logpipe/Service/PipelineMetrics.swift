import Foundation
import CoreMetrics
import Metrics
import Pipeline
import Prometheus

typealias Counter = CoreMetrics.Counter
typealias Gauge = CoreMetrics.Gauge

/// logpipe's own metrics, through swift-metrics with the Prometheus backend (names per Prometheus conventions).
///
/// Updated per batch on the delivery queue (never per line), so their cost stays off the hot path.
final class PipelineMetrics: @unchecked Sendable {
    let registry = PrometheusCollectorRegistry()
    private let lock = NSLock()
    private var inputCounters: [String: Counter] = [:]
    // Created after the backend is bootstrapped (in init), or they would go to swift-metrics' no-op backend.
    let entriesOut: Counter
    let filtered: Counter
    let parseErrors: Counter
    let truncated: Counter
    let bytesOut: Counter
    let bytesIn: Counter
    let uncompressedOut: Counter
    let batches: Counter
    let segments: Gauge
    let inFlight: Gauge
    let latency: Metrics.Timer
    private var extra: [String: Gauge] = [:]

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [.milliseconds(1), .milliseconds(5), .milliseconds(10),
                                                   .milliseconds(50), .milliseconds(100), .milliseconds(500),
                                                   .seconds(1), .seconds(2), .seconds(5), .seconds(30)]
        PipelineMetrics.bootstrapOnce(factory)
        entriesOut = Counter(label: "logpipe_entries_out_total", dimensions: [("sink", "segments")])
        filtered = Counter(label: "logpipe_entries_filtered_total")
        parseErrors = Counter(label: "logpipe_parse_errors_total")
        truncated = Counter(label: "logpipe_truncated_total")
        bytesOut = Counter(label: "logpipe_bytes_out_total", dimensions: [("sink", "segments")])
        bytesIn = Counter(label: "logpipe_bytes_in_total")
        uncompressedOut = Counter(label: "logpipe_uncompressed_bytes_out_total", dimensions: [("sink", "segments")])
        batches = Counter(label: "logpipe_batches_total")
        segments = Gauge(label: "logpipe_segments_finalized")
        inFlight = Gauge(label: "logpipe_queue_batches")
        latency = Metrics.Timer(label: "logpipe_end_to_end_latency_seconds")
    }

    /// swift-metrics allows one bootstrap per process.
    private static let bootstrapLock = NSLock()
    nonisolated(unsafe) private static var bootstrapped = false
    private static func bootstrapOnce(_ factory: PrometheusMetricsFactory) {
        bootstrapLock.lock()
        defer { bootstrapLock.unlock() }
        guard !bootstrapped else { return }
        bootstrapped = true
        MetricsSystem.bootstrap(factory)
    }

    /// Counts one delivered batch.
    func delivered(_ b: EncodedBatch, compressedBytes: Int, readMillis: Int64?) {
        input(b.origin.name).increment(by: Int64(b.stats.linesIn))
        entriesOut.increment(by: Int64(b.stats.entriesOut))
        filtered.increment(by: Int64(b.stats.filtered))
        parseErrors.increment(by: Int64(b.stats.parseErrors))
        truncated.increment(by: Int64(b.stats.truncated))
        bytesOut.increment(by: Int64(compressedBytes))
        bytesIn.increment(by: Int64(b.inputBytes))
        uncompressedOut.increment(by: Int64(b.output.count))
        batches.increment()
        if let readMillis { latency.recordMilliseconds(max(0, nowMillis() - readMillis)) }
    }

    private var counted: [String: (Counter, Int)] = [:]

    /// Moves a counter up to a cumulative value reported from outside (e.g. the urgent forwarder's totals).
    func count(_ name: String, labels: [(String, String)] = [], _ total: Int) {
        let key = name + labels.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
        lock.lock()
        let (c, last) = counted[key] ?? (Counter(label: name, dimensions: labels), 0)
        counted[key] = (c, max(total, last))
        lock.unlock()
        if total > last { c.increment(by: Int64(total - last)) }
    }

    /// A gauge set from outside (source and forwarder figures: UDP drops, urgent counts, checkpoint lag).
    func set(_ name: String, labels: [(String, String)] = [], _ value: Double) {
        let key = name + labels.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
        lock.lock()
        let g = extra[key] ?? Gauge(label: name, dimensions: labels)
        extra[key] = g
        lock.unlock()
        g.record(value)
    }

    private func input(_ name: String) -> Counter {
        // Inputs by kind, not by file or peer: label cardinality stays bounded.
        let kind = name == "stdin" ? "stdin" : name.hasPrefix("udp://") ? "udp" : name.hasPrefix("/") || name.hasPrefix(".") ? "file" : "replay"
        lock.lock()
        defer { lock.unlock() }
        if let c = inputCounters[kind] { return c }
        let c = Counter(label: "logpipe_entries_in_total", dimensions: [("input", kind)])
        inputCounters[kind] = c
        return c
    }

    func prometheusText() -> [UInt8] { registry.emitToBuffer() }
}
