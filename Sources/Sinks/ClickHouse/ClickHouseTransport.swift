import Foundation
import Pipeline
import SegmentFormat

/// Inserts spooled entries into a ClickHouse table over the HTTP interface, body gzip-compressed unless told
/// otherwise: `INSERT INTO db.table (columns) FORMAT RowBinary` (rows by ``ClickHouseRowBinary``) when the table's
/// columns have the documented types — checked in `system.columns` before the first insert — else
/// `INSERT INTO db.table FORMAT JSONEachRow` (rows by ``ClickHouseRow``), which tolerates other column types.
///
/// Used by one ``DeliveryLane`` thread in place of ``HTTPTransport``. A 200 answer means the server has
/// written the rows: the delivery thread then commits the spool. Any other answer (the exception text is in
/// the error), a timeout or a broken connection throws, and the batch is retried with backoff. With
/// `createTable` the first attempt first runs `CREATE TABLE IF NOT EXISTS`, so a server that is down at start
/// is no error.
final class ClickHouseTransport: DeliveryTransport {
    let configuration: ClickHouseConfiguration
    private let connection: HTTPConnection
    private let insertTarget: String
    private let rowBinaryTarget: String
    /// RowBinary or JSONEachRow, decided once the table's columns were seen (nil before).
    private var rowBinary: Bool?
    /// One compressor for `deliver`, one for `prepare` (libdeflate's are not shared between threads).
    private let compressor: GzipMemberCompressor?
    private let aheadCompressor: GzipMemberCompressor?
    private var tableReady: Bool
    private let counterLock = NSLock()
    private var rejectedLines = 0

    init(configuration: ClickHouseConfiguration) {
        self.configuration = configuration
        connection = HTTPConnection(host: configuration.host, port: configuration.port, tls: configuration.tls,
                                    user: configuration.user, password: configuration.password)
        func target(_ insert: String) -> String {
            var target = "/?query=" + (insert.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? insert)
            if configuration.compression == .gzip { target += "&enable_http_compression=1" }
            for s in configuration.settings {
                target += "&" + s.name + "=" + (s.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s.value)
            }
            return target
        }
        insertTarget = target("INSERT INTO \(configuration.qualifiedTable) FORMAT JSONEachRow")
        rowBinaryTarget = target("INSERT INTO \(configuration.qualifiedTable) (\(ClickHouseRowBinary.columns.joined(separator: ", "))) FORMAT RowBinary")
        compressor = configuration.compression == .gzip ? GzipMemberCompressor(level: 1) : nil
        aheadCompressor = configuration.compression == .gzip ? GzipMemberCompressor(level: 1) : nil
        tableReady = !configuration.createTable
    }

    /// Lines in the spool that were not entries (left out of inserts).
    var rejected: Int { counterLock.lock(); defer { counterLock.unlock() }; return rejectedLines }

    /// Rows and compression are made ahead, on the delivery's read-ahead thread, once the format is known.
    var preparesAhead: Bool { true }

    func prepare(_ batch: inout DeliverySpool.Batch) {
        counterLock.lock()
        let binary = rowBinary
        counterLock.unlock()
        guard let binary else { return } // the format is not known yet: `deliver` asks the server first
        batch.prepared = Insert(batch, binary: binary, compressor: aheadCompressor)
    }

    func deliver(_ batch: DeliverySpool.Batch) throws {
        if !tableReady {
            try createTable()
            tableReady = true
        }
        counterLock.lock()
        let known = rowBinary
        counterLock.unlock()
        let binary = try known ?? chooseFormat()
        // A prepared insert has this format: `prepare` does nothing until the format is known, and it never changes.
        let insert = batch.prepared as? Insert ?? Insert(batch, binary: binary, compressor: compressor)
        if insert.rows > 0 {
            let answer = try connection.post(binary ? rowBinaryTarget : insertTarget, body: UnsafeRawBufferPointer(insert.body.bytes),
                                             headers: insert.headers, timeoutMillis: configuration.requestTimeoutMillis)
            try Self.checkInsert(answer)
        }
        // Counted once the batch is done with (a failed attempt is retried and would count them again).
        if insert.rejected > 0 {
            counterLock.lock(); rejectedLines += insert.rejected; counterLock.unlock()
            configuration.log("clickhouse \(configuration.url): left out \(insert.rejected) spooled line(s) that are not entries")
        }
    }

    /// One insert's body (rows, compressed unless told otherwise) and headers.
    final class Insert {
        let rows: Int
        let rejected: Int
        let body: ByteBuffer
        let headers: String

