import NIOCore
import NIOSSL

/// Counts the bytes a connection receives off the wire (before TLS), for `logpipe_input_bytes_total`.
final class ByteCountingHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOCore.ByteBuffer
    typealias InboundOut = NIOCore.ByteBuffer
    private let counters: NetworkCounters
    /// This connection's bytes so far.
    private(set) var received = 0

    init(counters: NetworkCounters) { self.counters = counters }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let n = unwrapInboundIn(data).readableBytes
        received += n
        counters.received(bytes: n)
        context.fireChannelRead(data)
    }
}

/// Closes a connection that sent nothing for the idle timeout (`IdleStateHandler`'s read event), counted as
/// `idle_timeout`. A connection paused by back-pressure is not idle.
final class IdleCloseHandler: ChannelInboundHandler {
    typealias InboundIn = NIOAny
    private let counters: NetworkCounters

    init(counters: NetworkCounters) { self.counters = counters }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            // Paused by back-pressure (`IntakeFeeder`): quiet because we stopped reading, not idle.
            if (try? context.channel.syncOptions?.getOption(.autoRead)) == false { return }
            counters.reject("idle_timeout")
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// The last handler of every connection: an error that reached it closes the connection. A failed TLS
/// handshake (no client certificate, a wrong one, a client speaking plain text) is counted as `tls_handshake`;
/// resets and other socket errors are the peer's business and only close.
final class ConnectionErrorHandler: ChannelInboundHandler {
    typealias InboundIn = NIOAny
    private let counters: NetworkCounters
    private let address: String
    private var counted = false

    init(counters: NetworkCounters, address: String) {
        self.counters = counters
        self.address = address
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A client that closes without having sent a byte (a port probe, a health check) was not refused.
        let sent = (try? context.pipeline.syncOperations.handler(type: ByteCountingHandler.self))?.received ?? 1
        let quietClose = sent == 0 || (error as? NIOSSLError) == .uncleanShutdown
        if !counted, !quietClose, error is NIOSSLError || error is BoringSSLError {
            counted = true
            counters.reject("tls_handshake")
            NetworkLog.warning("\(address): TLS refused \(context.remoteAddress.map { "\($0)" } ?? "a client"): \(error)")
        }
        context.close(promise: nil)
    }
}

/// Closes a connection as soon as it is active (past the connection limit): nothing is read from it.
final class RefuseHandler: ChannelInboundHandler {
    typealias InboundIn = NIOAny

    func channelActive(context: ChannelHandlerContext) { context.close(promise: nil) }
}
