/// An incident raised by ``IncidentDetector``: what the urgent path emits as an
/// entry (level ERROR, `metadata.type` "incident") and what `logpipe analyze` lists.
public struct Incident: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// The ERROR+FATAL share of a service's entries in the window went above a threshold.
        case errorRate = "ERROR_RATE"
        /// The same error reached the repeat threshold within the window.
        case errorThresholdExceeded = "ERROR_THRESHOLD_EXCEEDED"
    }

    public enum Severity: String, Sendable, Comparable, CaseIterable {
        case medium, high, critical

        public static func < (a: Severity, b: Severity) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }

    public var kind: Kind
    public var severity: Severity
    /// Timestamp of the entry that raised it.
    public var timestampMillis: Int64
    public var service: String
    public var windowMillis: Int64
    /// ERROR+FATAL entries of the service in the window (rate incidents), or
    /// occurrences of the error in the window (threshold incidents).
    public var errors: Int
    /// Entries of the service in the window (rate incidents); equal to `errors` for threshold incidents.
    public var entries: Int
    /// errors / entries for rate incidents; nil for threshold incidents.
    public var rate: Double?
    /// The repeated error (threshold incidents only).
    public var errorKey: String?

    public init(kind: Kind, severity: Severity, timestampMillis: Int64, service: String, windowMillis: Int64,
                errors: Int, entries: Int, rate: Double?, errorKey: String?) {
        self.kind = kind
        self.severity = severity
        self.timestampMillis = timestampMillis
        self.service = service
        self.windowMillis = windowMillis
        self.errors = errors
        self.entries = entries
        self.rate = rate
        self.errorKey = errorKey
    }
}
