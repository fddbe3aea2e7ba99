import Foundation
import Pipeline

/// A small HTTP/1.1 server for `GET /health` and `GET /metrics` on its own thread (POSIX sockets; one request per
/// connection, answered and closed). Binds only the address it is given.
final class MetricsServer: @unchecked Sendable {
    let host: String
    let port: Int
    private let fd: Int32
    private let stop = StopSignal()
    private let health: HealthState
    private let metrics: PipelineMetrics
    private var thread: Thread?

    init(address: String, health: HealthState, metrics: PipelineMetrics) throws {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
              (0...65535).contains(port) else {
            throw RuntimeFailure("invalid --metrics \"\(address)\": expected HOST:PORT, e.g. 127.0.0.1:9300")
        }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host
        self.health = health
        self.metrics = metrics
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var res: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &res) == 0, let ai = res else {
            throw RuntimeFailure("--metrics \(address): cannot resolve \(host)")
        }
        defer { freeaddrinfo(res) }
        let sock = socket(ai.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var one: Int32 = 1
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard sock >= 0, bind(sock, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0, listen(sock, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            if sock >= 0 { close(sock) }
            throw RuntimeFailure("--metrics \(address): cannot listen: \(reason)")
        }
        fd = sock
        var bound = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &bound) { getsockname(sock, UnsafeMutableRawPointer($0).assumingMemoryBound(to: sockaddr.self), &len) }
        self.port = withUnsafePointer(to: &bound) { p -> Int in
            let sa = UnsafeRawPointer(p)
            let family = sa.load(as: sockaddr.self).sa_family
            let raw = family == sa_family_t(AF_INET6) ? sa.load(as: sockaddr_in6.self).sin6_port : sa.load(as: sockaddr_in.self).sin_port
            return Int(UInt16(bigEndian: raw))
        }
    }

    func start() {
        let t = Thread { [self] in serve() }
        t.name = "logpipe-metrics"
        t.start()
        thread = t
    }

    func shutdown() {
        stop.trigger()
    }

    private func serve() {
        defer { close(fd) }
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: stop.wakeFD, events: Int16(POLLIN), revents: 0)]
        while !stop.isTriggered {
            guard poll(&fds, 2, 1000) > 0, fds[1].revents == 0, fds[0].revents != 0 else { continue }
            let client = accept(fd, nil, nil)
            guard client >= 0 else { continue }
            handle(client)
            close(client)
        }
    }

    private func handle(_ client: Int32) {
        var timeout = timeval(tv_sec: 0, tv_usec: 500_000) // a silent client must not outlast a 1 s probe
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while request.count < 16 * 1024 {
            let n = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, 4096, 0) }
            if n <= 0 { break }
            request.append(contentsOf: chunk[0..<n])
            if request.count >= 4, request.suffix(4).elementsEqual([13, 10, 13, 10]) { break }
            if let text = String(bytes: request, encoding: .utf8), text.contains("\r\n\r\n") || text.contains("\n\n") { break }
        }
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).split(separator: " ")
        let method = line.first.map(String.init) ?? ""
        let path = line.count > 1 ? String(line[1]).split(separator: "?").first.map(String.init) ?? "/" : "/"
        let (status, type, body): (String, String, [UInt8])
        switch (method, path) {
        case ("GET", "/metrics"):
            (status, type, body) = ("200 OK", "text/plain; version=0.0.4; charset=utf-8", metrics.prometheusText())
        case ("GET", "/health"), ("GET", "/api/health"):
            let (ok, json) = health.report()
            (status, type, body) = (ok ? "200 OK" : "503 Service Unavailable", "application/json", Array(json.utf8))
        case ("GET", _):
            (status, type, body) = ("404 Not Found", "text/plain", Array("not found: use /health or /metrics\n".utf8))
        default:
            (status, type, body) = ("405 Method Not Allowed", "text/plain", Array("GET only\n".utf8))
        }
        let head = "HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        let response = Array(head.utf8) + body
        response.withUnsafeBytes { raw in
            var p = raw.baseAddress!, left = raw.count
            while left > 0 {
                let n = send(client, p, left, Int32(MSG_NOSIGNAL))
                if n <= 0 { return }
                p += n; left -= n
            }
        }
    }
}
