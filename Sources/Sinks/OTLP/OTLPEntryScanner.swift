import Pipeline

/// The fields of one entry line the OTLP mapping needs, read with the byte cursor the ClickHouse rows use (no
/// JSON parser, no Foundation): strings are unescaped (protobuf carries them raw), `metadata` is kept as its JSON
/// text.
struct OTLPEntryFields {
    var timestamp: [UInt8] = [], level: [UInt8] = [], message: [UInt8] = [], stack: [UInt8]?
    var service: [UInt8] = [], version: [UInt8] = [], environment: [UInt8] = [], host: [UInt8] = []
    var userId: [UInt8]?, sessionId: [UInt8]?, requestId: [UInt8]?
    var metadata: [UInt8]?

    /// Nil when the line is not a JSON object.
    init?(_ p: UnsafePointer<UInt8>, _ n: Int) {
        var r = Reader(p: p, end: n)
        var f = OTLPEntryFields.empty
        let whole = r.members { r, k in
            if k.is("context"), r.peek == 0x7b {
                return r.members { r, k in
                    guard r.peek == 0x22 else { return r.value() != nil }
                    guard let v = r.string() else { return false }
                    let s = Self.unescape(p, v)
                    if k.is("service") { f.service = s } else if k.is("version") { f.version = s }
                    else if k.is("environment") { f.environment = s } else if k.is("host") { f.host = s }
                    else if k.is("userId") { f.userId = s } else if k.is("sessionId") { f.sessionId = s }
                    else if k.is("requestId") { f.requestId = s }
                    return true
                }
            }
            if k.is("metadata"), r.peek == 0x7b {
                guard let v = r.value() else { return false }
                f.metadata = Array(UnsafeBufferPointer(start: p + v.start, count: v.end - v.start))
                return true
            }
            guard r.peek == 0x22 else { return r.value() != nil }
            guard let v = r.string() else { return false }
            if k.is("timestamp") { f.timestamp = Self.unescape(p, v) } else if k.is("level") { f.level = Self.unescape(p, v) }
            else if k.is("message") { f.message = Self.unescape(p, v) } else if k.is("stack") { f.stack = Self.unescape(p, v) }
            return true
        }
        guard whole else { return nil }
        self = f
    }

    private init() {}
    private static var empty: OTLPEntryFields { OTLPEntryFields() }

    /// A JSON string token (quotes included) as UTF-8: `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\uXXXX`
    /// (surrogate pairs joined; a lone surrogate becomes U+FFFD).
    static func unescape(_ p: UnsafePointer<UInt8>, _ token: (start: Int, end: Int)) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(token.end - token.start)
        var i = token.start + 1
        let end = token.end - 1
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= end else { return nil }
            var v: UInt32 = 0
            for k in 0..<4 {
                let c = p[at + k]
                let d: UInt8
                switch c {
                case 48...57: d = c - 48
                case 65...70: d = c - 55
                case 97...102: d = c - 87
                default: return nil
                }
                v = v << 4 | UInt32(d)
            }
            return v
        }
        while i < end {
            let c = p[i]
            guard c == 0x5c, i + 1 < end else { out.append(c); i += 1; continue }
            let e = p[i + 1]
            i += 2
            switch e {
            case 0x62: out.append(8)
            case 0x66: out.append(12)
            case 0x6e: out.append(10)
            case 0x72: out.append(13)
            case 0x74: out.append(9)
            case 0x75:
                guard var u = hex4(i) else { out.append(contentsOf: [0xef, 0xbf, 0xbd]); continue }
                i += 4
                if (0xd800..<0xdc00).contains(u) {
                    if i + 1 < end, p[i] == 0x5c, p[i + 1] == 0x75, let lo = hex4(i + 2), (0xdc00..<0xe000).contains(lo) {
                        u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00)
                        i += 6
                    } else { u = 0xfffd }
                } else if (0xdc00..<0xe000).contains(u) { u = 0xfffd }
                appendUTF8(u, to: &out)
            default: out.append(e) // \" \\ \/
            }
        }
        return out
    }

    static func appendUTF8(_ u: UInt32, to out: inout [UInt8]) {
        switch u {
        case 0..<0x80: out.append(UInt8(u))
        case 0x80..<0x800: out += [UInt8(0xc0 | u >> 6), UInt8(0x80 | u & 0x3f)]
        case 0x800..<0x10000: out += [UInt8(0xe0 | u >> 12), UInt8(0x80 | u >> 6 & 0x3f), UInt8(0x80 | u & 0x3f)]
        default: out += [UInt8(0xf0 | u >> 18), UInt8(0x80 | u >> 12 & 0x3f), UInt8(0x80 | u >> 6 & 0x3f), UInt8(0x80 | u & 0x3f)]
        }
    }
}
