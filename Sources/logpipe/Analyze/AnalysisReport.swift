import Foundation
import Pipeline

/// The finished figures of a ``LogAnalysis``, computed once for the renderers.
struct AnalysisReport {
    var entries: Int
    var firstMillis: Int64?
    var lastMillis: Int64?
    var levels: [(name: String, count: Int)]
    var errorTotal: Int
    var patterns: [ErrorPatternReport.Pattern]
    var metrics: [PerformanceReport.Metric]
    var actions: [UserActionReport.Action]
    var minutes: [ErrorRateSeries.Minute]
    var incidents: [Incident]
    var windowMillis: Int64

    init(_ a: LogAnalysis) {
        entries = a.entries
        firstMillis = a.firstMillis
        lastMillis = a.lastMillis
        levels = Level.allCases.map { ($0.name, a.levelCounts[$0] ?? 0) }
        errorTotal = a.errors.total
        patterns = a.errors.patterns()
        metrics = a.performance.metrics()
        actions = a.userActions.actions()
        minutes = a.errorRate.minutes()
        incidents = a.incidents
        windowMillis = a.windowMillis
    }

    /// RFC 3339 UTC with milliseconds, as in segments.
    static func time(_ ms: Int64) -> String {
        var f = TimestampFormatter()
        return f.string(ms)
    }

    /// A number for people: integers as such, others with up to 3 decimals.
    static func number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(format: "%.3f", v).replacingOccurrences(of: "0+$", with: "", options: .regularExpression)
    }

    static func percent(_ rate: Double) -> String { String(format: "%.1f%%", rate * 100) }
}
