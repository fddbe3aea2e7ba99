/// Error-rate incidents as episodes, driven by entry timestamps (so a replayed archive raises the same incidents
/// as live input did, and `logpipe analyze` the same as `logpipe run --incidents`).
///
/// Feed every entry in input order with ``observe(timestampMillis:level:service:errorKey:)``; it returns the
/// incident updates to tell now (usually none). Per service, over the sliding window `(t − window, t]`:
///
/// * **A rate counts** only with at least ``Configuration/minEntries`` entries and ``Configuration/minErrors``
///   ERROR+FATAL entries in the window, and errors significantly above what the baseline predicts
///   (``Configuration/significance`` standard deviations).
/// * **Baseline**: the service's own error share before the window, weighted down exponentially with age
///   (``Configuration/baselineMillis``), known once the service has run for two windows; entries of an open
///   episode never feed it.
/// * **Open** when the rate rises above the open level: the largest of ``Configuration/openRate``,
///   baseline × ``Configuration/baselineFactor`` and baseline + ``Configuration/baselineLift`` (before the
///   baseline is known: ``Configuration/warmupRate``). Also when a *new* error (template and first frame, first
///   seen less than a window ago in a service whose baseline is known) reaches ``Configuration/repeatThreshold``
///   occurrences (ERROR_THRESHOLD_EXCEEDED).
/// * **Resolve** (hysteresis) once the rate has stayed at or below the resolve level — between the baseline and
///   the open level, at ``Configuration/resolveFraction`` — for ``Configuration/resolveAfterMillis``; the episode
///   ends where it went below. Until then it stays one episode, whatever the rate does.
/// * **Severity** by the peak rate: above 5 % medium, above 10 % high, above 20 % critical; a new error
///   alone is high. An update goes out when an episode opens, when its severity rises (or a new-error episode
///   becomes a rate episode) and when it resolves.
///
/// Memory: per service one counter per distinct millisecond in the window, the last ``recentErrors`` error keys
/// and the first sighting of each error key. Not thread-safe: one detector per ordered stream.
public struct IncidentDetector: Sendable {
    public struct Configuration: Sendable {
        public var windowMillis: Int64 = 60_000
        /// Severity steps (exclusive) of a window rate.
        public var medium = 0.05
        public var high = 0.10
        public var critical = 0.20
        public var minEntries = 20
        public var minErrors = 5
        public var significance = 3.0
        /// Absolute floor of the open level.
        public var openRate = 0.05
        public var baselineFactor = 2.0
        public var baselineLift = 0.05
        /// Open level while a service has no baseline yet (its first two windows).
        public var warmupRate = 0.20
        /// Resolve level = baseline + (open level − baseline) × this.
        public var resolveFraction = 0.5
        /// How long the rate must stay at or under the resolve level; nil: half the window.
        public var resolveAfterMillis: Int64?
        /// Time constant of the baseline's exponential weighting; nil: ten windows.
        public var baselineMillis: Int64?
        /// Occurrences of a new error within a window of its first sighting that raise ERROR_THRESHOLD_EXCEEDED.
        public var repeatThreshold = 10
        /// Patterns named per incident.
        public var topPatterns = 3
        public init(windowMillis: Int64 = 60_000) { self.windowMillis = windowMillis }

        var resolveAfter: Int64 { resolveAfterMillis ?? windowMillis / 2 }
        var baselineTau: Double { Double(baselineMillis ?? windowMillis * 10) }

        func threshold(_ severity: Incident.Severity) -> Double {
            switch severity {
            case .medium: medium
            case .high: high
            case .critical: critical
            }
        }

        func severity(rate: Double) -> Incident.Severity? {
            if rate > critical { return .critical }
            if rate > high { return .high }
            if rate > medium { return .medium }
            return nil
        }
    }

    /// Error keys remembered per service, to name the patterns of the window in which an episode opens.
    public static let recentErrors = 512

    public let configuration: Configuration
    var services: [String: ServiceState] = [:]
    private var nextId = 1

    public init(configuration: Configuration = Configuration()) { self.configuration = configuration }

    /// The share above which `severity` starts.
    public func threshold(_ severity: Incident.Severity) -> Double { configuration.threshold(severity) }

    /// The severity for an error share, nil at or below the medium threshold.
    public func severity(rate: Double) -> Incident.Severity? { configuration.severity(rate: rate) }

    /// Records one entry; returns the incident updates it causes. `errorKey` identifies the error for ERROR and
    /// FATAL entries (ignored for others; nil leaves the entry out of the new-error rule and the pattern counts).
    public mutating func observe(timestampMillis t: Int64, level: Level, service: String,
                                 errorKey: String?) -> [Incident] {
        let isError = level >= .error
        var id = nextId
        let update = services[service, default: ServiceState(firstMillis: t)]
            .observe(t, isError: isError, key: isError ? errorKey : nil, service: service,
                     configuration: configuration, nextId: &id)
        nextId = id
        return update.map { [$0] } ?? []
    }

    /// The episodes still open (state `open`, no end), in the order they opened: for a report at end of input.
    public func openIncidents() -> [Incident] {
        services.values.compactMap { $0.episode?.incident(configuration: configuration) }.sorted { $0.id < $1.id }
    }
}
