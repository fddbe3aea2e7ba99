/// Entries and ERROR+FATAL entries per UTC minute.
public struct ErrorRateSeries: Sendable {
    /// One minute's counts.
    public struct Minute: Sendable, Equatable {
        /// Start of the minute, epoch milliseconds.
        public var startMillis: Int64
        public var entries: Int
        public var errors: Int
        /// errors / entries (0 for an empty minute).
        public var rate: Double { entries == 0 ? 0 : Double(errors) / Double(entries) }
    }

    /// Longest span, in minutes, whose empty minutes are filled in by ``minutes()``.
    public static let maxFilledMinutes: Int64 = 7 * 24 * 60

    private var buckets: [Int64: (entries: Int, errors: Int)] = [:]

    public init() {}

    public mutating func add(_ entry: AnalysisEntry) {
        let minute = Self.floorMinute(entry.timestampMillis)
        var b = buckets[minute] ?? (0, 0)
        b.entries += 1
        if entry.level >= .error { b.errors += 1 }
        buckets[minute] = b
    }

    /// Minutes in order; minutes without entries between the first and the last
    /// are included (with zeros) when the span is at most ``maxFilledMinutes``.
    public func minutes() -> [Minute] {
        guard let first = buckets.keys.min(), let last = buckets.keys.max() else { return [] }
        if (last - first) / 60_000 <= Self.maxFilledMinutes {
            return stride(from: first, through: last, by: 60_000).map { m in
                let b = buckets[m] ?? (0, 0)
                return Minute(startMillis: m, entries: b.entries, errors: b.errors)
            }
        }
        return buckets.keys.sorted().map { Minute(startMillis: $0, entries: buckets[$0]!.entries, errors: buckets[$0]!.errors) }
    }

    static func floorMinute(_ ms: Int64) -> Int64 {
        let m = ms / 60_000 * 60_000
        return m > ms ? m - 60_000 : m
    }
}
