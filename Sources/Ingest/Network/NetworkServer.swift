import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// A listening socket on the shared event loops (`NetworkEventLoops`) for one network input, with what every
/// connection-oriented protocol needs around its own handlers:
///
/// - binds in `init`, so a busy port or a bad address fails when the topology is built (exit 1);
/// - refuses connections past `limits.maxConnections` at accept (counted `connections`), closes a connection idle
///   for `limits.idleTimeoutMillis` (counted `idle_timeout`; a connection paused by back-pressure is not idle);
/// - counts connections and bytes in `counters`; optional TLS (`TLSServerOptions`: TLS 1.2+, client certificates
///   when a client CA is given; failed handshakes counted `tls_handshake`);
/// - at stop: `stopAccepting`, then `drain` (every connection stops reading and gets a `NetworkDrainEvent`, on
///   which its protocol handler cuts its partial batch and offers it), and from `Source.afterRun` `closeAll`.
///
/// A connection's pipeline: byte counter → idle timer → (TLS) → the protocol's handlers (`initializer`, called on
/// the connection's event loop) → a last handler that closes on errors.
public final class NetworkServer: @unchecked Sendable {
    public typealias Initializer = @Sendable (Channel) throws -> Void

    /// `tcp://127.0.0.1:5514` (for messages).
    public let address: String
    public let counters: NetworkCounters
    public let limits: NetworkLimits
    private let channel: Channel
    private let registry: ConnectionRegistry

    public init(scheme: String, host: String, port: Int, limits: NetworkLimits, tls: TLSServerOptions? = nil,
                counters: NetworkCounters, group: EventLoopGroup = NetworkEventLoops.group,
                initializer: @escaping Initializer) throws {
        let address = Self.address(scheme: scheme, host: host, port: port)
        self.address = address
        self.counters = counters
        self.limits = limits
        let registry = ConnectionRegistry(limit: limits.maxConnections, counters: counters)
        self.registry = registry
        let sslContext = try tls?.makeContext()
        let idle = TimeAmount.milliseconds(Int64(max(limits.idleTimeoutMillis, 1)))
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 16 << 10, maximum: 256 << 10))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    guard registry.admit(channel) else {
                        try sync.addHandler(RefuseHandler())
                        return
                    }
                    try sync.addHandler(ByteCountingHandler(counters: counters))
                    try sync.addHandler(IdleStateHandler(readTimeout: idle))
                    try sync.addHandler(IdleCloseHandler(counters: counters))
                    if let sslContext { try sync.addHandler(NIOSSLServerHandler(context: sslContext)) }
                    try initializer(channel)
                    try sync.addHandler(ConnectionErrorHandler(counters: counters, address: address))
                }
            }
        do {
            channel = try bootstrap.bind(host: host, port: port).wait()
        } catch {
            throw NetworkInputError.bind(address: address, reason: "\(error)")
        }
    }

    /// `SCHEME://HOST:PORT`, an IPv6 host in brackets: the input's name.
    public static func address(scheme: String, host: String, port: Int) -> String {
        "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    /// The port actually bound (for port 0).
    public var boundPort: Int { channel.localAddress?.port ?? 0 }

    /// Connections open now.
    public var openConnections: Int { registry.open.count }

    /// Closes the listening socket: no new connections; the open ones carry on.
    public func stopAccepting() {
        channel.close(promise: nil)
        try? channel.closeFuture.wait()
    }

    /// Every open connection stops reading and gets a `NetworkDrainEvent` on its event loop (its handler cuts
    /// and offers what it holds); returns when all have handled it. Call from outside the event loops.
    public func drain() {
        let done = registry.open.map { channel in
            channel.eventLoop.submit {
                try? channel.syncOptions?.setOption(.autoRead, value: false)
                channel.pipeline.fireUserInboundEventTriggered(NetworkDrainEvent())
            }
        }
        for future in done { _ = try? future.wait() }
    }

    /// Closes every connection and the listener; waits for them, at most `timeoutMillis`.
    public func closeAll(timeoutMillis: Int = 5000) {
        channel.close(promise: nil)
        let closing = registry.open.map { channel -> EventLoopFuture<Void> in
            channel.close(promise: nil)
            return channel.closeFuture
        }
        let deadline = Date(timeIntervalSinceNow: Double(timeoutMillis) / 1000)
        for future in closing {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { break }
            let semaphore = DispatchSemaphore(value: 0)
            future.whenComplete { _ in semaphore.signal() }
            _ = semaphore.wait(timeout: .now() + left)
        }
    }
}

/// Fired through every connection's pipeline when its input stops: cut what you hold and offer it now (the
/// intake takes it past its bound); nothing more will be read.
public struct NetworkDrainEvent: Sendable {
    public init() {}
}
