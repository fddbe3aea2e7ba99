import Foundation

/// The screen of `logpipe top`: rates from two `stats` answers (docs/control-socket.md), one row per input and
/// per sink. A pure function of the two answers and the time between them, so it is testable without a terminal.
enum TopView {
    /// The rows' text for `current`, with rates against `previous` taken `seconds` earlier (none on the first).
    static func render(current: [String: Any], previous: [String: Any]?, seconds: Double, socket: String, width: Int = 100) -> [String] {
        let uptime = (current["uptimeMillis"] as? Int).map { Self.duration(millis: $0) } ?? "?"
        var lines = ["logpipe top — \(socket) — up \(uptime) — q quits", ""]
        let header = pad("", 30) + cols(["ENTRIES/S", "BYTES/S", "LAG", "SPOOL", "ERRORS", "DROPS"])
        for (title, key) in [("INPUT", "inputs"), ("SINK", "sinks")] {
            lines.append(title + String(header.dropFirst(title.count)))
            let before = Dictionary(((previous?[key] as? [[String: Any]]) ?? []).map { ($0["name"] as? String ?? "", $0) }) { a, _ in a }
            let rows = current[key] as? [[String: Any]] ?? []
            if rows.isEmpty { lines.append("  (none yet)") }
            for row in rows {
                let name = row["name"] as? String ?? "?"
                let old = before[name]
                func rate(_ field: String) -> Double? {
                    guard let old, seconds > 0, let a = row[field] as? Int, let b = old[field] as? Int else { return nil }
                    return Double(max(0, a - b)) / seconds
                }
                let spool = key == "inputs" ? "-" : "\(row["spool"] as? Int ?? 0)"
                lines.append(pad("  " + name, 30) + cols([
                    rate("entries").map { count($0) } ?? "-", rate("bytes").map { size($0) + "/s" } ?? "-",
                    Self.duration(millis: row["lagMillis"] as? Int ?? 0), spool,
                    "\(row["errors"] as? Int ?? 0)", "\(row["drops"] as? Int ?? 0)",
                ]))
            }
            lines.append("")
        }
        return lines.map { String($0.prefix(width)) }
    }

    private static func cols(_ values: [String]) -> String {
        values.map { String(repeating: " ", count: max(1, 11 - $0.count)) + $0 }.joined()
    }

    private static func pad(_ s: String, _ n: Int) -> String {
        s.count >= n ? String(s.prefix(n - 1)) + " " : s + String(repeating: " ", count: n - s.count)
    }

    static func count(_ v: Double) -> String {
        v >= 10_000_000 ? String(format: "%.1fM", v / 1e6) : String(Int(v.rounded()))
    }

    static func size(_ v: Double) -> String {
        for (unit, f) in [("G", 1073741824.0), ("M", 1048576.0), ("K", 1024.0)] where v >= f {
            return String(format: "%.1f\(unit)", v / f)
        }
        return String(Int(v.rounded())) + "B"
    }

    static func duration(millis: Int) -> String {
        millis < 1000 ? "\(millis)ms" : millis < 120_000 ? String(format: "%.1fs", Double(millis) / 1000) : "\(millis / 60_000)m"
    }
}
