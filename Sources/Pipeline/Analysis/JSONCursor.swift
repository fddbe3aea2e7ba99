import Foundation

/// A forward-only reader over the bytes of one JSON value, for ``AnalysisEntryScanner``: objects are walked key
/// by key, values the caller does not want are skipped, strings come back as byte ranges (decoded on request).
/// Malformed input sets ``bad`` and makes ``object(_:)`` return false.
struct JSONCursor {
    let p: UnsafePointer<UInt8>
    let n: Int
    var i = 0
    var bad = false

    /// A string's content (between its quotes) or a number's text.
    struct Span { var start: Int; var end: Int; var escaped: Bool }

    /// The object keys the analysis reads; everything else is `other`.
    enum Key {
        case timestamp, level, message, stack, context, metadata, service, environment, userId, type, metric,
             value, action, other
    }

    init(p: UnsafePointer<UInt8>, n: Int) {
        self.p = p
        self.n = n
    }

    mutating func whitespace() {
        while i < n, p[i] == 0x20 || p[i] == 0x09 || p[i] == 0x0D || p[i] == 0x0A { i += 1 }
    }

    /// Whether the next value is an object.
    var atObject: Bool {
        mutating get {
            whitespace()
            return i < n && p[i] == 0x7B
        }
    }

    /// Walks an object: `body` reads (or skips) the value of each key; false when malformed or `body` says so.
    mutating func object(_ body: (Key, inout JSONCursor) -> Bool) -> Bool {
        whitespace()
        guard i < n, p[i] == 0x7B else { bad = true; return false }
        i += 1
        whitespace()
        if i < n, p[i] == 0x7D { i += 1; return true }
        while true {
            whitespace()
            guard i < n, p[i] == 0x22, let k = rawString() else { bad = true; return false }
            whitespace()
            guard i < n, p[i] == 0x3A else { bad = true; return false }
            i += 1
            whitespace()
            guard body(k.escaped ? .other : key(k), &self), !bad else { bad = true; return false }
            whitespace()
            guard i < n else { bad = true; return false }
            if p[i] == 0x2C { i += 1; continue }
            if p[i] == 0x7D { i += 1; return true }
            bad = true
            return false
        }
    }

    /// A string value's span; any other value is skipped (nil).
    mutating func stringRange() -> Span? {
        whitespace()
        if i < n, p[i] == 0x22 {
            guard let s = rawString() else { bad = true; return nil }
            return s
        }
        _ = skip()
        return nil
    }

    /// A string's span or a number's text; other values are skipped (nil).
    mutating func textRange() -> Span? {
        whitespace()
        guard i < n else { bad = true; return nil }
        if p[i] == 0x22 { return stringRange() }
        if p[i] == 0x2D || (p[i] >= 0x30 && p[i] <= 0x39) {
            let start = i
            skipNumber()
            return Span(start: start, end: i, escaped: false)
        }
        _ = skip()
        return nil
    }

    /// Skips one value of any kind.
    mutating func skip() -> Bool {
        whitespace()
        guard i < n else { bad = true; return false }
        switch p[i] {
        case 0x22:
            if rawString() == nil { bad = true }
        case 0x7B:
            _ = object { _, s in s.skip() }
        case 0x5B:
            i += 1
            whitespace()
            if i < n, p[i] == 0x5D { i += 1; return true }
            while !bad {
                guard skip() else { break }
                whitespace()
                guard i < n else { bad = true; break }
                if p[i] == 0x2C { i += 1; continue }
                if p[i] == 0x5D { i += 1; break }
                bad = true
            }
        case 0x74: literal(4)  // true
        case 0x66: literal(5)  // false
        case 0x6E: literal(4)  // null
        default:
            let start = i
            skipNumber()
            if i == start { bad = true }
        }
        return !bad
    }

    private mutating func literal(_ length: Int) {
        if i + length > n { bad = true } else { i += length }
    }