        init(_ batch: DeliverySpool.Batch, binary: Bool, compressor: GzipMemberCompressor?) {
            let rowBytes = ByteBuffer(capacity: batch.bytes.count + batch.count * 16 + 4096)
            let made = batch.bytes.withUnsafeBufferPointer {
                binary ? ClickHouseRowBinary.append(lines: $0, to: rowBytes) : ClickHouseRow.append(lines: $0, to: rowBytes)
            }
            rows = made.rows
            rejected = made.rejected
            var headers = binary ? "Content-Type: application/octet-stream\r\n" : "Content-Type: application/x-ndjson\r\n"
            var body = rowBytes
            if let c = compressor, made.rows > 0 {
                let compressed = ByteBuffer(capacity: rowBytes.count / 4 + 4096)
                c.compress(rowBytes.bytes, into: compressed)
                body = compressed
                headers += "Content-Encoding: gzip\r\n"
            }
            self.body = body
            self.headers = headers
        }
    }

    /// RowBinary when the table lists every documented column with its documented type, JSONEachRow when it
    /// lists others; when it lists none (no table yet, or a server that does not say) JSONEachRow for this
    /// insert and the question is asked again next time.
    func chooseFormat() throws -> Bool {
        let answer = try query("SELECT name, type FROM system.columns WHERE database = '\(configuration.database)' AND table = '\(configuration.table)' FORMAT TabSeparated")
        let columns = answer.split(separator: "\n").compactMap { line -> (name: String, type: String)? in
            let parts = line.split(separator: "\t", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            return (String(parts[0]), String(parts[1]).replacingOccurrences(of: "\\'", with: "'"))
        }
        guard !columns.isEmpty else { return false }
        let binary = ClickHouseRowBinary.matches(columns: columns)
        counterLock.lock(); rowBinary = binary; counterLock.unlock()
        configuration.log("clickhouse \(configuration.url): inserting into \(configuration.qualifiedTable) as " +
                          (binary ? "RowBinary (the documented column types)" : "JSONEachRow (its columns differ from the documented schema)"))
        return binary
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
        throw TransportError.failed("HTTP status \(answer.status): \(text(answer))")
    }

    /// An insert's answer: a type or parse error in the rows (``dataErrorCodes``) is the rows' fault and
    /// permanent (``DeliveryRejection``: the lane isolates the refused rows); anything else is retried.
    static func checkInsert(_ answer: HTTPConnection.Answer) throws {
        guard answer.status != 200 else { return }
        let message = text(answer)
        if let code = exceptionCode(message), dataErrorCodes.contains(code), answer.status >= 400, answer.status < 600 {
            throw DeliveryRejection(reason: "ClickHouse Code: \(code)", status: answer.status, answer: message)
        }
        throw TransportError.failed("HTTP status \(answer.status): \(message)")
    }

    /// Exception codes that blame the data, not the server or the query: CANNOT_PARSE_TEXT (6),
    /// CANNOT_PARSE_ESCAPE_SEQUENCE (25), CANNOT_PARSE_QUOTED_STRING (26), CANNOT_PARSE_INPUT_ASSERTION_FAILED (27),
    /// ATTEMPT_TO_READ_AFTER_EOF (32), CANNOT_PARSE_DATE (38), CANNOT_PARSE_DATETIME (41), TYPE_MISMATCH (53),
    /// ARGUMENT_OUT_OF_BOUND (69), CANNOT_CONVERT_TYPE (70), CANNOT_PARSE_NUMBER (72), INCORRECT_DATA (117),
    /// TOO_LARGE_STRING_SIZE (131), CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN (349), CANNOT_PARSE_UUID (376),
    /// VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE (321), CANNOT_PARSE_BOOL (467).
    static let dataErrorCodes: Set<Int> = [6, 25, 26, 27, 32, 38, 41, 53, 69, 70, 72, 117, 131, 321, 349, 376, 467]

    /// `Code: 27, e.displayText() = DB::Exception: …` → 27.
    static func exceptionCode(_ text: String) -> Int? {
        guard let r = text.range(of: "Code: ") else { return nil }
        return Int(text[r.upperBound...].prefix { $0.isNumber })
    }

    private static func text(_ answer: HTTPConnection.Answer) -> String {
        var text = String(decoding: answer.body.prefix(600), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if let r = text.range(of: ", e.what()") { text = String(text[..<r.lowerBound]) } // 18.16's suffix
        return text
    }

    func close() { connection.close() }
}
