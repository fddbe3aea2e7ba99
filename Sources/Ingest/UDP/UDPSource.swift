import Foundation
import Pipeline

/// Receives log datagrams on a UDP socket (syslog RFC 5424/3164, JSON, logfmt or plain; one entry per datagram,
/// or one per line when it holds several). Session ID per peer address.
///
/// Placeholder: the receiving loop is being written; until then `run` refuses to start.
public final class UDPSource {
    public let host: String
    public let port: Int
    public let options: FramingOptions
    public var pool: BufferPool?
    public private(set) var stats = SourceStats()

    public init(host: String, port: Int, options: FramingOptions) throws {
        self.host = host
        self.port = port
        self.options = options
    }

    /// The port actually bound (for port 0).
    public var boundPort: Int { port }

    /// One line for the run's exit summary (datagrams received, malformed, dropped by the kernel, buffer size).
    public var summary: String { "udp \(host):\(port): not implemented" }

    public func run(stop: StopSignal, emit: (RawBatch) -> Void) throws {
        throw IngestError.unsupported("udp:// input is not implemented yet")
    }
}
