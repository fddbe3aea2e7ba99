import Pipeline
#if canImport(Glibc)
import Glibc
#endif

/// Turns entry lines (the segment line format, DESIGN.md §3) into `RowBinary` rows of the documented `logs`
/// table (docs/clickhouse.md), in the column order of ``columns``: the server then copies values instead of
/// parsing JSON (JSONEachRow costs the server about twice the time per row, and that is the insert's limit).
///
/// Per row: `timestamp` DateTime as UInt32 LE epoch seconds, `timestamp_ms` UInt16 LE, `level` Enum8 (1 DEBUG …
/// 5 FATAL), then the String columns as LEB128 length + raw UTF-8 (JSON escapes decoded; absent fields are
/// empty strings, the column default); `metadata` is the object's JSON text. A line that is not an entry is
/// skipped and counted, as in ``ClickHouseRow``. Used only when the table's column types are the documented
/// ones (``matches(columns:)``); otherwise the sink inserts JSONEachRow.
public enum ClickHouseRowBinary {
    /// The INSERT's column list, in row order: the documented schema's.
    public static let columns = ClickHouseSchema.columns(lowCardinality: false).map(\.name)

    /// The schema's level Enum8, spaces removed (as `matches` compares types).
    static let levelType = ClickHouseSchema.columns(lowCardinality: false).first { $0.name == "level" }!.type
        .replacingOccurrences(of: " ", with: "")

    /// True when the table's `(name, type)` pairs (from `system.columns`) have every column of ``columns`` with a
    /// type whose RowBinary encoding this writer produces. Other columns may exist (they take their defaults).
    public static func matches(columns table: [(name: String, type: String)]) -> Bool {
        var types: [String: String] = [:]
        for c in table { types[c.name] = c.type.replacingOccurrences(of: " ", with: "") }
        for name in columns {
            guard let t = types[name] else { return false }
            switch name {
            case "timestamp": guard t == "DateTime" || t.hasPrefix("DateTime(") else { return false }
            case "timestamp_ms": guard t == "UInt16" else { return false }
            case "level": guard t == levelType else { return false }
            default: guard t == "String" || t == "LowCardinality(String)" else { return false }
            }
        }
        return true
    }

    /// The most bytes one row can take for an input line of `n` bytes (decoding escapes never grows text).
    @inline(__always) static func bound(_ n: Int) -> Int { n + 128 }

    /// Appends the rows of the lines in `lines` (each ending in `\n`) to `out`; lines that are not entries are
    /// skipped and counted in `rejected`.
    public static func append(lines: UnsafeBufferPointer<UInt8>, to out: ByteBuffer) -> (rows: Int, rejected: Int) {
        appendRows(lines, to: out, bound: bound) { write($0, $1, to: $2) }
    }

    /// A value's bytes in the line: `start..<end`, with quotes for strings.
    private typealias Span = (start: Int, end: Int)

    /// Column slots after the three fixed ones: message … stack (10 strings).
    private enum Slot: Int { case message = 0, service, version, environment, host, userId, sessionId, requestId, metadata, stack }

    /// Writes the row of one line (without its newline) at `out` (room for ``bound(_:)`` bytes); returns the bytes
    /// written, 0 when the line is not an entry.
    static func write(_ p: UnsafePointer<UInt8>, _ n: Int, to out: UnsafeMutablePointer<UInt8>) -> Int {
        withUnsafeTemporaryAllocation(of: Span.self, capacity: 10) { spans in
            spans.initialize(repeating: (-1, -1))
            return write(p, n, to: out, spans: spans)
        }
    }

    private static func write(_ p: UnsafePointer<UInt8>, _ n: Int, to out: UnsafeMutablePointer<UInt8>,
                              spans: UnsafeMutableBufferPointer<Span>) -> Int {
        var r = Reader(p: p, end: n)
        var timestamp: Span?, level: Span?
        let whole = r.members { r, k in
            if k.is("timestamp") || k.is("level") {
                guard let v = r.string() else { return false }
                if k.is("timestamp") { timestamp = v } else { level = v }
            } else if k.is("message") || k.is("stack") {
                guard let v = r.string() else { return false }
                spans[k.is("message") ? Slot.message.rawValue : Slot.stack.rawValue] = v
            } else if k.is("context"), r.peek == 0x7b {
                return context(&r, spans)
            } else if k.is("metadata"), r.peek == 0x7b {
                guard let v = r.value() else { return false }
                spans[Slot.metadata.rawValue] = v
            } else {
                return r.value() != nil
            }
            return true
        }
        guard whole else { return 0 }
        guard let ts = timestamp, let lv = level,
              let t = TimestampParser.parseISO(UnsafeBufferPointer(start: p, count: n), ts.start + 1, ts.end - 1),
              t.millis >= 0, t.millis / 1000 <= Int64(UInt32.max),
              let code = levelCode(p + lv.start + 1, lv.end - lv.start - 2) else { return 0 }
        var w = out
        store(UInt32(t.millis / 1000), 4, &w)
        store(UInt32(t.millis % 1000), 2, &w)
        w.pointee = code; w += 1
        for (slot, span) in spans.enumerated() {
            guard span.start >= 0 else { w.pointee = 0; w += 1; continue }
            if slot == Slot.metadata.rawValue {
                writeLength(span.end - span.start, &w)
                memcpy(w, p + span.start, span.end - span.start)
                w += span.end - span.start
            } else {
                guard unescape(p + span.start + 1, span.end - span.start - 2, &w) else { return 0 }
            }
        }
        return out.distance(to: w)
    }

