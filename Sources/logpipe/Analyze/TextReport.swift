import Foundation
import Pipeline

/// `--format text`: the report as aligned plain-text tables with sparklines, every line at most `width`
/// columns (`--width`, default 120): long cells are clipped with "…", the widest text column gives way first.
enum TextReport {
    static let defaultWidth = 120
    /// Rows per table before "… N more".
    static let topServices = 10, topTemplates = 20, topActions = 10, maxVariants = 3

    static func render(_ r: AnalysisReport, width: Int = defaultWidth) -> String {
        var out: [String] = []
        var head = "logpipe analyze: \(r.entries) entries"
        if let f = r.firstMillis, let l = r.lastMillis {
            head += " from \(AnalysisReport.time(f)) to \(AnalysisReport.time(l)) (\(AnalysisReport.duration(l - f)))"
        }
        out.append(head)
        out.append("levels: " + r.levels.map { "\($0.name) \($0.count)" }.joined(separator: "  "))
        out.append("services: " + AnalysisReport.countsSummary(r.services.map { NameCount(name: $0.name, count: $0.entries) }, top: 3))
        out.append("environments: " + AnalysisReport.countsSummary(r.environments, top: 3))
        let rates = r.overallRates
        let start = r.firstMillis
        if let peak = r.minutes.max(by: { $0.rate < $1.rate }) {
            out.append("error rate per \(r.timeline.bucketLabel) from \(AnalysisReport.shortTime(r.timeline.startMillis, reference: start)): "
                       + AnalysisReport.sparkline(rates) + "  peak minute \(AnalysisReport.percent(peak.rate)) at "
                       + AnalysisReport.shortTime(peak.startMillis, reference: start))
        }

        out.append("")
        out.append("INCIDENTS (\(r.incidents.count); window \(r.windowMillis / 1000)s, one row per episode)")
        out += table(["#", "SEVERITY", "SERVICE", "START", "END", "LASTED", "PEAK", "BASELINE", "KIND", "DRIVEN BY"],
                     r.incidents.map { i in
                         [String(i.id), i.severity.rawValue, i.service, AnalysisReport.shortTime(i.startMillis, reference: start),
                          i.endMillis.map { AnalysisReport.shortTime($0, reference: start) } ?? "ongoing",
                          AnalysisReport.duration(i.durationMillis), AnalysisReport.percent(i.peakRate),
                          i.baseline.map(AnalysisReport.percent) ?? "-",
                          i.kind == .errorRate ? "rate" : "new error",
                          i.patterns.map { "\($0.key) (\($0.count))" }.joined(separator: "; ")]
                     }, right: [0, 5, 6, 7], flex: 9, width: width)

        out.append("")
        out.append("SERVICES (\(r.services.count))")
        out += table(["SERVICE", "ENTRIES", "ERRORS", "RATE", "ERROR RATE PER \(r.timeline.bucketLabel.uppercased())"],
                     r.services.prefix(topServices).map { s in
                         [s.name, String(s.entries), String(s.errors), AnalysisReport.percent(s.rate),
                          AnalysisReport.sparkline(r.timeline.rates(s.perMinute))]
                     }, right: [1, 2, 3], flex: 0, width: width)
        if r.services.count > topServices { out.append("  … \(r.services.count - topServices) more services") }

        out.append("")
        out.append("ERROR PATTERNS (ERROR+FATAL total: \(r.errorTotal), templates: \(r.groups.count), patterns: \(r.patterns.count))")
        var rows: [[String]] = []
        for g in r.groups.prefix(topTemplates) {
            rows.append([String(g.count), AnalysisReport.sparkline(r.timeline.sum(g.perMinute)),
                         clip(AnalysisReport.countsSummary(g.serviceCounts), 28), AnalysisReport.shortTime(g.lastMillis, reference: start),
                         g.template])
            let shown = g.variants.count > 1 || g.variants.first?.firstFrame.isEmpty == false
            guard shown else { continue }
            for (k, v) in g.variants.prefix(maxVariants).enumerated() {
                let mark = k == min(g.variants.count, maxVariants) - 1 && g.variants.count <= maxVariants ? "└" : "├"
                rows.append(["", "", "", "", "  \(mark) \(v.count) \(v.firstFrame.isEmpty ? "(no stack)" : v.firstFrame)"])
            }
            if g.variants.count > maxVariants { rows.append(["", "", "", "", "  └ … \(g.variants.count - maxVariants) more variants"]) }
        }
        out += table(["COUNT", "TREND", "SERVICES", "LAST", "TEMPLATE / VARIANTS (first stack frame)"], rows,
                     right: [0], flex: 4, width: width)
        if r.groups.count > topTemplates { out.append("  … \(r.groups.count - topTemplates) more templates (--format json lists all)") }

        out.append("")
        out.append("PERFORMANCE (metadata.type=performance, by metadata.metric; trend: p95 per \(r.timeline.bucketLabel))")
        out += table(["METRIC", "COUNT", "MIN", "MAX", "MEAN", "P50", "P95", "P99", "P95 TREND"], r.metrics.map { m in
            [m.name, String(m.count)] + [m.min, m.max, m.mean, m.p50, m.p95, m.p99].map(AnalysisReport.number)
                + [AnalysisReport.sparkline(m.overTime.map { $0?.p95 })]
        }, right: Array(1...7), flex: 0, width: width)

        out.append("")
        out.append("USER ACTIONS (metadata.type=user_action, by metadata.action)")
        out += table(["ACTION", "COUNT", "UNIQUE USERS"], r.actions.prefix(topActions).map {
            [$0.name, String($0.count), String($0.uniqueUsers)]
        }, right: [1, 2], flex: 0, width: width)
        if r.actions.count > topActions { out.append("  … \(r.actions.count - topActions) more actions") }
        if let first = r.funnel.first {
            out.append("")
            out.append("FUNNEL (users who took each step after the ones before it)")
            var previous = first.users
            out += table(["STEP", "ACTION", "USERS", "OF PREVIOUS", "OF FIRST", ""], r.funnel.enumerated().map { k, s in
                defer { previous = s.users }
                let share = Double(s.users) / Double(max(1, first.users))
                return [String(k + 1), s.action, String(s.users),
                        k == 0 ? "-" : AnalysisReport.percent(Double(s.users) / Double(max(1, previous))),
                        AnalysisReport.percent(share), String(repeating: "█", count: max(1, Int((share * 30).rounded())))]
            }, right: [0, 2, 3, 4], flex: 1, width: width)
        }

        out.append("")
        out.append("ERROR RATE PER \(r.timeline.bucketLabel.uppercased())")
        out += table(["FROM", "ENTRIES", "ERRORS", "RATE", ""], bucketRows(r), right: [1, 2, 3], flex: 4, width: width)
        return out.map { fit($0, width) }.joined(separator: "\n") + "\n"
    }

