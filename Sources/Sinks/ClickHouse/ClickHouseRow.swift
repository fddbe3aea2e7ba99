import Pipeline
#if canImport(Glibc)
import Glibc
#endif

/// Turns entry lines (the segment line format, DESIGN.md §3) into ClickHouse `JSONEachRow` rows of the
/// `logs` table (docs/clickhouse.md), scanning bytes: no JSON parser, no allocation per row.
///
/// `{"timestamp":"2026-03-01T10:00:00.123Z","level":"ERROR","message":"…","context":{"service":…,"userId":…,
/// "sessionId":…,"requestId":…},"metadata":{…},"stack":"…"}` becomes
/// `{"timestamp":"2026-03-01 10:00:00","timestamp_ms":123,"level":"ERROR","message":"…","service":…,
/// "user_id":…,"session_id":…,"request_id":…,"metadata":"{…}","stack":"…"}`. String values are copied as
/// they are (already JSON-escaped; ClickHouse reads JSON escapes); `metadata` is the object's text as a JSON
/// string. Absent fields are left out: the column default (`''`) applies. Keys outside the model are skipped
/// (JSONEachRow refuses unknown columns).
public enum ClickHouseRow {
    /// The most bytes one row can take for an input line of `n` bytes (metadata escaping at most doubles it).
    @inline(__always) static func bound(_ n: Int) -> Int { 2 * n + 160 }

    /// Appends the rows of the lines in `lines` (each ending in `\n`) to `out`; lines that are not entries are
    /// skipped and counted in `rejected`.
    public static func append(lines: UnsafeBufferPointer<UInt8>, to out: ByteBuffer) -> (rows: Int, rejected: Int) {
        appendRows(lines, to: out, bound: bound) { write($0, $1, to: $2) }
    }

    /// Writes the row of one line (without its newline) at `out` (room for ``bound(_:)`` bytes), newline
    /// included; returns the bytes written, 0 when the line is not an entry.
    static func write(_ p: UnsafePointer<UInt8>, _ n: Int, to out: UnsafeMutablePointer<UInt8>) -> Int {
        var w = RowWriter(out: out)
        var r = Reader(p: p, end: n)
        w.raw("{")
        var sawTimestamp = false
        let whole = r.members { r, k in
            if k.is("timestamp") {
                guard let v = r.string(), w.timestamp(p + v.start + 1, v.end - v.start - 2) else { return false }
                sawTimestamp = true
            } else if k.is("level") || k.is("message") || k.is("stack") {
                guard let v = r.string() else { return false }
                w.field(k, value: p + v.start, v.end - v.start)
            } else if k.is("context"), r.peek == 0x7b {
                return context(&r, &w)
            } else if k.is("metadata"), r.peek == 0x7b {
                guard let v = r.value() else { return false }
                w.key("metadata")
                w.quotedText(p + v.start, v.end - v.start)
            } else {
                return r.value() != nil
            }
            return true
        }
        guard whole, sawTimestamp else { return 0 }
        w.count -= 1 // the comma after the last field
        w.raw("}\n")
        return w.count
    }

    /// The `context` object: service, version, environment, host, userId, sessionId, requestId.
    private static func context(_ r: inout Reader, _ w: inout RowWriter) -> Bool {
        r.members { r, k in
            guard r.peek == 0x22 else { return r.value() != nil }
            guard let v = r.string() else { return false }
            let column: StaticString? =
                k.is("service") ? "service" : k.is("version") ? "version" : k.is("environment") ? "environment" :
                k.is("host") ? "host" : k.is("userId") ? "user_id" : k.is("sessionId") ? "session_id" :
                k.is("requestId") ? "request_id" : nil
            if let column {
                w.key(column)
                w.bytes(r.p + v.start, v.end - v.start)
                w.raw(",")
            }
            return true
        }
    }
}

/// Writes a row at a pointer with enough room.
private struct RowWriter {
    let out: UnsafeMutablePointer<UInt8>
    var count = 0

    @inline(__always) mutating func raw(_ s: StaticString) {
        memcpy(out + count, s.utf8Start, s.utf8CodeUnitCount)
        count += s.utf8CodeUnitCount
    }

    @inline(__always) mutating func bytes(_ p: UnsafePointer<UInt8>, _ n: Int) {
        memcpy(out + count, p, n)
        count += n
    }

    @inline(__always) mutating func key(_ s: StaticString) {
        out[count] = 0x22; count += 1
        raw(s)
        out[count] = 0x22; out[count + 1] = 0x3a; count += 2
    }

    /// `"level":"ERROR",` and the like: the value token copied as it is.
    mutating func field(_ k: Key, value p: UnsafePointer<UInt8>, _ n: Int) {
        out[count] = 0x22; count += 1
        bytes(k.p, k.n)
        out[count] = 0x22; out[count + 1] = 0x3a; count += 2
        bytes(p, n)
        out[count] = 0x2c; count += 1
    }

    /// `YYYY-MM-DDTHH:MM:SS[.mmm]Z` → `"timestamp":"YYYY-MM-DD HH:MM:SS","timestamp_ms":mmm,`. The column is
    /// `DateTime('UTC')`, so the text is read as UTC whatever the server's time zone.
    mutating func timestamp(_ t: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        guard n >= 20, t[10] == 0x54 || t[10] == 0x20, t[4] == 0x2d, t[13] == 0x3a else { return false }
        raw("\"timestamp\":\"")
        bytes(t, 10)
        out[count] = 0x20; count += 1
        bytes(t + 11, 8)
        raw("\",\"timestamp_ms\":")
        var ms = 0, digits = 0
        if n > 20, t[19] == 0x2e {
            var i = 20
            while i < n, t[i] >= 0x30, t[i] <= 0x39 {
                if digits < 3 { ms = ms * 10 + Int(t[i] - 0x30); digits += 1 }
                i += 1
            }
            while digits < 3 { ms *= 10; digits += 1 }
        }
        if ms >= 100 { out[count] = UInt8(0x30 + ms / 100); count += 1 }
        if ms >= 10 { out[count] = UInt8(0x30 + ms / 10 % 10); count += 1 }
        out[count] = UInt8(0x30 + ms % 10); count += 1
        out[count] = 0x2c; count += 1
        return true
    }

    /// JSON text as a JSON string: quotes and backslashes escaped (the text has no raw control bytes).
    mutating func quotedText(_ p: UnsafePointer<UInt8>, _ n: Int) {
        out[count] = 0x22; count += 1
        for i in 0..<n {
            let c = p[i]
            if c == 0x22 || c == 0x5c { out[count] = 0x5c; count += 1 }
            out[count] = c < 0x20 ? 0x20 : c
            count += 1
        }
        out[count] = 0x22; out[count + 1] = 0x2c; count += 2
    }
}
