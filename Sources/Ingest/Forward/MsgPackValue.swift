/// One decoded MessagePack value. Strings, binaries and extension payloads stay raw bytes (a string with invalid
/// UTF-8 is data to keep, repaired only when written as JSON).
indirect enum MsgPackValue: Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string([UInt8])
    case binary([UInt8])
    case array([MsgPackValue])
    case map([(MsgPackValue, MsgPackValue)])
    case ext(type: Int8, data: [UInt8])

    static func == (a: MsgPackValue, b: MsgPackValue) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case let (.bool(x), .bool(y)): x == y
        case let (.int(x), .int(y)): x == y
        case let (.uint(x), .uint(y)): x == y
        case let (.double(x), .double(y)): x == y
        case let (.string(x), .string(y)), let (.binary(x), .binary(y)): x == y
        case let (.array(x), .array(y)): x == y
        case let (.map(x), .map(y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case let (.ext(t, x), .ext(u, y)): t == u && x == y
        default: false
        }
    }

    /// The bytes of a string or binary.
    var bytes: [UInt8]? {
        switch self {
        case let .string(b), let .binary(b): b
        default: nil
        }
    }

    /// The value of `key` in a map whose keys are strings.
    subscript(key: String) -> MsgPackValue? {
        guard case let .map(pairs) = self else { return nil }
        let k = Array(key.utf8)
        return pairs.first { $0.0.bytes == k }?.1
    }
}
