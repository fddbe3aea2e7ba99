import Foundation

/// The fields of one entry (segment line format, DESIGN.md §3) that ``LogAnalysis`` looks at.
public struct AnalysisEntry: Sendable, Equatable {
    public var timestampMillis: Int64
    public var level: Level
    public var message: String
    public var service: String
    public var environment: String
    public var userId: String?
    /// The entry's `stack`, if any.
    public var stack: String?
    /// `metadata.type` (`performance`, `user_action`, ...).
    public var type: String?
    /// `metadata.metric` of a performance entry.
    public var metric: String?
    /// `metadata.value` of a performance entry, when a number.
    public var value: Double?
    /// `metadata.action` of a user action.
    public var action: String?

    public init(timestampMillis: Int64, level: Level, message: String, service: String = "unknown",
                environment: String = "unknown", userId: String? = nil, stack: String? = nil, type: String? = nil,
                metric: String? = nil, value: Double? = nil, action: String? = nil) {
        self.timestampMillis = timestampMillis
        self.level = level
        self.message = message
        self.service = service
        self.environment = environment
        self.userId = userId
        self.stack = stack
        self.type = type
        self.metric = metric
        self.value = value
        self.action = action
    }

    /// Decodes one JSON line of the segment format; nil when it is not a JSON object
    /// with a parseable `timestamp` and `level`.
    ///
    /// Uses JSONSerialization: for analysis, not the ingest hot path.
    public init?(jsonLine: Data) {
        guard let object = try? JSONSerialization.jsonObject(with: jsonLine) as? [String: Any] else { return nil }
        self.init(object: object)
    }

    /// Reads the fields from a decoded JSON object (see ``init(jsonLine:)``).
    public init?(object: [String: Any]) {
        guard let ts = object["timestamp"] as? String, let millis = Self.parseTime(ts),
              let levelName = object["level"] as? String, let level = Level(levelName) else { return nil }
        let context = object["context"] as? [String: Any] ?? [:]
        let metadata = object["metadata"] as? [String: Any] ?? [:]
        self.init(timestampMillis: millis, level: level, message: object["message"] as? String ?? "",
                  service: context["service"] as? String ?? "unknown",
                  environment: context["environment"] as? String ?? "unknown",
                  userId: Self.text(context["userId"]), stack: object["stack"] as? String,
                  type: metadata["type"] as? String, metric: Self.text(metadata["metric"]),
                  value: Self.number(metadata["value"]), action: Self.text(metadata["action"]))
    }

    /// RFC 3339 (and the other ISO shapes ``TimestampParser`` reads) to epoch milliseconds.
    public static func parseTime(_ s: String) -> Int64? {
        var text = s
        return text.withUTF8 { b in
            guard let r = TimestampParser.parseISO(b, 0, b.count), r.end == b.count else { return nil }
            return r.millis
        }
    }

    static func text(_ v: Any?) -> String? {
        switch v {
        case let s as String: s
        case let n as NSNumber: n.stringValue
        default: nil
        }
    }

    static func number(_ v: Any?) -> Double? {
        switch v {
        case let d as Double: d
        case let i as Int: Double(i)
        case let n as NSNumber: n.doubleValue
        case let s as String: Double(s)
        default: nil
        }
    }
}
