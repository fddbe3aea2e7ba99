import Foundation
import Testing

/// Crafted lines of each input format through the real binary, checked field by field.
@Suite struct FormatTests {
    /// Runs the lines (joined by `\n`) and returns one entry per line, in order.
    func run(_ lines: [String], _ args: [String] = []) throws -> [[String: Any]] {
        let input = Data((lines.joined(separator: "\n") + "\n").utf8)
        let r = try runPipeline(input, args)
        #expect(r.result.status == 0, "stderr: \(r.result.stderrText)")
        let e = try r.entries()
        try #require(e.count == lines.count, "\(e.count) entries for \(lines.count) lines")
        return e
    }

    func meta(_ e: [String: Any]) -> [String: Any] { e["metadata"] as? [String: Any] ?? [:] }

    @Test func logfmt() throws {
        let e = try run([
            #"ts=2026-11-27T09:00:00.250Z level=warn msg="say \"hi\" to C:\\temp" user_id=u-7 request_id=r-1 session_id=s-1 duration=5ms bare"#,
            #"time=2026-11-27T10:30:00+01:00 lvl=ERR message=short service=billing host=db-1 x-request-id=abc"#,
        ])
        #expect(e[0].string("timestamp") == "2026-11-27T09:00:00.250Z")
        #expect(e[0].string("level") == "WARN")
        #expect(e[0].string("message") == #"say "hi" to C:\temp"#)
        #expect(e[0].string("context.userId") == "u-7")
        #expect(e[0].string("context.requestId") == "r-1")
        #expect(e[0].string("context.sessionId") == "s-1")
        #expect(meta(e[0])["duration"] as? String == "5ms")
        #expect(meta(e[0])["bare"] as? Bool == true)
        #expect(meta(e[0])["parseError"] == nil)
        #expect(meta(e[0]).count == 2, "\(meta(e[0]))")

        #expect(e[1].string("timestamp") == "2026-11-27T09:30:00.000Z")
        #expect(e[1].string("level") == "ERROR")
        #expect(e[1].string("message") == "short")
        #expect(e[1].string("context.service") == "billing")
        #expect(e[1].string("context.host") == "db-1")
        #expect(e[1].string("context.requestId") == "abc")
    }

    @Test func syslogRFC5424() throws {
        let e = try run([
            #"<165>1 2026-11-27T10:00:00.5+01:00 web-07 checkout 42 ORD1 [meta requestId="r-55" userId="u-9" region="eu"] order placed"#,
            "<11>1 2026-11-27T09:00:01.001Z - - - - - disk failure",
            #"<134>1 2026-11-27T09:00:02Z api-01 auth - - [origin ip="10.0.0.1"][flags] hello [not sd]"#,
        ])
        #expect(e[0].string("level") == "INFO") // 165 = local4.notice
        #expect(e[0].string("timestamp") == "2026-11-27T09:00:00.500Z")
        #expect(e[0].string("context.host") == "web-07")
        #expect(e[0].string("context.service") == "checkout")
        #expect(e[0].string("context.requestId") == "r-55")
        #expect(e[0].string("context.userId") == "u-9")
        #expect(e[0].string("message") == "order placed")
        #expect(meta(e[0])["region"] as? String == "eu")
        #expect(meta(e[0])["procid"] as? String == "42")
        #expect(meta(e[0])["msgid"] as? String == "ORD1")
        #expect(meta(e[0])["pri"] as? Int == 165)
        #expect(meta(e[0])["parseError"] == nil)

        #expect(e[1].string("level") == "ERROR") // 11 = user.err
        #expect(e[1].string("timestamp") == "2026-11-27T09:00:01.001Z")
        #expect(e[1].string("message") == "disk failure")
        #expect(e[1].string("context.host") == ProcessInfo.processInfo.hostName, "nil hostname → enrichment")
        #expect(e[1].string("context.service") == "unknown")

        #expect(e[2].string("message") == "hello [not sd]")
        #expect(meta(e[2])["ip"] as? String == "10.0.0.1")
        #expect(meta(e[2])["flags"] as? Bool == true)
    }