    /// service, version, environment, host, userId, sessionId, requestId of the `context` object.
    private static func context(_ r: inout Reader, _ spans: UnsafeMutableBufferPointer<Span>) -> Bool {
        r.members { r, k in
            guard r.peek == 0x22 else { return r.value() != nil }
            guard let v = r.string() else { return false }
            let slot: Slot? =
                k.is("service") ? .service : k.is("version") ? .version : k.is("environment") ? .environment :
                k.is("host") ? .host : k.is("userId") ? .userId : k.is("sessionId") ? .sessionId :
                k.is("requestId") ? .requestId : nil
            if let slot { spans[slot.rawValue] = v }
            return true
        }
    }

    /// The Enum8 value of a level name (the segment line format writes them upper-case).
    private static func levelCode(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt8? {
        let k = Key(p, n)
        return k.is("DEBUG") ? 1 : k.is("INFO") ? 2 : k.is("WARN") ? 3 : k.is("ERROR") ? 4 : k.is("FATAL") ? 5 : nil
    }

    @inline(__always) private static func store(_ v: UInt32, _ bytes: Int, _ w: inout UnsafeMutablePointer<UInt8>) {
        for i in 0..<bytes { w[i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) }
        w += bytes
    }

    @inline(__always) private static func writeLength(_ n: Int, _ w: inout UnsafeMutablePointer<UInt8>) {
        var v = UInt(n)
        while v >= 0x80 { w.pointee = UInt8(v & 0x7f) | 0x80; w += 1; v >>= 7 }
        w.pointee = UInt8(v); w += 1
    }

    /// Writes the JSON string body `p[0..<n]` (between its quotes) decoded, as LEB128 length + UTF-8. The length
    /// is written first for the escaped size and fixed up when decoding made the text shorter. False on a
    /// malformed escape.
    static func unescape(_ p: UnsafePointer<UInt8>, _ n: Int, _ w: inout UnsafeMutablePointer<UInt8>) -> Bool {
        guard memchr(p, 0x5c, n) != nil else {
            writeLength(n, &w)
            memcpy(w, p, n)
            w += n
            return true
        }
        // Decode after a length slot wide enough for `n`, then write the real length and move the text back.
        var slot = 1
        while n >> (7 * slot) > 0 { slot += 1 }
        let text = w + slot
        var o = 0, i = 0
        while i < n {
            let c = p[i]
            guard c == 0x5c else { text[o] = c; o += 1; i += 1; continue }
            guard i + 1 < n else { return false }
            let e = p[i + 1]
            i += 2
            switch e {
            case 0x22, 0x5c, 0x2f: text[o] = e
            case 0x62: text[o] = 0x08
            case 0x66: text[o] = 0x0c
            case 0x6e: text[o] = 0x0a
            case 0x72: text[o] = 0x0d
            case 0x74: text[o] = 0x09
            case 0x75:
                guard var u = hex4(p, i, n) else { return false }
                i += 4
                if u >= 0xd800, u < 0xdc00, i + 6 <= n, p[i] == 0x5c, p[i + 1] == 0x75,
                   let low = hex4(p, i + 2, n), low >= 0xdc00, low < 0xe000 {
                    u = 0x10000 + ((u - 0xd800) << 10) + (low - 0xdc00)
                    i += 6
                } else if u >= 0xd800, u < 0xe000 {
                    u = 0xfffd // a lone surrogate
                }
                o += utf8(u, text + o)
                continue
            default: return false
            }
            o += 1
        }
        writeLength(o, &w)
        memmove(w, text, o)
        w += o
        return true
    }

    private static func hex4(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> UInt32? {
        guard i + 4 <= n else { return nil }
        var v: UInt32 = 0
        for k in 0..<4 {
            let c = p[i + k]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: return nil
            }
            v = v << 4 | d
        }
        return v
    }

    /// UTF-8 of scalar `u` at `o` (at most 4 bytes, never more than the 6 of its `\uXXXX` escape); the count.
    private static func utf8(_ u: UInt32, _ o: UnsafeMutablePointer<UInt8>) -> Int {
        switch u {
        case 0..<0x80: o[0] = UInt8(u); return 1
        case 0x80..<0x800: o[0] = UInt8(0xc0 | u >> 6); o[1] = UInt8(0x80 | u & 0x3f); return 2
        case 0x800..<0x10000:
            o[0] = UInt8(0xe0 | u >> 12); o[1] = UInt8(0x80 | u >> 6 & 0x3f); o[2] = UInt8(0x80 | u & 0x3f); return 3
        default:
            o[0] = UInt8(0xf0 | u >> 18); o[1] = UInt8(0x80 | u >> 12 & 0x3f)
            o[2] = UInt8(0x80 | u >> 6 & 0x3f); o[3] = UInt8(0x80 | u & 0x3f); return 4
        }
    }
}
