import Foundation
@testable import TestSupport
import Testing
import Pipeline
import SegmentFormat
import Sinks
#if canImport(Glibc)
import Glibc
#endif

enum ClickHouseWiring {
    /// True when `logpipe run --help` documents `--clickhouse` (until the flags are wired, those tests skip).
    static let present: Bool = {
        guard let r = try? logpipe(["run", "--help"], timeout: 20) else { return false }
        return r.stdoutText.contains("--clickhouse <")
    }()
}

/// The ClickHouse sink against real servers (Debian's clickhouse-server, installed and started by the tests on
/// loopback ports with their own config and data): every field right, a two-shard cluster behind a Distributed
/// table gets every entry exactly once, a server stopped mid-run loses nothing. Skipped when no server can run.
@Suite(.serialized, .enabled(if: ClickHouseTestServer.available, "needs clickhouse-server (apt-get install)"))
struct ClickHouseEndToEndTests {
    /// Input line `n` with every field of the model (JSON input; the pipeline turns it into an entry).
    static func inputLine(_ n: Int) -> String {
        let levels = ["DEBUG", "INFO", "WARN", "ERROR", "FATAL"]
        var fields = [
            #""timestamp":"2026-03-0\#(1 + n % 3)T10:\#(String(format: "%02d", n / 60 % 60)):\#(String(format: "%02d", n % 60)).\#(String(format: "%03d", n % 1000))Z""#,
            #""level":"\#(levels[n % 5])""#, #""message":"event \#(n) \"quoted\" \\ é\tend \u0001 \ud83d\ude00 /""#,
            #""service":"svc-\#(n % 4)""#, #""version":"1.\#(n % 3)""#, #""environment":"prod""#, #""host":"web-\#(n % 2)""#,
            #""sessionId":"s-\#(n / 10)""#, #""requestId":"r-\#(n)""#,
        ]
        if n % 2 == 0 { fields.append(#""userId":"u-\#(n)""#) }
        if n % 3 == 0 { fields.append(#""orderId":"o-\#(n)","amount":\#(n).5,"tags":["a","b"]"#) }
        if n % 5 == 3 { fields.append(#""stack":"Error: boom \#(n)\n    at f (a.js:1:2)""#) }
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// Entry lines in the segment line format (through `logpipe run` and `logpipe cat`).
    static func entryLines(_ range: Range<Int>) throws -> [String] {
        let dir = TempDir("logpipe-ch-entries")
        let input = range.map(inputLine).joined(separator: "\n") + "\n"
        let run = try logpipe(["run", "--out", dir.file("out"), "--state-dir", dir.file("state")], stdin: Data(input.utf8),
                              environment: cleanEnvironment(), timeout: 60)
        guard run.status == 0 else { throw ToolError.failed("logpipe run: \(run.stderrText)") }
        let cat = try logpipe(["cat", dir.file("out")], environment: cleanEnvironment(), timeout: 60)
        return cat.stdoutText.split(separator: "\n").map(String.init)
    }

    static func sink(_ server: ClickHouseTestServer, table: String = "logs", create: Bool = true, state: String,
                     settings: [(name: String, value: String)] = [], log: @escaping @Sendable (String) -> Void = { _ in })
        throws -> ClickHouseSink {
        let url = server.url.replacingOccurrences(of: "http://", with: "http://logpipe:logpipe-secret@")
        let config = try ClickHouseConfiguration(url: url, table: table, createTable: create, settings: settings,
                                                 stateDirectory: state, requestTimeoutMillis: 10_000,
                                                 retry: RetryPolicy(initialMillis: 50, maxMillis: 500), log: log)
        return try ClickHouseSink(configuration: config)
    }

    /// Inserts `lines` through a new sink with its own state folder, waits until every one is in, closes it;
    /// returns its summary and what it logged.
    static func insertAll(_ server: ClickHouseTestServer, _ lines: [String], table: String = "logs", create: Bool = true,
                          chunk: Int = 1000) throws -> (summary: String, log: [String]) {
        let state = TempDir("logpipe-ch-state")
        let log = LogLines()
        let sink = try Self.sink(server, table: table, create: create, state: state.path, log: log.append)
        defer { sink.close() }
        Self.submit(sink, lines, chunk: chunk)
        #expect(sink.drain(timeoutMillis: 30_000), "\(sink.summary) \(sink.lastError ?? "")")
        return (sink.summary, log.lines)
    }

    static func submit(_ sink: ClickHouseSink, _ lines: [String], chunk: Int = 1000) {
        for start in stride(from: 0, to: lines.count, by: chunk) {
            let part = lines[start..<min(lines.count, start + chunk)]
            Array((part.joined(separator: "\n") + "\n").utf8).withUnsafeBufferPointer { sink.submit($0, count: part.count) }
        }
    }

    /// The row an entry should become, computed from its JSON (independently of the byte transform).
    static func expectedRow(_ line: String) throws -> [String: String] {
        let e = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let ctx = e["context"] as? [String: Any] ?? [:]
        let ts = try #require(e["timestamp"] as? String)
        var row: [String: String] = [
            "timestamp": String(ts.prefix(10)) + " " + String(ts.dropFirst(11).prefix(8)),
            "timestamp_ms": String(Int(ts.dropFirst(20).prefix(3)) ?? -1),
            "level": e["level"] as? String ?? "", "message": e["message"] as? String ?? "",
            "stack": e["stack"] as? String ?? "",
        ]
        for (column, key) in [("service", "service"), ("version", "version"), ("environment", "environment"), ("host", "host"),
                              ("user_id", "userId"), ("session_id", "sessionId"), ("request_id", "requestId")] {
            row[column] = ctx[key] as? String ?? ""
        }
        return row
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(3))))
    func entriesArriveWithEveryFieldRight() throws {
        let server = try ClickHouseTestServer()
        let lines = try Self.entryLines(0..<600)
        #expect(lines.count == 600)
        let (summary, log) = try Self.insertAll(server, lines, chunk: 97)
        #expect(summary == "clickhouse: 600 inserted, 0 spooled, 0 refused")
        #expect(log.contains { $0.contains("inserting into default.logs as RowBinary") }, "\(log)")
        let rows = try server.rows("SELECT *, toUnixTimestamp(timestamp) AS epoch FROM default.logs ORDER BY toUInt32(substring(request_id, 3))")
        #expect(rows.count == 600)
        for (line, row) in zip(lines, rows) {
            let expected = try Self.expectedRow(line)
            for (column, value) in expected {
                let got = row[column].map { "\($0)" } ?? "<missing>"
                #expect(got == value, "\(column) of \(line)")
            }
            // DateTime('UTC'): the epoch is the entry's, whatever the server's time zone.
            let ts = try #require((try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["timestamp"] as? String)
            let f = ISO8601DateFormatter(); f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            #expect(row["epoch"] as? Int == Int(try #require(f.date(from: ts)).timeIntervalSince1970.rounded(.down)))
            // metadata: the entry's object, as JSON text.
            let entry = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? NSDictionary)
            let meta = try #require(row["metadata"] as? String)
            if let m = entry["metadata"] as? NSDictionary {
                #expect((try JSONSerialization.jsonObject(with: Data(meta.utf8)) as? NSDictionary) == m)
            } else {
                #expect(meta == "")
            }
        }
        // The documented schema: partitioned by day, ordered for service/level/time queries.
        let create = try server.query("SHOW CREATE TABLE default.logs")
        #expect(create.contains("PARTITION BY toYYYYMMDD(timestamp)") && create.contains("ORDER BY (service, level, timestamp)"), "\(create)")
        #expect(try server.number("SELECT count() FROM system.parts WHERE table = 'logs' AND active AND partition = '20260302'") >= 1)
    }

    /// A table of the user's own with other column types (and one more column): the sink falls back to JSONEachRow
    /// (which needs every column of ours to exist: 18.16 refuses unknown keys), every row arrives.
    @Test(.timeLimit(.minutes(TestTime.minutes(3))))
    func aTableWithOtherColumnTypesGetsJSONEachRow() throws {
        let server = try ClickHouseTestServer()
        _ = try server.query("""
            CREATE TABLE default.custom (timestamp DateTime('UTC'), timestamp_ms UInt32, level String, message String,
            service String, version String, environment String, host String, user_id String, session_id String,
            request_id String, metadata String, stack String, region String)
            ENGINE = MergeTree ORDER BY (level, timestamp)
            """)
        let lines = try Self.entryLines(0..<300)
        let (summary, log) = try Self.insertAll(server, lines, table: "custom", create: false)
        #expect(summary == "clickhouse: 300 inserted, 0 spooled, 0 refused")
        #expect(log.contains { $0.contains("as JSONEachRow") }, "\(log)")
        let rows = try server.rows("SELECT level, message, request_id, region FROM default.custom ORDER BY toUInt32(substring(request_id, 3))")
        #expect(rows.count == 300)
        for (line, row) in zip(lines, rows) {
            let expected = try Self.expectedRow(line)
            #expect(row["level"] as? String == expected["level"] && row["message"] as? String == expected["message"])
            #expect(row["request_id"] as? String == expected["request_id"] && row["region"] as? String == "")
        }
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(3))))
    func aTwoShardClusterGetsEveryEntryExactlyOnce() throws {
        let portA = ClickHouseTestServer.freePortPair()
        var portB = ClickHouseTestServer.freePortPair()
        while abs(portB - portA) < 2 { portB = ClickHouseTestServer.freePortPair() }
        let shards = [portA + 1, portB + 1]
        let a = try ClickHouseTestServer(httpPort: portA, shardTCPPorts: shards)
        let b = try ClickHouseTestServer(httpPort: portB, shardTCPPorts: shards)
        for s in [a, b] {
            try s.query(ClickHouseSchema.createTable("default.logs_local", lowCardinality: false))
            try s.query("CREATE TABLE default.logs AS default.logs_local ENGINE = Distributed(logpipe, default, logs_local, cityHash64(request_id))")
        }
        // Two agents, one per server, each shipping its own entries into the Distributed table.
        let lines = try Self.entryLines(0..<4000)
        let stateA = TempDir("logpipe-ch-state"), stateB = TempDir("logpipe-ch-state")
        let sinkA = try Self.sink(a, create: false, state: stateA.path)
        let sinkB = try Self.sink(b, create: false, state: stateB.path, settings: [("insert_distributed_sync", "1")])
        Self.submit(sinkA, Array(lines[0..<2000]), chunk: 250)
        Self.submit(sinkB, Array(lines[2000...]), chunk: 250)
        #expect(sinkA.drain(timeoutMillis: 30_000) && sinkB.drain(timeoutMillis: 30_000), "\(sinkA.lastError ?? "") \(sinkB.lastError ?? "")")
        sinkA.close(); sinkB.close()
        // Asynchronous Distributed inserts (agent A) reach their shard in the background.
        let deadline = Date().addingTimeInterval(TestTime.seconds(30))
        while Date() < deadline, try a.number("SELECT count() FROM default.logs") < 4000 { usleep(200_000) }
        let local = [try a.number("SELECT count() FROM default.logs_local"), try b.number("SELECT count() FROM default.logs_local")]
        #expect(local.allSatisfy { $0 > 500 }, "rows per shard: \(local)")
        #expect(local.reduce(0, +) == 4000, "rows per shard: \(local)")
        for s in [a, b] {
            #expect(try s.number("SELECT count() FROM default.logs") == 4000)
            #expect(try s.number("SELECT uniqExact(request_id) FROM default.logs") == 4000)
        }
        // Each requestId on exactly one shard.
        let idsA = Set(try a.query("SELECT request_id FROM default.logs_local").split(separator: "\n"))
        let idsB = Set(try b.query("SELECT request_id FROM default.logs_local").split(separator: "\n"))
        #expect(idsA.isDisjoint(with: idsB) && idsA.union(idsB).count == 4000)
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(3))))
    func serverStoppedMidRunAndStartedAgainLosesNothing() throws {
        let server = try ClickHouseTestServer()
        let lines = try Self.entryLines(0..<9000)
        let state = TempDir("logpipe-ch-state")
        let log = LogLines()
        var sink = try Self.sink(server, state: state.path, log: log.append)
        Self.submit(sink, Array(lines[0..<3000]))
        #expect(sink.drain(timeoutMillis: 30_000))
        server.stop()
        Self.submit(sink, Array(lines[3000..<6000]))
        #expect(!sink.drain(timeoutMillis: 500))
        #expect(sink.counts.spooled == 3000)
        #expect(sink.failingSinceMillis != nil)
        // logpipe itself restarts while the server is still down: the spool carries the entries over.
        sink.close()
        sink = try Self.sink(server, state: state.path, log: log.append)
        Self.submit(sink, Array(lines[6000...]))
        #expect(sink.counts.spooled == 6000)
        try server.start()
        #expect(sink.drain(timeoutMillis: 60_000), "\(sink.summary)")
        #expect(sink.summary == "clickhouse: 6000 inserted, 0 spooled, 0 refused")
        sink.close()
        #expect(try server.number("SELECT uniqExact(request_id) FROM default.logs") == 9000)
        // At-least-once: any duplicate is a whole re-sent row; the documented query removes them.
        #expect(try server.number("SELECT count() FROM (SELECT * FROM default.logs LIMIT 1 BY request_id, timestamp, timestamp_ms, message)") == 9000)
        #expect(log.lines.contains { $0.contains("delivery failed") })
        #expect(log.lines.contains { $0.contains("delivering again") })
    }

