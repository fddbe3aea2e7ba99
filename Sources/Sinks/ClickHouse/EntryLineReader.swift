import Pipeline
#if canImport(Glibc)
import Glibc
#endif

// The byte-level JSON reading the ClickHouse row writers share (JSONEachRow and RowBinary): entry lines are
// the segment line format, written by logpipe itself, so a small cursor is enough and no value is copied.

/// A key of the line, compared without copying.
struct Key {
    let p: UnsafePointer<UInt8>
    let n: Int
    init(_ r: Reader, _ range: (start: Int, end: Int)) {
        p = r.p + range.start + 1
        n = range.end - range.start - 2
    }
    init(_ p: UnsafePointer<UInt8>, _ n: Int) {
        self.p = p
        self.n = n
    }
    @inline(__always) func `is`(_ s: StaticString) -> Bool {
        s.utf8CodeUnitCount == n && memcmp(p, s.utf8Start, n) == 0
    }
}

/// Appends what `write` makes of each line in `lines` (each ending in `\n`) to `out`, reserving `bound(length)`
/// bytes first; `write` returns the bytes written, 0 for a line that is not an entry (skipped and counted).
@inline(__always)
func appendRows(_ lines: UnsafeBufferPointer<UInt8>, to out: ByteBuffer, bound: (Int) -> Int,
                _ write: (UnsafePointer<UInt8>, Int, UnsafeMutablePointer<UInt8>) -> Int) -> (rows: Int, rejected: Int) {
    guard let base = lines.baseAddress, lines.count > 0 else { return (0, 0) }
    var rows = 0, rejected = 0
    var s = 0
    while s < lines.count {
        let nl = memchr(base + s, 10, lines.count - s)
        let e = nl.map { base.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? lines.count
        if e > s {
            out.reserve(bound(e - s))
            let n = write(base + s, e - s, out.end)
            if n > 0 { out.count += n; rows += 1 } else { rejected += 1 }
        }
        s = e + 1
    }
    return (rows, rejected)
}

/// A cursor over one line's JSON.
struct Reader {
    let p: UnsafePointer<UInt8>
    let end: Int
    var pos = 0

    var peek: UInt8 { pos < end ? p[pos] : 0 }

    @inline(__always) mutating func byte(_ b: UInt8) -> Bool {
        guard pos < end, p[pos] == b else { return false }
        pos += 1
        return true
    }

    @discardableResult @inline(__always) mutating func skipSpace() -> Bool {
        while pos < end, p[pos] == 0x20 || p[pos] == 0x09 || p[pos] == 0x0d { pos += 1 }
        return true
    }

    /// Walks the members of the object at the cursor: `body` gets each key with the cursor on its value and
    /// must consume the value (false: the line is not an entry). False when the object is malformed.
    @inline(__always)
    mutating func members(_ body: (inout Reader, Key) -> Bool) -> Bool {
        guard byte(0x7b) else { return false }
        var first = true
        while true {
            skipSpace()
            if byte(0x7d) { return true }
            if !first { guard byte(0x2c) else { return false }; skipSpace() }
            first = false
            guard let key = string(), skipSpace(), byte(0x3a) else { return false }
            skipSpace()
            let k = Key(self, key)
            guard body(&self, k) else { return false }
        }
    }

    /// A string token, quotes included.
    mutating func string() -> (start: Int, end: Int)? {
        guard pos < end, p[pos] == 0x22 else { return nil }
        let start = pos
        var i = pos + 1
        while i < end {
            guard let q = memchr(p + i, 0x22, end - i) else { return nil }
            let at = p.distance(to: q.assumingMemoryBound(to: UInt8.self))
            var slashes = 0
            while at - slashes - 1 > start, p[at - slashes - 1] == 0x5c { slashes += 1 }
            i = at + 1
            if slashes % 2 == 0 { pos = i; return (start, i) }
        }
        return nil
    }

    /// Any JSON value (string, object, array, literal), skipped as text.
    mutating func value() -> (start: Int, end: Int)? {
        let start = pos
        switch peek {
        case 0x22: return string()
        case 0x7b, 0x5b:
            var depth = 0
            while pos < end {
                let c = p[pos]
                if c == 0x22 { guard string() != nil else { return nil }; continue }
                if c == 0x7b || c == 0x5b { depth += 1 } else if c == 0x7d || c == 0x5d {
                    depth -= 1
                    if depth == 0 { pos += 1; return (start, pos) }
                }
                pos += 1
            }
            return nil
        default:
            while pos < end, p[pos] != 0x2c, p[pos] != 0x7d, p[pos] != 0x5d { pos += 1 }
            return pos > start ? (start, pos) : nil
        }
    }
}