    /// The year BSD syslog and glog lines get: this year, or last year when that date is more than a day ahead.
    func inferredYear(month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let now = Date()
        let year = cal.component(.year, from: now)
        let date = cal.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second))!
        return date.timeIntervalSince(now) > 86_400 ? year - 1 : year
    }

    @Test func syslogRFC3164() throws {
        let e = try run([
            "<131>Nov 27 09:00:01 web-02 payments[311]: card declined",
            "<12>Mar  5 23:59:59 host9 cron: job done",
            "<14>no header at all",
        ])
        let year = inferredYear(month: 11, day: 27, hour: 9, minute: 0, second: 1)
        #expect(e[0].string("level") == "ERROR")
        #expect(e[0].string("timestamp") == "\(year)-11-27T09:00:01.000Z")
        #expect(e[0].string("context.host") == "web-02")
        #expect(e[0].string("context.service") == "payments")
        #expect(e[0].string("message") == "card declined")
        #expect(meta(e[0])["procid"] as? String == "311")
        #expect(meta(e[0])["pri"] as? Int == 131)

        let year2 = inferredYear(month: 3, day: 5, hour: 23, minute: 59, second: 59)
        #expect(e[1].string("level") == "WARN")
        #expect(e[1].string("timestamp") == "\(year2)-03-05T23:59:59.000Z")
        #expect(e[1].string("context.host") == "host9")
        #expect(e[1].string("context.service") == "cron")
        #expect(e[1].string("message") == "job done")

        #expect(e[2].string("level") == "INFO")
        #expect(e[2].string("message") == "no header at all")
        #expect(meta(e[2])["parseError"] == nil)
    }

    @Test func plainText() throws {
        let e = try run([
            "2026-11-27 09:00:00,123 ERROR [main] x - boom",
            "E1127 09:00:00.123456    4242 server.go:42] connection lost",
            "[warn] disk almost full",
            "2026-11-27T09:00:05.5+02:00 FATAL: out of memory",
            "just a sentence about a user error",
            "WARNING:root:low disk",
            "[2026-11-27T08:00:00Z] <debug> tick",
        ])
        #expect(e[0].string("level") == "ERROR")
        #expect(e[0].string("timestamp") == "2026-11-27T09:00:00.123Z")
        #expect((e[0].string("message") ?? "").hasSuffix("boom"))
        #expect(e[0].string("message")?.contains("ERROR") == false)

        let year = inferredYear(month: 11, day: 27, hour: 9, minute: 0, second: 0)
        #expect(e[1].string("level") == "ERROR")
        #expect(e[1].string("timestamp") == "\(year)-11-27T09:00:00.123Z")
        #expect(e[1].string("message") == "4242 server.go:42] connection lost")

        #expect(e[2].string("level") == "WARN")
        #expect(e[2].string("message") == "disk almost full")

        #expect(e[3].string("level") == "FATAL")
        #expect(e[3].string("timestamp") == "2026-11-27T07:00:05.500Z")
        #expect(e[3].string("message") == "out of memory")

        #expect(e[4].string("level") == "INFO", "a lower-case level word inside a sentence is not a level")
        #expect(e[4].string("message") == "just a sentence about a user error")

        #expect(e[5].string("level") == "WARN")
        #expect(e[6].string("level") == "DEBUG")
        #expect(e[6].string("timestamp") == "2026-11-27T08:00:00.000Z")
        #expect(e[6].string("message") == "tick")
        for x in e { #expect(x["metadata"] == nil, "plain lines have no metadata: \(x)") }
    }

    @Test func jsonLines() throws {
        let e = try run([
            #"{"ts":1795770000,"lvl":"error","msg":"epoch seconds","request_id":"req-1","attempt":3,"nested":{"k":[1,2,{"z":null}]},"ok":true}"#,
            #"{"ts":1795770000985,"level":"warning","message":"epoch millis","session_id":"s-9","user_id":42}"#,
            #"{"time":1795770000.25,"severity":"CRITICAL","msg":"float seconds","context":{"service":"ctx-svc","requestId":"r-ctx","region":"eu"},"metadata":{"a":1,"b":"two"}}"#,
            #"{"@timestamp":"2026-11-27T10:00:00.123+01:00","levelname":"debug","message":{"structured":true},"stack_trace":"at x\nat y","hostname":"h-1"}"#,
            #"{"timestamp":"not a time","level":50,"msg":"pino level"}"#,
            #"{"msg":"no level no time"}"#,
        ])
        #expect(e[0].string("timestamp") == "2026-11-27T09:00:00.000Z")
        #expect(e[0].string("level") == "ERROR")
        #expect(e[0].string("message") == "epoch seconds")
        #expect(e[0].string("context.requestId") == "req-1")
        #expect(meta(e[0])["attempt"] as? Int == 3)
        #expect((meta(e[0])["nested"] as? NSDictionary) == (["k": [1, 2, ["z": NSNull()]]] as NSDictionary))
        #expect(meta(e[0])["ok"] as? Bool == true)
        #expect(meta(e[0]).count == 3, "\(meta(e[0]))")

        #expect(e[1].string("timestamp") == "2026-11-27T09:00:00.985Z")
        #expect(e[1].string("level") == "WARN")
        #expect(e[1].string("context.sessionId") == "s-9")
        #expect(e[1].string("context.userId") == "42")
        #expect(isUUIDv7(e[1].string("context.requestId") ?? ""))

        #expect(e[2].string("timestamp") == "2026-11-27T09:00:00.250Z")
        #expect(e[2].string("level") == "FATAL")
        #expect(e[2].string("context.service") == "ctx-svc")
        #expect(e[2].string("context.requestId") == "r-ctx")
        #expect(meta(e[2])["region"] as? String == "eu")
        #expect(meta(e[2])["a"] as? Int == 1)
        #expect(meta(e[2])["b"] as? String == "two")

        #expect(e[3].string("timestamp") == "2026-11-27T09:00:00.123Z")
        #expect(e[3].string("level") == "DEBUG")
        #expect(e[3].string("stack") == "at x\nat y")
        #expect(e[3].string("context.host") == "h-1")
        // A non-string message is kept (as its JSON text).
        let m3 = try #require(e[3].string("message"))
        #expect(m3.contains("structured"))

        #expect(e[4].string("level") == "ERROR")
        #expect(meta(e[4])["timestamp"] as? String == "not a time", "an unreadable timestamp is kept in metadata")
        #expect(isSegmentTimestamp(e[4].string("timestamp") ?? ""))

        #expect(e[5].string("level") == "INFO")
        #expect(e[5].string("message") == "no level no time")
    }

    @Test func declaredFormatFailuresBecomePlainWithParseError() throws {
        let json = try run([#"level=error msg="not json""#, #"{"level":"error","msg":"ok"}"#], ["--format", "json"])
        #expect(meta(json[0])["parseError"] as? String == "invalid JSON")
        // The plain-text fallback still finds the level word (level=error) and keeps the rest as the message.
        #expect(json[0].string("level") == "ERROR")
        #expect(json[0].string("message") == #"msg="not json""#)
        #expect(meta(json[1])["parseError"] == nil)
        #expect(json[1].string("level") == "ERROR")

        let logfmt = try run([#"level=error msg="unterminated"#, "level=warn msg=fine"], ["--format", "logfmt"])
        #expect(meta(logfmt[0])["parseError"] as? String == "invalid logfmt")
        #expect(logfmt[0].string("message")?.contains("unterminated") == true)
        #expect(logfmt[1].string("level") == "WARN")
        #expect(logfmt[1].string("message") == "fine")

        let syslog = try run(["no pri here", "<13>Nov 27 09:00:00 h app: ok"], ["--format", "syslog"])
        #expect(meta(syslog[0])["parseError"] as? String == "invalid syslog header")
        #expect(syslog[0].string("message") == "no pri here")
        #expect(meta(syslog[1])["parseError"] == nil)

        // --format plain: a JSON line is just text.
        let plain = try run([#"{"level":"error","msg":"x"}"#], ["--format", "plain"])
        #expect(plain[0].string("message") == #"{"level":"error","msg":"x"}"#)
        #expect(plain[0]["metadata"] == nil)
    }
}
