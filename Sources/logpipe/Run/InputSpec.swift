import ArgumentParser

/// An `--input` value: `stdin` (or `-`), `udp://HOST:PORT`, `file:GLOB`, `tcp://HOST:PORT`, `tls://HOST:PORT`,
/// `forward://HOST:PORT`, `http://HOST:PORT[/PATH]`, `https://HOST:PORT[/PATH]`, `otlp://HOST:PORT`.
enum InputSpec: Equatable, CustomStringConvertible {
    case stdin
    case udp(host: String, port: Int)
    case file(pattern: String)
    /// Syslog over TCP (RFC 6587); over TLS (RFC 5425) with `tls`.
    case tcp(host: String, port: Int, tls: Bool)
    /// The Fluentd forward protocol.
    case forward(host: String, port: Int)
    /// `POST` of NDJSON, JSON arrays or plain lines on `path` (nil: any path); over TLS with `tls`.
    case http(host: String, port: Int, path: String?, tls: Bool)
    /// OTLP/HTTP logs (`POST /v1/logs`).
    case otlp(host: String, port: Int)

    var description: String {
        switch self {
        case .stdin: "stdin"
        case let .udp(host, port): "udp://\(Self.address(host, port))"
        case let .file(pattern): "file:\(pattern)"
        case let .tcp(host, port, tls): "\(tls ? "tls" : "tcp")://\(Self.address(host, port))"
        case let .forward(host, port): "forward://\(Self.address(host, port))"
        case let .http(host, port, path, tls): "\(tls ? "https" : "http")://\(Self.address(host, port))\(path ?? "")"
        case let .otlp(host, port): "otlp://\(Self.address(host, port))"
        }
    }

    init(_ text: String) throws {
        if text == "stdin" || text == "-" { self = .stdin; return }
        if let (host, port) = try Self.hostPort(text, scheme: "udp") { self = .udp(host: host, port: port); return }
        if let (host, port) = try Self.hostPort(text, scheme: "tcp") { self = .tcp(host: host, port: port, tls: false); return }
        if let (host, port) = try Self.hostPort(text, scheme: "tls") { self = .tcp(host: host, port: port, tls: true); return }
        if let (host, port) = try Self.hostPort(text, scheme: "forward") { self = .forward(host: host, port: port); return }
        if let (host, port) = try Self.hostPort(text, scheme: "otlp") { self = .otlp(host: host, port: port); return }
        for scheme in ["http", "https"] where text.hasPrefix(scheme + "://") {
            // The path starts at the first "/" after the authority; the rest is HOST:PORT as for the others.
            let rest = text.dropFirst(scheme.count + 3)
            let slash = rest.firstIndex(of: "/")
            let authority = scheme + "://" + rest[..<(slash ?? rest.endIndex)]
            let path = slash.map { String(rest[$0...]) }
            guard let (host, port) = try Self.hostPort(authority, scheme: scheme) else { break }
            self = .http(host: host, port: port, path: path == "/" ? nil : path, tls: scheme == "https")
            return
        }
        if text.hasPrefix("file:") {
            let pattern = String(text.dropFirst(5))
            guard !pattern.isEmpty else { throw ValidationError("invalid --input \"\(text)\": expected file:GLOB") }
            self = .file(pattern: pattern)
            return
        }
        throw ValidationError("invalid --input \"\(text)\": expected stdin, udp://HOST:PORT, file:GLOB, tcp://HOST:PORT, tls://HOST:PORT, forward://HOST:PORT, http(s)://HOST:PORT[/PATH] or otlp://HOST:PORT")
    }

    /// `SCHEME://HOST:PORT` (IPv6 hosts in brackets) → host and port; nil when `text` has another scheme.
    private static func hostPort(_ text: String, scheme: String) throws -> (String, Int)? {
        guard text.hasPrefix(scheme + "://") else { return nil }
        let rest = text.dropFirst(scheme.count + 3)
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
              (0...65535).contains(port) else {
            throw ValidationError("invalid --input \"\(text)\": expected \(scheme)://HOST:PORT, e.g. \(scheme)://127.0.0.1:5514")
        }
        var host = String(rest[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ValidationError("invalid --input \"\(text)\": the host is missing") }
        return (host, port)
    }

    private static func address(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
