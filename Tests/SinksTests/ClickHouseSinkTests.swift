import Foundation
@testable import TestSupport
import Testing
import Pipeline
@testable import Sinks

/// The ClickHouse row transform (entry line → JSONEachRow row), the configuration and the transport against a
/// fake HTTP server (real-server tests are in logpipeTests/ClickHouseEndToEndTests).
struct ClickHouseSinkTests {
    static func rows(_ text: String) -> (rows: [[String: Any]], text: String, rejected: Int) {
        let out = ByteBuffer(capacity: 64)
        let r = Array(text.utf8).withUnsafeBufferPointer { ClickHouseRow.append(lines: $0, to: out) }
        let rowsText = String(decoding: out.bytes, as: UTF8.self)
        let objects = rowsText.split(separator: "\n").map {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] ?? [:]
        }
        #expect(objects.count == r.rows)
        return (objects, rowsText, r.rejected)
    }

    static let full = #"{"timestamp":"2026-03-01T10:00:00.007Z","level":"ERROR","message":"boom \"quoted\" \\ back\nnext é \ud83d\ude00","context":{"service":"checkout","version":"1.2.3","environment":"prod","host":"web-1","userId":"u-42","sessionId":"s-1","requestId":"r-9"},"metadata":{"orderId":"o-1","amount":12.5,"tags":["a","b \"c\""],"nested":{"k":null,"t":true}},"stack":"Error: boom\n    at f (a.js:1:2)"}"#

    @Test func everyFieldOfAFullEntry() throws {
        let (rows, _, rejected) = Self.rows(Self.full + "\n")
        #expect(rejected == 0)
        let r = try #require(rows.first)
        #expect(r["timestamp"] as? String == "2026-03-01 10:00:00")
        #expect(r["timestamp_ms"] as? Int == 7)
        #expect(r["level"] as? String == "ERROR")
        #expect(r["message"] as? String == "boom \"quoted\" \\ back\nnext é 😀")
        #expect(r["service"] as? String == "checkout")
        #expect(r["version"] as? String == "1.2.3")
        #expect(r["environment"] as? String == "prod")
        #expect(r["host"] as? String == "web-1")
        #expect(r["user_id"] as? String == "u-42")
        #expect(r["session_id"] as? String == "s-1")
        #expect(r["request_id"] as? String == "r-9")
        #expect(r["stack"] as? String == "Error: boom\n    at f (a.js:1:2)")
        // metadata: the object's JSON text, as a string that parses back to the same object.
        let meta = try #require(r["metadata"] as? String)
        #expect(meta == #"{"orderId":"o-1","amount":12.5,"tags":["a","b \"c\""],"nested":{"k":null,"t":true}}"#)
        #expect(Set(r.keys) == Set(ClickHouseSchema.columns(lowCardinality: false).map(\.name)))
    }

    /// RowBinary rows decoded by an independent reader: UInt32 LE, UInt16 LE, Int8, then LEB128-sized strings.
    static func binaryRows(_ text: String) -> (rows: [[String]], rejected: Int, leftover: Int) {
        let out = ByteBuffer(capacity: 64)
        let r = Array(text.utf8).withUnsafeBufferPointer { ClickHouseRowBinary.append(lines: $0, to: out) }
        let (rows, leftover) = decodeRows(Array(out.bytes), count: r.rows)
        #expect(rows.count == r.rows)
        return (rows, r.rejected, leftover)
    }

    /// Up to `count` RowBinary rows of the documented columns from `b`, and the bytes left after them.
    static func decodeRows(_ b: [UInt8], count: Int = .max) -> (rows: [[String]], leftover: Int) {
        var i = 0, rows: [[String]] = []
        func int(_ n: Int) -> Int { defer { i += n }; return (0..<n).reduce(0) { $0 | Int(b[i + $1]) << (8 * $1) } }
        func string() -> String {
            var len = 0, shift = 0
            while true { let c = b[i]; i += 1; len |= Int(c & 0x7f) << shift; shift += 7; if c < 0x80 { break } }
            defer { i += len }
            return String(decoding: b[i..<(i + len)], as: UTF8.self)
        }
        while i < b.count, rows.count < count {
            var row = [String(int(4)), String(int(2)), String(int(1))]
            for _ in 0..<10 { row.append(string()) }
            rows.append(row)
        }
        return (rows, b.count - i)
    }

    @Test func rowBinaryOfAFullEntryHasEveryColumnDecoded() throws {
        let (rows, rejected, leftover) = Self.binaryRows(Self.full + "\n")
        #expect(rejected == 0 && leftover == 0)
        let r = try #require(rows.first)
        #expect(r[0] == "1772359200" && r[1] == "7" && r[2] == "4") // 2026-03-01T10:00:00Z, .007, ERROR
        #expect(r[3] == "boom \"quoted\" \\ back\nnext é 😀")
        #expect(Array(r[4...10]) == ["checkout", "1.2.3", "prod", "web-1", "u-42", "s-1", "r-9"])
        #expect(r[11] == #"{"orderId":"o-1","amount":12.5,"tags":["a","b \"c\""],"nested":{"k":null,"t":true}}"#)
        #expect(r[12] == "Error: boom\n    at f (a.js:1:2)")
    }

    @Test func rowBinaryDecodesEveryEscapeAndLeavesAbsentFieldsEmpty() throws {
        let lines = [
            #"{"timestamp":"2026-03-01T23:59:59.999Z","level":"DEBUG","message":"\u0001\u00e9\u20ac\/\b\f\r\t\ud83d\ude00 lone \ud800 end"}"#,
            #"{"timestamp":"1970-01-01T00:00:00Z","level":"FATAL","message":"\#(String(repeating: "\\u00e9", count: 50))"}"#,
            #"{"timestamp":"2026-03-01T10:00:00Z","level":"NOTICE","message":"unknown level"}"#,
            #"{"level":"INFO","message":"no timestamp"}"#,
            "not json",
        ]
        let (rows, rejected, leftover) = Self.binaryRows(lines.joined(separator: "\n") + "\n")
        #expect(rows.count == 2 && rejected == 3 && leftover == 0)
        #expect(rows[0][0] == "1772409599" && rows[0][1] == "999" && rows[0][2] == "1")
        #expect(rows[0][3] == "\u{1}é€/\u{8}\u{c}\r\t😀 lone \u{fffd} end")
        #expect(rows[0][4...].allSatisfy { $0.isEmpty })
        // Escaped 300 bytes (a two-byte length slot), decoded 100 (a one-byte length): the text moves back.
        #expect(rows[1][0] == "0" && rows[1][2] == "5" && rows[1][3] == String(repeating: "é", count: 50))
    }

    @Test func rowBinaryOnlyForTheDocumentedColumnTypes() {
        for low in [false, true] {
            #expect(ClickHouseRowBinary.matches(columns: ClickHouseSchema.columns(lowCardinality: low)))
            // Extra columns take their defaults; the types of ours must be the documented ones.
            #expect(ClickHouseRowBinary.matches(columns: ClickHouseSchema.columns(lowCardinality: low) + [("region", "String")]))
        }
        var other = ClickHouseSchema.columns(lowCardinality: false)
        other[2].type = "LowCardinality(String)" // level
        #expect(!ClickHouseRowBinary.matches(columns: other))
        #expect(!ClickHouseRowBinary.matches(columns: Array(ClickHouseSchema.columns(lowCardinality: false).dropLast())))
        other = ClickHouseSchema.columns(lowCardinality: false)
        other[0].type = "DateTime64(3)"
        #expect(!ClickHouseRowBinary.matches(columns: other))
    }

    @Test func absentOptionalFieldsAreLeftOutForTheColumnDefault() throws {
        let line = #"{"timestamp":"2026-03-01T23:59:59.999Z","level":"INFO","message":"","context":{"service":"s","version":"v","environment":"e","host":"h","sessionId":"s-1","requestId":"r-1"}}"#
        let (rows, text, _) = Self.rows(line + "\n")
        let r = try #require(rows.first)
        #expect(r["user_id"] == nil && r["metadata"] == nil && r["stack"] == nil)
        #expect(r["timestamp_ms"] as? Int == 999)
        #expect(text == #"{"timestamp":"2026-03-01 23:59:59","timestamp_ms":999,"level":"INFO","message":"","service":"s","version":"v","environment":"e","host":"h","session_id":"s-1","request_id":"r-1"}"# + "\n")
    }

    @Test(arguments: [("2026-03-01T10:00:00.000Z", 0), ("2026-03-01T10:00:00.050Z", 50), ("2026-03-01T10:00:00.5Z", 500),
                      ("2026-03-01T10:00:00Z", 0), ("2026-03-01T10:00:00.123456Z", 123)])
    func millisecondsOfTheTimestamp(timestamp: String, ms: Int) throws {
        let (rows, _, _) = Self.rows(#"{"timestamp":"\#(timestamp)","level":"WARN","message":"m"}"# + "\n")
        #expect(try #require(rows.first)["timestamp_ms"] as? Int == ms)
        #expect(try #require(rows.first)["timestamp"] as? String == "2026-03-01 10:00:00")
    }

    @Test func manyLinesKeepTheirOrderAndEveryLevelMaps() {
        let levels = ["DEBUG", "INFO", "WARN", "ERROR", "FATAL"]
        let text = (0..<500).map { n in
            #"{"timestamp":"2026-03-01T10:00:00.000Z","level":"\#(levels[n % 5])","message":"m \#(n)","context":{"service":"s","version":"v","environment":"e","host":"h","sessionId":"s","requestId":"r-\#(n)"}}"# + "\n"
        }.joined()
        let (rows, _, rejected) = Self.rows(text)
        #expect(rejected == 0)
        #expect(rows.map { $0["request_id"] as? String } == (0..<500).map { "r-\($0)" })
        #expect(rows.map { $0["level"] as? String } == (0..<500).map { levels[$0 % 5] })
    }

    @Test func unknownKeysAreSkippedAndNonEntriesRejected() {
        let text = #"{"timestamp":"2026-03-01T10:00:00.000Z","extra":{"a":[1,{"b":"}"}]},"level":"INFO","message":"ok","context":{"service":"s","other":5,"requestId":"r"}}"# + "\n" +
            "not json\n" + #"{"level":"INFO","message":"no timestamp"}"# + "\n" + #"{"timestamp":"2026-03-01T10:00:00.000Z","message":"cut"# + "\n"
        let (rows, _, rejected) = Self.rows(text)
        #expect(rows.count == 1)
        #expect(rejected == 3)
        #expect(rows.first?["message"] as? String == "ok")
        #expect(rows.first?["request_id"] as? String == "r")
        #expect(rows.first?["extra"] == nil && rows.first?["other"] == nil)
    }

    @Test func metadataWithEscapesAndBackslashesRoundTrips() throws {
        let meta = #"{"path":"C:\\dir\\f.txt","q":"say \"hi\"","u":"\u0001\t","deep":{"x":[{"y":"]}"}]}}"#
        let line = #"{"timestamp":"2026-03-01T10:00:00.000Z","level":"INFO","message":"m","metadata":\#(meta)}"#
        let (rows, _, _) = Self.rows(line + "\n")
        let text = try #require(rows.first?["metadata"] as? String)
        #expect(text == meta)
        let decoded = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(decoded?["path"] as? String == #"C:\dir\f.txt"#)
    }

    @Test func theSchemaFitsOldAndNewServers() {
        let old = ClickHouseSchema.createTable("default.logs", lowCardinality: false)
        #expect(old.contains("timestamp DateTime('UTC')") && old.contains("timestamp_ms UInt16"))
        #expect(!old.contains("LowCardinality") && !old.contains("DateTime64"))
        #expect(old.contains("PARTITION BY toYYYYMMDD(timestamp)") && old.contains("ORDER BY (service, level, timestamp)"))
        #expect(ClickHouseSchema.createTable("db.t", lowCardinality: true).contains("service LowCardinality(String)"))
        #expect(!ClickHouseSchema.supportsLowCardinality(version: "18.16.1"))
        #expect(ClickHouseSchema.supportsLowCardinality(version: "24.3.2.23"))
    }

    @Test func loopbackHostsAreRecognisedAndAutoCompressionFollowsThem() throws {
        for h in ["localhost", "LOCALHOST", "db.localhost", "127.0.0.1", "127.1.2.3", "::1"] {
            #expect(ClickHouseConfiguration.isLoopback(host: h), "\(h)")
        }
        for h in ["10.0.0.1", "ch-1", "128.0.0.1", "::2", "localhost.example.com"] {
            #expect(!ClickHouseConfiguration.isLoopback(host: h), "\(h)")
        }
        // `auto` resolves by host; explicit choices stay.
        func resolved(_ url: String, _ c: ClickHouseConfiguration.Compression) throws -> ClickHouseConfiguration.Compression {
            try ClickHouseConfiguration(url: url, compression: c, stateDirectory: "/tmp").compression
        }
        #expect(try resolved("http://127.0.0.1:8123", .auto) == .none)
        #expect(try resolved("http://localhost", .auto) == .none)
        #expect(try resolved("http://ch-1:8123", .auto) == .gzip)
        #expect(try resolved("http://127.0.0.1:8123", .gzip) == .gzip)
        #expect(try resolved("http://ch-1:8123", .none) == .none)
    }

    @Test func configurationParsesTheURLAndRefusesBadValues() throws {
        let c = try ClickHouseConfiguration(url: "http://bob:s%40cret@127.0.0.1:9123/", stateDirectory: "/tmp/x")
        #expect(c.url == "http://127.0.0.1:9123" && c.user == "bob" && c.password == "s@cret")
        #expect(try ClickHouseConfiguration(url: "http://ch.local", stateDirectory: "/tmp/x").port == 8123)
        let secure = try ClickHouseConfiguration(url: "https://ch.example", tlsOptions: TLSOptions(caFile: "/etc/ca.pem"),
                                                 stateDirectory: "/tmp/x")
        #expect(secure.url == "https://ch.example:8443" && secure.tls == TLSOptions(caFile: "/etc/ca.pem"))
        #expect(try ClickHouseConfiguration(url: "http://ch.local", stateDirectory: "/tmp/x").tls == nil)
        let bad: [(String, String, String)] = [("ftp://h", "logs", "scheme"),
                                               ("http://h:8123/path", "logs", "path"), ("http://h", "logs; DROP", "--clickhouse-table")]
        for (url, table, text) in bad {
            #expect(throws: ClickHouseConfigError.self) { try ClickHouseConfiguration(url: url, table: table, stateDirectory: "/tmp/x") }
            do { _ = try ClickHouseConfiguration(url: url, table: table, stateDirectory: "/tmp/x") } catch {
                #expect("\(error)".contains(text), "\(error)")
            }
        }
        #expect(try ClickHouseConfiguration.setting("insert_distributed_sync=1") == ("insert_distributed_sync", "1"))
        #expect(throws: ClickHouseConfigError.self) { try ClickHouseConfiguration.setting("bad setting") }
    }

    /// Against a fake server: the INSERT query, gzip body, basic auth; a 500 is retried and nothing is lost.
    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func insertsGoOutCompressedWithAuthAndAreRetried() throws {
        let receiver = try TestHTTPReceiver(mode: .error500)
        let dir = SinkTempDir(), log = LogCollector()
        let config = try ClickHouseConfiguration(url: "http://u:p@127.0.0.1:\(receiver.port)", table: "events",
                                                 settings: [("insert_distributed_sync", "1")], stateDirectory: dir.path,
                                                 retry: RetryPolicy(initialMillis: 20, maxMillis: 100), log: log.sink)
        let sink = try ClickHouseSink(configuration: config)
        defer { sink.close() }
        let text = (0..<100).map { UrgentForwarderTests.entry($0) + "\n" }.joined()
        Array(text.utf8).withUnsafeBufferPointer { sink.submit($0, count: 100) }
        #expect(!sink.drain(timeoutMillis: 300))
        #expect(sink.summary == "clickhouse: 0 inserted, 100 spooled, 0 refused")
        #expect(sink.lastError?.contains("HTTP status 500") == true)
        receiver.mode = .ok
        #expect(sink.drain(timeoutMillis: 5000))
        #expect(sink.summary == "clickhouse: 100 inserted, 0 spooled, 0 refused")
        let head = try #require(receiver.heads.last)
        #expect(head.hasPrefix("POST /?query=INSERT%20INTO%20default%2Eevents%20FORMAT%20JSONEachRow&enable_http_compression=1&insert_distributed_sync=1 HTTP/1.1\r\n"))
        #expect(head.contains("Content-Encoding: gzip"))
        #expect(head.contains("Authorization: Basic \(Data("u:p".utf8).base64EncodedString())"))
        let body = try #require(receiver.bodies.last)
        let unzipped = try gunzip(body)
        let lines = String(decoding: unzipped, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 100)
        #expect(lines.first?.hasPrefix(#"{"timestamp":"2026-03-01 10:00:00","timestamp_ms":0,"level":"ERROR","message":"boom 0 "#) == true)
        #expect(log.contains("clickhouse http://127.0.0.1:\(receiver.port): delivery failed"))
    }

    /// Spooled lines that are not entries are left out of the insert, counted once however many attempts the
    /// insert takes, and not counted as inserted.
    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func linesThatAreNotEntriesAreCountedOnceAcrossRetries() throws {
        let receiver = try TestHTTPReceiver(mode: .error500On("INSERT"))
        let dir = SinkTempDir()
        let config = try ClickHouseConfiguration(url: "http://127.0.0.1:\(receiver.port)", compression: .none,
                                                 stateDirectory: dir.path,
                                                 retry: RetryPolicy(initialMillis: 20, maxMillis: 40), log: { _ in })
        let sink = try ClickHouseSink(configuration: config)
        defer { sink.close() }
        let text = (0..<10).map { UrgentForwarderTests.entry($0) + "\n" }.joined() + "not an entry\n[1,2]\n"
        Array(text.utf8).withUnsafeBufferPointer { sink.submit($0, count: 10) }
        let deadline = Date().addingTimeInterval(TestTime.seconds(10))
        while sink.counters["retried"]! < 3, Date() < deadline { usleep(10_000) }
        #expect(sink.counters["retried"]! >= 3, "\(sink.counters)")
        receiver.mode = .ok
        #expect(sink.drain(timeoutMillis: Int(TestTime.seconds(10) * 1000)))
        let inserted = receiver.bodies.filter { String(decoding: $0, as: UTF8.self).contains("boom 0") }
        #expect(inserted.count == 1 && inserted[0].split(separator: 10).count == 10)
        #expect(sink.counters["rejected"] == 2, "\(sink.counters)")
        #expect(sink.counters["inserted"] == 10, "\(sink.counters)")
        #expect(sink.summary == "clickhouse: 10 inserted, 0 spooled, 0 refused, 2 rejected (not entries)")
    }

    /// The delivery reads (and, the table's columns being the documented ones, turns into RowBinary rows) the next
    /// batch ahead while an insert is in flight; across many small spool files and requests every entry still goes
    /// out once, in order, the format is asked once, and the spool ends empty.
    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func readAheadAcrossSpoolFilesKeepsOrderAndLosesNothing() throws {
        let receiver = try TestHTTPReceiver(mode: .ok)
        receiver.answers = ["system.columns": ClickHouseSchema.columns(lowCardinality: false)
            .map { "\($0.name)\t\($0.type)" }.joined(separator: "\n") + "\n"]
        let dir = SinkTempDir()
        // 1 MiB spool bound: 128 KiB spool files; 16 KiB requests: a few hundred inserts crossing files.
        let config = try ClickHouseConfiguration(url: "http://127.0.0.1:\(receiver.port)", compression: .none,
                                                 stateDirectory: dir.path, spoolMaxBytes: 1 << 20,
                                                 maxRequestBytes: 16 << 10, retry: RetryPolicy(initialMillis: 20, maxMillis: 100),
                                                 log: { _ in })
        let sink = try ClickHouseSink(configuration: config)
        defer { sink.close() }
        var next = 0
        for _ in 0..<30 { // in rounds, so the spool stays under its bound while files roll and are deleted
            let text = (next..<(next + 200)).map { UrgentForwarderTests.entry($0, pad: 200) + "\n" }.joined()
            Array(text.utf8).withUnsafeBufferPointer { sink.submit($0, count: 200) }
            next += 200
            #expect(sink.drain(timeoutMillis: 10_000))
        }
        #expect(sink.summary == "clickhouse: 6000 inserted, 0 spooled, 0 refused")
        let inserts = zip(receiver.heads, receiver.bodies).filter { $0.0.hasPrefix("POST /?query=INSERT") }
        #expect(inserts.count > 100)
        #expect(inserts.allSatisfy { $0.0.contains("FORMAT%20RowBinary") }, "\(inserts.first?.0 ?? "")")
        #expect(receiver.heads.count == inserts.count, "the format was asked more than once, or other requests went out")
        let ids = inserts.flatMap { Self.decodeRows($0.1).rows }.map { Int($0[10].dropFirst(4)) ?? -1 }
        #expect(ids == Array(0..<6000))
        // The spool unlinks a consumed file just after it wakes the drain (outside its lock): allow it a moment.
        var files: [String] = []
        for _ in 0..<100 {
            files = try FileManager.default.contentsOfDirectory(atPath: dir.path + "/clickhouse/" + config.spoolName)
            if files.filter({ $0.hasSuffix(".spool") }).count == 1 { break }
            usleep(20_000)
        }
        #expect(files.filter { $0.hasSuffix(".spool") }.count == 1, "\(files)")
    }

    func gunzip(_ data: [UInt8]) throws -> [UInt8] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-dc"]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        input.fileHandleForWriting.write(Data(data))
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Array(out)
    }
}
