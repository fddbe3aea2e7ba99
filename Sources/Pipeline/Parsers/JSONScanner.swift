/// A strict, allocation-free JSON scanner over one line's bytes.
///
/// It does not build values: it validates and returns byte ranges, and tells whether a range can be copied to the
/// output verbatim (`clean`: no raw control characters, no invalid UTF-8, only valid escapes).
struct JSONScanner {
    let b: UnsafeBufferPointer<UInt8>
    var n: Int { b.count }
    static let maxDepth = 64

    @inline(__always) func skipWS(_ i: Int) -> Int {
        if i < n, b[i] > 0x20 { return i } // the usual case: compact JSON
        var i = i
        while i < n, ASCII.isWhitespace(b[i]) { i += 1 }
        return i
    }

    /// Skips whitespace; clears `clean` when it is anything but spaces (tabs and newlines are rewritten).
    @inline(__always) func skipWS(_ i: Int, _ clean: inout Bool) -> Int {
        if i < n, b[i] > 0x20 { return i }
        var i = i
        while i < n, ASCII.isWhitespace(b[i]) { if b[i] != 32 { clean = false }; i += 1 }
        return i
    }

    /// Scans a string whose opening quote is at `i`; returns the index of the closing quote.
    /// A short plain string ends in `SWAR.closingQuote`, inlined where it is called; the rest take the full scan.
    @inline(__always) func string(_ i: Int) -> (end: Int, clean: Bool)? {
        if let e = SWAR.closingQuote(b.baseAddress!, i + 1, n) { return (e, true) }
        return scanString(i)
    }

    /// The full string scan: escapes, control characters and UTF-8 checked; not inlined, so the short strings'
    /// path stays small at every call site.
    @inline(never) func scanString(_ i: Int) -> (end: Int, clean: Bool)? {
        let p = b.baseAddress!
        var j = i + 1
        var clean = true
        while true {
            j = SWAR.skipClean(p, j, n)
            guard j < n else { return nil }
            let c = p[j]
            if c == 0x22 { return (j, clean) }
            if c == 0x5c {
                guard j + 1 < n else { return nil }
                let e = p[j + 1]
                if JSONStringWriter.isSimpleEscape(e) {
                    j += 2
                } else if e == UInt8(ascii: "u"), j + 5 < n, JSONStringWriter.isHex(p[j + 2]),
                          JSONStringWriter.isHex(p[j + 3]), JSONStringWriter.isHex(p[j + 4]),
                          JSONStringWriter.isHex(p[j + 5]) {
                    j += 6
                } else {
                    clean = false
                    j += 2
                }
            } else if c >= 0x80 {
                let len = JSONStringWriter.utf8Length(p + j, n - j)
                if len == 0 || (c == 0xc2 && p[j + 1] < 0xa0) { clean = false }
                j += max(len, 1)
            } else {
                clean = false // raw control character or DEL
                j += 1
            }
        }
    }

    /// `value`, with strings (most values in logs) scanned in line rather than through a call.
    @inline(__always) func anyValue(_ i: Int, depth: Int) -> (end: Int, clean: Bool)? {
        if i < n, b[i] == 0x22 {
            guard let s = string(i) else { return nil }
            return (s.end + 1, s.clean)
        }
        return value(i, depth: depth)
    }

    /// The start of an object member at `i`: its key (bounds without quotes, clean) and where its value starts
    /// (whitespace skipped, inside the line); nil when there is no `"key":` there.
    @inline(__always) func memberHead(_ i: Int) -> (keyStart: Int, keyEnd: Int, keyClean: Bool, value: Int)? {
        guard i < n, b[i] == 0x22, let k = string(i) else { return nil }
        var v = skipWS(k.end + 1)
        guard v < n, b[v] == 0x3a else { return nil }
        v = skipWS(v + 1)
        guard v < n else { return nil }
        return (i + 1, k.end, k.clean, v)
    }

    /// After a member's value ending at `i`: the next member's start, or the index after the closing brace
    /// (`closed`); nil when neither a comma nor the brace follows.
    @inline(__always) func memberTail(_ i: Int) -> (index: Int, closed: Bool)? {
        let j = skipWS(i)
        guard j < n else { return nil }
        if b[j] == 0x2c { return (skipWS(j + 1), false) }
        if b[j] == UInt8(ascii: "}") { return (j + 1, true) }
        return nil
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
        var j = skipWS(i + 1, &clean)
        if j < n, b[j] == close { return (j + 1, clean) }
        while true {
            if keyed {
                guard j < n, b[j] == 0x22, let k = string(j) else { return nil }
                clean = clean && k.clean
                j = skipWS(k.end + 1, &clean)
                guard j < n, b[j] == 0x3a else { return nil }
                j = skipWS(j + 1, &clean)
            }
            guard let v = value(j, depth: depth + 1) else { return nil }
            clean = clean && v.clean
            j = skipWS(v.end, &clean)
            guard j < n else { return nil }
            if b[j] == 0x2c { j = skipWS(j + 1, &clean); continue }
            if b[j] == close { return (j + 1, clean) }
            return nil
        }
    }

    /// Calls `body(keyStart, keyEnd, valueStart)` for each member of the object at `i` (key bounds without quotes,
    /// value start after whitespace); `body` scans the value and returns the index after it, or nil to reject the
    /// object. Returns the index after the object, or nil when it is not a valid object. The entry parser walks its
    /// two objects with the same `memberHead`/`memberTail`, by hand: a closure call per member showed in profiles.
    func members(_ i: Int, _ body: (Int, Int, Int) -> Int?) -> Int? {
        guard i < n, b[i] == UInt8(ascii: "{") else { return nil }
        var j = skipWS(i + 1)
        if j < n, b[j] == UInt8(ascii: "}") { return j + 1 }
        while true {
            guard let head = memberHead(j), let end = body(head.keyStart, head.keyEnd, head.value),
                  let next = memberTail(end) else { return nil }
            if next.closed { return next.index }
            j = next.index
        }
    }
}
