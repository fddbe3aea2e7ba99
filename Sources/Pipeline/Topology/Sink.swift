/// Which entries of a batch a sink takes.
public enum Route: Sendable, Equatable {
    /// Every entry (segments, ClickHouse).
    case all
    /// Entries at or above a level (the urgent path: ERROR and FATAL by default). Routing copies, it never
    /// diverts: the same entries still reach the sinks that take all.
    case atLeast(Level)
}

/// What a sink reports for /health, /metrics and the exit line.
public struct SinkHealth: Sendable {
    /// Since when the sink has been failing (epoch ms), nil while it works.
    public var failingSinceMillis: Int64?
    public var lastError: String?
    /// Totals ("sent", "retried", …) and, under `gauges`, values that go up and down ("spooled").
    public var counters: [String: Int]
    public var gauges: [String: Int]

    public init(failingSinceMillis: Int64? = nil, lastError: String? = nil, counters: [String: Int] = [:],
                gauges: [String: Int] = [:]) {
        self.failingSinceMillis = failingSinceMillis
        self.lastError = lastError
        self.counters = counters
        self.gauges = gauges
    }
}

/// Where entries go: segment files, the urgent forwarder, ClickHouse — and every later output.
///
/// Lifecycle: built configured; `accept` takes batches in order; `flush` makes what it took durable; `finish`
/// ends the run (finalize, drain within the sink's own timeout). A batch's source positions are acknowledged
/// only once every sink that took it has flushed it (``Acknowledgements``).
/// Threading: `accept`, `sync` and `finish` run on the topology's delivery queue, one at a time; `flush`'s
/// completion may run on any thread; `health` and `summary` are read from any thread.
public protocol Sink: AnyObject {
    /// For /health, metrics and log lines ("segments", "urgent", "clickhouse").
    var name: String { get }
    var route: Route { get }
    /// True when `accept` needs the batch's compressed frame (the workers compress only then).
    var needsFrame: Bool { get }
    /// Takes `count` entries of `batch` (all of them, or those the route picked), as NDJSON in `lines` (valid
    /// during the call only). A sink that queues or spools returns at once; one that cannot go on throws,
    /// and the run stops.
    func accept(_ batch: CompressedBatch, lines: UnsafeBufferPointer<UInt8>, count: Int) throws
    /// Makes everything accepted so far durable and calls `done` (any thread) — without stalling the delivery
    /// queue (a segment fsync runs on the sink's own queue).
    func flush(_ done: @escaping @Sendable (Error?) -> Void)
    /// Makes everything accepted so far durable before returning (batches cut by time or end of input).
    func sync() throws
    /// After the last batch: finalize and drain. Returns false when something stays for the next start (an
    /// undelivered spool), which is not a failure; throws when what was accepted could not be kept.
    func finish() throws -> Bool
    /// After `finish`: stop the sink's threads and close its files and spools (what is undelivered stays on disk),
    /// so that a sink opened by a reload may take them over. Idempotent.
    func close()
    var health: SinkHealth { get }
    /// The sink's part of the exit line ("urgent: 12 delivered, 0 spooled"), if any.
    var exitSummary: String? { get }
}

extension Sink {
    public var route: Route { .all }
    public var needsFrame: Bool { false }
    public var exitSummary: String? { nil }
    public func close() {}
    public func sync() throws {
        let done = DispatchSemaphoreBox()
        flush { done.finish($0) }
        try done.wait()
    }
}

import Dispatch

/// Waits for one completion and hands its error over.
final class DispatchSemaphoreBox: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private var error: Error?
    func finish(_ e: Error?) { error = e; semaphore.signal() }
    func wait() throws {
        semaphore.wait()
        if let error { throw error }
    }
}
