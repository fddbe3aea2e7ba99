import Foundation
@testable import TestSupport
import Testing
import Pipeline
@testable import Sinks

/// The urgent path against real receivers on 127.0.0.1: ordering, outages and restarts, 500s and hangs,
/// the spool bound, damaged spool files, syslog framing.
@Suite(.serialized) struct UrgentForwarderTests {
    /// Entry `n` in the segment line format; its requestId is `req-<n>`.
    static func entry(_ n: Int, level: String = "ERROR", pad: Int = 20) -> String {
        #"{"timestamp":"2026-03-01T10:00:00.\#(String(format: "%03d", n % 1000))Z","level":"\#(level)","message":"boom \#(n) \#(String(repeating: "x", count: pad))","context":{"service":"checkout","version":"1.2","environment":"test","host":"web-1","sessionId":"sess-1","requestId":"req-\#(n)"}}"#
    }

    static func requestId(_ line: String) -> Int? {
        guard let r = line.range(of: #""requestId":"req-"#) else { return nil }
        return Int(line[r.upperBound...].prefix { $0.isNumber })
    }

    /// Submits entries `range` in one call; returns how long submit took (seconds).
    @discardableResult
    static func submit(_ sink: UrgentForwarder, _ range: Range<Int>, pad: Int = 20) -> Double {
        let text = range.map { entry($0, pad: pad) + "\n" }.joined()
        let start = Date()
        Array(text.utf8).withUnsafeBufferPointer { sink.submit($0, count: range.count) }
        return Date().timeIntervalSince(start)
    }

    static func forwarder(_ urls: [String], state: String, log: LogCollector, spoolMax: Int = 1 << 30,
                          timeoutMillis: Int = 2000, headers: [(name: String, value: String)] = []) throws -> UrgentForwarder {
        let config = UrgentConfiguration(
            destinations: try urls.map(UrgentDestination.init), stateDirectory: state, spoolMaxBytes: spoolMax,
            requestTimeoutMillis: timeoutMillis, headers: headers,
            retry: RetryPolicy(initialMillis: 20, maxMillis: 200), log: log.sink)
        return try UrgentForwarder(configuration: config)
    }

    /// The received lines as requestIds, duplicates (whole re-sent entries) removed, first arrival kept.
    static func deduplicated(_ lines: [String]) -> [Int] {
        var seen = Set<Int>()
        return lines.compactMap(requestId).filter { seen.insert($0).inserted }
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func receiverUpEveryEntryArrivesInOrder() throws {
        let receiver = try TestHTTPReceiver()
        let dir = SinkTempDir(), log = LogCollector()
        let f = try Self.forwarder(["http://127.0.0.1:\(receiver.port)/ingest?src=logpipe"], state: dir.path, log: log,
                                   headers: [("Authorization", "Bearer t0ken")])
        defer { f.close() }
        for k in 0..<40 { Self.submit(f, (k * 5)..<(k * 5 + 5)) }
        #expect(f.drain(timeoutMillis: 5000))
        #expect(receiver.lines == (0..<200).map { Self.entry($0) })
        let head = try #require(receiver.heads.first)
        #expect(head.hasPrefix("POST /ingest?src=logpipe HTTP/1.1\r\n"))
        #expect(head.contains("Content-Type: application/x-ndjson"))
        #expect(head.contains("Authorization: Bearer t0ken"))
        #expect(f.summary == "urgent: 200 delivered, 0 spooled, 0 refused")
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func chunkedAnswersAndKeptAliveConnections() throws {
        let receiver = try TestHTTPReceiver(mode: .okChunked)
        let dir = SinkTempDir(), log = LogCollector()
        let f = try Self.forwarder(["http://127.0.0.1:\(receiver.port)/"], state: dir.path, log: log)
        defer { f.close() }
        for k in 0..<10 { Self.submit(f, k..<(k + 1)); #expect(f.drain(timeoutMillis: 3000)) }
        #expect(Self.deduplicated(receiver.lines) == Array(0..<10))
        #expect(log.lines.isEmpty)
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func receiverDownThenUpOnSecondInstanceDeliversEverythingInOrder() throws {
        let port = TestHTTPReceiver.freePort()
        let url = "http://127.0.0.1:\(port)/urgent"
        let dir = SinkTempDir(), log = LogCollector()
        do {
            let first = try Self.forwarder([url], state: dir.path, log: log)
            for k in 0..<30 { Self.submit(first, (k * 4)..<(k * 4 + 4)) }
            #expect(!first.drain(timeoutMillis: 300))
            #expect(first.summary == "urgent: 0 delivered, 120 spooled, 0 refused")
            first.close()
        }
        #expect(log.contains("delivery failed"))
        let receiver = try TestHTTPReceiver(port: port)
        let second = try Self.forwarder([url], state: dir.path, log: log)
        defer { second.close() }
        #expect(log.contains("120 undelivered entries from an earlier run go first"))
        Self.submit(second, 120..<150)
        #expect(second.drain(timeoutMillis: 8000))
        let lines = receiver.lines
        #expect(lines.allSatisfy { Self.requestId($0).map { lines.contains(Self.entry($0)) } ?? false })
        #expect(Self.deduplicated(lines) == Array(0..<150))
        // A third start has nothing left to send.
        second.close()
        let third = try Self.forwarder([url], state: dir.path, log: log)
        defer { third.close() }
        #expect(third.counts[0].spooled == 0)
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func answers500AreRetriedAndSubmitNeverWaits() throws {
        let receiver = try TestHTTPReceiver(mode: .error500)
        let dir = SinkTempDir(), log = LogCollector()
        let f = try Self.forwarder(["http://127.0.0.1:\(receiver.port)/"], state: dir.path, log: log)
        defer { f.close() }
        var slowest = 0.0
        for k in 0..<50 { slowest = max(slowest, Self.submit(f, (k * 2)..<(k * 2 + 2))); usleep(5000) }
        #expect(receiver.requests >= 2)
        #expect(receiver.lines.isEmpty)
        #expect(slowest < TestTime.seconds(0.25), "submit took \(slowest) s")
        receiver.mode = .ok
        #expect(f.drain(timeoutMillis: 5000))
        #expect(Self.deduplicated(receiver.lines) == Array(0..<100))
        #expect(log.contains("HTTP status 500"))
        #expect(log.contains("delivering again"))
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func hangingReceiverTimesOutAndSubmitNeverWaits() throws {
        let receiver = try TestHTTPReceiver(mode: .hang)
        let dir = SinkTempDir(), log = LogCollector()
        let f = try Self.forwarder(["http://127.0.0.1:\(receiver.port)/"], state: dir.path, log: log, timeoutMillis: 200)
        defer { f.close() }
        var slowest = 0.0
        let start = Date()
        var n = 0
        while Date().timeIntervalSince(start) < 1.0 { slowest = max(slowest, Self.submit(f, n..<(n + 3))); n += 3; usleep(10_000) }
        #expect(slowest < TestTime.seconds(0.25), "submit took \(slowest) s")
        #expect(receiver.requests >= 2, "timed-out requests are retried")
        #expect(log.contains("no answer within the request timeout"))
        receiver.mode = .ok
        #expect(f.drain(timeoutMillis: 8000))
        #expect(Self.deduplicated(receiver.lines) == Array(0..<n))
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func closedWithoutAnswerIsRetried() throws {
        let receiver = try TestHTTPReceiver(mode: .closeWithoutAnswer)
        let dir = SinkTempDir(), log = LogCollector()
        let f = try Self.forwarder(["http://127.0.0.1:\(receiver.port)/"], state: dir.path, log: log)
        defer { f.close() }
        Self.submit(f, 0..<5)
        #expect(!f.drain(timeoutMillis: 200))
        receiver.mode = .ok
        #expect(f.drain(timeoutMillis: 5000))
        #expect(Self.deduplicated(receiver.lines) == Array(0..<5))
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func spoolBoundRefusesLoudlyAndCounts() throws {
        let dir = SinkTempDir(), log = LogCollector()
        let f = try Self.forwarder(["http://127.0.0.1:\(TestHTTPReceiver.freePort())/"], state: dir.path, log: log, spoolMax: 8192)
        defer { f.close() }
        for k in 0..<20 { Self.submit(f, (k * 5)..<(k * 5 + 5), pad: 100) }
        let c = f.counts[0]
        #expect(c.refused > 0)
        #expect(c.spooled + c.refused == 100)
        #expect(c.spooled * 300 <= 8192)
        #expect(log.contains("REFUSED"))
        #expect(f.summary.contains("\(c.refused) refused"))
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func largeBacklogIsSentInCappedRequests() throws {
        let port = TestHTTPReceiver.freePort()
        let dir = SinkTempDir(), log = LogCollector()
        let config = UrgentConfiguration(
            destinations: [try UrgentDestination("http://127.0.0.1:\(port)/")], stateDirectory: dir.path,
            retry: RetryPolicy(initialMillis: 20, maxMillis: 100), maxRequestBytes: 16 << 10, log: log.sink)
        let f = try UrgentForwarder(configuration: config)
        defer { f.close() }
        for k in 0..<50 { Self.submit(f, (k * 40)..<(k * 40 + 40), pad: 200) }
        let receiver = try TestHTTPReceiver(port: port)
        #expect(f.drain(timeoutMillis: 10_000))
        #expect(Self.deduplicated(receiver.lines) == Array(0..<2000))
        #expect(receiver.bodies.allSatisfy { $0.count <= 16 << 10 })
        #expect(receiver.bodies.count < 200, "a backlog leaves in few requests")
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func committedPositionSurvivesRestartsWithoutResending() throws {
        let dir = SinkTempDir(), log = LogCollector()
        let up = try TestHTTPReceiver()
        let url = "http://127.0.0.1:\(up.port)/"
        do {
            let f = try Self.forwarder([url], state: dir.path, log: log)
            Self.submit(f, 0..<10)
            #expect(f.drain(timeoutMillis: 3000))
            f.close()
        }
        up.stop()
        do {
            let f = try Self.forwarder([url], state: dir.path, log: log)
            Self.submit(f, 10..<20)
            #expect(!f.drain(timeoutMillis: 200))
            f.close()
        }
        let again = try TestHTTPReceiver(port: up.port)
        let f = try Self.forwarder([url], state: dir.path, log: log)
        defer { f.close() }
        #expect(f.drain(timeoutMillis: 5000))
        #expect(again.lines == (10..<20).map { Self.entry($0) }, "exactly the undelivered entries, once")
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func spoolFilesRollOverAndAreDeletedOnceDelivered() throws {
        let port = TestHTTPReceiver.freePort()
        let url = "http://127.0.0.1:\(port)/"
        let dir = SinkTempDir(), log = LogCollector()
        let f = try Self.forwarder([url], state: dir.path, log: log, spoolMax: 1 << 20)
        defer { f.close() }
        for k in 0..<100 { Self.submit(f, (k * 10)..<(k * 10 + 10), pad: 200) }
        let spoolDir = dir.path + "/urgent/" + (try UrgentDestination(url)).spoolName
        let spoolFiles = { (try? FileManager.default.contentsOfDirectory(atPath: spoolDir))?.filter { $0.hasSuffix(".spool") } ?? [] }
        #expect(spoolFiles().count >= 3)
        let receiver = try TestHTTPReceiver(port: port)
        #expect(f.drain(timeoutMillis: 8000))
        #expect(Self.deduplicated(receiver.lines) == Array(0..<1000))
        #expect(receiver.lines.count == 1000)
        #expect(spoolFiles().count == 1, "delivered files are deleted: \(spoolFiles())")
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func corruptSpoolFileIsQuarantinedAndTheForwarderStarts() throws {
        let port = TestHTTPReceiver.freePort()
        let url = "http://127.0.0.1:\(port)/"
        let dir = SinkTempDir(), log = LogCollector()
        let first = try Self.forwarder([url], state: dir.path, log: log)
        for k in 0..<10 { Self.submit(first, k..<(k + 1)) }
        first.close()
        let spoolDir = dir.path + "/urgent/" + (try UrgentDestination(url)).spoolName
        let files = try FileManager.default.contentsOfDirectory(atPath: spoolDir).filter { $0.hasSuffix(".spool") }.sorted()
        let damaged = spoolDir + "/" + files[0]
        var data = try Data(contentsOf: URL(fileURLWithPath: damaged))
        let sixth = 8 + 5 * (data.count - 8) / 10 // entries are the same size: the start of the sixth record
        data[sixth + 20] ^= 0xff
        try data.write(to: URL(fileURLWithPath: damaged))
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: spoolDir + "/committed"))
        // A file with a spool file's name but not its magic, and one whose name is not a spool file's.
        try Data("XXXXXXXXjunk".utf8).write(to: URL(fileURLWithPath: spoolDir + "/0000000000000777.spool"))
        try Data("junk".utf8).write(to: URL(fileURLWithPath: spoolDir + "/777.spool"))

        let receiver = try TestHTTPReceiver(port: port)
        let second = try Self.forwarder([url], state: dir.path, log: log)
        defer { second.close() }
        Self.submit(second, 10..<12)
        #expect(second.drain(timeoutMillis: 5000))
        #expect(Self.deduplicated(receiver.lines) == [0, 1, 2, 3, 4, 10, 11])
        let quarantined = try FileManager.default.contentsOfDirectory(atPath: spoolDir + "/quarantine")
        #expect(quarantined.contains { $0.hasPrefix(files[0]) })
        #expect(quarantined.contains { $0.hasPrefix("committed") })
        #expect(quarantined.contains { $0.hasPrefix("0000000000000777.spool") })
        #expect(log.contains("ignoring 777.spool"))
        #expect(log.contains("checksum mismatch"))
        #expect(log.contains("unreadable committed offset"))
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func fanOutKeepsAHealthyDestinationFastWhileAnotherIsDown() throws {
        let up = try TestHTTPReceiver()
        let dir = SinkTempDir(), log = LogCollector()
        let f = try Self.forwarder(["http://127.0.0.1:\(up.port)/", "http://127.0.0.1:\(TestHTTPReceiver.freePort())/"],
                                   state: dir.path, log: log)
        defer { f.close() }
        Self.submit(f, 0..<10)
        #expect(up.waitForLines(10, timeout: 3))
        #expect(!f.drain(timeoutMillis: 100))
        #expect(f.counts.map(\.delivered) == [10, 0])
        #expect(f.summary.hasPrefix("urgent: 10 delivered, 10 spooled, 0 refused ("))
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func syslogOverUDPCarriesRFC5424() throws {
        let receiver = try TestSyslogReceiver(udp: true)
        let dir = SinkTempDir(), log = LogCollector()
        let f = try Self.forwarder(["syslog+udp://127.0.0.1:\(receiver.port)"], state: dir.path, log: log)
        defer { f.close() }
        let fatal = #"{"timestamp":"2026-03-01T10:00:00.123Z","level":"FATAL","message":"disk \"gone\"","context":{"service":"db","version":"1","environment":"e","host":"db-2","sessionId":"s\"]","requestId":"r-9"},"stack":"at main"}"#
        let text = Self.entry(1) + "\n" + fatal + "\n"
        Array(text.utf8).withUnsafeBufferPointer { f.submit($0, count: 2) }
        #expect(f.drain(timeoutMillis: 3000))
        #expect(receiver.waitFor(2, timeout: 3))
        let m = receiver.messages
        try #require(m.count == 2)
        #expect(m[0] == .init(pri: 11, version: 1, timestamp: "2026-03-01T10:00:00.001Z", host: "web-1", app: "checkout",
                              procid: "-", msgid: "-", structuredData: #"[logpipe requestId="req-1" sessionId="sess-1"]"#,
                              message: "boom 1 " + String(repeating: "x", count: 20)))
        #expect(m[1].pri == 10)
        #expect(m[1].structuredData == #"[logpipe requestId="r-9" sessionId="s\"\]"]"#)
        #expect(m[1].message == "disk \"gone\"\nat main")
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func syslogOverTCPUsesOctetCountingInOrder() throws {
        let receiver = try TestSyslogReceiver(udp: false)
        let dir = SinkTempDir(), log = LogCollector()
        let f = try Self.forwarder(["syslog+tcp://127.0.0.1:\(receiver.port)"], state: dir.path, log: log)
        defer { f.close() }
        for k in 0..<20 { Self.submit(f, (k * 10)..<(k * 10 + 10)) }
        #expect(f.drain(timeoutMillis: 3000))
        #expect(receiver.waitFor(200, timeout: 3))
        #expect(receiver.framingErrors == 0)
        let ids = receiver.messages.compactMap { m -> Int? in
            guard let r = m.structuredData.range(of: "requestId=\"req-") else { return nil }
            return Int(m.structuredData[r.upperBound...].prefix { $0.isNumber })
        }
        #expect(ids == Array(0..<200))
        #expect(receiver.messages.allSatisfy { $0.pri == 11 && $0.app == "checkout" })
    }
}

/// The pure parts: URLs, headers, backoff, spool framing, HTTP response parsing.
struct UrgentPartsTests {
    @Test func parsesDestinationsAndRejectsOthersNamingTheFlag() throws {
        let h = try UrgentDestination("http://example.com:8080/a/b?x=1")
        #expect((h.kind, h.host, h.port, h.target) == (.http, "example.com", 8080, "/a/b?x=1"))
        #expect(try UrgentDestination("http://10.0.0.1").port == 80)
        #expect(try UrgentDestination("syslog+tcp://[::1]:6514").host == "::1")
        let s = try UrgentDestination("https://example.com/hook")
        #expect((s.kind, s.tls, s.host, s.port, s.target) == (.http, true, "example.com", 443, "/hook"))
        #expect(try UrgentDestination("https://127.0.0.1:8443").port == 8443)
        #expect(try !UrgentDestination("http://10.0.0.1").tls)
        for bad in ["ftp://x/", "syslog+udp://host", "not a url", "http:///path", "http://u:p@x/", "https://u:p@x/"] {
            #expect(throws: UrgentConfigError.self) { try UrgentDestination(bad) }
        }
        do { _ = try UrgentDestination("ftp://x/"); Issue.record("accepted ftp") } catch {
            #expect("\(error)".hasPrefix("invalid --urgent \"ftp://x/\": unknown scheme"))
        }
    }

    @Test func parsesHeaders() throws {
        #expect(try UrgentConfiguration.header("Authorization:  Bearer a:b ") == ("Authorization", "Bearer a:b"))
        for bad in ["NoColon", ": v", "Bad Name: v", "Content-Length: 4", "X: a\r\nY: b"] {
            #expect(throws: UrgentConfigError.self) { try UrgentConfiguration.header(bad) }
        }
    }

    @Test func backoffGrowsWithJitterAndIsCapped() {
        let p = RetryPolicy()
        #expect(p.delayMillis(attempt: 1, random: 0) == 50)
        #expect(p.delayMillis(attempt: 1, random: 0.999) <= 100)
        #expect(p.delayMillis(attempt: 4, random: 0) == 400)
        #expect(p.delayMillis(attempt: 40, random: 0.999) <= 10_000)
        #expect(p.delayMillis(attempt: 40, random: 0) == 5_000)
    }

    @Test func spoolFramingFindsDamage() {
        var bytes = SpoolRecord.magic
        for s in ["a\n", "bb\n"] { Array(s.utf8).withUnsafeBufferPointer { SpoolRecord.append($0.baseAddress!, $0.count, to: &bytes) } }
        let whole = bytes.withUnsafeBufferPointer { SpoolRecord.scan($0) }
        #expect(whole == .init(ends: [18, 29], validEnd: 29, damage: nil))
        let torn = Array(bytes.dropLast(1)).withUnsafeBufferPointer { SpoolRecord.scan($0) }
        #expect(torn.ends == [18] && torn.validEnd == 18 && torn.damage != nil)
        var flipped = bytes
        flipped[27] ^= 1
        #expect(flipped.withUnsafeBufferPointer { SpoolRecord.scan($0) }.damage == "checksum mismatch at byte 18")
        #expect(Array("garbage!!".utf8).withUnsafeBufferPointer { SpoolRecord.scan($0) }.validEnd == 0)
    }

    @Test func parsesHTTPResponses() throws {
        func parse(_ s: String, closed: Bool = false) throws -> HTTPResponse? { try HTTPResponse.parse(Array(s.utf8), closed: closed) }
        #expect(try parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") == .init(status: 200, keepAlive: true, length: 40))
        #expect(try parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nok") == nil)
        #expect(try parse("HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")?.status == 202)
        #expect(try parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n") == nil)
        #expect(try parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n")?.status == 204)
        #expect(try parse("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbody", closed: false) == nil)
        #expect(try parse("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbody", closed: true)?.keepAlive == false)
        #expect(try parse("HTTP/1.0 500 Oops\r\nContent-Length: 0\r\n\r\n") == .init(status: 500, keepAlive: false, length: 40))
        #expect(throws: HTTPResponse.ParseError.self) { try parse("garbage\r\n\r\n") }
        #expect(throws: HTTPResponse.ParseError.self) { try parse("HTTP/1.1 200", closed: true) }
    }

    @Test func syslogSeverityFollowsTheLevel() {
        #expect(["FATAL", "ERROR", "WARN", "INFO", "DEBUG"].map(SyslogMessage.severity) == [2, 3, 4, 6, 7])
        #expect(SyslogMessage.header("a b\u{e9}", max: 48) == "a_b_")
        #expect(SyslogMessage.header("", max: 48) == "-")
    }
}
