/// POSTs spooled entries as NDJSON over HTTP/1.1 (or HTTPS) on a kept-alive connection (DESIGN.md §3 "Urgent HTTP delivery").
///
/// Blocking, on its destination's delivery thread. 2xx = delivered; any other status, a timeout or a broken
/// connection throws (the batch is retried). Connection handling is `HTTPConnection`'s.
final class HTTPTransport: DeliveryTransport {
    let destination: UrgentDestination
    let timeoutMillis: Int
    private let headers: String
    private let connection: HTTPConnection

    init(destination: UrgentDestination, headers: [(name: String, value: String)], tls: TLSOptions = TLSOptions(),
         timeoutMillis: Int) {
        self.destination = destination
        self.timeoutMillis = timeoutMillis
        var head = "Content-Type: application/x-ndjson\r\n"
        for h in headers { head += "\(h.name): \(h.value)\r\n" }
        self.headers = head
        connection = HTTPConnection(host: destination.host, port: destination.port, tls: destination.tls ? tls : nil)
    }

    func deliver(_ batch: DeliverySpool.Batch) throws {
        let answer = try batch.bytes.withUnsafeBytes {
            try connection.post(destination.target, body: $0, headers: headers, timeoutMillis: timeoutMillis)
        }
        guard (200..<300).contains(answer.status) else { throw TransportError.failed("HTTP status \(answer.status)") }
    }

    func close() { connection.close() }
}
