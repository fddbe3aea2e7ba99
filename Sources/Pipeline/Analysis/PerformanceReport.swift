/// Entries with `metadata.type` "performance", grouped by `metadata.metric`:
/// count, min, max, mean and the 50th, 95th and 99th percentiles of `metadata.value`,
/// overall and per time bucket.
///
/// Percentiles use the nearest-rank method: the p-th percentile of n sorted
/// values is the value at rank ⌈p/100 · n⌉ (1-based), always one of the values.
/// Entries without a numeric value are not counted. Keeps every value (8 bytes each) by UTC minute.
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
        /// Percentiles per bucket of ``metrics(bucketStart:bucketMillis:buckets:)``; nil for buckets without values.
        public var overTime: [Percentiles?] = []
    }

    public struct Percentiles: Sendable, Equatable {
        public var count: Int
        public var p50: Double
        public var p95: Double
        public var p99: Double
    }

    private var values: [String: [Int64: [Double]]] = [:]

    public init() {}

    public mutating func add(_ entry: AnalysisEntry) {
        guard entry.type == "performance", let metric = entry.metric, let value = entry.value else { return }
        add(metric: metric, value: value, millis: entry.timestampMillis)
    }

    public mutating func add(metric: String, value: Double, millis: Int64) {
        guard value.isFinite else { return }
        values[metric, default: [:]][ErrorRateSeries.floorMinute(millis), default: []].append(value)
    }

    /// Adds the values of another report (from other entries).
    public mutating func merge(_ o: PerformanceReport) {
        for (metric, minutes) in o.values {
            for (minute, vs) in minutes { values[metric, default: [:]][minute, default: []].append(contentsOf: vs) }
        }
    }

    /// Metrics by name (no time buckets).
    public func metrics() -> [Metric] { metrics(bucketStart: 0, bucketMillis: 60_000, buckets: 0) }

    /// Metrics by name, with percentiles for `buckets` buckets of `bucketMillis` from `bucketStart`.
    public func metrics(bucketStart: Int64, bucketMillis: Int64, buckets: Int) -> [Metric] {
        values.keys.sorted().map { name in
            let minutes = values[name]!
            let sorted = minutes.values.joined().sorted()
            let sum = sorted.reduce(0, +)
            var perBucket = Array(repeating: [Double](), count: buckets)
            if buckets > 0 {
                for (minute, vs) in minutes {
                    let k = Int((minute - bucketStart) / bucketMillis)
                    if k >= 0 && k < buckets { perBucket[k].append(contentsOf: vs) }
                }
            }
            let overTime: [Percentiles?] = perBucket.map { vs in
                guard !vs.isEmpty else { return nil }
                let s = vs.sorted()
                return Percentiles(count: s.count, p50: Self.percentile(s, 50), p95: Self.percentile(s, 95),
                                   p99: Self.percentile(s, 99))
            }
            return Metric(name: name, count: sorted.count, min: sorted.first!, max: sorted.last!,
                          mean: sum / Double(sorted.count), p50: Self.percentile(sorted, 50),
                          p95: Self.percentile(sorted, 95), p99: Self.percentile(sorted, 99), overTime: overTime)
        }
    }

    /// Nearest-rank percentile of sorted, non-empty `values`.
    public static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[Swift.min(Swift.max(rank, 1), sorted.count) - 1]
    }
}
