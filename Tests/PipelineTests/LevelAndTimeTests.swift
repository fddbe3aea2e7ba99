import Foundation
import Testing
@testable import Pipeline

@Suite struct LevelTests {
    @Test(arguments: [
        ("debug", Level.debug), ("DEBUG", .debug), ("Debug", .debug), ("dbg", .debug), ("trace", .debug),
        ("TRC", .debug), ("verbose", .debug), ("d", .debug), ("T", .debug), ("v", .debug),
        ("info", .info), ("INFO", .info), ("inf", .info), ("notice", .info), ("informational", .info),
        ("INFORMATIONAL", .info), ("i", .info), ("N", .info),
        ("warn", .warn), ("WARNING", .warn), ("wrn", .warn), ("W", .warn),
        ("error", .error), ("ERR", .error), ("eror", .error), ("e", .error), ("SEVERE", .error),
        ("fatal", .fatal), ("critical", .fatal), ("CRIT", .fatal), ("panic", .fatal), ("emerg", .fatal),
        ("emergency", .fatal), ("alert", .fatal), ("ftl", .fatal), ("F", .fatal), ("c", .fatal),
    ])
    func aliases(word: String, level: Level) {
        #expect(Level(word) == level, "\(word)")
    }

    @Test(arguments: ["", "LOUD", "information", "warnings", "errors", "x", "debugging", "emergencyy", "fatal!",
                      " info", "info ", "in fo", "12", "{nfo", "INFO\u{0}"])
    func notALevel(word: String) {
        #expect(Level(word) == nil, "\(word.debugDescription)")
    }

    @Test func orderAndNames() {
        #expect(Level.allCases.map(\.name) == ["DEBUG", "INFO", "WARN", "ERROR", "FATAL"])
        #expect(Level.debug < .info && .info < .warn && .warn < .error && .error < .fatal)
        for l in Level.allCases { #expect(Level(l.name) == l) }
    }

    @Test func syslogSeverities() {
        let expected: [Level] = [.fatal, .fatal, .fatal, .error, .warn, .info, .info, .debug]
        #expect((0...7).map { Level(syslogSeverity: $0) } == expected)
    }
}

@Suite struct TimestampParserTests {
    /// parseISO over the whole string; nil unless it consumed everything.
    func iso(_ s: String) -> Int64? {
        withBytes(s) { b in
            guard let r = TimestampParser.parseISO(b, 0, b.count), r.end == b.count else { return nil }
            return r.millis
        }
    }

    func epoch(_ s: String) -> Int64? { withBytes(s) { TimestampParser.parseEpoch($0, 0, $0.count) } }

    func bsd(_ s: String, reference: Int64) -> Int64? {
        withBytes(s) { b in
            guard let r = TimestampParser.parseBSD(b, 0, b.count, referenceMillis: reference), r.end == b.count else { return nil }
            return r.millis
        }
    }

    let nine = epochMillis(2026, 11, 27, 9, 0, 0, 123)

    @Test func isoShapes() {
        #expect(iso("2026-11-27T09:00:00.123Z") == nine)
        #expect(iso("2026-11-27T09:00:00.123z") == nine)
        #expect(iso("2026-11-27t09:00:00.123Z") == nine)
        #expect(iso("2026-11-27 09:00:00.123") == nine, "no zone = UTC")
        #expect(iso("2026-11-27 09:00:00,123") == nine, "comma as the fraction mark")
        #expect(iso("2026-11-27T10:00:00.123+01:00") == nine)
        #expect(iso("2026-11-27T04:30:00.123-04:30") == nine)
        #expect(iso("2026-11-27T14:30:00.123+0530") == nine, "offset without colon")
        #expect(iso("2026-11-27T09:00:00.123456789Z") == nine, "digits past milliseconds are dropped")
        #expect(iso("2026-11-27T09:00:00.1Z") == nine - 23)
        #expect(iso("2026-11-27T09:00:00Z") == nine - 123)
        #expect(iso("2026-11-28T00:30:00+15:30") == epochMillis(2026, 11, 27, 9, 0))
        #expect(iso("2024-02-29T23:59:59.999Z") == epochMillis(2024, 2, 29, 23, 59, 59, 999))
        #expect(iso("1970-01-01T00:00:00Z") == 0)
        #expect(iso("1969-12-31T23:59:59.999Z") == -1)
        #expect(iso("2016-12-31T23:59:60Z") == epochMillis(2016, 12, 31, 23, 59, 59), "leap second clamps to :59")
    }

