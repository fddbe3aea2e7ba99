import Foundation
import Pipeline

/// Writes OTLP values as JSON into a line buffer: strings escaped (control characters, invalid UTF-8 repaired by
/// `JSONStringWriter`), integers exact, doubles finite or as strings ("NaN"), bytes as base64, key-value lists as
/// objects. Used for attributes under `metadata` and for a body that is not a string.
enum OTLPJSONWriter {
    typealias AnyValue = Opentelemetry_Proto_Common_V1_AnyValue
    typealias KeyValue = Opentelemetry_Proto_Common_V1_KeyValue

    static func string(_ s: String, to out: Pipeline.ByteBuffer) {
        out.append(0x22)
        text(s, to: out)
        out.append(0x22)
    }

    /// String content without quotes.
    static func text(_ s: String, to out: Pipeline.ByteBuffer) {
        var s = s
        s.withUTF8 { JSONStringWriter.appendText($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count, to: out) }
    }

    /// `depth` nil: no bound (the text of a value written as a string).
    static func value(_ v: AnyValue, to out: Pipeline.ByteBuffer, depth: Int? = 0) {
        // OTLP nests without a bound (SwiftProtobuf's decoder stops at 100); the pipeline's JSON scanner stops at
        // 64 levels, so a value deeper than 32 is kept whole as the string of its JSON text.
        if let depth, depth >= 32 {
            let inner = Pipeline.ByteBuffer(capacity: 1024)
            value(v, to: inner, depth: nil)
            out.append(0x22)
            JSONStringWriter.appendText(inner.base, inner.count, to: out)
            out.append(0x22)
            return
        }
        let next = depth.map { $0 + 1 }
        switch v.value {
        case nil: out.append("null")
        case let .stringValue(s)?: string(s, to: out)
        case let .boolValue(b)?: out.append(b ? "true" : "false")
        case let .intValue(i)?: integer(i, to: out)
        case let .doubleValue(d)?:
            if d.isFinite { out.append(string: "\(d)") } else { string("\(d)", to: out) }
        case let .bytesValue(data)?: string(data.base64EncodedString(), to: out)
        case let .arrayValue(array)?:
            out.append(UInt8(ascii: "["))
            for (i, element) in array.values.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                value(element, to: out, depth: next)
            }
            out.append(UInt8(ascii: "]"))
        case let .kvlistValue(list)?:
            object(list.values, to: out, depth: next)
        }
    }

    /// Writes one object's members: the opening brace at once, a comma before each key but the first; the
    /// caller writes each value after `key` and the closing brace at the end.
    struct Members {
        let out: Pipeline.ByteBuffer
        private var first = true

        init(_ out: Pipeline.ByteBuffer) {
            self.out = out
            out.append(UInt8(ascii: "{"))
        }

        mutating func key(_ k: String) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            OTLPJSONWriter.string(k, to: out)
            out.append(UInt8(ascii: ":"))
        }
    }

    /// `{"key":value,…}`; a repeated key keeps its first value (the pipeline would keep both, and OTLP forbids it).
    static func object(_ pairs: [KeyValue], to out: Pipeline.ByteBuffer, depth: Int? = 0) {
        var members = Members(out)
        let repeated = repeatedKeys(pairs)
        for (i, pair) in pairs.enumerated() where repeated?[i] != true {
            members.key(pair.key)
            value(pair.value, to: out, depth: depth)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Which of `pairs` repeat an earlier key (nil: none do). A record has a handful of attributes, where a scan
    /// beats a set; a long list gets the set, so a hostile one costs linear time.
    static func repeatedKeys(_ pairs: [KeyValue]) -> [Bool]? {
        var repeated: [Bool]?
        if pairs.count <= 16 {
            for i in pairs.indices {
                var j = 0
                while j < i, pairs[j].key != pairs[i].key { j += 1 }
                if j < i { repeated = repeated ?? [Bool](repeating: false, count: pairs.count); repeated![i] = true }
            }
        } else {
            var seen = Set<String>(minimumCapacity: pairs.count)
            for i in pairs.indices where !seen.insert(pairs[i].key).inserted {
                repeated = repeated ?? [Bool](repeating: false, count: pairs.count)
                repeated![i] = true
            }
        }
        return repeated
    }

    /// Integers exactly (`appendDecimal` cannot negate `Int.min`).
    @inline(__always) static func integer(_ i: Int64, to out: Pipeline.ByteBuffer) {
        if i >= 0 { out.appendDecimal(Int(i)) } else { out.append(string: String(i)) }
    }

    /// An ID's bytes as a JSON string of lower-case hex (written in place: IDs are on every record).
    static func hex(_ data: Data, to out: Pipeline.ByteBuffer) {
        out.reserve(data.count * 2 + 2)
        out.append(0x22)
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            for b in bytes {
                let hi = b >> 4, lo = b & 15
                out.append(hi < 10 ? 48 + hi : 87 + hi)
                out.append(lo < 10 ? 48 + lo : 87 + lo)
            }
        }
        out.append(0x22)
    }
}

extension Opentelemetry_Proto_Common_V1_AnyValue {
    /// The value as a message: a string as it is, anything else as its JSON text.
    var textForm: String {
        if case let .stringValue(s)? = value { return s }
        let out = Pipeline.ByteBuffer(capacity: 256)
        OTLPJSONWriter.value(self, to: out, depth: nil)
        return String(decoding: out.bytes, as: UTF8.self)
    }
}
