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
}

extension UrgentSink {
    /// Counters for /metrics (e.g. "sent", "retried", "spooled", "refused"); none by default.
    public var counters: [String: Int] { [:] }
    /// Since when delivery has been failing (epoch ms), nil while it works; drives /health.
    public var failingSinceMillis: Int64? { nil }
    /// The last delivery error, for /health.
    public var lastError: String? { nil }
}
