import CDeflate
import Foundation
import Pipeline

/// Inserts spooled entries into a ClickHouse table: `INSERT INTO db.table FORMAT JSONEachRow` over the HTTP
/// interface, rows made by ``ClickHouseRow``, body gzip-compressed unless told otherwise.
///
/// Used by one ``UrgentDelivery`` thread in place of ``HTTPTransport``. A 200 answer means the server has
/// written the rows: the delivery thread then commits the spool. Any other answer (the exception text is in
/// the error), a timeout or a broken connection throws, and the batch is retried with backoff. With
/// `createTable` the first attempt first runs `CREATE TABLE IF NOT EXISTS`, so a server that is down at start
/// is no error.
final class ClickHouseTransport: UrgentTransport {
    let configuration: ClickHouseConfiguration
    private let connection: HTTPConnection
    private let insertTarget: String
    private let rows = ByteBuffer(capacity: 1 << 20)
    private let compressed = ByteBuffer(capacity: 1 << 18)
    private let compressor: OpaquePointer?
    private var tableReady: Bool
    private let counterLock = NSLock()
    private var rejectedLines = 0

    init(configuration: ClickHouseConfiguration) {
        self.configuration = configuration
        connection = HTTPConnection(host: configuration.host, port: configuration.port, tls: configuration.tls,
                                    user: configuration.user, password: configuration.password)
        var query = "INSERT INTO \(configuration.qualifiedTable) FORMAT JSONEachRow"
        query = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? query
        var target = "/?query=" + query
        if configuration.compression == .gzip { target += "&enable_http_compression=1" }
        for s in configuration.settings {
            target += "&" + s.name + "=" + (s.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s.value)
        }
        insertTarget = target
        compressor = configuration.compression == .gzip ? libdeflate_alloc_compressor(1) : nil
        tableReady = !configuration.createTable
    }

    deinit { if let c = compressor { libdeflate_free_compressor(c) } }

    /// Lines in the spool that were not entries (left out of inserts).
    var rejected: Int { counterLock.lock(); defer { counterLock.unlock() }; return rejectedLines }

    func deliver(_ batch: UrgentSpool.Batch) throws {
        if !tableReady {
            try createTable()
            tableReady = true
        }
        rows.removeAll()
        let made = batch.bytes.withUnsafeBufferPointer { ClickHouseRow.append(lines: $0, to: rows) }
        if made.rejected > 0 {
            counterLock.lock(); rejectedLines += made.rejected; counterLock.unlock()
            configuration.log("clickhouse \(configuration.url): left out \(made.rejected) spooled line(s) that are not entries")
        }
        guard made.rows > 0 else { return }
        var body = UnsafeRawBufferPointer(rows.bytes)
        var headers = "Content-Type: application/x-ndjson\r\n"
        if let c = compressor {
            compressed.removeAll()
            let bound = libdeflate_gzip_compress_bound(c, rows.count)
            compressed.reserve(bound)
            compressed.count = libdeflate_gzip_compress(c, rows.base, rows.count, compressed.end, bound)
            if compressed.count > 0 {
                body = UnsafeRawBufferPointer(compressed.bytes)
                headers += "Content-Encoding: gzip\r\n"
            }
        }
        let answer = try connection.post(insertTarget, body: body, headers: headers,
                                         timeoutMillis: configuration.requestTimeoutMillis)
        try Self.check(answer)
    }

    /// Runs one statement (the body) and returns the answer's text; throws unless the status is 200.
    func query(_ sql: String) throws -> String {
        let answer = try Array(sql.utf8).withUnsafeBytes {
            try connection.post("/", body: $0, headers: "Content-Type: text/plain\r\n",
                                timeoutMillis: configuration.requestTimeoutMillis)
        }
        try Self.check(answer)
        return String(decoding: answer.body, as: UTF8.self)
    }

    /// `CREATE TABLE IF NOT EXISTS` with the types the server supports.
    func createTable() throws {
        let version = try query("SELECT version()").trimmingCharacters(in: .whitespacesAndNewlines)
        let low = ClickHouseSchema.supportsLowCardinality(version: version)
        _ = try query(ClickHouseSchema.createTable(configuration.qualifiedTable, lowCardinality: low))
        configuration.log("clickhouse \(configuration.url): table \(configuration.qualifiedTable) ready (server \(version))")
    }

    private static func check(_ answer: HTTPConnection.Answer) throws {
        guard answer.status != 200 else { return }
        var text = String(decoding: answer.body.prefix(400), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if let r = text.range(of: ", e.what()") { text = String(text[..<r.lowerBound]) } // 18.16's suffix
        throw TransportError.failed("HTTP status \(answer.status): \(text)")
    }

    func close() { connection.close() }
}