    @Test(arguments: ["2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-11-32T00:00:00Z", "2026-11-27T24:00:00Z",
                      "2026-11-27T09:60:00Z", "2026-11-27T09:00:61Z", "2026-11-27", "2026-11-27X09:00:00Z",
                      "2026-11-27T09:00:00.Z", "26-11-27T09:00:00Z", "2026/11/27T09:00:00Z", "2026-11-27T9:00:00Z", ""])
    func isoRejects(s: String) {
        #expect(iso(s) == nil, "\(s)")
    }

    @Test func isoStopsAtTheEndOfTheTimestamp() {
        withBytes("2026-11-27T09:00:00.123Z rest") { b in
            let r = TimestampParser.parseISO(b, 0, b.count)
            #expect(r?.millis == nine)
            #expect(r?.end == 24)
        }
        // A sign not followed by an offset is not part of the timestamp.
        withBytes("2026-11-27T09:00:00.123-abc") { b in
            let r = TimestampParser.parseISO(b, 0, b.count)
            #expect(r?.millis == nine)
            #expect(r?.end == 23)
        }
        // Respects `from`/`to`.
        withBytes("xx2026-11-27T09:00:00.123Zyy") { b in
            #expect(TimestampParser.parseISO(b, 2, 26)?.millis == nine)
        }
    }

    @Test func epochUnitsByMagnitude() {
        let s = epochMillis(2026, 11, 27, 9)
        #expect(epoch("1795770000") == s)
        #expect(epoch("1795770000.5") == s + 500)
        #expect(epoch("1795770000.123456") == s + 123)
        #expect(epoch("1795770000985") == s + 985)
        #expect(epoch("1795770000985123") == s + 985)
        #expect(epoch("1795770000985123456") == s + 985)
        #expect(epoch("0") == 0)
        #expect(epoch("86400") == 86_400_000)
        for bad in ["", "abc", "12a", "-5", "1.2.3", "1e9", " 1795770000", "17957700000000000000000"] {
            #expect(epoch(bad) == nil, "\(bad)")
        }
    }

    @Test func bsdSyslogDates() {
        let ref = epochMillis(2026, 11, 27, 12)
        #expect(bsd("Nov 27 09:00:01", reference: ref) == epochMillis(2026, 11, 27, 9, 0, 1))
        #expect(bsd("nov 27 09:00:01", reference: ref) == epochMillis(2026, 11, 27, 9, 0, 1))
        #expect(bsd("Mar  5 01:02:03", reference: ref) == epochMillis(2026, 3, 5, 1, 2, 3), "space-padded day")
        #expect(bsd("Nov 27 09:00:01.250", reference: ref) == epochMillis(2026, 11, 27, 9, 0, 1, 250))
        #expect(bsd("Nov 28 11:00:00", reference: ref) == epochMillis(2026, 11, 28, 11), "less than a day ahead: same year")
        #expect(bsd("Dec 31 23:59:59", reference: ref) == epochMillis(2025, 12, 31, 23, 59, 59), "far ahead: last year")
        let newYear = epochMillis(2027, 1, 1, 0, 0, 10)
        #expect(bsd("Dec 31 23:59:59", reference: newYear) == epochMillis(2026, 12, 31, 23, 59, 59))
        #expect(bsd("Jan  1 00:00:05", reference: newYear) == epochMillis(2027, 1, 1, 0, 0, 5))
        for bad in ["Foo 27 09:00:01", "Nov 32 09:00:01", "Nov 27 25:00:01", "Nov 27 09:00", "Nov 27 9:00:01", "Nov27 09:00:01"] {
            #expect(bsd(bad, reference: ref) == nil, "\(bad)")
        }
    }

