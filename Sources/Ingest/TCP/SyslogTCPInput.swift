import Pipeline

/// `tcp://HOST:PORT` and `tls://HOST:PORT`: syslog over TCP (RFC 6587) and over TLS (RFC 5425) as a
/// `NetworkSource`, one `SyslogStreamHandler` per connection.
public enum SyslogTCPInput {
    /// Binds now (a busy port or unreadable TLS files throw `NetworkInputError`).
    public static func makeSource(host: String, port: Int, tls: TLSServerOptions? = nil,
                                  limits: NetworkLimits = NetworkLimits(), pool: BufferPool? = nil) throws -> NetworkSource {
        try NetworkSource(scheme: tls == nil ? "tcp" : "tls", host: host, port: port, limits: limits, tls: tls, pool: pool) {
            SyslogStreamHandler(context: $0)
        }
    }
}
