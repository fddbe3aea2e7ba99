import Foundation

/// One kept-alive HTTP/1.1 connection: POST, read the whole answer (status and de-chunked body). Shared by the
/// urgent HTTP transport and the ClickHouse transport (which needs the body: ClickHouse explains a refusal there).
///
/// Blocking, used by one delivery thread. A kept-alive connection the server closed meanwhile is replaced once
/// without counting as a failure. With `tls` the connection is HTTPS (``TLSStream``); a TLS context that cannot
/// be set up (the CA file went away) fails each attempt until it can.
final class HTTPConnection {
    let host: String
    let port: Int
    private let fixedHead: String
    private let tls: TLSOptions?
    private var tlsContext: TLSContext?
    private var socket: ByteStream?
    private var buffer = [UInt8](repeating: 0, count: 64 << 10)

    struct Answer { var status: Int; var body: [UInt8]; var retryAfter: String? = nil }

    init(host: String, port: Int, tls: TLSOptions? = nil, user: String? = nil, password: String? = nil) {
        self.host = host
        self.port = port
        self.tls = tls
        var head = "Host: \(host.contains(":") ? "[\(host)]" : host):\(port)\r\nUser-Agent: logpipe\r\nConnection: keep-alive\r\n"
        if user != nil || password != nil {
            let token = Data("\(user ?? "default"):\(password ?? "")".utf8).base64EncodedString()
            head += "Authorization: Basic \(token)\r\n"
        }
        fixedHead = head
    }

    /// POSTs `body` to `target` (path and query); the answer, whatever its status.
    func post(_ target: String, body: UnsafeRawBufferPointer, headers: String = "", timeoutMillis: Int) throws -> Answer {
        let deadline = monotonicMillis() + Int64(timeoutMillis)
        let head = Array("POST \(target) HTTP/1.1\r\n\(fixedHead)\(headers)Content-Length: \(body.count)\r\n\r\n".utf8)
        if let s = socket, s.isStale { close() }
        let reused = socket != nil
        do {
            return try exchange(head, body, deadline: deadline)
        } catch let e as TransportError where reused && e.isConnectionLoss {
            close() // the server dropped the idle connection as we sent: once more on a fresh one
            return try exchange(head, body, deadline: deadline)
        }
    }

    private func exchange(_ head: [UInt8], _ body: UnsafeRawBufferPointer, deadline: Int64) throws -> Answer {
        do {
            if socket == nil { socket = try connect(deadline: deadline) }
            let s = socket!
            try s.send(head, deadline: deadline)
            try s.send(body, deadline: deadline)
            var received: [UInt8] = []
            var closed = false
            while true {
                let parsed: HTTPResponse?
                do { parsed = try HTTPResponse.parse(received, closed: closed) } catch {
                    throw TransportError.failed("bad HTTP response: \(error)")
                }
                if let r = parsed {
                    if !r.keepAlive || r.length != received.count { close() }
                    return Answer(status: r.status, body: Self.body(Array(received[0..<r.length])), retryAfter: r.retryAfter)
                }
                if closed {
                    throw received.isEmpty ? TransportError.closedWithoutAnswer : TransportError.failed("incomplete response")
                }
                let n = try buffer.withUnsafeMutableBytes { try s.receive(into: $0, deadline: deadline) }
                if n == 0 { closed = true } else { received += buffer[0..<n] }
            }
        } catch {
            close()
            throw error
        }
    }

    private func connect(deadline: Int64) throws -> ByteStream {
        let plain = try PosixSocket.connect(host: host, port: port, udp: false, deadline: deadline)
        guard let tls else { return plain }
        if tlsContext == nil {
            do { tlsContext = try TLSContext(tls) } catch { throw TransportError.failed("\(error)") }
        }
        return try TLSStream(socket: plain, context: tlsContext!, host: host, port: port, deadline: deadline)
    }

    /// The body of a complete response (the last one when 1xx answers precede it), de-chunked.
    static func body(_ response: [UInt8]) -> [UInt8] {
        var start = 0
        var head = ""
        while let end = HTTPResponse.find(response, [13, 10, 13, 10], from: start) {
            head = String(decoding: response[start..<end], as: UTF8.self)
            start = end + 4
            if !head.hasPrefix("HTTP/1.1 1") && !head.hasPrefix("HTTP/1.0 1") { break }
        }
        let raw = Array(response[start...])
        guard head.lowercased().contains("transfer-encoding: chunked") else { return raw }
        var out: [UInt8] = []
        var pos = 0
        while let lineEnd = HTTPResponse.find(raw, [13, 10], from: pos) {
            let sizeText = String(decoding: raw[pos..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size > 0,
                  raw.count >= lineEnd + 2 + size else { break }
            out += raw[(lineEnd + 2)..<(lineEnd + 2 + size)]
            pos = lineEnd + 2 + size + 2
        }
        return out
    }

    func close() {
        socket?.close()
        socket = nil
    }
}
