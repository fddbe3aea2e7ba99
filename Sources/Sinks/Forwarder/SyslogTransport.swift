/// Sends entries as RFC 5424 messages (``SyslogMessage``): one datagram each over UDP, octet-counting framing
/// (`LEN SP MSG`, RFC 6587) over TCP, so rsyslog or syslog-ng can receive the urgent stream.
///
/// Delivery means written to the socket: syslog has no acknowledgement. A send error (a refused UDP port, a
/// reset TCP connection) throws and the batch is retried whole on a new socket.
final class SyslogTransport: DeliveryTransport {
    let destination: UrgentDestination
    let timeoutMillis: Int
    /// Longest datagram sent; longer messages are cut (what fits in a UDP datagram).
    static let maxDatagram = 65_000
    private var socket: PosixSocket?

    init(destination: UrgentDestination, timeoutMillis: Int) {
        self.destination = destination
        self.timeoutMillis = timeoutMillis
    }

    func deliver(_ batch: DeliverySpool.Batch) throws {
        let deadline = monotonicMillis() + Int64(timeoutMillis)
        let udp = destination.kind == .syslogUDP
        do {
            if let s = socket, !udp, s.isStale { close() }
            if socket == nil {
                socket = try PosixSocket.connect(host: destination.host, port: destination.port, udp: udp, deadline: deadline)
            }
            var start = 0
            var stream: [UInt8] = []
            for end in batch.lineEnds {
                var message = SyslogMessage.format(batch.bytes[start..<end])
                start = end
                if udp {
                    if message.count > Self.maxDatagram { message.removeLast(message.count - Self.maxDatagram) }
                    try socket!.send(message, deadline: deadline)
                } else {
                    stream += Array("\(message.count) ".utf8)
                    stream += message
                }
            }
            if !udp { try socket!.send(stream, deadline: deadline) }
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
