/// Entries with `metadata.type` "user_action", grouped by `metadata.action`:
/// how often, and by how many distinct users (`context.userId`; entries without one count but add no user).
public struct UserActionReport: Sendable {
    /// One action's figures.
    public struct Action: Sendable, Equatable {
        public var name: String
        public var count: Int
        public var uniqueUsers: Int
    }

    private var counts: [String: Int] = [:]
    private var users: [String: Set<String>] = [:]

    public init() {}

    public mutating func add(_ entry: AnalysisEntry) {
        guard entry.type == "user_action", let action = entry.action else { return }
        counts[action, default: 0] += 1
        if let user = entry.userId { users[action, default: []].insert(user) }
    }

    /// Actions by count (most first), then name.
    public func actions() -> [Action] {
        counts.map { Action(name: $0.key, count: $0.value, uniqueUsers: users[$0.key]?.count ?? 0) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.name < $1.name }
    }
}
