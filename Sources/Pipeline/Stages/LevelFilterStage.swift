/// Level filter: drops entries below the minimum level (DEBUG < INFO < WARN < ERROR < FATAL) and, for replay's
/// point-in-time selection, entries whose time is outside `[since, until)`. Dropped entries are counted as
/// filtered, never silently lost. An entry without a level is INFO; one without a time has its read time.
public struct LevelFilterStage: Sendable {
    public let minLevel: Level
    public let since: Int64?
    public let until: Int64?

    public init(minLevel: Level, since: Int64? = nil, until: Int64? = nil) {
        self.minLevel = minLevel
        self.since = since
        self.until = until
    }

    /// True when an entry of this level and time goes on.
    @inline(__always)
    public func admits(level: Level, timestampMillis: Int64) -> Bool {
        guard level >= minLevel else { return false }
        if let since, timestampMillis < since { return false }
        if let until, timestampMillis >= until { return false }
        return true
    }

    /// A parsed batch in memory: the indexes of the entries that go on, and how many were filtered.
    public func filter(_ entries: [ParsedEntry], readMillis: [Int64]) -> (kept: [Int], filtered: Int) {
        var kept: [Int] = []
        for (i, e) in entries.enumerated()
        where admits(level: e.level ?? .info, timestampMillis: e.timestampMillis ?? readMillis[i]) {
            kept.append(i)
        }
        return (kept, entries.count - kept.count)
    }
}
