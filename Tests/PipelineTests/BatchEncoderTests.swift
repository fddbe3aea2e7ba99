import Foundation
import Testing
@testable import Pipeline

/// `BatchEncoder` on raw batches built in memory: the segment line format, field mapping per format, filtering,
/// stats and the per-entry facts the sinks use.
@Suite struct BatchEncoderTests {
    let read: Int64 = 1_795_770_000_000 // 2026-11-27T09:00:00Z

    @Test func fieldOrderAndEnrichment() throws {
        let (batch, text, objects) = encode(["hello world"], readMillis: read)
        let line = text.split(separator: "\n").first.map(String.init) ?? ""
        let pattern = #"^\{"timestamp":"2026-11-27T09:00:00\.000Z","level":"INFO","message":"hello world","context":\{"service":"svc","version":"1\.2\.3","environment":"test","host":"host-1","sessionId":"session-test","requestId":"[0-9a-f-]{36}"\}\}$"#
        #expect(line.range(of: pattern, options: .regularExpression) != nil, "\(line)")
        #expect(text.hasSuffix("}\n"))
        let e = try #require(objects.first)
        let rid = try #require(e.string("context.requestId"))
        #expect(Array(rid)[14] == "7", "generated request IDs are UUIDv7")
        #expect(batch.entries.count == 1)
        #expect(Int(batch.entries[0].end) == batch.output.count)
        #expect(batch.entries[0].level == .info)
        #expect(batch.entries[0].timestampMillis == read)
    }

    @Test func enrichmentValuesAreEscaped() {
        let odd = Enrichment(service: "s\"q", version: "v\\1", environment: "e\n", host: "h\u{1b}")
        let (_, text, objects) = encode(["x"], enrichment: odd)
        #expect(objects.first?.string("context.service") == "s\"q")
        #expect(objects.first?.string("context.version") == "v\\1")
        #expect(objects.first?.string("context.environment") == "e\n")
        #expect(objects.first?.string("context.host") == "h\u{1b}")
        #expect(text.utf8.filter { $0 < 0x20 } == [0x0a])
    }

    @Test func jsonMapping() throws {
        let (_, _, o) = encode([
            #"{"timestamp":"2026-11-27T10:00:00.5+01:00","level":"error","message":"m1","context":{"service":"api","version":"2","environment":"prod","host":"h9","userId":"u1","sessionId":"s1","requestId":"r1","extra":"x"},"metadata":{"a":1,"b":[true,null]},"stack":"trace\nline2","other":{"n":1}}"#,
            #"{"ts":1795770000123,"lvl":"WARNING","msg":"m2","user_id":7,"trace_id":"t-1","session_id":null}"#,
            #"{"msg":"dup","msg":"second","level":"debug","level":"error"}"#,
            #"{"level":"info","message":"m4","context":"not an object","metadata":[1,2]}"#,
        ], readMillis: read)
        try #require(o.count == 4)
        #expect(o[0].string("timestamp") == "2026-11-27T09:00:00.500Z")
        #expect(o[0].string("level") == "ERROR")
        #expect(o[0].string("message") == "m1")
        for (k, v) in [("service", "api"), ("version", "2"), ("environment", "prod"), ("host", "h9"), ("userId", "u1"),
                       ("sessionId", "s1"), ("requestId", "r1")] {
            #expect(o[0].string("context.\(k)") == v, "\(k)")
        }
        #expect(o[0].meta["extra"] as? String == "x", "unknown context members go to metadata")
        #expect(o[0].meta["a"] as? Int == 1)
        #expect((o[0].meta["b"] as? [Any])?.count == 2)
        #expect((o[0].meta["other"] as? [String: Any])?["n"] as? Int == 1)
        #expect(o[0].string("stack") == "trace\nline2")

        #expect(o[1].string("timestamp") == "2026-11-27T09:00:00.123Z")
        #expect(o[1].string("level") == "WARN")
        #expect(o[1].string("context.userId") == "7")
        #expect(o[1].string("context.requestId") == "t-1")
        #expect(o[1].string("context.sessionId") == "session-test", "null is an absent value")
        #expect(o[1]["metadata"] == nil)

        // Nothing is lost: the second occurrence of a key is kept in metadata.
        #expect(o[2].string("message") == "dup")
        #expect(o[2].string("level") == "DEBUG")
        #expect(o[2].meta["msg"] as? String == "second")
        #expect(o[2].meta["level"] as? String == "error")

        #expect(o[3].meta["context"] as? String == "not an object")
        #expect((o[3].meta["metadata"] as? [Int]) == [1, 2])
    }

