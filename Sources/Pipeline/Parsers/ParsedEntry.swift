/// One line's fields after parsing, as byte ranges into the line: no copies, no allocation per line.
///
/// The encoder turns it into the segment line format; enrichment fills what a parser left empty.
public struct ParsedEntry: Sendable {
    public var level: Level?
    public var timestampMillis: Int64?
    public var message = FieldValue.none
    public var stack = FieldValue.none
    public var service = FieldValue.none
    public var version = FieldValue.none
    public var environment = FieldValue.none
    public var host = FieldValue.none
    public var userId = FieldValue.none
    public var sessionId = FieldValue.none
    public var requestId = FieldValue.none
    /// Fields that do not map to the model, kept under `metadata` (in the batch's shared `meta` array).
    public var metaStart = 0
    public var metaCount = 0
    public var parseError = false

    public init() {}
}

/// A byte range of the line and how its bytes must be written.
public struct FieldValue: Sendable {
    /// How the bytes are encoded in the input.
    public enum Kind: UInt8, Sendable {
        /// Absent.
        case none
        /// Plain bytes: everything is escaped on output.
        case text
        /// The inside of a JSON (or logfmt-quoted) string: its escapes are kept.
        case jsonString
        /// A raw JSON value (number, object, array, literal).
        case jsonValue
        /// An entry of `MetaLiteral.table` (`start` is the index); written as is.
        case literal
        /// The members of a JSON object (without braces), spliced into `metadata`.
        case members
    }

    public var start: Int32
    public var end: Int32
    public var kind: Kind
    /// True when the bytes need no escaping or repair: they are copied verbatim.
    public var clean: Bool

    public static let none = FieldValue(start: 0, end: 0, kind: .none, clean: true)

    @inline(__always) public init(start: Int, end: Int, kind: Kind, clean: Bool) {
        self.start = Int32(truncatingIfNeeded: start)
        self.end = Int32(truncatingIfNeeded: end)
        self.kind = kind
        self.clean = clean
    }

    @inline(__always) public static func literal(_ l: MetaLiteral) -> FieldValue {
        FieldValue(start: Int(l.rawValue), end: 0, kind: .literal, clean: true)
    }

    @inline(__always) public var isPresent: Bool { kind != .none }
    @inline(__always) public var count: Int { Int(end - start) }
}

/// One `metadata` member: key and value.
public struct MetaField: Sendable {
    public var key: FieldValue
    public var value: FieldValue

    @inline(__always) public init(key: FieldValue, value: FieldValue) {
        self.key = key
        self.value = value
    }
}

/// Fixed keys and values the parsers add to `metadata` (pre-encoded JSON, key names without quotes).
public enum MetaLiteral: Int32, Sendable {
    case trueValue, parseError, truncated, invalidJSON, invalidLogfmt, invalidSyslog, procid, msgid, pri
    case levelKey, timestampKey, continuation

    public static let table: [[UInt8]] = [
        "true", "parseError", "truncated", "\"invalid JSON\"", "\"invalid logfmt\"", "\"invalid syslog header\"",
        "procid", "msgid", "pri", "level", "timestamp", "continuation",
    ].map { Array($0.utf8) }
}
