import Foundation
import Pipeline

/// One `--urgent URL`: where urgent entries go and how.
///
/// `http://HOST[:PORT]/PATH` and `https://HOST[:PORT]/PATH` (POST NDJSON; `tls` set for https, trust per
/// ``UrgentConfiguration/tls``), `syslog+udp://HOST:PORT` and `syslog+tcp://HOST:PORT` (RFC 5424).
public struct UrgentDestination: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable { case http, syslogUDP, syslogTCP }

    public let url: String
    public let kind: Kind
    public let host: String
    public let port: Int
    /// HTTPS: the `.http` kind over TLS.
    public let tls: Bool
    /// Path and query for HTTP (`/` when the URL has none).
    public let target: String

    public var description: String { url }

    public init(_ url: String) throws {
        self.url = url
        guard let c = URLComponents(string: url), let scheme = c.scheme?.lowercased() else {
            throw UrgentConfigError.invalidURL(url, "expected http(s)://HOST[:PORT]/PATH, syslog+udp://HOST:PORT or syslog+tcp://HOST:PORT")
        }
        switch scheme {
        case "http", "https": kind = .http
        case "syslog+udp": kind = .syslogUDP
        case "syslog+tcp": kind = .syslogTCP
        default:
            throw UrgentConfigError.invalidURL(url, "unknown scheme \"\(scheme)\": expected http, https, syslog+udp or syslog+tcp")
        }
        tls = scheme == "https"
        guard var h = c.host, !h.isEmpty else { throw UrgentConfigError.invalidURL(url, "missing host") }
        if h.hasPrefix("["), h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        host = h
        if let p = c.port {
            guard (1...65535).contains(p) else { throw UrgentConfigError.invalidURL(url, "port \(p) is out of range") }
            port = p
        } else if kind == .http {
            port = tls ? 443 : 80
        } else {
            throw UrgentConfigError.invalidURL(url, "syslog needs a port (e.g. syslog+udp://127.0.0.1:514)")
        }
        guard c.user == nil, c.password == nil else {
            throw UrgentConfigError.invalidURL(url, "credentials in the URL are not supported: use --urgent-header 'Authorization: …'")
        }
        let path = c.percentEncodedPath.isEmpty ? "/" : c.percentEncodedPath
        target = path + (c.percentEncodedQuery.map { "?" + $0 } ?? "")
    }

    /// A directory name for this destination's spool: readable, unique per URL.
    var spoolName: String { DeliverySpool.folderName(for: url) }
}

/// Invalid urgent settings, each naming the offending value.
public enum UrgentConfigError: Error, CustomStringConvertible, Equatable {
    case invalidURL(String, String)
    case invalidHeader(String)
    case invalidCAFile(String, String)
    case spool(String)

    public var description: String {
        switch self {
        case let .invalidURL(url, why): "invalid --urgent \"\(url)\": \(why)"
        case let .invalidHeader(h): "invalid --urgent-header \"\(h)\": expected 'Name: value'"
        case let .invalidCAFile(path, why): "invalid --urgent-ca-file \"\(path)\": \(why)"
        case let .spool(message): message
        }
    }
}

/// What an `UrgentForwarder` needs: destinations, spool location and bound, HTTP details, retry timing.
public struct UrgentConfiguration: Sendable {
    public var destinations: [UrgentDestination]
    /// The spools live in `<stateDirectory>/urgent/<destination>/`.
    public var stateDirectory: String
    /// Bound of each destination's undelivered bytes; entries beyond it are refused (stderr + counter).
    public var spoolMaxBytes: Int
    public var requestTimeoutMillis: Int
    /// Extra HTTP headers (`Authorization: Bearer …`).
    public var headers: [(name: String, value: String)]
    /// Trust for the `https://` destinations.
    public var tls: TLSOptions
    public var retry: RetryPolicy
    /// One HTTP body holds at most this many bytes of entries (a single larger entry goes alone).
    public var maxRequestBytes: Int
    /// Diagnostics (stderr by default).
    public var log: @Sendable (String) -> Void
    /// Entries at or above this level take the urgent path.
    public var level: Level
    /// How long the end of a run waits for delivery; what is left stays in the spools.
    public var drainTimeoutMillis: Int

    public init(destinations: [UrgentDestination], stateDirectory: String, level: Level = .error,
                drainTimeoutMillis: Int = 10_000, spoolMaxBytes: Int = 1 << 30,
                requestTimeoutMillis: Int = 5000, headers: [(name: String, value: String)] = [],
                tls: TLSOptions = TLSOptions(), retry: RetryPolicy = RetryPolicy(), maxRequestBytes: Int = 1 << 20,
                log: @escaping @Sendable (String) -> Void = DeliveryLog.stderr) {
        self.destinations = destinations
        self.stateDirectory = stateDirectory
        self.level = level
        self.drainTimeoutMillis = drainTimeoutMillis
        self.spoolMaxBytes = spoolMaxBytes
        self.requestTimeoutMillis = requestTimeoutMillis
        self.headers = headers
        self.tls = tls
        self.retry = retry
        self.maxRequestBytes = maxRequestBytes
        self.log = log
    }

    /// Checks that `options` can be set up (the CA file holds certificates); throws ``UrgentConfigError``.
    public static func checkTLS(_ options: TLSOptions) throws {
        if let why = options.problem { throw UrgentConfigError.invalidCAFile(options.caFile ?? "", why) }
    }

    /// Parses `Name: value`.
    public static func header(_ text: String) throws -> (name: String, value: String) {
        guard let colon = text.firstIndex(of: ":") else { throw UrgentConfigError.invalidHeader(text) }
        let name = text[..<colon].trimmingCharacters(in: .whitespaces)
        let value = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        let token = CharacterSet(charactersIn: "!#$%&'*+-.^_`|~").union(.alphanumerics)
        guard !name.isEmpty, name.unicodeScalars.allSatisfy({ $0.isASCII && token.contains($0) }),
              !value.contains("\r"), !value.contains("\n") else { throw UrgentConfigError.invalidHeader(text) }
        let reserved = ["content-length", "content-type", "host", "transfer-encoding", "connection"]
        guard !reserved.contains(name.lowercased()) else { throw UrgentConfigError.invalidHeader(text + " (set by logpipe)") }
        return (name, value)
    }

    /// The delivery engine's settings for these destinations.
    var delivery: DeliverySettings {
        DeliverySettings(label: "urgent", retry: retry, maxRequestBytes: maxRequestBytes, log: log)
    }
}