    private mutating func skipNumber() {
        while i < n {
            let c = p[i]
            guard (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x2B || c == 0x2E || c == 0x65 || c == 0x45 else { break }
            i += 1
        }
    }

    /// At an opening quote: the string's span, the cursor after its closing quote; nil when unterminated.
    mutating func rawString() -> Span? {
        let start = i + 1
        var k = start
        var escaped = false
        // Short strings (names, levels): a byte loop beats memchr calls; longer ones (messages, ids) go by memchr.
        let short = min(n, start + 16)
        while k < short {
            let c = p[k]
            if c == 0x22 {
                i = k + 1
                return Span(start: start, end: k, escaped: escaped)
            }
            if c == 0x5C { escaped = true; k += 2 } else { k += 1 }
        }
        while k < n {
            guard let hit = memchr(p + k, 0x22, n - k) else { return nil }
            let q = p.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if memchr(p + k, 0x5C, q - k) == nil {
                i = q + 1
                return Span(start: start, end: q, escaped: escaped)
            }
            // A backslash before the quote: walk the escapes byte by byte up to it.
            escaped = true
            while k < q { k += p[k] == 0x5C ? 2 : 1 }
            if k == q {
                i = q + 1
                return Span(start: start, end: q, escaped: true)
            }
            // k == q + 1: that quote was escaped; go on after it.
        }
        return nil
    }

    private func key(_ s: Span) -> Key {
        let len = s.end - s.start
        func isKey(_ word: StaticString) -> Bool {
            word.utf8CodeUnitCount == len && memcmp(p + s.start, word.utf8Start, len) == 0
        }
        switch (len, p[s.start]) {
        case (9, 0x74): return isKey("timestamp") ? .timestamp : .other
        case (5, 0x6C): return isKey("level") ? .level : .other
        case (7, 0x6D): return isKey("message") ? .message : .other
        case (5, 0x73): return isKey("stack") ? .stack : .other
        case (7, 0x63): return isKey("context") ? .context : .other
        case (8, 0x6D): return isKey("metadata") ? .metadata : .other
        case (7, 0x73): return isKey("service") ? .service : .other
        case (11, 0x65): return isKey("environment") ? .environment : .other
        case (6, 0x75): return isKey("userId") ? .userId : .other
        case (4, 0x74): return isKey("type") ? .type : .other
        case (6, 0x6D): return isKey("metric") ? .metric : .other
        case (5, 0x76): return isKey("value") ? .value : .other
        case (6, 0x61): return isKey("action") ? .action : .other
        default: return .other
        }
    }

    /// The text of a span, JSON escapes decoded.
    func string(_ s: Span) -> String {
        let raw = UnsafeBufferPointer(start: p + s.start, count: s.end - s.start)
        guard s.escaped else { return String(decoding: raw, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var k = 0
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= raw.count else { return nil }
            var v: UInt32 = 0
            for j in at..<(at + 4) {
                let c = raw[j]
                let d: UInt8
                switch c {
                case 0x30...0x39: d = c - 0x30
                case 0x41...0x46: d = c - 0x41 + 10
                case 0x61...0x66: d = c - 0x61 + 10
                default: return nil
                }
                v = v << 4 | UInt32(d)
            }
            return v
        }
        func append(_ scalar: UInt32) {
            let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
            out.append(contentsOf: Array(String(Character(u)).utf8))
        }
        while k < raw.count {
            let c = raw[k]
            guard c == 0x5C, k + 1 < raw.count else { out.append(c); k += 1; continue }
            let e = raw[k + 1]
            k += 2
            switch e {
            case 0x6E: out.append(0x0A)
            case 0x74: out.append(0x09)
            case 0x72: out.append(0x0D)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x75:
                guard var v = hex4(k) else { out.append(contentsOf: [0x5C, 0x75]); continue }
                k += 4
                if v >= 0xD800 && v < 0xDC00, k + 6 <= raw.count, raw[k] == 0x5C, raw[k + 1] == 0x75,
                   let lo = hex4(k + 2), lo >= 0xDC00 && lo < 0xE000 {
                    v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00)
                    k += 6
                }
                append(v)
            default: out.append(e)  // \" \\ \/
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
