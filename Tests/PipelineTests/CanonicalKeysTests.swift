import Testing
@testable import Pipeline

/// The JSON entry parser's shortcut for keys in the segment line order (`CanonicalKeys`) changes nothing: its
/// constants spell the keys, and a line parses to the same entry whether its keys come in that order or not,
/// spaced or compact, complete or with optional keys missing.
@Suite struct CanonicalKeysTests {
    /// `"key":` as the pattern words, from the spelled-out key (independent of the constants).
    func words(_ key: String) -> (UInt64, UInt64) {
        var bytes = Array("\"\(key)\":".utf8)
        bytes += [UInt8](repeating: 0, count: 16 - bytes.count)
        let lo = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let hi = bytes[8..<16].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return (lo, hi)
    }

    @Test func constantsSpellTheSegmentLineKeysInOrder() {
        let top = ["timestamp", "level", "message", "context", "metadata", "stack"]
        let context = ["service", "version", "environment", "host", "userId", "sessionId", "requestId"]
        #expect(top.count == CanonicalKeys.topCount && context.count == CanonicalKeys.contextCount)
        for (names, pattern) in [(top, CanonicalKeys.top), (context, CanonicalKeys.context)] {
            for (i, name) in names.enumerated() {
                let p = pattern(i)
                let (lo, hi) = words(name)
                #expect(p.length == name.utf8.count, "\(name)")
                #expect(p.lo == lo & p.loMask && p.hi == hi & p.hiMask, "\(name)")
                #expect(p.matches(lo, hi), "\(name)")
                // The masks cover exactly `"key":`: a different byte right after the colon still matches, a
                // different last key byte does not.
                let n = name.utf8.count + 3
                #expect((p.loMask.nonzeroBitCount + p.hiMask.nonzeroBitCount) == 8 * n, "\(name)")
                withBytes("\"\(name)\":\"xxxxxxxxxxxxxxxx") { b in
                    #expect(FieldKey.classify(b, 1, 1 + name.utf8.count) == p.key, "\(name)")
                }
            }
        }
    }

    @Test func keyOrderSpacingAndMissingKeysGiveTheSameEntries() {
        let canonical = #"{"timestamp":"2026-11-27T09:00:00.123Z","level":"WARN","message":"disk at 91%","context":{"service":"api","version":"2.0.1","environment":"prod","host":"web-1","userId":"u-7","sessionId":"s-1","requestId":"r-1"},"metadata":{"path":"/x","n":3},"stack":"at a\nat b"}"#
        let variants = [
            // Another order (every key takes the general path somewhere).
            #"{"level":"WARN","context":{"requestId":"r-1","host":"web-1","service":"api","sessionId":"s-1","version":"2.0.1","userId":"u-7","environment":"prod"},"timestamp":"2026-11-27T09:00:00.123Z","stack":"at a\nat b","metadata":{"path":"/x","n":3},"message":"disk at 91%"}"#,
            // Spaces around colons and commas.
            #"{ "timestamp" : "2026-11-27T09:00:00.123Z", "level" :"WARN","message": "disk at 91%" ,"context" : { "service" : "api","version":"2.0.1" , "environment":"prod","host" :"web-1","userId":"u-7","sessionId" : "s-1","requestId":"r-1" } ,"metadata":{"path":"/x","n":3},"stack" : "at a\nat b" }"#,
        ]
        let (_, expected, _) = encode([canonical])
        for v in variants {
            let (_, text, _) = encode([v])
            #expect(text == expected, "\(v)")
        }
        // Optional keys missing, and unknown keys among the expected ones (they go to metadata).
        let sparse = #"{"timestamp":"2026-11-27T09:00:00.123Z","level":"INFO","message":"m","context":{"service":"api","version":"1","environment":"prod","requestId":"r-2"}}"#
        let (_, s, o) = encode([sparse])
        #expect(s.contains(#""context":{"service":"api","version":"1","environment":"prod","host":"host-1","sessionId":"session-test","requestId":"r-2"}}"#), "\(s)")
        #expect(o.first?.string("level") == "INFO")
        let extra = #"{"timestamp":"2026-11-27T09:00:00.123Z","levelx":"ERROR","level":"ERROR","message":"m","context":{"service":"api","hostx":"h","host":"h2"}}"#
        let (_, _, e) = encode([extra])
        #expect(e.first?.string("level") == "ERROR")
        #expect(e.first?.string("context.host") == "h2")
        #expect(e.first?.meta["levelx"] as? String == "ERROR")
        #expect(e.first?.meta["hostx"] as? String == "h")
        // A key that is a prefix of an expected one, or has it as a prefix, is not taken for it.
        let prefix = #"{"time":"2026-11-27T09:00:00.123Z","timestamps":"x","levels":"y","message":"m"}"#
        let (_, _, p) = encode([prefix])
        #expect(p.first?.string("timestamp") == "2026-11-27T09:00:00.123Z")
        #expect(p.first?.meta["timestamps"] as? String == "x")
        #expect(p.first?.meta["levels"] as? String == "y")
        // Short lines near the 16-byte window's edge still parse.
        let (_, _, short) = encode([#"{"level":"error"}"#, #"{"message":"m"}"#])
        #expect(short.first?.string("level") == "ERROR")
        #expect(short.last?.string("message") == "m")
    }
}