    @Test func logfmtMapping() throws {
        let (_, _, o) = encode([#"time=2026-11-27T09:00:01Z level=ERROR msg="a \"quoted\" text\tx" service=pay user_id=u2 req_id=r2 dur=3ms flag"#],
                               readMillis: read)
        let e = try #require(o.first)
        #expect(e.string("timestamp") == "2026-11-27T09:00:01.000Z")
        #expect(e.string("level") == "ERROR")
        #expect(e.string("message") == "a \"quoted\" text\tx")
        #expect(e.string("context.service") == "pay")
        #expect(e.string("context.userId") == "u2")
        #expect(e.string("context.requestId") == "r2")
        #expect(e.meta["dur"] as? String == "3ms")
        #expect(e.meta["flag"] as? Bool == true)
    }

    @Test func syslogMapping() throws {
        let (_, _, o) = encode([
            #"<34>1 2026-11-27T09:00:02.003Z mymachine su 77 ID47 [exampleSDID@32473 iut="3" sessionId="s-sd"] 'su root' failed"#,
            "<30>Nov 27 09:00:03 box sshd[99]: accepted",
        ], readMillis: read)
        try #require(o.count == 2)
        #expect(o[0].string("level") == "FATAL") // severity 2 (crit)
        #expect(o[0].string("timestamp") == "2026-11-27T09:00:02.003Z")
        #expect(o[0].string("context.host") == "mymachine")
        #expect(o[0].string("context.service") == "su")
        #expect(o[0].string("context.sessionId") == "s-sd")
        #expect(o[0].string("message") == "'su root' failed")
        #expect(o[0].meta["iut"] as? String == "3")
        #expect(o[0].meta["procid"] as? String == "77")
        #expect(o[0].meta["msgid"] as? String == "ID47")
        #expect(o[0].meta["pri"] as? Int == 34)

        #expect(o[1].string("level") == "INFO")
        #expect(o[1].string("timestamp") == "2026-11-27T09:00:03.000Z")
        #expect(o[1].string("context.host") == "box")
        #expect(o[1].string("context.service") == "sshd")
        #expect(o[1].string("message") == "accepted")
    }

    @Test func plainMapping() throws {
        let (_, _, o) = encode([
            "2026-11-27 09:00:04,567 WARN [pool-1] c.x.Y - careful",
            "W1127 09:00:05.000001 1 f.go:1] glog warning",
            "no level here",
            "ERROR: bad thing",
        ], readMillis: read)
        try #require(o.count == 4)
        #expect(o[0].string("level") == "WARN")
        #expect(o[0].string("timestamp") == "2026-11-27T09:00:04.567Z")
        #expect(o[0].string("message") == "[pool-1] c.x.Y - careful")
        #expect(o[1].string("level") == "WARN")
        #expect(o[1].string("timestamp") == "2026-11-27T09:00:05.000Z")
        #expect(o[2].string("level") == "INFO")
        #expect(o[2].string("timestamp") == "2026-11-27T09:00:00.000Z", "no timestamp → read time")
        #expect(o[2].string("message") == "no level here")
        #expect(o[3].string("level") == "ERROR")
        #expect(o[3].string("message") == "bad thing")
    }

    @Test func minLevelFiltersAndStatsAddUp() throws {
        let lines = ["DEBUG a", "INFO b", "WARN c", "ERROR d", "FATAL e", "plain f", #"{"broken":"#, "ERROR g"]
        let (batch, _, o) = encode(lines, minLevel: .warn, readMillis: read)
        #expect(o.map { $0.string("message") ?? "" } == ["c", "d", "e", "g"])
        #expect(batch.stats.linesIn == 8)
        #expect(batch.stats.entriesOut == 4)
        #expect(batch.stats.filtered == 4)
        #expect(batch.stats.parseErrors == 1, "counted even though the entry was filtered")
        #expect(batch.stats.levelCounts == [0, 0, 1, 2, 1])
        #expect(batch.entries.map(\.level) == [.warn, .error, .fatal, .error])
        // Entry ends are the offsets just after each newline.
        let bytes = Array(batch.output.bytes)
        let newlineEnds = bytes.indices.filter { bytes[$0] == 0x0a }.map { $0 + 1 }
        #expect(batch.entries.map { Int($0.end) } == newlineEnds)
        #expect(batch.start(of: 0) == 0)
        #expect(batch.start(of: 1) == newlineEnds[0])
    }

    @Test func parseErrorsAndTruncationAreMarked() throws {
        var framer = LineFramer(maxLineBytes: 32, batchMaxEntries: 10, batchMaxBytes: 1 << 20)
        feed(&framer, #"{"msg":"cut"#  + "\n" + #"{"msg":"this line is much longer than thirty-two bytes"}"# + "\n", now: read)
        let taken = framer.takeBatch(origin: SourceOrigin(name: "t", sessionId: "s"), close: .end, now: read)
        let raw = try #require(taken)
        let enc = BatchEncoder(options: EncoderOptions(format: .auto, minLevel: .debug,
                                                       enrichment: Enrichment(service: "a", version: "b", environment: "c", host: "d")))
        let batch = enc.encode(raw, into: ByteBuffer(capacity: 64))
        let o = try splitJSON(batch)
        try #require(o.count == 2)
        #expect(o[0].meta["parseError"] as? String == "invalid JSON")
        #expect(o[0].string("message") == #"{"msg":"cut"#)
        #expect(o[1].meta["truncated"] as? Bool == true)
        #expect(o[1].meta["parseError"] as? String == "invalid JSON")
        #expect(o[1].string("message")?.utf8.count == 32)
        #expect(batch.stats.truncated == 1)
        #expect(batch.stats.parseErrors == 2)
    }

    @Test func declaredFormats() throws {
        let line = #"level=warn msg="hi""#
        #expect(encode([line], format: .logfmt).objects.first?.string("message") == "hi")
        let asJSON = encode([line], format: .json).objects.first
        #expect(asJSON?.meta["parseError"] as? String == "invalid JSON")
        let asSyslog = encode([line], format: .syslog).objects.first
        #expect(asSyslog?.meta["parseError"] as? String == "invalid syslog header")
        let asPlain = encode([#"{"level":"error"}"#], format: .plain).objects.first
        #expect(asPlain?.string("message") == #"{"level":"error"}"#)
        #expect(asPlain?["metadata"] == nil)
    }

    @Test func outputIsAlwaysValidJSONForHostileLines() throws {
        var rng = SystemRandomNumberGenerator()
        var lines: [[UInt8]] = []
        for _ in 0..<300 {
            let n = Int.random(in: 1...200, using: &rng)
            var l = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }.filter { $0 != 0x0a }
            if l.isEmpty || l == [0x0d] { l = [0x41] }
            // Bias some lines toward the structured parsers.
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: l = Array(#"{"msg":""#.utf8) + l + Array(#""}"#.utf8)
            case 1: l = Array("<13>1 2026-11-27T09:00:00Z h a p m [x k=\"".utf8) + l + Array("\"] m".utf8)
            case 2: l = Array("a=1 b=\"".utf8) + l + Array("\" c=".utf8)
            default: break
            }
            lines.append(l)
        }
        var framer = LineFramer(maxLineBytes: 1 << 20, batchMaxEntries: 1000, batchMaxBytes: 1 << 24)
        feed(&framer, lines.flatMap { $0 + [0x0a] }, now: read)
        let taken = framer.takeBatch(origin: SourceOrigin(name: "t", sessionId: "s"), close: .end,
                                     includePartial: true, now: read)
        let raw = try #require(taken)
        let enc = BatchEncoder(options: EncoderOptions(enrichment: Enrichment(service: "a", version: "b", environment: "c", host: "d")))
        let batch = enc.encode(raw, into: ByteBuffer(capacity: 64))
        #expect(batch.entries.count == raw.lines.count)
        let bytes = Array(batch.output.bytes)
        #expect(!bytes.contains { ($0 < 0x20 && $0 != 0x0a) || $0 == 0x7f }, "raw control byte in output")
        let o = try splitJSON(batch)
        #expect(o.count == raw.lines.count)
    }

    func splitJSON(_ batch: EncodedBatch) throws -> [[String: Any]] {
        let data = Data(batch.output.bytes)
        return try data.split(separator: 0x0a).map {
            try #require(try JSONSerialization.jsonObject(with: Data($0)) as? [String: Any],
                         "not JSON: \(String(decoding: $0, as: UTF8.self))")
        }
    }
}
