import Foundation
import Pipeline

/// The finished figures of a ``LogAnalysis``, computed once for the renderers.
///
/// Every trend shares one ``Timeline``: from the first entry's minute, at most ``Timeline/maxBuckets`` buckets
/// of whole minutes.
struct AnalysisReport {
    var entries: Int
    var firstMillis: Int64?
    var lastMillis: Int64?
    var levels: [(name: String, count: Int)]
    var errorTotal: Int
    var patterns: [ErrorPatternReport.Pattern]
    var groups: [ErrorPatternReport.PatternGroup]
    var metrics: [PerformanceReport.Metric]
    var actions: [UserActionReport.Action]
    var funnel: [UserActionReport.FunnelStep]
    var minutes: [ErrorRateSeries.Minute]
    var services: [ErrorRateSeries.Service]
    var environments: [NameCount]
    var incidents: [Incident]
    var windowMillis: Int64
    var timeline: Timeline

    /// Time buckets for trends.
    struct Timeline {
        static let maxBuckets = 30
        var startMillis: Int64
        var bucketMillis: Int64
        var count: Int

        init(first: Int64?, last: Int64?) {
            guard let first, let last else { startMillis = 0; bucketMillis = 60_000; count = 0; return }
            startMillis = ErrorRateSeries.floorMinute(first)
            let minutes = (ErrorRateSeries.floorMinute(last) - startMillis) / 60_000 + 1
            let per = (minutes + Int64(Self.maxBuckets) - 1) / Int64(Self.maxBuckets)
            bucketMillis = max(1, per) * 60_000
            count = Int((minutes + per - 1) / per)
        }

        func index(_ millis: Int64) -> Int? {
            let k = Int((millis - startMillis) / bucketMillis)
            return k >= 0 && k < count ? k : nil
        }

        /// Per-minute counts summed into the buckets.
        func sum(_ perMinute: [Int64: Int]) -> [Int] {
            var out = Array(repeating: 0, count: count)
            for (m, n) in perMinute { if let k = index(m) { out[k] += n } }
            return out
        }

        /// Error share per bucket (nil where a bucket has no entries).
        func rates(_ perMinute: [Int64: ErrorRateSeries.Counts]) -> [Double?] {
            var entries = Array(repeating: 0, count: count), errors = entries
            for (m, c) in perMinute {
                if let k = index(m) { entries[k] += c.entries; errors[k] += c.errors }
            }
            return zip(entries, errors).map { $0 == 0 ? nil : Double($1) / Double($0) }
        }

        var bucketLabel: String {
            bucketMillis % 3_600_000 == 0 ? "\(bucketMillis / 3_600_000) h" : "\(bucketMillis / 60_000) min"
        }
    }

    init(_ a: LogAnalysis) {
        entries = a.entries
        firstMillis = a.firstMillis
        lastMillis = a.lastMillis
        levels = Level.allCases.map { ($0.name, a.levelCounts[$0] ?? 0) }
        errorTotal = a.errors.total
        patterns = a.errors.patterns()
        groups = a.errors.groups()
        timeline = Timeline(first: a.firstMillis, last: a.lastMillis)
        metrics = a.performance.metrics(bucketStart: timeline.startMillis, bucketMillis: timeline.bucketMillis,
                                        buckets: timeline.count)
        actions = a.userActions.actions()
        funnel = a.userActions.funnel()
        minutes = a.errorRate.minutes()
        services = a.errorRate.serviceTotals()
        environments = NameCount.ranked(a.environmentCounts)
        incidents = a.incidents
        windowMillis = a.windowMillis
    }

    /// The error-rate trend of all entries, per timeline bucket.
    var overallRates: [Double?] {
        var perMinute: [Int64: ErrorRateSeries.Counts] = [:]
        for m in minutes { perMinute[m.startMillis] = ErrorRateSeries.Counts(entries: m.entries, errors: m.errors) }
        return timeline.rates(perMinute)
    }

    /// RFC 3339 UTC with milliseconds, as in segments.
    static func time(_ ms: Int64) -> String {
        var f = TimestampFormatter()
        return f.string(ms)
    }

    /// `HH:mm:ss` when `ms` is on the day of `reference`, else the full time without milliseconds.
    static func shortTime(_ ms: Int64, reference: Int64?) -> String {
        let full = time(ms)
        if let reference, time(reference).prefix(10) == full.prefix(10) { return String(full.dropFirst(11).prefix(8)) }
        return String(full.prefix(19)) + "Z"
    }

    /// `3m12s`, `45s`, `2h05m`.
    static func duration(_ ms: Int64) -> String {
        let s = max(0, ms / 1000)
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m"
    }

    /// A number for people: integers as such, others with up to 3 decimals.
    static func number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(format: "%.3f", v).replacingOccurrences(of: "0+$", with: "", options: .regularExpression)
    }

    static func percent(_ rate: Double) -> String { String(format: "%.1f%%", rate * 100) }

    /// `3 (api 120, web 40, +1)`: how many, the top `top` with their counts, how many more.
    static func countsSummary(_ counts: [NameCount], top: Int = 2) -> String {
        guard counts.count > 1 else { return counts.first?.name ?? "-" }
        var s = "\(counts.count): " + counts.prefix(top).map { "\($0.name) \($0.count)" }.joined(separator: ", ")
        if counts.count > top { s += ", +\(counts.count - top)" }
        return s
    }

    /// Eight-level block sparkline of `values` scaled to their maximum (a space where a value is missing).
    static func sparkline(_ values: [Double?], peak: Double? = nil) -> String {
        let blocks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        let top = peak ?? values.compactMap { $0 }.max() ?? 0
        return String(values.map { v -> Character in
            guard let v else { return " " }
            guard top > 0 else { return blocks[0] }
            return blocks[min(7, max(0, Int((v / top * 7).rounded())))]
        })
    }

    static func sparkline(_ values: [Int]) -> String { sparkline(values.map { Double($0) }) }
}
