/// Entries with `metadata.type` "user_action", grouped by `metadata.action`:
/// how often, and by how many distinct users (`context.userId`; entries without one count but add no user).
/// ``funnel()`` finds the steps most users take in order, where the data has them.
public struct UserActionReport: Sendable {
    /// One action's figures.
    public struct Action: Sendable, Equatable {
        public var name: String
        public var count: Int
        public var uniqueUsers: Int
    }

    /// One step of a funnel: users who took every step up to this one, in order.
    public struct FunnelStep: Sendable, Equatable {
        public var action: String
        public var users: Int
    }

    /// Users remembered for the funnel (their first time of each action).
    public static let maxFunnelUsers = 200_000

    private var counts: [String: Int] = [:]
    private var users: [String: Set<String>] = [:]
    /// Per user, the first time of each action.
    private var firstTimes: [String: [String: Int64]] = [:]

    public init() {}

    public mutating func add(_ entry: AnalysisEntry) {
        guard entry.type == "user_action", let action = entry.action else { return }
        add(action: action, user: entry.userId, millis: entry.timestampMillis)
    }

    public mutating func add(action: String, user: String?, millis: Int64) {
        counts[action, default: 0] += 1
        guard let user else { return }
        users[action, default: []].insert(user)
        if firstTimes[user] != nil || firstTimes.count < Self.maxFunnelUsers {
            if let t = firstTimes[user]?[action], t <= millis { return }
            firstTimes[user, default: [:]][action] = millis
        }
    }

    /// Adds the actions of another report (from other entries): counts add up, first times take the earliest.
    public mutating func merge(_ o: UserActionReport) {
        counts.merge(o.counts, uniquingKeysWith: +)
        for (action, us) in o.users { users[action, default: []].formUnion(us) }
        for (user, times) in o.firstTimes where firstTimes[user] != nil || firstTimes.count < Self.maxFunnelUsers {
            firstTimes[user, default: [:]].merge(times, uniquingKeysWith: min)
        }
    }

    /// Actions by count (most first), then name.
    public func actions() -> [Action] {
        counts.map { Action(name: $0.key, count: $0.value, uniqueUsers: users[$0.key]?.count ?? 0) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.name < $1.name }
    }

    /// The longest chain of actions where most users of each step (at least `share`) took the previous one
    /// before it; empty when there is no chain of at least two steps. Each next step is the one that keeps the
    /// most users; counts are users who took all steps so far in order (by their first time of each action).
    public func funnel(share: Double = 0.6, candidates: Int = 10) -> [FunnelStep] {
        let names = actions().filter { $0.uniqueUsers >= 2 }.sorted {
            $0.uniqueUsers != $1.uniqueUsers ? $0.uniqueUsers > $1.uniqueUsers : $0.name < $1.name
        }.prefix(candidates).map(\.name)
        guard names.count >= 2 else { return [] }
        // Per user, the first time of each candidate (nil: never), then every pair count once.
        let c = names.count
        let times: [[Int64?]] = firstTimes.values.compactMap { t in
            let row = names.map { t[$0] }
            return row.contains { $0 != nil } ? row : nil
        }
        var users = [Int](repeating: 0, count: c)
        var before = [[Int]](repeating: [Int](repeating: 0, count: c), count: c)
        for row in times {
            for a in 0..<c {
                guard let ta = row[a] else { continue }
                users[a] += 1
                for b in 0..<c { if let tb = row[b], ta < tb { before[a][b] += 1 } }
            }
        }
        func inOrder(_ chain: [Int]) -> Int {
            times.reduce(0) { n, row in
                var last = Int64.min
                for a in chain {
                    guard let t = row[a], t > last else { return n }
                    last = t
                }
                return n + 1
            }
        }
        // Every candidate may start a chain; the longest wins (then the one that keeps the most users to its end).
        var best: [FunnelStep] = []
        for start in 0..<c where users[start] > 0 {
            var chain = [start]
            var steps = [FunnelStep(action: names[start], users: users[start])]
            while true {
                var next: (Int, Int)?
                for b in 0..<c where !chain.contains(b) && users[b] > 0 {
                    guard Double(before[chain.last!][b]) >= Double(users[b]) * share else { continue }
                    let through = inOrder(chain + [b])
                    if through > 0, through > (next?.1 ?? 0) { next = (b, through) }
                }
                guard let (b, through) = next else { break }
                chain.append(b)
                steps.append(FunnelStep(action: names[b], users: through))
            }
            if steps.count > best.count || (steps.count == best.count && steps.last!.users > best.last!.users) { best = steps }
        }
        return best.count >= 2 ? best : []
    }
}
