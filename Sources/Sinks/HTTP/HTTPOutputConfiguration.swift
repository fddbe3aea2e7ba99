import Foundation
import Pipeline

/// Settings of the generic HTTP push output (`--output http://…`, repeatable): every entry, POSTed as NDJSON in
/// batches (gzip body unless told otherwise) with extra headers and an optional bearer token read from a file.
public struct HTTPOutputConfiguration: Sendable {
    /// One lane (spool + delivery thread) per destination, in `<stateDirectory>/http/<destination>/`.
    public var destinations: [HTTPOutputDestination]
    public var stateDirectory: String
    public var headers: [(name: String, value: String)]
    /// A file holding the token (`Authorization: Bearer <token>`), read again for every request so that a
    /// rotated token is picked up without a restart.
    public var bearerTokenFile: String?
    public var gzip: Bool
    public var maxRequestBytes: Int
    public var spoolMaxBytes: Int
    public var drainTimeoutMillis: Int
    public var requestTimeoutMillis: Int
    public var tls: TLSOptions
    public var retry: RetryPolicy
    public var log: @Sendable (String) -> Void

    public init(destinations: [HTTPOutputDestination], stateDirectory: String, headers: [(name: String, value: String)] = [],
                bearerTokenFile: String? = nil, gzip: Bool = true, maxRequestBytes: Int = 1 << 20,
                spoolMaxBytes: Int = 1 << 30, drainTimeoutMillis: Int = 30_000, requestTimeoutMillis: Int = 10_000,
                tls: TLSOptions = TLSOptions(), retry: RetryPolicy = RetryPolicy(),
                log: @escaping @Sendable (String) -> Void = DeliveryLog.stderr) throws {
        self.destinations = destinations
        self.stateDirectory = stateDirectory
        self.headers = headers
        self.bearerTokenFile = bearerTokenFile
        self.gzip = gzip
        self.maxRequestBytes = maxRequestBytes
        self.spoolMaxBytes = spoolMaxBytes
        self.drainTimeoutMillis = drainTimeoutMillis
        self.requestTimeoutMillis = requestTimeoutMillis
        self.tls = tls
        self.retry = retry
        self.log = log
    }

    /// The header lines every request of a `contentType` carries (configured headers, gzip encoding).
    func fixedHeaders(contentType: String) -> String {
        var head = "Content-Type: \(contentType)\r\n"
        for h in headers { head += "\(h.name): \(h.value)\r\n" }
        if gzip { head += "Content-Encoding: gzip\r\n" }
        return head
    }

    /// The `Authorization` line, the token file read again for every request (a rotated token is used at once).
    func authorizationHeader() throws -> String {
        guard let file = bearerTokenFile else { return "" }
        return "Authorization: Bearer \(try Self.readToken(file))\r\n"
    }

    /// The token in `path`, trimmed; throws when it cannot be read or is empty.
    public static func readToken(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UrgentConfigError.invalidURL(path, "cannot read the bearer token file")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty, !token.contains("\n"), !token.contains("\r") else {
            throw UrgentConfigError.invalidURL(path, "the bearer token file must hold one token on one line")
        }
        return token
    }
}

/// One `--output` URL: `http(s)://HOST[:PORT]/PATH` (NDJSON) or `otlp+http(s)://HOST[:PORT]/v1/logs` (OTLP/HTTP
/// protobuf logs).
public struct HTTPOutputDestination: Sendable, Equatable {
    /// As given (names the spool folder and the lane).
    public let url: String
    public let http: UrgentDestination
    public let otlp: Bool

    public init(_ url: String) throws {
        self.url = url
        let lower = url.lowercased()
        otlp = lower.hasPrefix("otlp+http://") || lower.hasPrefix("otlp+https://")
        http = try UrgentDestination(otlp ? String(url.dropFirst("otlp+".count)) : url)
        guard http.kind == .http else {
            throw UrgentConfigError.invalidURL(url, "expected http(s)://HOST[:PORT]/PATH or otlp+http(s)://HOST[:PORT]/v1/logs")
        }
    }

    var spoolName: String { DeliverySpool.folderName(for: url) }
}
