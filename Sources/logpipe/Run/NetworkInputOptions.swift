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

    /// What the network inputs are built with.
    struct Resolved {
        var limits = NetworkLimits()
        var tls: TLSServerOptions?
    }

    func resolve() throws -> Resolved {
        var r = Resolved()
        r.limits.maxConnections = try ArgumentValues.positive(netMaxConnections, flag: "--net-max-connections")
        r.limits.maxFrameBytes = try ArgumentValues.size(netMaxFrameBytes, flag: "--net-max-frame-bytes")
        r.limits.idleTimeoutMillis = try ArgumentValues.duration(netIdleTimeout, flag: "--net-idle-timeout")
        switch (tlsCert, tlsKey) {
        case let (cert?, key?): r.tls = TLSServerOptions(certificatePath: cert, keyPath: key, clientCAPath: tlsClientCa)
        case (nil, nil):
            if tlsClientCa != nil { throw ValidationError("--tls-client-ca needs --tls-cert and --tls-key") }
        default: throw ValidationError("--tls-cert and --tls-key go together")
        }
        return r
    }
}
