/// Limits every connection-oriented input applies, with defaults a user need not change (`--net-*` flags and the
/// config file override them). A sender past a limit is refused or cut off and counted by reason; the other
/// connections carry on.
public struct NetworkLimits: Sendable, Equatable {
    /// Open connections at once; the next one is closed at accept (`rejects{reason="connections"}`).
    public var maxConnections = 10_000
    /// The largest frame (a syslog message, a forward entry) or HTTP body accepted, in bytes.
    public var maxFrameBytes = 1 << 20
    public var maxBodyBytes = 16 << 20
    /// A connection that sends nothing for this long is closed.
    public var idleTimeoutMillis = 300_000
    /// An HTTP request whose header has not arrived whole in this time is answered 408 and closed.
    public var headerTimeoutMillis = 10_000
    /// Bytes of batches waiting for the pipeline before connections pause (TCP) or requests get 503 (HTTP).
    public var maxQueuedBytes = 64 << 20
    /// Most lines and bytes in one batch cut from a connection, and how long its oldest line may wait.
    public var batchLines = 2048
    public var batchBytes = 1 << 20
    public var batchTimeoutMillis = 200

    public init() {}
}
