/// ERROR and FATAL entries grouped by message template and first stack frame.
///
/// Templates come from a ``TemplateMiner`` fed with the error messages only, so
/// messages that differ in ids, numbers and paths share one row. Groups that
/// the miner merges later are merged here too (``patterns()`` uses the final ids).
/// ``groups()`` puts the variants of one template (with and without a stack, or
/// with different first frames) under one row.
public struct ErrorPatternReport: Sendable {
    /// One template and first frame.
    public struct Pattern: Sendable, Equatable {
        public var template: String
        public var firstFrame: String
        public var count: Int
        public var firstMillis: Int64
        public var lastMillis: Int64
        public var services: [String]
        public var environments: [String]
        /// The first message seen for this pattern.
        public var sample: String
        /// Occurrences per service and per environment, most first (ties by name).
        public var serviceCounts: [NameCount] = []
        public var environmentCounts: [NameCount] = []
        /// Occurrences per UTC minute (start of the minute, epoch ms).
        public var perMinute: [Int64: Int] = [:]
    }

    /// One template with all its variants (most frequent first).
    public struct PatternGroup: Sendable, Equatable {
        public var template: String
        public var count: Int
        public var firstMillis: Int64
        public var lastMillis: Int64
        public var serviceCounts: [NameCount]
        public var environmentCounts: [NameCount]
        public var perMinute: [Int64: Int]
        public var variants: [Pattern]
        public var sample: String { variants.first?.sample ?? "" }
    }

    struct Tally: Sendable {
        var count = 0
        var firstMillis = Int64.max
        var lastMillis = Int64.min
        var services: [String: Int] = [:]
        var environments: [String: Int] = [:]
        var perMinute: [Int64: Int] = [:]
        var sample = ""
        var order = 0

        mutating func add(_ o: Tally) {
            if o.firstMillis < firstMillis || (o.firstMillis == firstMillis && o.order < order) {
                sample = o.sample
                order = o.order
            }
            count += o.count
            firstMillis = min(firstMillis, o.firstMillis)
            lastMillis = max(lastMillis, o.lastMillis)
            services.merge(o.services, uniquingKeysWith: +)
            environments.merge(o.environments, uniquingKeysWith: +)
            perMinute.merge(o.perMinute, uniquingKeysWith: +)
        }
    }

    private(set) var miner = TemplateMiner()
    private var tallies: [ErrorKey: Tally] = [:]
    /// ERROR + FATAL entries seen.
    public private(set) var total = 0

    public init() {}

    /// The error key of a message and stack, as things stand now (ids may merge later).
    public mutating func key(message: String, stack: String?) -> ErrorKey {
        ErrorKey(group: miner.add(message), frame: ErrorKey.firstFrame(of: stack))
    }

    /// Counts `entry` when it is ERROR or FATAL; returns its error key then.
    @discardableResult
    public mutating func add(_ entry: AnalysisEntry) -> ErrorKey? {
        guard entry.level >= .error else { return nil }
        let key = key(message: entry.message, stack: entry.stack)
        total += 1
        let t = entry.timestampMillis
        if tallies[key] == nil { tallies[key] = Tally(sample: entry.message, order: total) }
        tallies[key]!.count += 1
        if t < tallies[key]!.firstMillis { tallies[key]!.firstMillis = t }
        if t > tallies[key]!.lastMillis { tallies[key]!.lastMillis = t }
        tallies[key]!.services[entry.service, default: 0] += 1
        tallies[key]!.environments[entry.environment, default: 0] += 1
        tallies[key]!.perMinute[ErrorRateSeries.floorMinute(t), default: 0] += 1
        return key
    }

    /// The template text of an error key's group now.
    public func template(of key: ErrorKey) -> String { miner.template(ofGroup: key.group) }

    /// The final group id of an error key's group (after merges).
    public func finalGroup(of key: ErrorKey) -> Int { miner.group(of: key.group) }

    /// Rows by count (most first), then template and frame.
    public func patterns() -> [Pattern] {
        var merged: [ErrorKey: Tally] = [:]
        for (key, t) in tallies {
            let final = ErrorKey(group: miner.group(of: key.group), frame: key.frame)
            if var m = merged[final] { m.add(t); merged[final] = m } else { merged[final] = t }
        }
        return merged.map { key, t in
            Pattern(template: miner.template(ofGroup: key.group), firstFrame: key.frame, count: t.count,
                    firstMillis: t.firstMillis, lastMillis: t.lastMillis, services: t.services.keys.sorted(),
                    environments: t.environments.keys.sorted(), sample: t.sample,
                    serviceCounts: NameCount.ranked(t.services), environmentCounts: NameCount.ranked(t.environments),
                    perMinute: t.perMinute)
        }.sorted(by: Self.order)
    }

    /// One row per template (final group), its variants under it; by count, then template.
    public func groups() -> [PatternGroup] {
        var byTemplate: [String: [Pattern]] = [:]
        for p in patterns() { byTemplate[p.template, default: []].append(p) }
        return byTemplate.map { template, variants in
            var services: [String: Int] = [:], environments: [String: Int] = [:], minutes: [Int64: Int] = [:]
            for v in variants {
                for s in v.serviceCounts { services[s.name, default: 0] += s.count }
                for e in v.environmentCounts { environments[e.name, default: 0] += e.count }
                minutes.merge(v.perMinute, uniquingKeysWith: +)
            }
            return PatternGroup(template: template, count: variants.reduce(0) { $0 + $1.count },
                                firstMillis: variants.map(\.firstMillis).min()!, lastMillis: variants.map(\.lastMillis).max()!,
                                serviceCounts: NameCount.ranked(services), environmentCounts: NameCount.ranked(environments),
                                perMinute: minutes, variants: variants)
        }.sorted { a, b in a.count != b.count ? a.count > b.count : a.template < b.template }
    }

    static func order(_ a: Pattern, _ b: Pattern) -> Bool {
        if a.count != b.count { return a.count > b.count }
        if a.template != b.template { return a.template < b.template }
        return a.firstFrame < b.firstFrame
    }
}

/// A name and how often it occurred.
public struct NameCount: Sendable, Equatable {
    public var name: String
    public var count: Int
    public init(name: String, count: Int) { self.name = name; self.count = count }

    /// Most first, ties by name.
    public static func ranked(_ counts: [String: Int]) -> [NameCount] {
        counts.map { NameCount(name: $0.key, count: $0.value) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.name < $1.name }
    }
}
