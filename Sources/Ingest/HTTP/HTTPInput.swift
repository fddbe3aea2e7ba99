import NIOCore
import NIOHTTP1
import Pipeline

/// The HTTP inputs as topology sources on the shared server engine (``NetworkServer``, ``NetworkSource``):
/// `http://HOST:PORT[/PATH]` takes NDJSON, JSON arrays and plain lines (``NDJSONEndpoint``); `otlp://HOST:PORT`
/// takes OTLP/HTTP logs on `/v1/logs` (``OTLPLogsEndpoint``). Each connection: header timeout → NIO's HTTP/1.1
/// server pipeline → ``HTTPIntakeHandler`` with its own origin (peer address, session ID).
public enum HTTPInput {
    /// What both kinds take from the run's settings.
    public struct Options: Sendable {
        public var limits: NetworkLimits
        public var tls: TLSServerOptions?
        /// `Authorization: Bearer <token>` required when set (`--http-token-file`).
        public var token: String?
        /// The largest entry (a line, a JSON element, an OTLP record as a line).
        public var maxLineBytes: Int

        public init(limits: NetworkLimits = NetworkLimits(), tls: TLSServerOptions? = nil, token: String? = nil,
                    maxLineBytes: Int = 1 << 20) {
            self.limits = limits
            self.tls = tls
            self.token = token
            self.maxLineBytes = maxLineBytes
        }
    }

    /// `http://HOST:PORT[/PATH]` (no path: any path); `https://` with `options.tls`.
    public static func ndjson(host: String, port: Int, path: String?, options: Options) throws -> NetworkSource {
        let endpoint = NDJSONEndpoint(path: path.flatMap { $0.isEmpty ? nil : $0 } ?? "/", maxLineBytes: options.maxLineBytes)
        return try make(scheme: options.tls == nil ? "http" : "https", suffix: path ?? "", host: host, port: port,
                        endpoint: endpoint, options: options)
    }

    /// `otlp://HOST:PORT`: OTLP/HTTP logs on `/v1/logs`.
    public static func otlp(host: String, port: Int, options: Options) throws -> NetworkSource {
        try make(scheme: "otlp", suffix: "", host: host, port: port, endpoint: OTLPLogsEndpoint(maxLineBytes: options.maxLineBytes),
                 options: options)
    }

    private static func make(scheme: String, suffix: String, host: String, port: Int, endpoint: any HTTPIntakeEndpoint,
                             options: Options) throws -> NetworkSource {
        let name = NetworkServer.address(scheme: scheme, host: host, port: port) + suffix
        return try NetworkSource(name: name, limits: options.limits) { intake, counters in
            let input = NetworkInputContext(name: name, intake: intake, counters: counters, limits: options.limits, pool: nil)
            let settings = HTTPIntakeHandler.Settings(input: input, endpoints: [endpoint], token: options.token)
            return try NetworkServer(scheme: scheme, host: host, port: port, limits: options.limits, tls: options.tls,
                                     counters: counters) { channel in
                let sync = channel.pipeline.syncOperations
                let timer = HTTPHeaderTimer(timeoutMillis: options.limits.headerTimeoutMillis, counters: counters)
                try sync.addHandler(timer)
                try sync.configureHTTPServerPipeline(withErrorHandling: true)
                let peer = channel.remoteAddress.map { "\($0)" } ?? "a client"
                try sync.addHandler(HTTPIntakeHandler(settings: settings, peer: peer, headerTimer: timer))
            }
        }
    }
}
