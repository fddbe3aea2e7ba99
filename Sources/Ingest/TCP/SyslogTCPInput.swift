import Pipeline

/// `tcp://HOST:PORT` and `tls://HOST:PORT`: syslog over TCP (RFC 6587) and over TLS (RFC 5425) as a
/// `NetworkSource`, one `SyslogStreamHandler` per connection.
public enum SyslogTCPInput {
    /// Binds now (a busy port or unreadable TLS files throw `NetworkInputError`).
    public static func makeSource(host: String, port: Int, tls: TLSServerOptions? = nil,
                                  limits: NetworkLimits = NetworkLimits(), pool: BufferPool? = nil) throws -> NetworkSource {
        let scheme = tls == nil ? "tcp" : "tls"
        let name = "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)"
        return try NetworkSource(name: name, limits: limits) { intake, counters in
            try NetworkServer(scheme: scheme, host: host, port: port, limits: limits, tls: tls, counters: counters) { channel in
                try channel.pipeline.syncOperations.addHandler(
                    SyslogStreamHandler(inputName: name, intake: intake, counters: counters, limits: limits, pool: pool))
            }
        }
    }
}
