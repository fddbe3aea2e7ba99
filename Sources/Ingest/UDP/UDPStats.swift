/// What a UDP source received, for the run's exit summary.
public struct UDPStats: Sendable {
    public var datagrams = 0
    /// Entries framed from them (a datagram with several lines gives several).
    public var entries = 0
    /// Datagrams with nothing in them (only newlines or NULs).
    public var emptyDatagrams = 0
    /// Datagrams with a line over --max-line-bytes (cut and flagged truncated).
    public var truncatedDatagrams = 0
    /// Datagrams the kernel dropped because the receive buffer was full.
    public var kernelDrops = 0
    /// Distinct peers seen (a peer evicted from the session cache and seen again counts again).
    public var peers = 0
    public var receiveBufferBytes = 0
    public var requestedBufferBytes = 0
    /// The most batch bytes that waited for the pipeline at once (see `UDPSource.backlogBytes`).
    public var peakBacklogBytes = 0
    /// Whether the receiving thread runs at a raised priority (`UDPSource.receiveThreadNice`).
    public var raisedPriority = false

    public var malformed: Int { emptyDatagrams + truncatedDatagrams }

    public init() {}
}
