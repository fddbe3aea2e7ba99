import Foundation

extension TemplateMiner {
    /// Most positions that may differ between two groups that could merge.
    func maxDifferences(length: Int) -> Int {
        max(1, length / configuration.varyingShare)
    }

    /// Records the generalisations that the new group `index` shares with each
    /// same-length group, and merges a generalisation's groups once enough agree:
    /// ``Configuration/minDistinctValues`` groups, or two when they differ in one
    /// position only, where one side holds a masked variable (`<*>` vs `admin`,
    /// `rdd_<*>` vs `broadcast_<*>`: identifiers of two kinds in one place).
    mutating func generalise(_ index: Int) {
        let tokens = groups[index].tokens
        let limit = maxDifferences(length: tokens.count)
        for r in rootsByLength[tokens.count] ?? [] where r != index {
            guard let diff = groups[r].differences(from: tokens, limit: limit), !diff.isEmpty,
                  diff.allSatisfy({ TokenShape.mayVary(groups[r].tokens[$0], tokens[$0]) })
            else { continue }
            var general = TemplateGroup(tokens: groups[r].tokens, size: 0)
            for i in diff { general.tokens[i] = TemplateGroup.wildcard }
            guard general.constantCount > general.wildcardCount,
                  diff[0] > 0 || general.constantCount >= TokenShape.minConstantsWithFirstToken else { continue }
            let members = (rootsByLength[tokens.count] ?? []).filter { general.matches(groups[$0].tokens) }
            let masked = diff.count == 1
                && (TokenShape.holdsVariable(groups[r].tokens[diff[0]]) || TokenShape.holdsVariable(tokens[diff[0]]))
            if members.count >= (masked ? 2 : configuration.minDistinctValues) {
                merge(members.sorted(), into: general.tokens)
                return
            }
        }
    }

    /// Merges `members` (roots) into the oldest one with template `general`,
    /// then absorbs every other root that the widened template covers.
    mutating func merge(_ members: [Int], into general: [String]) {
        let target = members[0]
        var template = TemplateGroup(tokens: general, size: 0)
        for m in members { template.widen(toCover: groups[m].tokens) }
        var absorbed = Set(members)
        for r in rootsByLength[general.count] ?? [] where !absorbed.contains(r) && template.matches(groups[r].tokens) {
            absorbed.insert(r)
        }
        for m in absorbed {
            template.size += groups[m].size
            parent[m] = target
            if m != target {
                samples[target].append(contentsOf: samples[m].prefix(Self.maxMergedSamples - samples[target].count))
                samples[m] = []
            }
        }
        parent[target] = target
        groups[target] = template
        rootsByLength[general.count]?.removeAll { absorbed.contains($0) && $0 != target }
    }

    /// When no new group may be created: widens the closest same-length template.
    mutating func closest(_ tokens: [String]) -> Int? {
        var best: Int? = nil
        var bestDiff = Int.max
        for r in rootsByLength[tokens.count] ?? [] {
            let d = groups[r].differences(from: tokens, limit: tokens.count)?.count ?? Int.max
            if d < bestDiff { best = r; bestDiff = d }
        }
        guard let target = best else { return nil }
        groups[target].widen(toCover: tokens)
        groups[target].size += 1
        return target
    }
}
