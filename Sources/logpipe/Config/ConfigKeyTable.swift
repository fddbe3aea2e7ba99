/// The key table as Markdown: `logpipe validate --list-keys` prints it and docs/config.md carries it verbatim
/// (a test keeps the two equal).
enum ConfigKeyTable {
    static var markdown: String {
        var lines = ["| key | flag | type | default | meaning |", "|---|---|---|---|---|"]
        for key in ConfigKey.all {
            let cells = ["`\(key.path)`", "`\(key.flag)`", key.type.name, key.defaultValue, key.doc]
            lines.append("| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
