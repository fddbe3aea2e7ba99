/// One incident raised by ``IncidentDetector``: an episode of a service, from its start to its end.
///
/// The detector hands out a value each time an episode changes in a way worth telling: when it opens, when its
/// severity rises, and when it resolves (``state``); all of them carry the same ``id``. `logpipe analyze` lists
/// the last value of each episode; the live monitor writes each one as an entry (level ERROR,
/// `metadata.type` "incident").
public struct Incident: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// The ERROR+FATAL share of a service's entries in the window rose above its open level.
        case errorRate = "ERROR_RATE"
        /// A new error (template and first frame) reached the repeat threshold within a window of its first
        /// appearance in a service that had been running for a while.
        case errorThresholdExceeded = "ERROR_THRESHOLD_EXCEEDED"
    }

    public enum Severity: String, Sendable, Comparable, CaseIterable {
        case medium, high, critical

        public static func < (a: Severity, b: Severity) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }

    /// What this value tells about its episode.
    public enum State: String, Sendable {
        case open, escalated, resolved
    }

    /// One error key of the episode and how often it occurred in it.
    public struct PatternCount: Sendable, Equatable {
        /// The key as given to ``IncidentDetector/observe(timestampMillis:level:service:errorKey:)``
        /// (reports replace it with the template text).
        public var key: String
        public var count: Int
        public init(key: String, count: Int) { self.key = key; self.count = count }
    }

    /// 1, 2, 3, … in the order episodes open (per detector).
    public var id: Int
    public var kind: Kind
    public var severity: Severity
    public var state: State
    public var service: String
    public var windowMillis: Int64
    /// When the episode began: the point in the window at detection after which errors ran above the baseline.
    public var startMillis: Int64
    /// Timestamp of the entry that raised it (detection).
    public var timestampMillis: Int64
    /// Timestamp of the entry that caused this update (detection for `open`).
    public var updateMillis: Int64
    /// The highest window rate in the episode so far and when.
    public var peakMillis: Int64
    public var peakRate: Double
    /// When the episode ended: where its excess of errors stopped growing in the window in which the rate went back
    /// under the resolve level for good; nil while the episode is open.
    public var endMillis: Int64?
    /// The service's own error share before the episode (nil when it had not run a window's worth yet).
    public var baseline: Double?
    /// The rate above which the episode opened.
    public var openLevel: Double
    /// ERROR+FATAL entries and all entries of the service: the window at detection plus every entry after it, up
    /// to the end.
    public var errors: Int
    public var entries: Int
    /// The window rate at detection.
    public var rate: Double?
    /// The new error that opened it (ERROR_THRESHOLD_EXCEEDED only).
    public var errorKey: String?
    /// The errors that drove it, most frequent first (at most ``IncidentDetector/Configuration/topPatterns``).
    public var patterns: [PatternCount]

    public init(id: Int = 0, kind: Kind, severity: Severity, state: State = .open, timestampMillis: Int64,
                service: String, windowMillis: Int64, errors: Int, entries: Int, rate: Double?, errorKey: String?,
                startMillis: Int64? = nil, peakMillis: Int64? = nil, peakRate: Double? = nil, endMillis: Int64? = nil,
                baseline: Double? = nil, openLevel: Double = 0, patterns: [PatternCount] = [],
                updateMillis: Int64? = nil) {
        self.id = id
        self.kind = kind
        self.severity = severity
        self.state = state
        self.timestampMillis = timestampMillis
        self.updateMillis = updateMillis ?? timestampMillis
        self.service = service
        self.windowMillis = windowMillis
        self.errors = errors
        self.entries = entries
        self.rate = rate
        self.errorKey = errorKey
        self.startMillis = startMillis ?? timestampMillis
        self.peakMillis = peakMillis ?? timestampMillis
        self.peakRate = peakRate ?? rate ?? 0
        self.endMillis = endMillis
        self.baseline = baseline
        self.openLevel = openLevel
        self.patterns = patterns
    }

    /// End (or, while open, the last update) minus start.
    public var durationMillis: Int64 { (endMillis ?? timestampMillis) - startMillis }
}
