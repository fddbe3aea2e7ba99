/// Parses the timestamp shapes found in logs into epoch milliseconds (UTC).
///
/// Accepts RFC 3339 / ISO 8601 (`2026-11-27T09:00:00.123Z`, `+02:00` offsets, space instead of `T`, `,` as the
/// fraction mark, no zone = UTC), BSD syslog's `Nov 27 09:00:01` (year inferred from `referenceMillis`), and epoch
/// numbers in seconds, milliseconds, microseconds or nanoseconds (by magnitude). Pure functions, no allocation.
public enum TimestampParser {
    /// Parses an ISO-like timestamp at the start of `b[from..<to]`; returns the value and the index after it.
    /// `cache`: the calling thread's minute cache for the common `…Z` shape, when it keeps one. The fast path is
    /// tried once; the general parser runs only when it gives up (an offset such as `+02:00`).
    @inline(__always)
    public static func parseISO(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int,
                                cache: UnsafeMutablePointer<MinuteCache>? = nil) -> (millis: Int64, end: Int)? {
        if to - from >= 20, let fast = parseRFC3339Fast(b.baseAddress! + from, to - from, cache: cache) {
            return (fast.millis, from + fast.length)
        }
        return parseISOGeneral(b, from, to)
    }

    /// `parseISO` without the fast path.
    private static func parseISOGeneral(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> (millis: Int64, end: Int)? {
        var i = from
        func num(_ n: Int) -> Int? {
            guard i + n <= to else { return nil }
            var v = 0
            for k in 0..<n {
                let c = b[i + k] &- 48
                guard c < 10 else { return nil }
                v = v * 10 + Int(c)
            }
            i += n
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < to, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = num(4), expect(45), let month = num(2), expect(45), let day = num(2) else { return nil }
        guard i < to, b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: "t") || b[i] == 32 else { return nil }
        i += 1
        guard let hour = num(2), expect(58), let minute = num(2), expect(58), let second = num(2) else { return nil }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60 else { return nil }
        var millis = 0
        if i < to, b[i] == 46 || b[i] == 44 {
            i += 1
            var digits = 0
            while i < to, ASCII.isDigit(b[i]) {
                if digits < 3 { millis = millis * 10 + Int(b[i] - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            while digits < 3 { millis *= 10; digits += 1 }
        }
        var offsetMinutes = 0
        if i < to {
            let c = b[i]
            if c == UInt8(ascii: "Z") || c == UInt8(ascii: "z") {
                i += 1
            } else if c == 43 || c == 45 {
                let sign = c == 45 ? -1 : 1
                let save = i
                i += 1
                if let oh = num(2) {
                    let colon = expect(58)
                    if let om = num(2) {
                        offsetMinutes = sign * (oh * 60 + om)
                    } else if !colon {
                        offsetMinutes = sign * oh * 60 // `+01`: hours only
                    } else {
                        i = save
                    }
                } else {
                    i = save
                }
            }
        }
        let local = CivilTime.epochMillis(year: year, month: month, day: day, hour: hour, minute: minute,
                                          second: min(second, 59), millis: millis)
        return (local - Int64(offsetMinutes) * 60_000, i)
    }

    /// The common shape, `YYYY-MM-DDTHH:MM:SS[.fff…]Z` (at least 20 bytes), read at fixed offsets without
    /// per-field calls (the JSON hot path parses one per line); nil for anything else, which the general parser
    /// then reads. With a `cache`, a line from the same minute as the previous one skips the date arithmetic.
    @inline(__always)
    static func parseRFC3339Fast(_ p: UnsafePointer<UInt8>, _ n: Int,
                                 cache: UnsafeMutablePointer<MinuteCache>? = nil) -> (millis: Int64, length: Int)? {
        let minuteMillis: Int64
        if let cache, cache.pointee.matches(p) {
            minuteMillis = cache.pointee.minuteMillis
        } else {
            guard let m = minuteStart(p) else { return nil }
            minuteMillis = m
            cache?.pointee.remember(p, m)
        }
        @inline(__always) func d(_ k: Int) -> Int { Int(p[k] &- 48) }
        guard p[16] == 58, d(17) < 10, d(18) < 10 else { return nil }
        let second = d(17) * 10 + d(18)
        guard second <= 60 else { return nil }
        var i = 19
        var millis = 0
        if p[i] == 46 {
            i += 1
            var digitsSeen = 0
            while i < n, p[i] &- 48 < 10 {
                if digitsSeen < 3 { millis = millis * 10 + Int(p[i] &- 48) }
                digitsSeen += 1
                i += 1
            }
            guard digitsSeen > 0 else { return nil }
            while digitsSeen < 3 { millis *= 10; digitsSeen += 1 }
        }
        guard i < n, p[i] == 90 else { return nil }
        return (minuteMillis + Int64(min(second, 59) * 1000 + millis), i + 1)
    }

    /// `YYYY-MM-DDTHH:MM` at `p` (16 bytes) as the epoch milliseconds of that minute; nil when it is not one.
    @inline(__always) private static func minuteStart(_ p: UnsafePointer<UInt8>) -> Int64? {
        guard p[4] == 45, p[7] == 45, p[10] == 84, p[13] == 58 else { return nil }
        @inline(__always) func d(_ k: Int) -> Int { Int(p[k] &- 48) }
        guard d(0) < 10, d(1) < 10, d(2) < 10, d(3) < 10, d(5) < 10, d(6) < 10, d(8) < 10, d(9) < 10,
              d(11) < 10, d(12) < 10, d(14) < 10, d(15) < 10 else { return nil }
        let year = d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3)
        let month = d(5) * 10 + d(6), day = d(8) * 10 + d(9)
        let hour = d(11) * 10 + d(12), minute = d(14) * 10 + d(15)
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60 else { return nil }
        return CivilTime.epochMillis(year: year, month: month, day: day, hour: hour, minute: minute, second: 0, millis: 0)
    }

    /// Parses BSD syslog's `Mmm dd hh:mm:ss` (day may be space-padded). The year is the one that puts the time
    /// closest before `referenceMillis` + 1 day.
    public static func parseBSD(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int,
                                referenceMillis: Int64) -> (millis: Int64, end: Int)? {
        guard to - from >= 15 else { return nil }
        let m0 = b[from] | 0x20, m1 = b[from + 1] | 0x20, m2 = b[from + 2] | 0x20
        let key = UInt32(m0) << 16 | UInt32(m1) << 8 | UInt32(m2)
        let months: [UInt32] = [0x6a616e, 0x666562, 0x6d6172, 0x617072, 0x6d6179, 0x6a756e,
                                0x6a756c, 0x617567, 0x736570, 0x6f6374, 0x6e6f76, 0x646563]
        guard let mi = months.firstIndex(of: key), b[from + 3] == 32 else { return nil }
        var i = from + 4
        if b[i] == 32 { i += 1 }
        var day = 0
        // At most 3 digits are read: a longer run is no day (and would overflow `day`); it fails the checks below.
        while i < to, ASCII.isDigit(b[i]), day < 100 { day = day * 10 + Int(b[i] - 48); i += 1 }
        guard (1...31).contains(day), i + 9 <= to, b[i] == 32 else { return nil }
        i += 1
        func two(_ at: Int) -> Int? {
            let a = b[at] &- 48, c = b[at + 1] &- 48
            return a < 10 && c < 10 ? Int(a) * 10 + Int(c) : nil
        }
        guard let h = two(i), b[i + 2] == 58, let mnt = two(i + 3), b[i + 5] == 58, let s = two(i + 6),
              h < 24, mnt < 60, s < 61 else { return nil }
        i += 8
        var millis = 0
        if i < to, b[i] == 46 {
            var j = i + 1, digits = 0
            while j < to, ASCII.isDigit(b[j]) { if digits < 3 { millis = millis * 10 + Int(b[j] - 48) }; digits += 1; j += 1 }
            if digits > 0 { while digits < 3 { millis *= 10; digits += 1 }; i = j }
        }
        let refYear = CivilTime.date(days: Int(referenceMillis / 86_400_000)).year
        var t = CivilTime.epochMillis(year: refYear, month: mi + 1, day: day, hour: h, minute: mnt, second: min(s, 59),
                                      millis: millis)
        if t > referenceMillis + 86_400_000 {
            t = CivilTime.epochMillis(year: refYear - 1, month: mi + 1, day: day, hour: h, minute: mnt,
                                      second: min(s, 59), millis: millis)
        }
        return (t, i)
    }

    /// Parses an epoch number (integer or decimal) in `b[from..<to]`, whole range. Magnitude picks the unit.
    public static func parseEpoch(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Int64? {
        var i = from
        var whole: Int64 = 0
        var digits = 0
        while i < to, ASCII.isDigit(b[i]) {
            // 19 digits are needed (epoch nanoseconds), and 19 nines do not fit an Int64: no number, not a trap.
            let (times10, o1) = whole.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int64(b[i] - 48))
            guard digits < 19, !o1, !o2 else { return nil }
            whole = sum
            digits += 1
            i += 1
        }
        guard digits > 0 else { return nil }
        var frac: Int64 = 0, fracDigits = 0
        if i < to, b[i] == 46 {
            i += 1
            while i < to, ASCII.isDigit(b[i]) {
                if fracDigits < 3 { frac = frac * 10 + Int64(b[i] - 48); fracDigits += 1 }
                i += 1
            }
            while fracDigits < 3 { frac *= 10; fracDigits += 1 }
        }
        guard i == to else { return nil }
        switch whole {
        case ..<100_000_000_000: return whole * 1000 + frac          // seconds (until year 5138)
        case ..<100_000_000_000_000: return whole                      // milliseconds
        case ..<100_000_000_000_000_000: return whole / 1000           // microseconds
        default: return whole / 1_000_000                              // nanoseconds
        }
    }

    /// Parses a whole field as any supported shape.
    public static func parseAny(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int,
                                referenceMillis: Int64, cache: UnsafeMutablePointer<MinuteCache>? = nil) -> Int64? {
        if let r = parseISO(b, from, to, cache: cache), r.end == to { return r.millis }
        if let e = parseEpoch(b, from, to) { return e }
        if let r = parseBSD(b, from, to, referenceMillis: referenceMillis), r.end == to { return r.millis }
        return nil
    }
}

/// The last `YYYY-MM-DDTHH:MM` prefix an RFC 3339 parse validated, and its minute in epoch milliseconds: log lines
/// come in time order, so most lines share their predecessor's minute. One per parsing thread.
public struct MinuteCache {
    private var prefix: (UInt64, UInt64) = (0, 0)
    private var valid = false
    fileprivate(set) var minuteMillis: Int64 = 0

    public init() {}

    @inline(__always) private static func load(_ p: UnsafePointer<UInt8>, _ at: Int) -> UInt64 {
        UnsafeRawPointer(p + at).loadUnaligned(as: UInt64.self)
    }

    /// Whether the 16 bytes at `p` are the remembered prefix.
    @inline(__always) func matches(_ p: UnsafePointer<UInt8>) -> Bool {
        valid && Self.load(p, 0) == prefix.0 && Self.load(p, 8) == prefix.1
    }

    @inline(__always) mutating func remember(_ p: UnsafePointer<UInt8>, _ minuteMillis: Int64) {
        prefix = (Self.load(p, 0), Self.load(p, 8))
        self.minuteMillis = minuteMillis
        valid = true
    }
}
