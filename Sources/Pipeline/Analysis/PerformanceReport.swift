/// Entries with `metadata.type` "performance", grouped by `metadata.metric`:
/// count, min, max, mean and the 50th, 95th and 99th percentiles of `metadata.value`.
///
/// Percentiles use the nearest-rank method: the p-th percentile of n sorted
/// values is the value at rank ⌈p/100 · n⌉ (1-based), always one of the values.
/// Entries without a numeric value are not counted. Keeps every value (8 bytes each).
public struct PerformanceReport: Sendable {
    /// One metric's figures.
    public struct Metric: Sendable, Equatable {
        public var name: String
        public var count: Int
        public var min: Double
        public var max: Double
        public var mean: Double
        public var p50: Double
        public var p95: Double
        public var p99: Double
    }

    private var values: [String: [Double]] = [:]

    public init() {}

    public mutating func add(_ entry: AnalysisEntry) {
        guard entry.type == "performance", let metric = entry.metric, let value = entry.value, value.isFinite else { return }
        values[metric, default: []].append(value)
    }

    /// Metrics by name.
    public func metrics() -> [Metric] {
        values.keys.sorted().map { name in
            let sorted = values[name]!.sorted()
            let sum = sorted.reduce(0, +)
            return Metric(name: name, count: sorted.count, min: sorted.first!, max: sorted.last!,
                          mean: sum / Double(sorted.count), p50: Self.percentile(sorted, 50),
                          p95: Self.percentile(sorted, 95), p99: Self.percentile(sorted, 99))
        }
    }

    /// Nearest-rank percentile of sorted, non-empty `values`.
    public static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[Swift.min(Swift.max(rank, 1), sorted.count) - 1]
    }
}
