import NIOCore
import Pipeline

/// One TCP (or TLS) syslog connection: frames the bytes it reads (`SyslogStreamFramer`) straight into the
/// connection's batch; the parse stage maps each message (RFC 5424, RFC 3164, or any line format) as it does
/// for UDP. Rejects are counted by reason and logged with the peer's address.
///
/// Batches are cut full, after `batchTimeoutMillis` with close `.caughtUp` (syslog over TCP has no
/// acknowledgement to wait for, so the periodic durability round serves it without an fsync per batch), and at
/// the connection's end or the input's drain.
final class SyslogStreamHandler: ChannelInboundHandler {
    typealias InboundIn = NIOCore.ByteBuffer
    private let input: NetworkInputContext
    private var framer: SyslogStreamFramer
    private var batcher: ConnectionBatcher?
    private var peer = "a client"

    init(context: NetworkInputContext) {
        input = context
        framer = SyslogStreamFramer(maxFrameBytes: context.limits.maxFrameBytes)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        (batcher, peer) = input.makeBatcher(for: context.channel, timeoutClose: .caughtUp)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let batcher else { return }
        let buffer = unwrapInboundIn(data)
        let now = nowMillis()
        buffer.withUnsafeReadableBytes { raw in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
            framer.feed(base, raw.count, frame: { batcher.add($0, $1, truncated: $2, now: now) }, reject: count)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(close: .caughtUp)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is NetworkDrainEvent { finish(close: .end) }
        context.fireUserInboundEventTriggered(event)
    }

    private func finish(close: BatchClose) {
        guard let batcher else { return }
        let now = nowMillis()
        framer.finish(frame: { batcher.add($0, $1, truncated: $2, now: now) }, reject: count)
        batcher.cut(close)
    }

    private func count(_ reject: SyslogStreamFramer.Reject) {
        input.reject(reject.rawValue, from: peer, reject == .frameTooLarge
            ? "kept the first \(input.limits.maxFrameBytes) bytes, marked truncated" : "")
    }
}
