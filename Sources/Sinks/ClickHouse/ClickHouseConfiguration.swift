import Foundation

/// Where and how the ClickHouse sink inserts: server, table, credentials, compression, spool and timing.
///
/// Built from `--clickhouse URL` and its companion flags (``ClickHouseOptions`` in the CLI). The URL is
/// `http://[USER[:PASSWORD]@]HOST[:PORT][/]` (port 8123 by default) or `https://…` (port 8443, trust per
/// ``tls``); credentials go out as HTTP basic auth.
public struct ClickHouseConfiguration: Sendable {
    public enum Compression: String, Sendable, CaseIterable {
        /// gzip request bodies (`Content-Encoding: gzip`), libdeflate level 1.
        case gzip
        case none
        /// gzip, but none for a server on this host (compressing for a loopback socket only takes CPU from the
        /// server); resolved by the initializer, so `compression` is never `.auto`.
        case auto
    }

    /// The server's HTTP interface, credentials removed (what logs and the spool name show).
    public var url: String
    public var host: String
    public var port: Int
    /// Set for `https://` URLs: how the server's certificate is checked.
    public var tls: TLSOptions?
    public var database: String
    public var table: String
    public var user: String?
    public var password: String?
    public var compression: Compression
    /// `CREATE TABLE IF NOT EXISTS` (docs/clickhouse.md) before the first insert.
    public var createTable: Bool
    /// Extra ClickHouse settings sent with every insert (`insert_distributed_sync=1`, …).
    public var settings: [(name: String, value: String)]
    /// The spool lives in `<stateDirectory>/clickhouse/<name>/`.
    public var stateDirectory: String
    public var spoolMaxBytes: Int
    public var requestTimeoutMillis: Int
    /// One insert carries at most this many bytes of entries (ClickHouse prefers few large inserts).
    public var maxRequestBytes: Int
    public var retry: RetryPolicy
    public var log: @Sendable (String) -> Void
    /// How long the end of a run waits for the inserts; what is left stays in the spool.
    public var drainTimeoutMillis = 10_000

    public init(url: String, database: String = "default", table: String = "logs", user: String? = nil,
                password: String? = nil, tlsOptions: TLSOptions = TLSOptions(), compression: Compression = .gzip, createTable: Bool = false,
                settings: [(name: String, value: String)] = [], stateDirectory: String,
                spoolMaxBytes: Int = 4 << 30, requestTimeoutMillis: Int = 30_000, maxRequestBytes: Int = 8 << 20,
                retry: RetryPolicy = RetryPolicy(), log: @escaping @Sendable (String) -> Void = DeliveryLog.stderr) throws {
        guard let c = URLComponents(string: url), let scheme = c.scheme?.lowercased() else {
            throw ClickHouseConfigError.invalid("--clickhouse", url, "expected http(s)://[USER[:PASSWORD]@]HOST[:PORT]")
        }
        guard scheme == "http" || scheme == "https" else {
            throw ClickHouseConfigError.invalid("--clickhouse", url, "unknown scheme \"\(scheme)\": expected http or https")
        }
        guard var h = c.host, !h.isEmpty else { throw ClickHouseConfigError.invalid("--clickhouse", url, "missing host") }
        if h.hasPrefix("["), h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        let p = c.port ?? (scheme == "https" ? 8443 : 8123)
        guard (1...65535).contains(p) else { throw ClickHouseConfigError.invalid("--clickhouse", url, "port \(p) is out of range") }
        guard c.path.isEmpty || c.path == "/", c.query == nil else {
            throw ClickHouseConfigError.invalid("--clickhouse", url, "expected no path or query (use --clickhouse-database/--clickhouse-table/--clickhouse-setting)")
        }
        for (flag, name) in [("--clickhouse-database", database), ("--clickhouse-table", table)] where !Self.isIdentifier(name) {
            throw ClickHouseConfigError.invalid(flag, name, "expected a name of letters, digits and _")
        }
        for s in settings where !Self.isIdentifier(s.name) {
            throw ClickHouseConfigError.invalid("--clickhouse-setting", s.name + "=" + s.value, "expected NAME=VALUE")
        }
        let hostText = h.contains(":") ? "[\(h)]" : h
        self.url = "\(scheme)://\(hostText):\(p)"
        host = h
        port = p
        tls = scheme == "https" ? tlsOptions : nil
        self.database = database
        self.table = table
        self.user = user ?? c.user?.removingPercentEncoding
        self.password = password ?? c.password?.removingPercentEncoding
        self.compression = compression != .auto ? compression : Self.isLoopback(host: h) ? .none : .gzip
        self.createTable = createTable
        self.settings = settings
        self.stateDirectory = stateDirectory
        self.spoolMaxBytes = spoolMaxBytes
        self.requestTimeoutMillis = requestTimeoutMillis
        self.maxRequestBytes = maxRequestBytes
        self.retry = retry
        self.log = log
    }

    static func isIdentifier(_ s: String) -> Bool {
        guard let f = s.unicodeScalars.first, f == "_" || (f.isASCII && CharacterSet.letters.contains(f)) else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && CharacterSet.alphanumerics.contains($0)) }
    }

    /// Parses `NAME=VALUE` (a `--clickhouse-setting`).
    public static func setting(_ text: String) throws -> (name: String, value: String) {
        guard let eq = text.firstIndex(of: "="), isIdentifier(String(text[..<eq])) else {
            throw ClickHouseConfigError.invalid("--clickhouse-setting", text, "expected NAME=VALUE, like insert_distributed_sync=1")
        }
        return (String(text[..<eq]), String(text[text.index(after: eq)...]))
    }

    /// True for a host name or address on this machine (localhost, 127.0.0.0/8, ::1).
    public static func isLoopback(host: String) -> Bool {
        let h = host.lowercased()
        return h == "localhost" || h.hasSuffix(".localhost") || h.hasPrefix("127.") || h == "::1"
    }

    /// `database.table`.
    public var qualifiedTable: String { database + "." + table }

    /// A directory name for this table's spool: readable, unique per server and table.
    var spoolName: String {
        DeliverySpool.folderName(for: url + "/" + qualifiedTable)
    }
}

/// Invalid ClickHouse settings, each naming the flag and the offending value.
public enum ClickHouseConfigError: Error, CustomStringConvertible, Equatable {
    case invalid(String, String, String)

    public var description: String {
        switch self {
        case let .invalid(flag, value, why): "invalid \(flag) \"\(value)\": \(why)"
        }
    }
}
