/// The error-rate monitor of the urgent path, driven by entry timestamps (so a
/// replayed archive raises the same incidents as live input did).
///
/// Feed every entry in input order with ``observe(timestampMillis:level:service:errorKey:)``;
/// it returns the incidents to emit now (usually none). Two rules:
///
/// * **Error rate**, per service, over the sliding window `(t − window, t]`:
///   the ERROR+FATAL share of the service's entries. Above 5 % the severity is
///   medium, above 10 % high, above 20 % critical (thresholds exclusive). An
///   incident is raised when the severity changes (up or down, while above 5 %),
///   and again after the rate was back at or under 5 %: never twice in a row
///   for the same severity.
/// * **Repeated error**: when the same error key (message template and first
///   stack frame) reaches ``Configuration/repeatThreshold`` occurrences within
///   the window, one ERROR_THRESHOLD_EXCEEDED incident (severity high); again
///   only after an occurrence finds fewer than the threshold in its window.
///
/// Memory: per service one counter per distinct millisecond in the window; per
/// error key the last `repeatThreshold` timestamps. Not thread-safe: one
/// detector per ordered stream.
public struct IncidentDetector: Sendable {
    public struct Configuration: Sendable {
        public var windowMillis: Int64 = 60_000
        /// Rate thresholds, exclusive: above `medium` raises medium, and so on.
        public var medium = 0.05
        public var high = 0.10
        public var critical = 0.20
        /// A step down (or recovery) needs the rate this fraction below the current severity's threshold, so a
        /// rate hovering at a threshold raises one incident, not one per entry.
        public var hysteresis = 0.2
        /// Occurrences of one error within the window that raise ERROR_THRESHOLD_EXCEEDED.
        public var repeatThreshold = 10
        public init(windowMillis: Int64 = 60_000) { self.windowMillis = windowMillis }
    }

    /// One service's entries in the window, as counts per millisecond, oldest first.
    struct ServiceWindow: Sendable {
        var buckets: [(millis: Int64, entries: Int, errors: Int)] = []
        var head = 0
        var entries = 0
        var errors = 0
        var severity: Incident.Severity?

        var newest = Int64.min

        mutating func add(_ t: Int64, error: Bool, window: Int64) {
            // An entry already outside the window (late, out of order) does not count.
            if newest != .min && t <= newest - window { return }
            if head < buckets.count, buckets[buckets.count - 1].millis == t {
                buckets[buckets.count - 1].entries += 1
                if error { buckets[buckets.count - 1].errors += 1 }
            } else {
                buckets.append((t, 1, error ? 1 : 0))
            }
            entries += 1
            if error { errors += 1 }
            newest = max(newest, t)
            while head < buckets.count && buckets[head].millis <= newest - window {
                entries -= buckets[head].entries
                errors -= buckets[head].errors
                head += 1
            }
            if head > 1024 && head * 2 > buckets.count {
                buckets.removeFirst(head)
                head = 0
            }
        }
    }

    /// The last occurrences of one error key.
    struct Repeats: Sendable {
        var times: [Int64] = []
        var next = 0
        var active = false

        /// Keeps `t` among the last `keep` times; true when all `keep` fall within `window` of `t`.
        mutating func record(_ t: Int64, keep n: Int, window: Int64) -> Bool {
            if times.count < n { times.append(t) } else { times[next] = t }
            next = (next + 1) % n
            // With n timestamps kept, the oldest of them is at `next`.
            return times.count == n && times[next % n] > t - window
        }
    }

    public let configuration: Configuration
    private var services: [String: ServiceWindow] = [:]
    private var repeats: [String: Repeats] = [:]

    public init(configuration: Configuration = Configuration()) { self.configuration = configuration }

    /// The share above which `severity` starts.
    public func threshold(_ severity: Incident.Severity) -> Double {
        switch severity {
        case .medium: configuration.medium
        case .high: configuration.high
        case .critical: configuration.critical
        }
    }

    /// The severity for an error share, nil at or below the medium threshold.
    public func severity(rate: Double) -> Incident.Severity? {
        if rate > configuration.critical { return .critical }
        if rate > configuration.high { return .high }
        if rate > configuration.medium { return .medium }
        return nil
    }

    /// Records one entry; returns the incidents it raises. `errorKey` identifies
    /// the error for ERROR and FATAL entries (ignored for others; nil skips the repeat rule).
    public mutating func observe(timestampMillis t: Int64, level: Level, service: String,
                                 errorKey: String?) -> [Incident] {
        let window = configuration.windowMillis
        let isError = level >= .error
        var raised: [Incident] = []
        // Mutated in place: a copy taken out of the dictionary shares the buckets, and adding to it then copied
        // the whole window (up to one bucket per millisecond of it) for every entry.
        services[service, default: ServiceWindow()].add(t, error: isError, window: window)
        let w = services[service]!
        let rate = w.entries == 0 ? 0 : Double(w.errors) / Double(w.entries)
        var severity = severity(rate: rate)
        if let current = w.severity, severity.map({ $0 < current }) ?? true,
           rate > threshold(current) * (1 - configuration.hysteresis) {
            severity = current // not clearly below the current step yet
        }
        if severity != w.severity {
            if let severity {
                raised.append(Incident(kind: .errorRate, severity: severity, timestampMillis: t, service: service,
                                       windowMillis: window, errors: w.errors, entries: w.entries, rate: rate,
                                       errorKey: nil))
            }
            services[service]!.severity = severity
        }
        if isError, let key = errorKey, configuration.repeatThreshold > 0 {
            let n = configuration.repeatThreshold
            // In place, like the service windows (a copy would share `times` and copy it on write).
            let reached = repeats[key, default: Repeats()].record(t, keep: n, window: window)
            if reached && !(repeats[key]?.active ?? false) {
                raised.append(Incident(kind: .errorThresholdExceeded, severity: .high, timestampMillis: t,
                                       service: service, windowMillis: window, errors: n, entries: n, rate: nil,
                                       errorKey: key))
            }
            repeats[key]?.active = reached
        }
        return raised
    }
}
