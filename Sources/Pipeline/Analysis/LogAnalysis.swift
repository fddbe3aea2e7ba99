/// Everything `logpipe analyze` reports, accumulated entry by entry in input order.
public struct LogAnalysis: Sendable {
    public private(set) var errors = ErrorPatternReport()
    public private(set) var performance = PerformanceReport()
    public private(set) var userActions = UserActionReport()
    public private(set) var errorRate = ErrorRateSeries()
    public private(set) var incidents: [Incident] = []
    public private(set) var entries = 0
    public private(set) var firstMillis: Int64?
    public private(set) var lastMillis: Int64?
    public private(set) var levelCounts: [Level: Int] = [:]
    private var detector: IncidentDetector

    public init(incidents configuration: IncidentDetector.Configuration = .init()) {
        detector = IncidentDetector(configuration: configuration)
    }

    public var windowMillis: Int64 { detector.configuration.windowMillis }

    public mutating func add(_ entry: AnalysisEntry) {
        entries += 1
        levelCounts[entry.level, default: 0] += 1
        firstMillis = min(firstMillis ?? entry.timestampMillis, entry.timestampMillis)
        lastMillis = max(lastMillis ?? entry.timestampMillis, entry.timestampMillis)
        let key = errors.add(entry)
        performance.add(entry)
        userActions.add(entry)
        errorRate.add(entry)
        let raised = detector.observe(timestampMillis: entry.timestampMillis, level: entry.level,
                                      service: entry.service, errorKey: key.map { $0.description })
        for var incident in raised {
            // Name the repeated error by its template, readable in reports.
            if incident.kind == .errorThresholdExceeded, let key { incident.errorKey = errors.template(of: key) + (key.frame.isEmpty ? "" : " @ " + key.frame) }
            incidents.append(incident)
        }
    }
}
