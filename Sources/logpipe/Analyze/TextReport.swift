import Pipeline

/// `--format text`: the report as aligned plain-text tables.
enum TextReport {
    static func render(_ r: AnalysisReport) -> String {
        var out = "logpipe analyze: \(r.entries) entries"
        if let f = r.firstMillis, let l = r.lastMillis { out += " from \(AnalysisReport.time(f)) to \(AnalysisReport.time(l))" }
        out += "\n" + r.levels.map { "\($0.name) \($0.count)" }.joined(separator: "  ") + "\n"

        out += "\nERROR PATTERNS (ERROR+FATAL total: \(r.errorTotal), patterns: \(r.patterns.count))\n"
        out += table(["COUNT", "FIRST", "LAST", "SERVICES", "ENVIRONMENTS", "TEMPLATE", "FIRST FRAME", "SAMPLE"],
                     r.patterns.map { p in
                         [String(p.count), AnalysisReport.time(p.firstMillis), AnalysisReport.time(p.lastMillis),
                          p.services.joined(separator: ","), p.environments.joined(separator: ","),
                          clip(p.template, 70), clip(p.firstFrame, 50), clip(p.sample, 70)]
                     }, right: [0])

        out += "\nPERFORMANCE (metadata.type=performance, by metadata.metric)\n"
        out += table(["METRIC", "COUNT", "MIN", "MAX", "MEAN", "P50", "P95", "P99"], r.metrics.map { m in
            [m.name, String(m.count)] + [m.min, m.max, m.mean, m.p50, m.p95, m.p99].map(AnalysisReport.number)
        }, right: Array(1...7))

        out += "\nUSER ACTIONS (metadata.type=user_action, by metadata.action)\n"
        out += table(["ACTION", "COUNT", "UNIQUE USERS"], r.actions.map { [$0.name, String($0.count), String($0.uniqueUsers)] },
                     right: [1, 2])

        out += "\nERROR RATE PER MINUTE\n"
        out += table(["MINUTE", "ENTRIES", "ERRORS", "RATE"], r.minutes.map { m in
            [AnalysisReport.time(m.startMillis), String(m.entries), String(m.errors), AnalysisReport.percent(m.rate)]
        }, right: [1, 2, 3])

        out += "\nINCIDENTS (window \(r.windowMillis / 1000)s: \(r.incidents.count))\n"
        out += table(["TIME", "KIND", "SEVERITY", "SERVICE", "ERRORS", "ENTRIES", "RATE", "ERROR"], r.incidents.map { i in
            [AnalysisReport.time(i.timestampMillis), i.kind.rawValue, i.severity.rawValue, i.service, String(i.errors),
             String(i.entries), i.rate.map(AnalysisReport.percent) ?? "-", clip(i.errorKey ?? "-", 70)]
        }, right: [4, 5, 6])
        return out
    }

    /// Columns padded to their widest cell (`right`: right-aligned columns); "(none)" when there are no rows.
    static func table(_ headers: [String], _ rows: [[String]], right: [Int]) -> String {
        guard !rows.isEmpty else { return "  (none)\n" }
        var widths = headers.map(\.count)
        for row in rows { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            "  " + cells.enumerated().map { i, c in
                let pad = String(repeating: " ", count: widths[i] - c.count)
                return right.contains(i) ? pad + c : (i == cells.count - 1 ? c : c + pad)
            }.joined(separator: "  ") + "\n"
        }
        return line(headers) + rows.map(line).joined()
    }

    static func clip(_ s: String, _ n: Int) -> String {
        let flat = s.replacingOccurrences(of: "\n", with: " ")
        return flat.count <= n ? flat : String(flat.prefix(n - 1)) + "…"
    }
}
