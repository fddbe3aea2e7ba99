/// ERROR and FATAL entries grouped by message template and first stack frame.
///
/// Templates come from a ``TemplateMiner`` fed with the error messages only, so
/// messages that differ in ids, numbers and paths share one row. Groups that
/// the miner merges later are merged here too (``patterns()`` uses the final ids).
public struct ErrorPatternReport: Sendable {
    /// One row of the report.
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
    }

    struct Tally: Sendable {
        var count = 0
        var firstMillis = Int64.max
        var lastMillis = Int64.min
        var services: Set<String> = []
        var environments: Set<String> = []
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
            services.formUnion(o.services)
            environments.formUnion(o.environments)
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
        var t = tallies[key] ?? Tally(sample: entry.message, order: total)
        t.count += 1
        if entry.timestampMillis < t.firstMillis { t.firstMillis = entry.timestampMillis }
        if entry.timestampMillis > t.lastMillis { t.lastMillis = entry.timestampMillis }
        t.services.insert(entry.service)
        t.environments.insert(entry.environment)
        tallies[key] = t
        return key
    }

    /// The template text of an error key's group now.
    public func template(of key: ErrorKey) -> String { miner.template(ofGroup: key.group) }

    /// Rows by count (most first), then template and frame.
    public func patterns() -> [Pattern] {
        var merged: [ErrorKey: Tally] = [:]
        for (key, t) in tallies {
            let final = ErrorKey(group: miner.group(of: key.group), frame: key.frame)
            if var m = merged[final] { m.add(t); merged[final] = m } else { merged[final] = t }
        }
        return merged.map { key, t in
            Pattern(template: miner.template(ofGroup: key.group), firstFrame: key.frame, count: t.count,
                    firstMillis: t.firstMillis, lastMillis: t.lastMillis, services: t.services.sorted(),
                    environments: t.environments.sorted(), sample: t.sample)
        }.sorted { a, b in
            if a.count != b.count { return a.count > b.count }
            if a.template != b.template { return a.template < b.template }
            return a.firstFrame < b.firstFrame
        }
    }
}
