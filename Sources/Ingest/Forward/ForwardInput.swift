import Pipeline

/// `forward://HOST:PORT`: the Fluentd forward protocol as a `NetworkSource`, one `ForwardHandler` per connection.
public enum ForwardInput {
    /// Binds now (a busy port throws `NetworkInputError`).
    public static func makeSource(host: String, port: Int, limits: NetworkLimits = NetworkLimits(),
                                  pool: BufferPool? = nil) throws -> NetworkSource {
        try NetworkSource(scheme: "forward", host: host, port: port, limits: limits, pool: pool) { ForwardHandler(context: $0) }
    }
}
