import NIOCore

/// The header timeout of an HTTP connection, ahead of the HTTP decoder (it sees raw bytes): armed when the
/// connection opens and when the first bytes of a next request arrive, cancelled when a request's head has been
/// decoded. When it fires first, the connection gets `408` and is closed (`rejects{reason="header_timeout"}`), so a
/// client that sends a header slowly (or never) holds a connection for `headerTimeoutMillis` at most; an idle
/// keep-alive connection between requests is the idle timeout's business.
final class HTTPHeaderTimer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOCore.ByteBuffer
    typealias InboundOut = NIOCore.ByteBuffer

    private let timeoutMillis: Int64
    private let counters: NetworkCounters
    private var scheduled: Scheduled<Void>?
    private var waitingForHead = true
    private var context: ChannelHandlerContext?

    init(timeoutMillis: Int, counters: NetworkCounters) {
        self.timeoutMillis = Int64(timeoutMillis)
        self.counters = counters
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { scheduled?.cancel(); self.context = nil }

    func channelActive(context: ChannelHandlerContext) {
        arm()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if waitingForHead, scheduled == nil { arm() }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        scheduled?.cancel()
        scheduled = nil
        context.fireChannelInactive()
    }

    /// A request's head was decoded.
    func headArrived() {
        waitingForHead = false
        scheduled?.cancel()
        scheduled = nil
    }

    /// A request was answered: the next one's header is timed from its first byte.
    func requestDone() { waitingForHead = true }

    private func arm() {
        guard let context else { return }
        let loop = context.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        scheduled = loop.scheduleTask(in: .milliseconds(timeoutMillis)) { bound.value.fire() }
    }

    private func fire() {
        scheduled = nil
        guard waitingForHead, let context else { return }
        counters.reject("header_timeout")
        let text = "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        var buffer = context.channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        let channel = context.channel
        context.writeAndFlush(NIOAny(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }
}
