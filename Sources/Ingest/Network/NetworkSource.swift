import NIOCore
import Pipeline

/// A network input as a topology `Source`, the same for every protocol: the protocol builds its `NetworkServer`
/// (bound in `init`) with handlers that feed `intake`; this type runs the intake on the source thread, passes
/// acknowledgements to it (the clients' replies), and stops in the order the topology needs:
///
/// stop → no more accepting, every connection cuts and offers what it holds (`NetworkServer.drain`), the intake
/// empties into the pipeline → (the runner's last acknowledgement round) → `afterRun`: replies still waiting
/// are answered "not durable", connections close. Sendable: `stats` is written by `run` only, the rest is safe
/// from any thread.
public final class NetworkSource: Source, @unchecked Sendable {
    public let name: String
    public let intake: NetworkIntake
    public let counters: NetworkCounters
    public let server: NetworkServer
    public private(set) var stats = SourceStats()

    /// `makeServer` binds the protocol's server on `intake` and `counters` (throws on a busy port, bad TLS files).
    public init(name: String, limits: NetworkLimits,
                makeServer: (NetworkIntake, NetworkCounters) throws -> NetworkServer) throws {
        self.name = name
        let counters = NetworkCounters()
        let intake = NetworkIntake(key: name, maxQueuedBytes: limits.maxQueuedBytes, counters: counters)
        self.intake = intake
        self.counters = counters
        server = try makeServer(intake, counters)
    }

    /// An input whose every connection gets the protocol handler `handler` makes (added on the connection's
    /// event loop, after the server's own handlers and TLS); named `SCHEME://HOST:PORT`.
    public convenience init(scheme: String, host: String, port: Int, limits: NetworkLimits, tls: TLSServerOptions? = nil,
                            pool: BufferPool?, handler: @escaping @Sendable (NetworkInputContext) -> ChannelHandler) throws {
        let name = NetworkServer.address(scheme: scheme, host: host, port: port)
        try self.init(name: name, limits: limits) { intake, counters in
            let context = NetworkInputContext(name: name, intake: intake, counters: counters, limits: limits, pool: pool)
            return try NetworkServer(scheme: scheme, host: host, port: port, limits: limits, tls: tls, counters: counters) { channel in
                try channel.pipeline.syncOperations.addHandler(handler(context))
            }
        }
    }

    public func run(stop: StopSignal, emit: (RawBatch) -> Void) throws {
        intake.run(stop: stop, emit: emit) { [server] in
            server.stopAccepting()
            server.drain()
        }
        stats.bytesRead = counters.snapshot.bytes
    }

    public func acknowledge(_ positions: [SourcePosition]) throws { intake.acknowledge(positions) }

    public func afterRun() {
        intake.close()
        server.closeAll()
    }

    public var gauges: [SourceGauge] { counters.gauges(input: name) }

    public var exitSummary: String? { "\(name): \(counters.summary)" }
}