    // MARK: through the binary (once `logpipe run --clickhouse` is wired)

    @Test(.timeLimit(.minutes(TestTime.minutes(3))), .enabled(if: ClickHouseWiring.present, "needs the --clickhouse wiring in logpipe run"))
    func runWithClickhouseInsertsEveryEntryAndKeepsTheSegments() throws {
        let server = try ClickHouseTestServer()
        let dir = TempDir("logpipe-ch-run")
        let input = (0..<5000).map(Self.inputLine).joined(separator: "\n") + "\n"
        let r = try logpipe(["run", "--out", dir.file("out"), "--state-dir", dir.file("state"),
                             "--clickhouse", server.url, "--clickhouse-create"],
                            stdin: Data(input.utf8), environment: cleanEnvironment(), timeout: 120)
        #expect(r.status == 0, "\(r.stderrText)")
        #expect(r.stderrText.contains("clickhouse: 5000 inserted, 0 spooled, 0 refused"), "\(r.stderrText)")
        #expect(try server.number("SELECT count() FROM default.logs") == 5000)
        #expect(try server.number("SELECT uniqExact(request_id) FROM default.logs") == 5000)
        #expect(RunSummary(stderr: r.stderrText)?.entriesOut == 5000)
    }

    /// `--clickhouse-only`: every entry in the table, no segment file written.
    @Test(.timeLimit(.minutes(TestTime.minutes(3))), .enabled(if: ClickHouseWiring.present, "needs the --clickhouse wiring in logpipe run"))
    func clickhouseOnlyInsertsEveryEntryAndWritesNoSegments() throws {
        let server = try ClickHouseTestServer()
        let dir = TempDir("logpipe-ch-run")
        let input = (0..<3000).map(Self.inputLine).joined(separator: "\n") + "\n"
        let r = try logpipe(["run", "--out", dir.file("out"), "--state-dir", dir.file("state"),
                             "--clickhouse", server.url, "--clickhouse-create", "--clickhouse-only"],
                            stdin: Data(input.utf8), environment: cleanEnvironment(), timeout: 120)
        #expect(r.status == 0, "\(r.stderrText)")
        #expect(r.stderrText.contains("clickhouse: 3000 inserted, 0 spooled, 0 refused"), "\(r.stderrText)")
        #expect(RunSummary(stderr: r.stderrText)?.entriesOut == 3000)
        #expect(try server.number("SELECT uniqExact(request_id) FROM default.logs") == 3000)
        let segments = (try? FileManager.default.contentsOfDirectory(atPath: dir.file("out"))) ?? []
        #expect(segments.isEmpty, "\(segments)")
    }

