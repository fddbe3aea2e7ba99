/// Writes one entry in the segment line format (DESIGN.md §3), field order fixed:
/// `{"timestamp","level","message","context":{service,version,environment,host,userId?,sessionId,requestId},
/// "metadata"?,"stack"?}` and a newline. Pure function of its inputs (plus the ID generator and time cache).
public enum EntryWriter {
    /// Pre-encoded JSON strings (with quotes) for values an entry lacks; the memory is owned by the caller
    /// (plain pointers: no reference counting on the hot path).
    public struct Defaults {
        public var service, version, environment, host, session: UnsafeBufferPointer<UInt8>
    }

    @inline(__always)
    public static func write(_ e: ParsedEntry, level: Level, timestamp: Int64, line: UnsafeBufferPointer<UInt8>,
                             meta: UnsafeBufferPointer<MetaField>, defaults: Defaults,
                             times: inout TimestampFormatter, ids: inout UUIDv7Generator, readMillis: Int64,
                             to out: ByteBuffer) {
        let base = line.baseAddress!
        var out = ByteWriter(out)
        defer { out.close() }
        out.reserve(128 + line.count)
        out.append("{\"timestamp\":\"")
        times.write(timestamp, to: out.p)
        out.p += TimestampFormatter.width
        switch level {
        case .debug: out.append("\",\"level\":\"DEBUG\",\"message\":")
        case .info: out.append("\",\"level\":\"INFO\",\"message\":")
        case .warn: out.append("\",\"level\":\"WARN\",\"message\":")
        case .error: out.append("\",\"level\":\"ERROR\",\"message\":")
        case .fatal: out.append("\",\"level\":\"FATAL\",\"message\":")
        }
        if e.message.isPresent { quoted(e.message, base, &out) } else { out.append("\"\"") }
        out.append(",\"context\":{\"service\":")
        field(e.service, defaults.service, base, &out)
        out.append(",\"version\":")
        field(e.version, defaults.version, base, &out)
        out.append(",\"environment\":")
        field(e.environment, defaults.environment, base, &out)
        out.append(",\"host\":")
        field(e.host, defaults.host, base, &out)
        if e.userId.isPresent {
            out.append(",\"userId\":")
            quoted(e.userId, base, &out)
        }
        out.append(",\"sessionId\":")
        field(e.sessionId, defaults.session, base, &out)
        out.append(",\"requestId\":")
        if e.requestId.isPresent {
            quoted(e.requestId, base, &out)
        } else {
            out.reserve(38)
            out.append(0x22)
            ids.write(millis: readMillis, to: out.p)
            out.p += 36
            out.append(0x22)
        }
        out.append(0x7d)
        if e.metaCount > 0 { metadata(e, meta, base, &out) }
        if e.stack.isPresent {
            out.append(",\"stack\":")
            quoted(e.stack, base, &out)
        }
        out.append(0x7d)
        out.append(0x0a)
    }

    @inline(__always)
    private static func field(_ v: FieldValue, _ fallback: UnsafeBufferPointer<UInt8>, _ base: UnsafePointer<UInt8>,
                              _ out: inout ByteWriter) {
        if v.isPresent { quoted(v, base, &out) } else { out.append(fallback) }
    }

    /// Writes a value as a JSON string, whatever its input kind.
    @inline(__always)
    static func quoted(_ v: FieldValue, _ base: UnsafePointer<UInt8>, _ out: inout ByteWriter) {
        if v.kind == .literal {
            out.append(0x22); out.append(MetaLiteral.table[Int(v.start)]); out.append(0x22)
            return
        }
        let p = base + Int(v.start)
        let n = v.count
        out.append(0x22)
        if v.clean && v.kind != .jsonValue {
            out.append(p, n)
        } else if v.kind == .jsonString {
            out.with { JSONStringWriter.appendJSONContent(p, n, to: $0) }
        } else {
            out.with { JSONStringWriter.appendText(p, n, to: $0) }
        }
        out.append(0x22)
    }

    /// Writes a value as JSON: raw JSON values stay values, the rest become strings.
    @inline(__always)
    private static func value(_ v: FieldValue, _ base: UnsafePointer<UInt8>, _ out: inout ByteWriter) {
        switch v.kind {
        case .literal: out.append(MetaLiteral.table[Int(v.start)])
        case .jsonValue:
            if v.clean { out.append(base + Int(v.start), v.count) } else {
                out.with { JSONStringWriter.appendJSONValue(base + Int(v.start), v.count, to: $0) }
            }
        default: quoted(v, base, &out)
        }
    }

    private static func metadata(_ e: ParsedEntry, _ meta: UnsafeBufferPointer<MetaField>, _ base: UnsafePointer<UInt8>,
                                 _ out: inout ByteWriter) {
        out.append(",\"metadata\":{")
        var first = true
        for k in e.metaStart..<(e.metaStart + e.metaCount) {
            let m = meta[k]
            if m.value.kind == .members {
                var s = Int(m.value.start), t = Int(m.value.end)
                while s < t, ASCII.isWhitespace(base[s]) { s += 1 }
                while t > s, ASCII.isWhitespace(base[t - 1]) { t -= 1 }
                guard t > s else { continue }
                if !first { out.append(0x2c) }
                if m.value.clean { out.append(base + s, t - s) } else {
                    out.with { JSONStringWriter.appendJSONValue(base + s, t - s, to: $0) }
                }
            } else {
                if !first { out.append(0x2c) }
                quoted(m.key, base, &out)
                out.append(0x3a)
                value(m.value, base, &out)
            }
            first = false
        }
        out.append(0x7d)
    }
}
