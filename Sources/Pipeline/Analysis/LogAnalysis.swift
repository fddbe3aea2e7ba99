/// Everything `logpipe analyze` reports, accumulated entry by entry in input order.
public struct LogAnalysis: Sendable {
    public private(set) var errors = ErrorPatternReport()
    public private(set) var performance = PerformanceReport()
    public private(set) var userActions = UserActionReport()
    public private(set) var errorRate = ErrorRateSeries()
    public private(set) var entries = 0
    public private(set) var firstMillis: Int64?
    public private(set) var lastMillis: Int64?
    public private(set) var levelCounts: [Level: Int] = [:]
    public private(set) var environmentCounts: [String: Int] = [:]
    private var detector: IncidentDetector
    /// The last update of every episode, by id.
    private var episodes: [Int: Incident] = [:]
    /// Error keys as the detector knows them (their description) → the key, to name patterns by template.
    private var keys: [String: ErrorKey] = [:]

    public init(incidents configuration: IncidentDetector.Configuration = .init()) {
        detector = IncidentDetector(configuration: configuration)
    }

    public var windowMillis: Int64 { detector.configuration.windowMillis }

    public mutating func add(_ entry: AnalysisEntry) {
        entries += 1
        levelCounts[entry.level, default: 0] += 1
        environmentCounts[entry.environment, default: 0] += 1
        firstMillis = min(firstMillis ?? entry.timestampMillis, entry.timestampMillis)
        lastMillis = max(lastMillis ?? entry.timestampMillis, entry.timestampMillis)
        let key = errors.add(entry)
        if let type = entry.type {
            if type == "performance", let metric = entry.metric, let value = entry.value {
                performance.add(metric: metric, value: value, millis: entry.timestampMillis)
            } else if type == "user_action", let action = entry.action {
                userActions.add(action: action, user: entry.userId, millis: entry.timestampMillis)
            }
        }
        errorRate.add(millis: entry.timestampMillis, isError: entry.level >= .error, service: entry.service)
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
