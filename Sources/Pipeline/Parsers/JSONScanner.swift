/// A strict, allocation-free JSON scanner over one line's bytes.
///
/// It does not build values: it validates and returns byte ranges, and tells whether a range can be copied to the
/// output verbatim (`clean`: no raw control characters, no invalid UTF-8, only valid escapes).
struct JSONScanner {
    let b: UnsafeBufferPointer<UInt8>
    var n: Int { b.count }
    static let maxDepth = 64

    /// 1 = a byte the string scanner must look at.
    private static let special: [UInt8] = (0..<256).map { $0 < 0x20 || $0 == 0x22 || $0 == 0x5c || $0 >= 0x7f ? 1 : 0 }

    @inline(__always) func skipWS(_ i: Int) -> Int {
        var i = i
        while i < n, ASCII.isWhitespace(b[i]) { i += 1 }
        return i
    }

    /// Scans a string whose opening quote is at `i`; returns the index of the closing quote.
    @inline(__always) func string(_ i: Int) -> (end: Int, clean: Bool)? {
        var j = i + 1
        var clean = true
        return Self.special.withUnsafeBufferPointer { t -> (Int, Bool)? in
            while j < n {
                let c = b[j]
                if t[Int(c)] == 0 { j += 1; continue }
                if c == 0x22 { return (j, clean) }
                if c == 0x5c {
                    guard j + 1 < n else { return nil }
                    let e = b[j + 1]
                    if JSONStringWriter.isSimpleEscape(e) {
                        j += 2
                    } else if e == UInt8(ascii: "u"), j + 5 < n, JSONStringWriter.isHex(b[j + 2]),
                              JSONStringWriter.isHex(b[j + 3]), JSONStringWriter.isHex(b[j + 4]),
                              JSONStringWriter.isHex(b[j + 5]) {
                        j += 6
                    } else {
                        clean = false
                        j += 2
                    }
                } else if c >= 0x80 {
                    let len = JSONStringWriter.utf8Length(b.baseAddress! + j, n - j)
                    if len == 0 { clean = false; j += 1 } else { j += len }
                } else {
                    clean = false // raw control character or DEL
                    j += 1
                }
            }
            return nil
        }
    }

    /// Scans any value starting at `i` (whitespace already skipped); returns the index just after it.
    func value(_ i: Int, depth: Int = 0) -> (end: Int, clean: Bool)? {
        guard i < n else { return nil }
        switch b[i] {
        case 0x22:
            guard let s = string(i) else { return nil }
            return (s.end + 1, s.clean)
        case UInt8(ascii: "{"):
            return container(i, close: UInt8(ascii: "}"), keyed: true, depth: depth)
        case UInt8(ascii: "["):
            return container(i, close: UInt8(ascii: "]"), keyed: false, depth: depth)
        case UInt8(ascii: "t"): return literal(i, "true")
        case UInt8(ascii: "f"): return literal(i, "false")
        case UInt8(ascii: "n"): return literal(i, "null")
        default: return number(i)
        }
    }

    private func literal(_ i: Int, _ word: StaticString) -> (end: Int, clean: Bool)? {
        let e = i + word.utf8CodeUnitCount
        return e <= n && b.equals(i, e, word) ? (e, true) : nil
    }

    private func number(_ i: Int) -> (end: Int, clean: Bool)? {
        var j = i
        if j < n, b[j] == 45 { j += 1 }
        let intStart = j
        while j < n, ASCII.isDigit(b[j]) { j += 1 }
        guard j > intStart, !(b[intStart] == 48 && j - intStart > 1) else { return nil }
        if j < n, b[j] == 46 {
            j += 1
            let f = j
            while j < n, ASCII.isDigit(b[j]) { j += 1 }
            guard j > f else { return nil }
        }
        if j < n, b[j] | 0x20 == UInt8(ascii: "e") {
            j += 1
            if j < n, b[j] == 43 || b[j] == 45 { j += 1 }
            let e = j
            while j < n, ASCII.isDigit(b[j]) { j += 1 }
            guard j > e else { return nil }
        }
        return (j, true)
    }

    private func container(_ i: Int, close: UInt8, keyed: Bool, depth: Int) -> (end: Int, clean: Bool)? {
        guard depth < Self.maxDepth else { return nil }
        var clean = true
        var j = skipWS(i + 1)
        if j < n, b[j] == close { return (j + 1, true) }
        while true {
            if keyed {
                guard j < n, b[j] == 0x22, let k = string(j) else { return nil }
                clean = clean && k.clean
                j = skipWS(k.end + 1)
                guard j < n, b[j] == 0x3a else { return nil }
                j = skipWS(j + 1)
            }
            guard let v = value(j, depth: depth + 1) else { return nil }
            clean = clean && v.clean
            j = skipWS(v.end)
            guard j < n else { return nil }
            if b[j] == 0x2c { j = skipWS(j + 1); continue }
            if b[j] == close { return (j + 1, clean && !hasRawWhitespaceInside(i, j + 1)) }
            return nil
        }
    }

    /// Tabs and newlines between tokens are legal JSON but would be rewritten; report them as not clean only when
    /// present (rare), so the common compact case stays a plain copy.
    private func hasRawWhitespaceInside(_ from: Int, _ to: Int) -> Bool {
        var inString = false
        var j = from
        while j < to {
            let c = b[j]
            if c == 0x5c, inString { j += 2; continue }
            if c == 0x22 { inString.toggle() } else if !inString, c == 9 || c == 10 || c == 13 { return true }
            j += 1
        }
        return false
    }

    /// Calls `body(keyStart, keyEnd, keyClean, valueStart, valueEnd, valueClean)` for each member of the object
    /// at `i`; returns the index after the object, or nil when it is not a valid object.
    @inline(__always) func members(_ i: Int,
                                   _ body: (Int, Int, Bool, Int, Int, Bool) -> Void) -> Int? {
        guard i < n, b[i] == UInt8(ascii: "{") else { return nil }
        var j = skipWS(i + 1)
        if j < n, b[j] == UInt8(ascii: "}") { return j + 1 }
        while true {
            guard j < n, b[j] == 0x22, let k = string(j) else { return nil }
            var v = skipWS(k.end + 1)
            guard v < n, b[v] == 0x3a else { return nil }
            v = skipWS(v + 1)
            guard let value = value(v, depth: 1) else { return nil }
            body(j + 1, k.end, k.clean, v, value.end, value.clean)
            j = skipWS(value.end)
            guard j < n else { return nil }
            if b[j] == 0x2c { j = skipWS(j + 1); continue }
            if b[j] == UInt8(ascii: "}") { return j + 1 }
            return nil
        }
    }
}
