/// Entries and ERROR+FATAL entries per UTC minute, overall and per service.
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

    /// One service's totals and minutes.
    public struct Service: Sendable, Equatable {
        public var name: String
        public var entries: Int
        public var errors: Int
        public var rate: Double { entries == 0 ? 0 : Double(errors) / Double(entries) }
        /// The service's counts per minute (only minutes it had entries in).
        public var perMinute: [Int64: Counts]
    }

    public struct Counts: Sendable, Equatable {
        public var entries = 0
        public var errors = 0
        public init(entries: Int = 0, errors: Int = 0) { self.entries = entries; self.errors = errors }
        mutating func add(entries: Int, errors: Int) { self.entries += entries; self.errors += errors }
    }

    /// Longest span, in minutes, whose empty minutes are filled in by ``minutes()``.
    public static let maxFilledMinutes: Int64 = 7 * 24 * 60

    private var buckets: [Int64: Counts] = [:]
    private var services: [String: [Int64: Counts]] = [:]

    public init() {}

    public mutating func add(_ entry: AnalysisEntry) {
        add(millis: entry.timestampMillis, isError: entry.level >= .error, service: entry.service)
    }

    public mutating func add(millis: Int64, isError: Bool, service: String) {
        let minute = Self.floorMinute(millis)
        let e = isError ? 1 : 0
        buckets[minute, default: Counts()].add(entries: 1, errors: e)
        services[service, default: [:]][minute, default: Counts()].add(entries: 1, errors: e)
    }

    /// Adds the counts of another series (from other entries).
    public mutating func merge(_ o: ErrorRateSeries) {
        for (m, c) in o.buckets {
            buckets[m, default: Counts()].entries += c.entries
            buckets[m, default: Counts()].errors += c.errors
        }
        for (service, minutes) in o.services {
            for (m, c) in minutes {
                services[service, default: [:]][m, default: Counts()].entries += c.entries
                services[service, default: [:]][m, default: Counts()].errors += c.errors
            }
        }
    }

    /// Minutes in order; minutes without entries between the first and the last
    /// are included (with zeros) when the span is at most ``maxFilledMinutes``.
    public func minutes() -> [Minute] {
        guard let first = buckets.keys.min(), let last = buckets.keys.max() else { return [] }
        if (last - first) / 60_000 <= Self.maxFilledMinutes {
            return stride(from: first, through: last, by: 60_000).map { m in
                let b = buckets[m] ?? Counts()
                return Minute(startMillis: m, entries: b.entries, errors: b.errors)
            }
        }
        return buckets.keys.sorted().map { Minute(startMillis: $0, entries: buckets[$0]!.entries, errors: buckets[$0]!.errors) }
    }

    /// Services by entries (most first), then name.
    public func serviceTotals() -> [Service] {
        services.map { name, minutes in
            let total = minutes.values.reduce(into: Counts()) { $0.entries += $1.entries; $0.errors += $1.errors }
            return Service(name: name, entries: total.entries, errors: total.errors, perMinute: minutes)
        }.sorted { $0.entries != $1.entries ? $0.entries > $1.entries : $0.name < $1.name }
    }

    public static func floorMinute(_ ms: Int64) -> Int64 {
        let m = ms / 60_000 * 60_000
        return m > ms ? m - 60_000 : m
    }
}