    @Test func parseAnyPicksTheShape() {
        let ref = epochMillis(2026, 11, 27, 12)
        func any(_ s: String) -> Int64? { withBytes(s) { TimestampParser.parseAny($0, 0, $0.count, referenceMillis: ref) } }
        #expect(any("2026-11-27T09:00:00.123Z") == nine)
        #expect(any("1795770000123") == nine)
        #expect(any("Nov 27 09:00:00.123") == nine)
        #expect(any("2026-11-27T09:00:00.123Z trailing") == nil)
        #expect(any("yesterday") == nil)
    }
}

extension TimestampParserTests {
    /// The fixed-offset fast path (`…Z`) agrees with the general parser (the same instant written `+00:00`) on
    /// seeded random timestamps, and hands malformed ones to the general parser, which refuses them the same way.
    @Test func theFastPathAgreesWithTheGeneralParser() {
        var rng = SplitMix(seed: 7)
        for _ in 0..<20_000 {
            let y = 1970 + Int(rng.next() % 130), mo = 1 + Int(rng.next() % 12), d = 1 + Int(rng.next() % 31)
            let h = Int(rng.next() % 24), mi = Int(rng.next() % 60), s = Int(rng.next() % 61)
            let frac = ["", ".5", ".07", ".123", ".123456789"][Int(rng.next() % 5)]
            let body = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", y, mo, d, h, mi, s) + frac
            #expect(iso(body + "Z") == iso(body + "+00:00"), "\(body)")
            if iso(body + "Z") != nil { // the fast path itself took it (not the general parser behind it)
                let z = Array((body + "Z").utf8)
                #expect(z.withUnsafeBufferPointer { TimestampParser.parseRFC3339Fast($0.baseAddress!, $0.count) }?.length == z.count, "\(body)")
            }
        }
        for bad in ["2026-13-01T10:00:00Z", "2026-02-30T24:00:00Z", "2026-0x-01T10:00:00Z", "2026-02-01T10:00:00.Z",
                    "2026-02-01T10:0:000Z", "2026/02/01T10:00:00Z"] {
            #expect(iso(bad) == nil, "\(bad)")
        }
    }
}

extension TimestampParserTests {
    /// With a minute cache (the encoder's), a sequence of timestamps that mostly share their minute, with jumps,
    /// malformed seconds after a cached prefix and other shapes in between, parses exactly as without it, and as
    /// parseAny's definition through parseISO (which the fast path must not change: `+02:00` skips it).
    @Test func theMinuteCacheChangesNoResult() {
        var rng = SplitMix(seed: 11)
        let cache = UnsafeMutablePointer<MinuteCache>.allocate(capacity: 1)
        cache.initialize(to: MinuteCache())
        defer { cache.deallocate() }
        var minute = 0
        var cacheHits = 0
        for _ in 0..<20_000 {
            if rng.next() % 50 == 0 { minute = Int(rng.next() % 100_000) } // a jump; otherwise the same minute
            let y = 2026 + minute / 40_000, mo = 1 + minute / 3000 % 12, d = 1 + minute / 100 % 28
            let h = minute / 60 % 24, mi = minute % 60
            let prefix = String(format: "%04d-%02d-%02dT%02d:%02d", y, mo, d, h, mi)
            let tails = [":\(String(format: "%02d", Int(rng.next() % 61))).\(rng.next() % 1000)Z", ":07Z", ":61Z",
                         ":7Z", ":07.Z", ":07.5", ":07+02:00", ":07.123Z trailing", "Z"]
            let text = prefix + tails[Int(rng.next() % UInt64(tails.count))]
            let cached = withBytes(text) { TimestampParser.parseAny($0, 0, $0.count, referenceMillis: 0, cache: cache) }
            let plain = withBytes(text) { TimestampParser.parseAny($0, 0, $0.count, referenceMillis: 0) }
            // parseAny's definition: a whole ISO timestamp, else an epoch number, else a whole BSD timestamp.
            let reference = withBytes(text) { b -> Int64? in
                if let r = TimestampParser.parseISO(b, 0, b.count), r.end == b.count { return r.millis }
                if let e = TimestampParser.parseEpoch(b, 0, b.count) { return e }
                if let r = TimestampParser.parseBSD(b, 0, b.count, referenceMillis: 0), r.end == b.count { return r.millis }
                return nil
            }
            #expect(cached == plain, "\(text)")
            #expect(plain == reference, "\(text)")
            if cached != nil, text.hasSuffix("Z") { cacheHits += 1 }
        }
        #expect(cacheHits > 1000, "the fast path with its cache was exercised")
    }
}

@Suite struct TimestampFormatterTests {
    @Test func knownValues() {
        var f = TimestampFormatter()
        #expect(f.string(0) == "1970-01-01T00:00:00.000Z")
        #expect(f.string(epochMillis(2026, 11, 27, 9, 0, 0, 985)) == "2026-11-27T09:00:00.985Z")
        #expect(f.string(epochMillis(2026, 11, 27, 9, 0, 0, 5)) == "2026-11-27T09:00:00.005Z", "same second, cached")
        #expect(f.string(epochMillis(2026, 11, 27, 9, 0, 1, 50)) == "2026-11-27T09:00:01.050Z")
        #expect(f.string(epochMillis(2026, 11, 27, 9, 0, 0, 999)) == "2026-11-27T09:00:00.999Z", "back to an older second")
        #expect(f.string(epochMillis(2024, 2, 29, 23, 59, 59, 999)) == "2024-02-29T23:59:59.999Z")
        #expect(f.string(epochMillis(2000, 1, 1)) == "2000-01-01T00:00:00.000Z")
        #expect(f.string(-1) == "1969-12-31T23:59:59.999Z")
        #expect(f.string(-1000) == "1969-12-31T23:59:59.000Z")
        #expect(f.string(-1001) == "1969-12-31T23:59:58.999Z")
        #expect(f.string(epochMillis(9999, 12, 31, 23, 59, 59, 999)) == "9999-12-31T23:59:59.999Z")
    }