    /// `--clickhouse-only` with a file tail: the checkpoint follows the ClickHouse spool. After kill -9 a restart
    /// continues from it: every line once in the table, none read again (a lost or ignored checkpoint would
    /// insert the first 3000 again).
    @Test(.timeLimit(.minutes(TestTime.minutes(3))), .enabled(if: ClickHouseWiring.present, "needs the --clickhouse wiring in logpipe run"))
    func clickhouseOnlyTailResumesFromItsCheckpointAfterKillNine() throws {
        let server = try ClickHouseTestServer()
        let dir = TempDir("logpipe-ch-tail")
        let logs = dir.file("logs"), state = dir.file("state")
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        let log = logs + "/app.log"
        func append(_ range: Range<Int>) throws {
            let h = try #require(FileHandle(forWritingAtPath: log))
            h.seekToEndOfFile()
            h.write(Data((range.map(Self.inputLine).joined(separator: "\n") + "\n").utf8))
            try h.close()
        }
        FileManager.default.createFile(atPath: log, contents: nil)
        try append(0..<3000)
        let args = ["run", "--input", "file:" + logs + "/*.log", "--out", dir.file("out"), "--state-dir", state,
                    "--batch-timeout", "200ms", "--clickhouse", server.url, "--clickhouse-create", "--clickhouse-only"]
        func checkpointAtEnd() -> Bool {
            guard let size = (try? FileManager.default.attributesOfItem(atPath: log))?[.size] as? Int,
                  let data = FileManager.default.contents(atPath: state + "/checkpoints.json"),
                  let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
            return o.values.contains { (($0 as? [String: Any])?["offset"] as? NSNumber)?.intValue == size }
        }
        func waitFor(_ what: String, _ condition: () throws -> Bool) throws {
            let deadline = Date().addingTimeInterval(TestTime.seconds(60))
            while try !condition() {
                guard Date() < deadline else { throw ToolError.failed("timed out waiting for \(what)") }
                usleep(100_000)
            }
        }
        var lp = try RunningProcess(executable: Harness.binary, arguments: args, environment: cleanEnvironment(), scratch: dir)
        // (the table exists once the first insert is on its way)
        try waitFor("the first 3000 rows") { ((try? server.number("SELECT count() FROM default.logs")) ?? 0) >= 3000 }
        try waitFor("the checkpoint at the end of the file", checkpointAtEnd)
        try waitFor("the spool's commit record at the end of its last file") {
            let spool = state + "/clickhouse"
            guard let name = try FileManager.default.contentsOfDirectory(atPath: spool).first,
                  let committed = FileManager.default.contents(atPath: "\(spool)/\(name)/committed") else { return false }
            let parts = String(decoding: committed, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" })
            guard parts.count == 2, let file = Int(parts[0]), let offset = Int(parts[1]) else { return false }
            let size = (try? FileManager.default.attributesOfItem(atPath: "\(spool)/\(name)/" + String(format: "%016d.spool", file)))?[.size] as? Int
            return size == offset
        }
        lp.signal(SIGKILL)
        _ = lp.wait(timeout: 10)
        try append(3000..<5000)
        lp = try RunningProcess(executable: Harness.binary, arguments: args, environment: cleanEnvironment(), scratch: dir)
        try waitFor("all 5000 rows") { try server.number("SELECT count() FROM default.logs") >= 5000 }
        try waitFor("the checkpoint at the new end", checkpointAtEnd)
        lp.signal(SIGTERM)
        let r = lp.wait(timeout: 30)
        #expect(!r.timedOut && r.status == 0, "\(r.stderrText)")
        #expect(try server.number("SELECT uniqExact(request_id) FROM default.logs") == 5000)
        #expect(try server.number("SELECT count() FROM default.logs") == 5000, "rows read or inserted again")
        let segments = (try? FileManager.default.contentsOfDirectory(atPath: dir.file("out"))) ?? []
        #expect(segments.isEmpty, "\(segments)")
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(3))), .enabled(if: ClickHouseWiring.present, "needs the --clickhouse wiring in logpipe run"))
    func runWithTheServerDownSpoolsAndTheNextRunDelivers() throws {
        let server = try ClickHouseTestServer(start: false)
        let dir = TempDir("logpipe-ch-run")
        let args = ["run", "--out", dir.file("out"), "--state-dir", dir.file("state"), "--clickhouse", server.url,
                    "--clickhouse-create", "--clickhouse-drain-timeout", "500ms"]
        let first = try logpipe(args, stdin: Data(((0..<3000).map(Self.inputLine).joined(separator: "\n") + "\n").utf8),
                                environment: cleanEnvironment(), timeout: 120)
        #expect(first.status == 0, "\(first.stderrText)")
        #expect(first.stderrText.contains("clickhouse: 0 inserted, 3000 spooled, 0 refused"), "\(first.stderrText)")
        try server.start()
        let second = try logpipe(args.dropLast(2) + ["--clickhouse-drain-timeout", "60s"],
                                 stdin: Data(((3000..<4000).map(Self.inputLine).joined(separator: "\n") + "\n").utf8),
                                 environment: cleanEnvironment(), timeout: 120)
        #expect(second.status == 0, "\(second.stderrText)")
        #expect(try server.number("SELECT uniqExact(request_id) FROM default.logs") == 4000)
    }

    /// Dead-letter (issue 21): a table whose `user_id` is a UInt32 refuses the rows whose userId is not a number
    /// (the server answers Code: 27 for the whole insert). The lane splits the inserts to isolate them: every
    /// other row arrives, the refused ones are in `<state-dir>/dead-letter/clickhouse/` with the server's message,
    /// the counts add up; after the column is fixed, `logpipe replay` of the dead letters delivers them.
    @Test(.timeLimit(.minutes(TestTime.minutes(3))), .enabled(if: ClickHouseWiring.present, "needs the --clickhouse wiring in logpipe run"))
    func refusedRowsGoToTheDeadLetterQueueAndReplayDeliversThemOnceFixed() throws {
        let server = try ClickHouseTestServer()
        _ = try server.query("""
            CREATE TABLE default.strict (timestamp DateTime('UTC'), timestamp_ms UInt32, level String, message String,
            service String, version String, environment String, host String, user_id UInt32, session_id String,
            request_id String, metadata String, stack String)
            ENGINE = MergeTree ORDER BY (level, timestamp)
            """)
        let total = 1000
        let bad = Set(stride(from: 7, to: total, by: 50)) // 20 rows, spread over the batches
        let input = (0..<total).map { n -> String in
            var line = Self.inputLine(n).replacingOccurrences(of: #""userId":"u-\#(n)""#, with: "")
                .replacingOccurrences(of: ",,", with: ",").replacingOccurrences(of: ",}", with: "}")
            line.removeLast()
            return line + (bad.contains(n) ? #","userId":"user-\#(n)"}"# : #","userId":"\#(n)"}"#)
        }.joined(separator: "\n") + "\n"
        let dir = TempDir("logpipe-ch-dead")
        let state = dir.file("state")
        let r = try logpipe(["run", "--out", dir.file("out"), "--state-dir", state, "--clickhouse", server.url,
                             "--clickhouse-table", "strict", "--batch-max-entries", "100"],
                            stdin: Data(input.utf8), environment: cleanEnvironment(), timeout: 120)
        #expect(r.status == 0, "\(r.stderrText)")
        let deadDir = state + "/dead-letter/clickhouse"
        #expect(r.stderrText.contains("clickhouse: \(total - bad.count) inserted, 0 spooled, 0 refused, \(bad.count) dead-lettered (in \(deadDir))"),
                "\(r.stderrText)")
        #expect(RunSummary(stderr: r.stderrText)?.entriesOut == total)
        // Good rows arrived, each once; none of the bad ones.
        #expect(try server.number("SELECT count() FROM default.strict") == total - bad.count)
        #expect(try server.number("SELECT uniqExact(request_id) FROM default.strict") == total - bad.count)
        #expect(try server.number("SELECT count() FROM default.strict WHERE user_id % 50 = 7") == 0)

        // The dead letters: the refused entries verbatim, and a reason per entry with the server's answer.
        let files = directoryListing(deadDir)
        let entriesFile = try #require(files.first { $0.hasSuffix(".jsonl") && !$0.hasSuffix(".reasons.jsonl") }, "\(files)")
        let reasonsFile = String(entriesFile.dropLast(".jsonl".count)) + ".reasons.jsonl"
        #expect(files == [entriesFile, reasonsFile].sorted())
        let dead = try jsonObjects(Data(contentsOf: URL(fileURLWithPath: deadDir + "/" + entriesFile)))
        #expect(Set(dead.compactMap { $0.string("context.requestId") }) == Set(bad.map { "r-\($0)" }))
        #expect(dead.allSatisfy { ($0.string("context.userId") ?? "").hasPrefix("user-") })
        let reasons = try jsonObjects(Data(contentsOf: URL(fileURLWithPath: deadDir + "/" + reasonsFile)))
        #expect(reasons.count == bad.count)
        for (i, (reason, entry)) in zip(reasons, dead).enumerated() {
            #expect(reason["entry"] as? Int == i + 1)
            #expect(reason.string("requestId") == entry.string("context.requestId"))
            #expect(reason.string("sink") == "clickhouse" && reason.string("destination") == server.url)
            #expect(reason.string("reason") == "ClickHouse Code: 27", "\(reason)")
            #expect((reason.string("answer") ?? "").contains("Cannot parse input"), "\(reason)")
            #expect((reason.string("answer") ?? "").contains("user_id"), "\(reason)")
            #expect(isSegmentTimestamp(reason.string("time") ?? ""))
        }
        // `logpipe cat` reads a dead-letter folder too.
        #expect(splitLines(try logpipe(["cat", deadDir]).stdout).count == bad.count)

        // Fixed table: replaying the dead letters delivers them; nothing is refused any more.
        _ = try server.query("ALTER TABLE default.strict MODIFY COLUMN user_id String")
        let replay = try logpipe(["replay", deadDir, "--out", dir.file("replayed"), "--state-dir", dir.file("state2"),
                                  "--clickhouse", server.url, "--clickhouse-table", "strict", "--clickhouse-only"],
                                 environment: cleanEnvironment(), timeout: 120)
        #expect(replay.status == 0, "\(replay.stderrText)")
        #expect(replay.stderrText.contains("clickhouse: \(bad.count) inserted, 0 spooled, 0 refused"), "\(replay.stderrText)")
        #expect(!replay.stderrText.contains("dead-lettered"), "\(replay.stderrText)")
        #expect(try server.number("SELECT count() FROM default.strict") == total)
        #expect(try server.number("SELECT uniqExact(request_id) FROM default.strict") == total)
        #expect(try server.number("SELECT count() FROM default.strict WHERE startsWith(user_id, 'user-')") == bad.count)
    }

    @Test(.enabled(if: ClickHouseWiring.present, "needs the --clickhouse wiring in logpipe run"))
    func badClickhouseFlagsAreUsageErrorsNamingTheFlag() throws {
        let cases: [([String], String)] = [
            (["--clickhouse", "https://127.0.0.1:8443", "--clickhouse-ca-file", "/nonexistent/ca.pem"], "--clickhouse-ca-file"),
            (["--clickhouse", "http://127.0.0.1:8123", "--clickhouse-insecure"], "--clickhouse-insecure"),
            (["--clickhouse", "ftp://127.0.0.1:8123"], "--clickhouse"),
            (["--clickhouse", "http://127.0.0.1:8123", "--clickhouse-table", "logs;drop"], "--clickhouse-table"),
            (["--clickhouse", "http://127.0.0.1:8123", "--clickhouse-compression", "zstd"], "--clickhouse-compression"),
            (["--clickhouse", "http://127.0.0.1:8123", "--clickhouse-spool-max", "12Q"], "--clickhouse-spool-max"),
            (["--clickhouse-only"], "--clickhouse-only"),
        ]
        for (args, flag) in cases {
            let dir = TempDir("logpipe-ch-run")
            let r = try logpipe(["run", "--out", dir.file("out"), "--state-dir", dir.file("state")] + args,
                                environment: cleanEnvironment(), timeout: 20)
            #expect(r.status == 2, "\(args): \(r.stderrText)")
            #expect(r.stderrText.contains(flag), "\(args): \(r.stderrText)")
        }
    }
}

/// Collects diagnostics lines from a sink.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var _lines: [String] = []
    var lines: [String] { lock.withLock { _lines } }
    var append: @Sendable (String) -> Void { { [self] line in lock.withLock { _lines.append(line) } } }
}
