import NIOCore
import Pipeline

/// What every connection handler of one network input shares: the input's name, its intake and counters, its
/// limits and the pool batch buffers come from. Handed to the protocol's handler factory by `NetworkSource`.
public struct NetworkInputContext: Sendable {
    public let name: String
    public let intake: NetworkIntake
    public let counters: NetworkCounters
    public let limits: NetworkLimits
    public let pool: BufferPool?

    /// A new connection's batcher (its own origin and session ID) and the peer's address for log lines; on the
    /// connection's event loop.
    public func makeBatcher(for channel: Channel, timeoutClose: BatchClose) -> (batcher: ConnectionBatcher, peer: String) {
        let peer = channel.remoteAddress.map { "\($0)" } ?? "a client"
        let origin = SourceOrigin(name: "\(name) \(peer)", sessionId: SessionIds.next())
        let batcher = ConnectionBatcher(origin: origin, pool: pool, limits: limits,
                                        feeder: IntakeFeeder(intake: intake, channel: channel, counters: counters),
                                        eventLoop: channel.eventLoop, timeoutClose: timeoutClose)
        return (batcher, peer)
    }

    /// Counts a reject and logs it with the peer.
    public func reject(_ reason: String, from peer: String, _ detail: String = "") {
        counters.reject(reason)
        NetworkLog.warning("\(name): \(reason) from \(peer)" + (detail.isEmpty ? "" : ": \(detail)"))
    }
}
