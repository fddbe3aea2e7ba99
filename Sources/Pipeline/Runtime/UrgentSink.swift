/// Receives copies of urgent entries (ERROR and FATAL by default), in input order, as soon as their batch is
/// encoded — before compression waits or segment writes. The urgent path copies; it never diverts: the same
/// entries still go to the segments.
///
/// Threading: `submit` is called from the pipeline's ordered delivery queue; it must not block for long
/// (queue in memory or spool to disk and return), or it would slow the main pipeline.
public protocol UrgentSink: AnyObject, Sendable {
    /// `lines`: `count` complete entries in the segment line format (NDJSON, each ending in `\n`). The bytes are
    /// only valid during the call.
    func submit(_ lines: UnsafeBufferPointer<UInt8>, count: Int)
    /// Waits up to `timeoutMillis` for everything submitted to be delivered; true when it was. Called once at the
    /// end of a run; what is left stays in the spool for the next start.
    func drain(timeoutMillis: Int) -> Bool
    /// A one-line summary for the run's exit line (e.g. "urgent: 12 delivered, 0 spooled").
    var summary: String { get }
    /// Totals for /metrics: counters ("sent", "retried", "refused") and the current backlog ("spooled").
    var counters: [String: Int] { get }
    /// Since when delivery has been failing (epoch ms), nil while it works; drives /health.
    var failingSinceMillis: Int64? { get }
    /// The last delivery error, for /health.
    var lastError: String? { get }
    /// Makes everything submitted so far durable (a spool that commits in groups fsyncs now). Called before
    /// file-tail checkpoints move past the entries, which do not move when it throws; thread-safe.
    func sync() throws
}

// The health and counter members are requirements (not only extension members), so a sink seen through
// `UrgentSink` reports its own values; these defaults serve sinks that have none.
extension UrgentSink {
    public var counters: [String: Int] { [:] }
    public var failingSinceMillis: Int64? { nil }
    public var lastError: String? { nil }
    public func sync() throws {}
}
