import Foundation
import NIOCore
import NIOHTTP1
import Pipeline

/// One HTTP connection of an HTTP or OTLP input, after NIO's HTTP/1.1 decoder (keep-alive and pipelining by NIO's
/// server pipeline handler: one request at a time, answers in order).
///
/// A request is checked as soon as its head arrives (method, path, bearer token, `Content-Length` against the
/// body limit), its body is collected up to the limit (413 and close past it), decoded (`gzip`, `zstd`,
/// bounded: ``BodyInflater``) and given to its endpoint, which fills the connection's batch. The batch goes
/// to the ``NetworkIntake``: when it is full the answer is 503 with `Retry-After`; otherwise the answer waits for
/// the intake's reply: the endpoint's success answer once the entries are durable, 503 if they never become so.
/// Nothing blocks the event loop; a slow client holds only its own connection.
final class HTTPIntakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// What every connection of one input shares: the input (name, intake, counters, limits), its endpoints and
    /// the bearer token a request must carry (`Authorization: Bearer …`), if any.
    struct Settings: Sendable {
        var input: NetworkInputContext
        var endpoints: [any HTTPIntakeEndpoint]
        var token: String?
        var limits: NetworkLimits { input.limits }
        var intake: NetworkIntake { input.intake }
        var counters: NetworkCounters { input.counters }
    }

    private enum State {
        case idle
        case receiving(HTTPRequestHead, any HTTPIntakeEndpoint, NIOCore.ByteBuffer)
        /// Refused before the body ended: the rest of the body is read and dropped.
        case discarding
        /// The answer is pending (durability, or a write in flight).
        case answering
    }

    private let settings: Settings
    private let batch: PeerBatch
    private let headerTimer: HTTPHeaderTimer?
    private var state = State.idle
    private var keepAlive = true
    /// The connection closed: an answer that comes later (a durability reply) is counted but not written.
    private var gone = false
    private var version = HTTPVersion.http1_1

    /// The client's address, for log lines.
    private let peer: String

    init(settings: Settings, peer: String, headerTimer: HTTPHeaderTimer?) {
        self.settings = settings
        self.headerTimer = headerTimer
        self.peer = peer
        let origin = SourceOrigin(name: "\(settings.input.name) \(peer)", sessionId: SessionIds.next())
        batch = PeerBatch(origin: origin, pool: nil, initialCapacity: 16 * 1024)
    }

    func channelInactive(context: ChannelHandlerContext) {
        gone = true
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(head):
            headerTimer?.headArrived()
            begin(context, head)
        case var .body(part):
            guard case .receiving(let head, let endpoint, var body) = state else { return }
            if body.readableBytes + part.readableBytes > settings.limits.maxBodyBytes {
                state = .discarding
                refuse(context, .payloadTooLarge, "body_too_large", "the body is larger than \(settings.limits.maxBodyBytes) bytes",
                       endpoint: endpoint, head: head, close: true)
                return
            }
            state = .answering // drop the reference while appending, so the buffer is not copied
            body.writeBuffer(&part)
            state = .receiving(head, endpoint, body)
        case .end:
            switch state {
            case let .receiving(head, endpoint, body):
                state = .answering
                finish(context, head, endpoint, body)
            case .discarding:
                state = .idle
            default:
                break
            }
        }
    }

    private func begin(_ context: ChannelHandlerContext, _ head: HTTPRequestHead) {
        keepAlive = head.isKeepAlive
        version = head.version
        let path = String(head.uri.split(separator: "?", maxSplits: 1).first ?? "")
        let fallback = settings.endpoints[0]
        guard let endpoint = settings.endpoints.first(where: { $0.path == "/" || $0.path == path }) else {
            state = .discarding
            return refuse(context, .notFound, "not_found", "nothing is served at \(path): POST to \(settings.endpoints.map(\.path).joined(separator: ", "))",
                          endpoint: fallback, head: head)
        }
        guard head.method == .POST else {
            state = .discarding
            return refuse(context, .methodNotAllowed, "method_not_allowed", "\(head.method) is not taken: POST", endpoint: endpoint, head: head)
        }
        if let token = settings.token, !Self.authorized(head.headers["authorization"].first, token: token) {
            state = .discarding
            return refuse(context, .unauthorized, "unauthorized", "a valid bearer token is required", endpoint: endpoint, head: head)
        }
        if let length = head.headers["content-length"].first.flatMap(Int.init), length > settings.limits.maxBodyBytes {
            state = .discarding
            return refuse(context, .payloadTooLarge, "body_too_large",
                          "the body (\(length) bytes) is larger than \(settings.limits.maxBodyBytes) bytes", endpoint: endpoint, head: head, close: true)
        }
        if head.headers["expect"].first?.lowercased() == "100-continue" {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
        }
        state = .receiving(head, endpoint, context.channel.allocator.buffer(capacity: 0))
    }

    private func finish(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ endpoint: any HTTPIntakeEndpoint,
                        _ received: NIOCore.ByteBuffer) {
        let raw = received.getBytes(at: received.readerIndex, length: received.readableBytes) ?? []
        let contentType = head.headers["content-type"].first
        let body: [UInt8]
        do {
            body = try BodyInflater.decode(raw, encoding: head.headers["content-encoding"].first, limit: settings.limits.maxBodyBytes)
        } catch {
            let request = HTTPIntakeRequest(path: head.uri, contentType: contentType, body: [])
            switch error {
            case .tooLarge:
                return respond(context, endpoint.refusal(.payloadTooLarge, message: "the decoded body is larger than \(settings.limits.maxBodyBytes) bytes", request: request),
                               reject: "body_too_large")
            case let .corrupt(why):
                return respond(context, endpoint.refusal(.badRequest, message: why, request: request), reject: "bad_encoding")
            case let .unsupported(name):
                return respond(context, endpoint.refusal(.unsupportedMediaType, message: "Content-Encoding \(name) is not taken: gzip, deflate, zstd or none", request: request),
                               reject: "unsupported_encoding")
            }
        }
        let request = HTTPIntakeRequest(path: head.uri, contentType: contentType, body: body)
        switch endpoint.prepare(request, into: batch, now: nowMillis()) {
        case let .answer(response, reason):
            respond(context, response, reject: reason)
        case let .keep(entries, durable, rejected):
            if rejected > 0 { settings.counters.reject("record_too_large", count: rejected) }
            guard entries > 0, let raw = batch.take(close: closeKind()) else { return respond(context, durable, reject: nil) }
            queue(context, raw, entries: entries, durable: durable, endpoint: endpoint, request: request)
        }
    }

    /// A batch is made durable at once (`timeout`: an fsync) when nothing else waits at the intake, so a lone
    /// sender gets its answer within milliseconds; behind other batches it waits for the next sync (`full`),
    /// which the batch behind it or the periodic round brings, so a busy input does not fsync per request.
    private func closeKind() -> BatchClose {
        settings.intake.queued == 0 ? .timeout : .full
    }

    private func queue(_ context: ChannelHandlerContext, _ raw: RawBatch, entries: Int, durable: HTTPIntakeResponse,
                       endpoint: any HTTPIntakeEndpoint, request: HTTPIntakeRequest) {
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let notDurable = endpoint.refusal(.serviceUnavailable, message: "the input stopped before the entries were durable; send them again", request: request)
        let offer = settings.intake.offer(raw) { isDurable in
            loop.execute {
                let (handler, context) = bound.value
                handler.respond(context, isDurable ? durable : notDurable, reject: isDurable ? nil : "not_durable", count: entries)
            }
        }
        switch offer {
        case .queued: break
        case .full:
            respond(context, endpoint.refusal(.serviceUnavailable, message: "the pipeline is full; retry later", request: request),
                    reject: "queue_full")
        case .stopped:
            respond(context, endpoint.refusal(.serviceUnavailable, message: "the input is stopping", request: request),
                    reject: "stopping", close: true)
        }
    }

    private func refuse(_ context: ChannelHandlerContext, _ status: HTTPIntakeResponse.Status, _ reason: String, _ message: String,
                        endpoint: any HTTPIntakeEndpoint, head: HTTPRequestHead, close: Bool = false) {
        let request = HTTPIntakeRequest(path: head.uri, contentType: head.headers["content-type"].first, body: [])
        respond(context, endpoint.refusal(status, message: message, request: request), reject: reason, close: close)
    }

    /// Writes an answer; counts and logs a refusal.
    private func respond(_ context: ChannelHandlerContext, _ response: HTTPIntakeResponse, reject reason: String?,
                         count: Int = 1, close: Bool = false) {
        if let reason {
            if count > 1 { settings.counters.reject(reason, count: count - 1) }
            let text = response.detail ?? String(decoding: response.body.prefix(300), as: UTF8.self).trimmingCharacters(in: .newlines)
            settings.input.reject(reason, from: peer, "answered \(response.status.rawValue): \(text)")
        }
        guard !gone else { return }
        let close = close || !keepAlive
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.count))
        if let seconds = response.retryAfter { headers.add(name: "Retry-After", value: String(seconds)) }
        if close { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: response.status.rawValue), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        var body = context.channel.allocator.buffer(capacity: response.body.count)
        body.writeBytes(response.body)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if case .discarding = state {} else { state = .idle }
        headerTimer?.requestDone()
        if close {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// Constant-time comparison of `Authorization: Bearer <token>`.
    static func authorized(_ header: String?, token: String) -> Bool {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return false }
        let given = Array(header.utf8.dropFirst(7)), wanted = Array(token.utf8)
        guard given.count == wanted.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<given.count { diff |= given[i] ^ wanted[i] }
        return diff == 0
    }
}
