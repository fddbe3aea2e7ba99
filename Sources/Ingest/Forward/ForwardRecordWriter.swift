import Pipeline

/// Writes one forward event as a JSON line in the entry model's keys, so the pipeline's JSON parser maps it like
/// any JSON log line: `timestamp` from the event time (EventTime or integer seconds), the record's own keys
/// (`message`, `level`, `service`, … map into the model; the rest lands under `metadata`), the record's `log`
/// as `message` when it has none (Fluent Bit's tail and Docker inputs), and the forward tag as `tag` (so
/// `metadata.tag`; `fluent_tag` when the record has a `tag` of its own). Nested maps and arrays stay JSON.
///
/// Strings with invalid UTF-8 are written with U+FFFD in place of the bad bytes, and counted.
struct ForwardRecordWriter {
    private var formatter = TimestampFormatter()
    private(set) var invalidUTF8 = 0

    /// The line for one event; `out` is cleared first.
    mutating func write(tag: [UInt8], time: MsgPackValue, record: MsgPackValue, to out: ByteBuffer) {
        out.removeAll()
        out.append("{")
        var first = true
        func key(_ k: StaticString) {
            if !first { out.append(",") }
            first = false
            out.append("\"")
            out.append(k)
            out.append("\":")
        }
        if let millis = Self.millis(time) {
            key("timestamp")
            out.append("\"")
            out.reserve(TimestampFormatter.width)
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: TimestampFormatter.width) { t in
                formatter.write(millis, to: t.baseAddress!)
                out.append(UnsafeBufferPointer(t))
            }
            out.append("\"")
        }
        let pairs: [(MsgPackValue, MsgPackValue)]
        if case let .map(p) = record { pairs = p } else { pairs = [(.string(Array("message".utf8)), record)] }
        let keys = Set(pairs.compactMap { $0.0.bytes })
        let hasMessage = keys.contains(Array("message".utf8)) || keys.contains(Array("msg".utf8))
        for (k, v) in pairs {
            var name = k.bytes ?? Array("\(k)".utf8)
            if !hasMessage, name == Array("log".utf8) { name = Array("message".utf8) }
            if !first { out.append(",") }
            first = false
            string(name, to: out)
            out.append(":")
            value(v, to: out, depth: 0)
        }
        key(keys.contains(Array("tag".utf8)) ? "fluent_tag" : "tag")
        string(tag, to: out)
        out.append("}")
    }

    /// Epoch milliseconds of an event time: EventTime (ext 0: seconds and nanoseconds, big-endian), integer or
    /// float seconds.
    static func millis(_ time: MsgPackValue) -> Int64? {
        switch time {
        case let .uint(s): return Int64(clamping: s) &* 1000
        case let .int(s): return s &* 1000
        case let .double(s): return s.isFinite ? Int64(s * 1000) : nil
        case let .ext(type, data) where type == 0 && data.count == 8:
            let s = data[0..<4].reduce(Int64(0)) { $0 << 8 | Int64($1) }
            let ns = data[4..<8].reduce(Int64(0)) { $0 << 8 | Int64($1) }
            return s * 1000 + ns / 1_000_000
        default: return nil
        }
    }

    private mutating func string(_ bytes: [UInt8], to out: ByteBuffer) {
        out.append("\"")
        bytes.withUnsafeBufferPointer { b in
            guard let p = b.baseAddress else { return }
            if !JSONStringWriter.isClean(p, b.count), !Self.isValidUTF8(p, b.count) { invalidUTF8 += 1 }
            JSONStringWriter.appendText(p, b.count, to: out)
        }
        out.append("\"")
    }

    private mutating func value(_ v: MsgPackValue, to out: ByteBuffer, depth: Int) {
        switch v {
        case .null: out.append("null")
        case let .bool(b): out.append(b ? "true" : "false")
        case let .int(i): out.append(string: String(i))
        case let .uint(u): out.append(string: String(u))
        case let .double(d): if d.isFinite { out.append(string: "\(d)") } else { out.append("null") }
        case let .string(b), let .binary(b): string(b, to: out)
        case let .ext(type, data):
            string(Array("ext\(type):\(data.map { String($0, radix: 16) }.joined())".utf8), to: out)
        case let .array(items):
            out.append("[")
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(",") }
                value(item, to: out, depth: depth + 1)
            }
            out.append("]")
        case let .map(pairs):
            out.append("{")
            for (i, (k, item)) in pairs.enumerated() {
                if i > 0 { out.append(",") }
                string(k.bytes ?? Array("\(k)".utf8), to: out)
                out.append(":")
                value(item, to: out, depth: depth + 1)
            }
            out.append("}")
        }
    }

    private static func isValidUTF8(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        var i = 0
        while i < n {
            if p[i] < 0x80 { i += 1; continue }
            let len = JSONStringWriter.utf8Length(p + i, n - i)
            if len == 0 { return false }
            i += len
        }
        return true
    }
}
