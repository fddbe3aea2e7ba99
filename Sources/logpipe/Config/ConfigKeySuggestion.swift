/// "did you mean" for an unknown key: a flag's name used as a key, or the nearest key or section by edit distance.
enum ConfigKeySuggestion {
    static func nearest(to path: String) -> String? {
        let leaf = path.split(separator: ".").last.map(String.init) ?? path
        if let byFlag = ConfigKey.all.first(where: { $0.flag == "--" + leaf }) { return byFlag.path }
        let candidates = ConfigKey.all.map(\.path) + ConfigKey.sections.sorted()
        let scored = candidates.map { ($0, distance(Array(path), Array($0))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, path.count / 3) else { return nil }
        return best.0
    }

    /// Levenshtein distance.
    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }
}
