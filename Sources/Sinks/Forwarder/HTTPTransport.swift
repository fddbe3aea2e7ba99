/// POSTs spooled entries as NDJSON over HTTP/1.1 on a kept-alive connection (DESIGN.md §3 "Urgent HTTP delivery").
///
/// Blocking, on its destination's delivery thread. 2xx = delivered; any other status, a timeout or a broken
/// connection throws (the batch is retried). A kept-alive connection that the server closed meanwhile is
/// replaced once without counting as a failure.
final class HTTPTransport: UrgentTransport {
    let destination: UrgentDestination
    let timeoutMillis: Int
    private let fixedHead: String
    private var socket: PosixSocket?
    private var buffer = [UInt8](repeating: 0, count: 16 << 10)

    init(destination: UrgentDestination, headers: [(name: String, value: String)], timeoutMillis: Int) {
        self.destination = destination
        self.timeoutMillis = timeoutMillis
        let host = destination.host.contains(":") ? "[\(destination.host)]" : destination.host
        var head = "POST \(destination.target) HTTP/1.1\r\nHost: \(host):\(destination.port)\r\n"
        head += "Content-Type: application/x-ndjson\r\nUser-Agent: logpipe\r\nConnection: keep-alive\r\n"
        for h in headers { head += "\(h.name): \(h.value)\r\n" }
        fixedHead = head
    }

    func deliver(_ batch: UrgentSpool.Batch) throws {
        let deadline = monotonicMillis() + Int64(timeoutMillis)
        var request = Array((fixedHead + "Content-Length: \(batch.bytes.count)\r\n\r\n").utf8)
        request += batch.bytes
        if let s = socket, s.isStale { close() }
        let reused = socket != nil
        do {
            try exchange(request, deadline: deadline)
        } catch let e as TransportError where reused && e.isConnectionLoss {
            close() // the server dropped the idle connection as we sent: once more on a fresh one
            try exchange(request, deadline: deadline)
        }
    }

    private func exchange(_ request: [UInt8], deadline: Int64) throws {
        do {
            if socket == nil {
                socket = try PosixSocket.connect(host: destination.host, port: destination.port, udp: false, deadline: deadline)
            }
            let s = socket!
            try s.send(request, deadline: deadline)
            var received: [UInt8] = []
            var closed = false
            while true {
                let parsed: HTTPResponse?
                do { parsed = try HTTPResponse.parse(received, closed: closed) } catch {
                    throw TransportError.failed("bad HTTP response: \(error)")
                }
                if let r = parsed {
                    if !r.keepAlive || r.length != received.count { close() }
                    guard (200..<300).contains(r.status) else { throw TransportError.failed("HTTP status \(r.status)") }
                    return
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

    func close() {
        socket?.close()
        socket = nil
    }
}
