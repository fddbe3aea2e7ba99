import Foundation

/// One group of the miner: its current template and how many messages it holds.
struct TemplateGroup: Sendable {
    /// Template tokens. ``wildcard`` marks a position generalised by a merge,
    /// which matches any token; a masked `<*>` token only matches itself.
    var tokens: [String]
    /// Messages added to this group (including groups merged into it).
    var size: Int

    static let wildcard = "\u{1}<*>"

    /// Whether `message` (masked tokens of the same length) fits this template.
    func matches(_ message: [String]) -> Bool {
        guard message.count == tokens.count else { return false }
        for i in 0..<tokens.count where tokens[i] != message[i] && tokens[i] != Self.wildcard {
            return false
        }
        return true
    }

    /// Number of positions generalised by merges.
    var wildcardCount: Int { tokens.reduce(0) { $0 + ($1 == Self.wildcard ? 1 : 0) } }

    /// Positions where the template has a constant that `message` does not share.
    func differences(from message: [String], limit: Int) -> [Int]? {
        var diff: [Int] = []
        for i in 0..<tokens.count where tokens[i] != message[i] && tokens[i] != Self.wildcard {
            diff.append(i)
            if diff.count > limit { return nil }
        }
        return diff
    }

    /// Widens the template so that it also covers `other`.
    mutating func widen(toCover other: [String]) {
        if tokens.count != other.count { return }
        for i in 0..<min(tokens.count, other.count) where tokens[i] != other[i] {
            tokens[i] = Self.wildcard
        }
    }

    /// The template text, tokens joined by one space.
    var text: String {
        tokens.map { $0 == Self.wildcard ? VariableMasker.wildcard : $0 }.joined(separator: " ")
    }

    /// Number of positions that are neither merged nor masked variables.
    var constantCount: Int {
        tokens.reduce(0) { $0 + ($1 == Self.wildcard || $1 == VariableMasker.wildcard ? 0 : 1) }
    }
}
