/// Everything `logpipe analyze` reports, accumulated entry by entry in input order.
///
/// Two parts: ``Tally`` holds what does not depend on order (counts, rates per minute, performance values, user
/// actions) and may be built on many threads and merged; error patterns and incidents need the entries in input
/// order (``addOrdered(_:)``). ``add(_:)`` does both.
public struct LogAnalysis: Sendable {
    /// The order-free part: build one per thread with ``add(_:)``, combine with ``merge(_:)``.
    public struct Tally: Sendable {
        public internal(set) var performance = PerformanceReport()
        public internal(set) var userActions = UserActionReport()
        public internal(set) var errorRate = ErrorRateSeries()
        public internal(set) var entries = 0
        public internal(set) var firstMillis: Int64?
        public internal(set) var lastMillis: Int64?
        /// Entries per level, indexed by `Level.rawValue`.
        var levels = [Int](repeating: 0, count: Level.allCases.count)
        public var levelCounts: [Level: Int] {
            Dictionary(uniqueKeysWithValues: Level.allCases.map { ($0, levels[Int($0.rawValue)]) }.filter { $0.1 > 0 })
        }
        public internal(set) var environmentCounts: [String: Int] = [:]

        public init() {}

        public mutating func add(_ entry: AnalysisEntry) {
            entries += 1
            levels[Int(entry.level.rawValue)] += 1
            environmentCounts[entry.environment, default: 0] += 1
            firstMillis = min(firstMillis ?? entry.timestampMillis, entry.timestampMillis)
            lastMillis = max(lastMillis ?? entry.timestampMillis, entry.timestampMillis)
            if let type = entry.type {
                if type == "performance", let metric = entry.metric, let value = entry.value {
                    performance.add(metric: metric, value: value, millis: entry.timestampMillis)
                } else if type == "user_action", let action = entry.action {
                    userActions.add(action: action, user: entry.userId, millis: entry.timestampMillis)
                }
            }
            errorRate.add(millis: entry.timestampMillis, isError: entry.level >= .error, service: entry.service)
        }

        public mutating func merge(_ o: Tally) {
            entries += o.entries
            for k in levels.indices { levels[k] += o.levels[k] }
            environmentCounts.merge(o.environmentCounts, uniquingKeysWith: +)
            if let f = o.firstMillis { firstMillis = min(firstMillis ?? f, f) }
            if let l = o.lastMillis { lastMillis = max(lastMillis ?? l, l) }
            performance.merge(o.performance)
            userActions.merge(o.userActions)
            errorRate.merge(o.errorRate)
        }
    }

    public private(set) var tally = Tally()
    public private(set) var errors = ErrorPatternReport()
    private var detector: IncidentDetector
    /// The last update of every episode, by id.
    private var episodes: [Int: Incident] = [:]
    /// Error keys as the detector knows them (their description) → the key, to name patterns by template.
    private var keys: [String: ErrorKey] = [:]

    public init(incidents configuration: IncidentDetector.Configuration = .init()) {
        detector = IncidentDetector(configuration: configuration)
    }

    public var windowMillis: Int64 { detector.configuration.windowMillis }
    public var performance: PerformanceReport { tally.performance }
    public var userActions: UserActionReport { tally.userActions }
    public var errorRate: ErrorRateSeries { tally.errorRate }
    public var entries: Int { tally.entries }
    public var firstMillis: Int64? { tally.firstMillis }
    public var lastMillis: Int64? { tally.lastMillis }
    public var levelCounts: [Level: Int] { tally.levelCounts }
    public var environmentCounts: [String: Int] { tally.environmentCounts }

    /// Both parts for one entry.
    public mutating func add(_ entry: AnalysisEntry) {
        tally.add(entry)
        addOrdered(entry)
    }

    /// Adds a tally built elsewhere from entries that go (or went) through ``addOrdered(_:)``.
    public mutating func merge(_ t: Tally) { tally.merge(t) }

    /// The order-dependent part: error patterns and incidents. Every entry, in input order.
    public mutating func addOrdered(_ entry: AnalysisEntry) {
        let key = errors.add(entry)
        var name: String?
        if let key {
            let text = key.description
            if keys[text] == nil { keys[text] = key }
            name = text
        }
        for incident in detector.observe(timestampMillis: entry.timestampMillis, level: entry.level,
                                         service: entry.service, errorKey: name) {
            episodes[incident.id] = incident
        }
    }

    /// One incident per episode (its last update; still-open episodes have no end), in the order they opened,
    /// errors named by template (and first frame).
    public var incidents: [Incident] {
        var all = episodes
        for open in detector.openIncidents() { all[open.id] = open }
        return all.values.sorted { $0.id < $1.id }.map { i in
            var i = i
            i.errorKey = i.errorKey.map(name)
            i.patterns = i.patterns.map { Incident.PatternCount(key: name($0.key), count: $0.count) }
            return i
        }
    }

    /// The readable name of a detector error key: template, and ` @ first frame` when there is one.
    public func name(_ key: String) -> String {
        guard let k = keys[key] else { return key }
        return errors.template(of: k) + (k.frame.isEmpty ? "" : " @ " + k.frame)
    }
}
