/// Writes JSON string content safely: every control character escaped, invalid UTF-8 replaced by U+FFFD.
///
/// Three entry points for the three kinds of input bytes: raw text (escape everything), the inside of a JSON
/// string from the input (keep its valid escapes, repair the rest) and a raw JSON value (repair strings inside it).
/// Output can never break a line or carry a terminal escape sequence. Pure functions over the output buffer.
public enum JSONStringWriter {
    /// Whether raw text bytes can be copied between quotes unchanged.
    @inline(__always) public static func isClean(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        SWAR.skipClean(p, 0, n) == n
    }

    @inline(__always) private static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 48 + v : 87 + v }

    /// Appends raw text bytes as JSON string content (without the surrounding quotes).
    public static func appendText(_ p: UnsafePointer<UInt8>, _ n: Int, to out: ByteBuffer) {
        out.reserve(n)
        var i = 0, run = 0
        while true {
            i = SWAR.skipClean(p, i, n)
            guard i < n else { break }
            let b = p[i]
            if i > run { out.append(p + run, i - run) }
            if b >= 0x80 {
                let len = utf8Length(p + i, n - i)
                if len == 2, b == 0xc2, p[i + 1] < 0xa0 {
                    appendEscape(p[i + 1], out) // C1 control (U+0080–U+009F): CSI and NEL act on terminals
                } else if len > 0 { out.append(p + i, len) } else { appendReplacement(out) }
                i += max(len, 1)
            } else {
                appendEscape(b, out)
                i += 1
            }
            run = i
        }
        if n > run { out.append(p + run, n - run) }
    }

    /// Appends the inside of an input JSON string: valid escapes kept, a stray backslash escaped, raw control
    /// characters escaped, invalid UTF-8 replaced.
    public static func appendJSONContent(_ p: UnsafePointer<UInt8>, _ n: Int, to out: ByteBuffer) {
        out.reserve(n)
        var i = 0
        while i < n {
            let b = p[i]
            if b == 0x5c {
                if i + 1 < n, isSimpleEscape(p[i + 1]) {
                    out.append(p + i, 2); i += 2; continue
                }
                if i + 5 < n, p[i + 1] == UInt8(ascii: "u"), isHex(p[i + 2]), isHex(p[i + 3]), isHex(p[i + 4]),
                   isHex(p[i + 5]) {
                    out.append(p + i, 6); i += 6; continue
                }
                out.append(0x5c); out.append(0x5c); i += 1
            } else if b == 0x22 {
                out.append(0x5c); out.append(0x22); i += 1
            } else if b < 0x20 || b == 0x7f {
                appendEscape(b, out); i += 1
            } else if b >= 0x80 {
                let len = utf8Length(p + i, n - i)
                if len == 2, b == 0xc2, p[i + 1] < 0xa0 {
                    appendEscape(p[i + 1], out)
                } else if len > 0 { out.append(p + i, len) } else { appendReplacement(out) }
                i += max(len, 1)
            } else {
                out.append(b); i += 1
            }
        }
    }

    /// Appends a raw JSON value (object, array, number, literal) with the strings inside it repaired.
    public static func appendJSONValue(_ p: UnsafePointer<UInt8>, _ n: Int, to out: ByteBuffer) {
        var i = 0
        while i < n {
            let b = p[i]
            if b == 0x22 {
                var j = i + 1
                while j < n, p[j] != 0x22 { j += p[j] == 0x5c ? 2 : 1 }
                let end = min(j, n)
                out.append(0x22)
                appendJSONContent(p + i + 1, end - i - 1, to: out)
                out.append(0x22)
                i = end + 1
            } else if b < 0x20 || b >= 0x7f {
                out.append(0x20); i += 1 // whitespace outside strings; anything else here was rejected by the scanner
            } else {
                out.append(b); i += 1
            }
        }
    }

    @inline(__always) static func isSimpleEscape(_ c: UInt8) -> Bool {
        switch c {
        case 0x22, 0x5c, 0x2f, UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"),
             UInt8(ascii: "t"): true
        default: false
        }
    }

    @inline(__always) static func isHex(_ c: UInt8) -> Bool { ASCII.isDigit(c) || (c | 0x20) &- 97 < 6 }

    /// Escapes a control character (C0, DEL, or the low byte of a C1 control, 0x80–0x9F, as `\u00XX`).
    private static func appendEscape(_ b: UInt8, _ out: ByteBuffer) {
        switch b {
        case 0x22: out.append(0x5c); out.append(0x22)
        case 0x5c: out.append(0x5c); out.append(0x5c)
        case 0x0a: out.append(0x5c); out.append(UInt8(ascii: "n"))
        case 0x0d: out.append(0x5c); out.append(UInt8(ascii: "r"))
        case 0x09: out.append(0x5c); out.append(UInt8(ascii: "t"))
        default:
            out.append("\\u00")
            out.append(hexDigit(b >> 4))
            out.append(hexDigit(b & 15))
        }
    }

    private static func appendReplacement(_ out: ByteBuffer) {
        out.append(0xef); out.append(0xbf); out.append(0xbd)
    }

    /// Length of the valid UTF-8 sequence at `p` (2…4), or 0 when invalid (overlong, surrogate, > U+10FFFF, cut).
    @inline(__always) public static func utf8Length(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        let b0 = p[0]
        @inline(__always) func cont(_ k: Int) -> Bool { k < n && p[k] & 0xc0 == 0x80 }
        switch b0 {
        case 0xc2...0xdf: return cont(1) ? 2 : 0
        case 0xe0: return cont(1) && p[1] >= 0xa0 && cont(2) ? 3 : 0
        case 0xed: return cont(1) && p[1] < 0xa0 && cont(2) ? 3 : 0
        case 0xe1...0xef: return cont(1) && cont(2) ? 3 : 0
        case 0xf0: return cont(1) && p[1] >= 0x90 && cont(2) && cont(3) ? 4 : 0
        case 0xf4: return cont(1) && p[1] < 0x90 && cont(2) && cont(3) ? 4 : 0
        case 0xf1...0xf3: return cont(1) && cont(2) && cont(3) ? 4 : 0
        default: return 0
        }
    }
}
