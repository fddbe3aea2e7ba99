import Foundation
import ArgumentParser
import Ingest

/// The flags every network input shares (`tcp://`, `tls://`, `forward://`, and the HTTP inputs): TLS files and
/// the connection limits (`NetworkLimits`; the defaults suit most hosts).
struct NetworkInputOptions: ParsableArguments {
    @Option(help: ArgumentHelp("PEM certificate chain of the TLS inputs (tls://).", valueName: "path"))
    var tlsCert: String?
    @Option(help: ArgumentHelp("PEM private key of --tls-cert.", valueName: "path"))
    var tlsKey: String?
    @Option(help: ArgumentHelp("Require client certificates signed by this PEM CA on the TLS inputs.", valueName: "path"))
    var tlsClientCa: String?
    @Option(help: "Most open connections per network input; the next is closed at accept.")
    var netMaxConnections = Int(ConfigKey.defaultValue(of: "--net-max-connections"))!
    @Option(help: "Largest frame (a syslog message, a forward entry) a network input accepts (K/M/G); longer ones are cut and marked truncated.")
    var netMaxFrameBytes = ConfigKey.defaultValue(of: "--net-max-frame-bytes")
    @Option(help: "Close a network connection that sends nothing for this long (ms/s/m).")
    var netIdleTimeout = ConfigKey.defaultValue(of: "--net-idle-timeout")
    @Option(help: "Largest request body (after decoding gzip/deflate/zstd) the HTTP inputs accept (K/M/G); larger ones get 413.")
    var netMaxBodyBytes = ConfigKey.defaultValue(of: "--net-max-body-bytes")
    @Option(help: ArgumentHelp("File holding the bearer token the HTTP inputs (http://, otlp://) require.", valueName: "path"))
    var httpTokenFile: String?

    /// What the network inputs are built with.
    struct Resolved {
        var limits = NetworkLimits()
        var tls: TLSServerOptions?
        /// The HTTP inputs' bearer token (the trimmed contents of `--http-token-file`).
        var httpToken: String?

        /// The HTTP inputs' options (`tls`: this input is `https://`).
        func http(tls useTLS: Bool, _ framing: FramingOptions) -> HTTPInput.Options {
            HTTPInput.Options(limits: limits, tls: useTLS ? tls : nil, token: httpToken, maxLineBytes: framing.maxLineBytes)
        }
    }

    func resolve() throws -> Resolved {
        var r = Resolved()
        r.limits.maxConnections = try ArgumentValues.positive(netMaxConnections, flag: "--net-max-connections")
        r.limits.maxFrameBytes = try ArgumentValues.size(netMaxFrameBytes, flag: "--net-max-frame-bytes")
        r.limits.idleTimeoutMillis = try ArgumentValues.duration(netIdleTimeout, flag: "--net-idle-timeout")
        r.limits.maxBodyBytes = try ArgumentValues.size(netMaxBodyBytes, flag: "--net-max-body-bytes")
        if let path = httpTokenFile {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ValidationError("--http-token-file \"\(path)\" cannot be read")
            }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw ValidationError("--http-token-file \"\(path)\" is empty") }
            r.httpToken = token
        }
        switch (tlsCert, tlsKey) {
        case let (cert?, key?): r.tls = TLSServerOptions(certificatePath: cert, keyPath: key, clientCAPath: tlsClientCa)
        case (nil, nil):
            if tlsClientCa != nil { throw ValidationError("--tls-client-ca needs --tls-cert and --tls-key") }
        default: throw ValidationError("--tls-cert and --tls-key go together")
        }
        return r
    }
}
