import Pipeline

/// `forward://HOST:PORT`: the Fluentd forward protocol as a `NetworkSource`, one `ForwardHandler` per connection.
public enum ForwardInput {
    /// Binds now (a busy port throws `NetworkInputError`).
    public static func makeSource(host: String, port: Int, limits: NetworkLimits = NetworkLimits(),
                                  pool: BufferPool? = nil) throws -> NetworkSource {
        let name = "forward://\(host.contains(":") ? "[\(host)]" : host):\(port)"
        return try NetworkSource(name: name, limits: limits) { intake, counters in
            try NetworkServer(scheme: "forward", host: host, port: port, limits: limits, counters: counters) { channel in
                try channel.pipeline.syncOperations.addHandler(
                    ForwardHandler(inputName: name, intake: intake, counters: counters, limits: limits, pool: pool))
            }
        }
    }
}