    @Test func writesExactly24Bytes() {
        var f = TimestampFormatter()
        var buf = [UInt8](repeating: 0xAA, count: 30)
        buf.withUnsafeMutableBufferPointer { f.write(1_795_770_000_123, to: $0.baseAddress! + 2) }
        #expect(buf[0] == 0xAA && buf[1] == 0xAA && buf[26] == 0xAA)
        #expect(String(decoding: buf[2..<26], as: UTF8.self) == "2026-11-27T09:00:00.123Z")
    }

    @Test func matchesFoundationOnRandomTimes() {
        var rng = SystemRandomNumberGenerator()
        let df = DateFormatter()
        df.locale = Locale(identifier: "en_US_POSIX")
        df.timeZone = TimeZone(identifier: "UTC")
        df.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
        var f = TimestampFormatter()
        for _ in 0..<2000 {
            let ms = Int64.random(in: 0...epochMillis(2100, 1, 1), using: &rng)
            let expected = df.string(from: Date(timeIntervalSince1970: Double(ms / 1000))) // whole seconds: exact
            let got = f.string(ms)
            #expect(got.prefix(19) == expected.prefix(19), "\(ms)")
            #expect(got.suffix(5) == String(format: ".%03dZ", Int(ms % 1000)), "\(ms)")
            // And the parser reads it back.
            var bytes = Array(got.utf8)
            let back = bytes.withUnsafeMutableBufferPointer { TimestampParser.parseISO(UnsafeBufferPointer($0), 0, 24)?.millis }
            #expect(back == ms)
        }
    }
}

@Suite struct UUIDv7GeneratorTests {
    let pattern = #"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"#

    @Test func formatVersionVariantAndTime() {
        var g = UUIDv7Generator()
        let ms: Int64 = 1_795_770_000_123
        for _ in 0..<1000 {
            let id = g.string(millis: ms)
            #expect(id.count == 36)
            #expect(id.range(of: pattern, options: .regularExpression) != nil, "\(id)")
            let chars = Array(id)
            #expect(chars[14] == "7", "version nibble")
            #expect("89ab".contains(chars[19]), "RFC 9562 variant")
            // The first 48 bits are the Unix milliseconds.
            let hex = String(id.prefix(8)) + String(id.dropFirst(9).prefix(4))
            #expect(Int64(hex, radix: 16) == ms)
        }
    }

    @Test func strictlyIncreasingWithinAGenerator() {
        var g = UUIDv7Generator()
        var last = ""
        var seen = Set<String>()
        // Same millisecond many times (forces the counter past its 12 bits), then moving time, then a clock step back.
        let times: [Int64] = Array(repeating: 1_000_000, count: 6000) + (0..<500).map { 1_000_001 + Int64($0 / 3) } +
            Array(repeating: 999_000, count: 200)
        for t in times {
            let id = g.string(millis: t)
            #expect(id > last, "\(id) after \(last)")
            #expect(seen.insert(id).inserted)
            last = id
        }
    }

    @Test func generatorsDiffer() {
        var a = UUIDv7Generator(), b = UUIDv7Generator()
        #expect(a.string(millis: 5) != b.string(millis: 5))
    }
}
