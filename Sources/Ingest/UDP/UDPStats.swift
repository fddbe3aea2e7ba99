import Foundation

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

    /// `udp ADDRESS: N datagrams received from P peer(s), …, receive buffer 16 MiB (asked 8 MiB; …), peak backlog …`
    public func summary(address: String) -> String {
        var line = "udp \(address): \(datagrams) datagrams received from \(peers) peer(s), \(entries) entries, " +
            "\(malformed) malformed (\(emptyDatagrams) empty, \(truncatedDatagrams) truncated), \(kernelDrops) dropped " +
            "by the kernel, receive buffer \(Self.size(receiveBufferBytes)) (asked \(Self.size(requestedBufferBytes)); " +
            "SO_RCVBUF reports double)"
        // Linux grants twice the bytes asked (its bookkeeping); less means net.core.rmem_max capped the request.
        if receiveBufferBytes < 2 * requestedBufferBytes { line += ", capped by net.core.rmem_max: run as root or raise it" }
        return line + ", peak backlog \(Self.size(peakBacklogBytes))"
    }

    static func size(_ bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 20 { return String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
        if bytes >= 1 << 10 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }
}