    /// One row per timeline bucket, with a bar of its rate against the highest.
    static func bucketRows(_ r: AnalysisReport) -> [[String]] {
        var entries = Array(repeating: 0, count: r.timeline.count), errors = entries
        for m in r.minutes {
            if let k = r.timeline.index(m.startMillis) { entries[k] += m.entries; errors[k] += m.errors }
        }
        let rates = zip(entries, errors).map { $0 == 0 ? 0 : Double($1) / Double($0) }
        let peak = max(0.0001, rates.max() ?? 0)
        return (0..<r.timeline.count).map { k in
            [AnalysisReport.shortTime(r.timeline.startMillis + Int64(k) * r.timeline.bucketMillis, reference: r.firstMillis),
             String(entries[k]), String(errors[k]), AnalysisReport.percent(rates[k]),
             String(repeating: "■", count: Int((rates[k] / peak * 40).rounded()))]
        }
    }

    /// Columns padded to their widest cell (`right`: right-aligned columns); when the table is wider than
    /// `width`, column `flex` is narrowed (its cells clipped). "(none)" when there are no rows.
    static func table(_ headers: [String], _ rows: [[String]], right: [Int], flex: Int, width: Int) -> [String] {
        guard !rows.isEmpty else { return ["  (none)"] }
        let clean = rows.map { $0.map(flat) }
        var widths = headers.map(\.count)
        for row in clean { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
        let total = 2 + widths.reduce(0, +) + 2 * (widths.count - 1)
        if total > width { widths[flex] = max(8, widths[flex] - (total - width)) }
        func line(_ cells: [String]) -> String {
            let text = "  " + cells.enumerated().map { i, raw in
                let c = clip(raw, widths[i])
                let pad = String(repeating: " ", count: max(0, widths[i] - c.count))
                return right.contains(i) ? pad + c : (i == cells.count - 1 ? c : c + pad)
            }.joined(separator: "  ")
            return String(text.reversed().drop(while: { $0 == " " }).reversed())
        }
        return [line(headers)] + clean.map(line)
    }

    static func flat(_ s: String) -> String {
        s.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\t" })
            ? s.replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ")
                .replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\t", with: " ")
            : s
    }

    static func clip(_ s: String, _ n: Int) -> String {
        s.count <= n ? s : String(s.prefix(max(0, n - 1))) + "…"
    }

    /// A line cut to `width` columns.
    static func fit(_ line: String, _ width: Int) -> String { clip(line, width) }
}
