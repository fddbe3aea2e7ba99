import Foundation
import Pipeline

/// `--format html`: one self-contained page (no scripts, no external assets), laid out for 1280 px and wider:
/// summary cards, the error rate per minute and the incidents on one time axis, services and error templates
/// with their trends, performance percentiles over time, top user actions and the funnel.
///
/// Chart elements carry their data for tests and tooling: error-rate bars
/// `<rect class="rate-bar" data-minute=… data-entries=… data-errors=… data-rate=…>`, top-pattern bars
/// `<rect class="pattern-bar" data-count=… data-rank=…>`, incident spans `<rect class="incident-bar" data-id=…>`,
/// sparklines `<svg class="spark">` (a `<polyline>`), percentile lines `<polyline class="perf-line" data-p=…>`,
/// action and funnel bars `<rect class="action-bar">` / `<rect class="funnel-bar" data-users=…>`; each with a
/// `<title>` where it helps.
enum HTMLReport {
    /// Patterns drawn in the top-patterns chart.
    static let topPatterns = 10
    static let chartWidth = 1180.0

    static func render(_ r: AnalysisReport) -> String {
        var h = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
        <title>logpipe analyze</title>
        <style>
        body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#fff}
        main{max-width:1200px;margin:0 auto;padding:20px 24px}
        h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:26px 0 8px;border-bottom:1px solid #dde;padding-bottom:2px}
        table{border-collapse:collapse;margin:6px 0;font-size:13px;width:100%;table-layout:auto}
        th,td{padding:3px 8px;border-bottom:1px solid #eef;text-align:left;vertical-align:top}
        th{background:#f3f5fa;white-space:nowrap}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
        code{font-size:12px;word-break:break-word}td.t{white-space:nowrap}
        .sev-critical{color:#b00020;font-weight:600}.sev-high{color:#d35400;font-weight:600}.sev-medium{color:#9a7d0a}
        .muted{color:#667}svg{display:block}svg.chart{margin:8px 0;width:100%;height:auto}
        .cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}
        .card{border:1px solid #e3e6ee;border-radius:6px;padding:8px 14px;min-width:130px;background:#fbfcfe}
        .card b{display:block;font-size:20px}.card span{color:#667;font-size:12px}
        ul.variants{margin:2px 0 0 0;padding-left:18px;color:#445;font-size:12px}
        .two{display:grid;grid-template-columns:1fr 1fr;gap:24px}
        </style></head><body><main>
        <h1>logpipe analyze</h1>

        """
        h += "<p class=\"muted\">\(r.entries) entries"
        if let f = r.firstMillis, let l = r.lastMillis {
            h += " from \(esc(AnalysisReport.time(f))) to \(esc(AnalysisReport.time(l))) (\(AnalysisReport.duration(l - f)))"
        }
        h += " · " + r.levels.map { "\($0.name) \($0.count)" }.joined(separator: " · ") + "</p>\n"
        h += cards(r)

        h += "<h2>Error rate per minute <span class=\"muted\">and incidents</span></h2>\n" + rateChart(r.minutes)
        h += incidentChart(r)
        h += "<h2>Incidents <span class=\"muted\">(one row per episode; window \(r.windowMillis / 1000) s)</span></h2>\n"
        h += table(["#", "Severity", "Service", "Start", "End", "Lasted", "Peak", "Baseline", "Kind", "Driven by"],
                   r.incidents.map { i in
                       [.num(i.id), .severity(i.severity.rawValue), .text(i.service),
                        .time(AnalysisReport.shortTime(i.startMillis, reference: r.firstMillis)),
                        .time(i.endMillis.map { AnalysisReport.shortTime($0, reference: r.firstMillis) } ?? "ongoing"),
                        .numText(AnalysisReport.duration(i.durationMillis)),
                        .numText(AnalysisReport.percent(i.peakRate) + " at " + AnalysisReport.shortTime(i.peakMillis, reference: r.firstMillis)),
                        .numText(i.baseline.map(AnalysisReport.percent) ?? "–"),
                        .text(i.kind == .errorRate ? "error rate" : "new error"),
                        .html(i.patterns.map { "<code>\(esc($0.key))</code> (\($0.count))" }.joined(separator: "<br>"))]
                   })

        h += "<h2>Services <span class=\"muted\">(\(r.services.count); trend: error rate per \(r.timeline.bucketLabel))</span></h2>\n"
        h += table(["Service", "Entries", "Errors", "Rate", "Error rate trend"], r.services.prefix(20).map { s in
            [.text(s.name), .num(s.entries), .num(s.errors), .numText(AnalysisReport.percent(s.rate)),
             .html(spark(r.timeline.rates(s.perMinute), color: "#d64545", label: "error rate of \(s.name)"))]
        })
        if r.services.count > 20 { h += "<p class=\"muted\">… \(r.services.count - 20) more services</p>\n" }
        h += "<p class=\"muted\">Environments: \(esc(AnalysisReport.countsSummary(r.environments, top: 5)))</p>\n"

        h += "<h2>Top error patterns</h2>\n" + patternChart(Array(r.patterns.prefix(topPatterns)))
        h += "<h2>Performance <span class=\"muted\">(p50, p95, p99 per \(r.timeline.bucketLabel))</span></h2>\n"
        h += table(["Metric", "Count", "Min", "Max", "Mean", "p50", "p95", "p99", "Percentiles over time"], r.metrics.map { m in
            [.text(m.name), .num(m.count)] + [m.min, m.max, m.mean, m.p50, m.p95, m.p99].map { .numText(AnalysisReport.number($0)) }
                + [.html(percentileChart(m))]
        })
        h += "<h2>User behaviour</h2>\n<div class=\"two\"><div><h3>Top actions</h3>\n" + actionChart(Array(r.actions.prefix(10)))
        h += table(["Action", "Count", "Unique users"], r.actions.prefix(10).map { [.text($0.name), .num($0.count), .num($0.uniqueUsers)] })
        h += "</div><div><h3>Funnel</h3>\n" + funnelChart(r.funnel) + "</div></div>\n"
        h += "<h2>Error templates <span class=\"muted\">(ERROR+FATAL total \(r.errorTotal); \(r.groups.count) templates, \(r.patterns.count) patterns with their first stack frames)</span></h2>\n"
        h += table(["Count", "Trend", "Services", "Environments", "Last", "Template and variants"], r.groups.prefix(25).map { g in
            var cell = "<code>\(esc(g.template))</code>"
            if g.variants.count > 1 || g.variants.first?.firstFrame.isEmpty == false {
                cell += "<ul class=\"variants\">" + g.variants.prefix(6).map { v in
                    "<li>\(v.count) × " + (v.firstFrame.isEmpty ? "<i>no stack</i>" : "<code>\(esc(v.firstFrame))</code>") + "</li>"
                }.joined() + (g.variants.count > 6 ? "<li>… \(g.variants.count - 6) more</li>" : "") + "</ul>"
            }
            cell += "<div class=\"muted\">e.g. \(esc(String(g.sample.prefix(160))))</div>"
            return [.num(g.count), .html(spark(r.timeline.sum(g.perMinute).map { Double($0) }, color: "#3b6fd4", label: "occurrences")),
                    .text(AnalysisReport.countsSummary(g.serviceCounts)), .text(AnalysisReport.countsSummary(g.environmentCounts)),
                    .time(AnalysisReport.shortTime(g.lastMillis, reference: r.firstMillis)), .html(cell)]
        })
        if r.groups.count > 25 { h += "<p class=\"muted\">… \(r.groups.count - 25) more templates (--format json lists all)</p>\n" }

        return h + "</main></body></html>\n"
    }

    static func cards(_ r: AnalysisReport) -> String {
        let open = r.incidents.filter { $0.endMillis == nil }.count
        let items: [(String, String)] = [
            (String(r.entries), "entries"),
            (String(r.errorTotal) + " (" + AnalysisReport.percent(r.entries == 0 ? 0 : Double(r.errorTotal) / Double(r.entries)) + ")", "ERROR+FATAL"),
            (String(r.incidents.count), "incidents" + (open > 0 ? " (\(open) ongoing)" : "")),
            (String(r.services.count), "services: " + r.services.prefix(3).map(\.name).joined(separator: ", ")),
            (String(r.environments.count), "environments: " + r.environments.prefix(3).map(\.name).joined(separator: ", ")),
            (String(r.groups.count), "error templates"),
        ]
        return "<div class=\"cards\">" + items.map { "<div class=\"card\"><b>\(esc($0.0))</b><span>\(esc($0.1))</span></div>" }.joined() + "</div>\n"
    }

    /// Bars of the ERROR+FATAL share per minute.
    static func rateChart(_ minutes: [ErrorRateSeries.Minute]) -> String {
        let width = chartWidth, height = 200.0, left = 44.0, bottom = 22.0, top = 10.0
        let plotW = width - left - 10, plotH = height - bottom - top
        var s = "<svg class=\"chart rate-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"Error rate per minute\">\n"
        s += "<rect x=\"0\" y=\"0\" width=\"\(Int(width))\" height=\"\(Int(height))\" fill=\"#fbfcfe\"/>\n"
        let peak = max(0.05, minutes.map(\.rate).max() ?? 0)
        for k in 0...4 {
            let v = peak * Double(k) / 4
            let y = top + plotH - plotH * v / peak
            s += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(width - 10))\" y2=\"\(f(y))\" stroke=\"#e3e6ee\"/>"
            s += "<text x=\"\(f(left - 4))\" y=\"\(f(y + 4))\" font-size=\"10\" text-anchor=\"end\" fill=\"#667\">\(AnalysisReport.percent(v))</text>\n"
        }
        let n = max(1, minutes.count)
        let step = plotW / Double(n)
        for (i, m) in minutes.enumerated() {
            let bh = max(m.errors > 0 ? 1 : 0, plotH * m.rate / peak)
            let x = left + Double(i) * step
            let time = AnalysisReport.time(m.startMillis)
            s += "<rect class=\"rate-bar\" x=\"\(f(x + step * 0.1))\" y=\"\(f(top + plotH - bh))\" width=\"\(f(max(0.5, step * 0.8)))\" height=\"\(f(bh))\" fill=\"#d64545\" data-minute=\"\(time)\" data-entries=\"\(m.entries)\" data-errors=\"\(m.errors)\" data-rate=\"\(String(format: "%.4f", m.rate))\"><title>\(time): \(m.errors)/\(m.entries) errors (\(AnalysisReport.percent(m.rate)))</title></rect>\n"
        }
        if let first = minutes.first, let last = minutes.last {
            s += "<text x=\"\(f(left))\" y=\"\(f(height - 6))\" font-size=\"10\" fill=\"#667\">\(esc(AnalysisReport.time(first.startMillis)))</text>"
            s += "<text x=\"\(f(width - 10))\" y=\"\(f(height - 6))\" font-size=\"10\" text-anchor=\"end\" fill=\"#667\">\(esc(AnalysisReport.time(last.startMillis)))</text>\n"
            // A few times in between, on whole bars.
            let every = max(1, minutes.count / 6)
            for k in stride(from: every, to: minutes.count - every, by: every) where minutes.count > 2 {
                let x = left + (Double(k) + 0.5) * step
                s += "<text x=\"\(f(x))\" y=\"\(f(height - 6))\" font-size=\"10\" text-anchor=\"middle\" fill=\"#667\">\(esc(String(AnalysisReport.shortTime(minutes[k].startMillis, reference: first.startMillis).prefix(5))))</text>"
            }
        } else {
            s += "<text x=\"\(f(width / 2))\" y=\"\(f(height / 2))\" text-anchor=\"middle\" fill=\"#667\">no entries</text>\n"
        }
        return s + "</svg>\n"
    }

    /// The incidents as spans on the rate chart's time axis, one lane each.
    static func incidentChart(_ r: AnalysisReport) -> String {
        guard !r.incidents.isEmpty, let first = r.minutes.first?.startMillis, let last = r.minutes.last?.startMillis else { return "" }
        let width = chartWidth, left = 44.0, lane = 22.0
        let height = Double(r.incidents.count) * lane + 8
        let span = Double(last + 60_000 - first)
        func x(_ t: Int64) -> Double { left + (width - left - 10) * Double(t - first) / span }
        var s = "<svg class=\"chart incident-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"Incidents\">\n"
        for (k, i) in r.incidents.enumerated() {
            let y = 4 + Double(k) * lane
            let x0 = x(i.startMillis), x1 = max(x0 + 3, x(i.endMillis ?? (r.lastMillis ?? i.timestampMillis)))
            let color = i.severity == .critical ? "#b00020" : i.severity == .high ? "#d35400" : "#c9a227"
            s += "<rect class=\"incident-bar\" x=\"\(f(x0))\" y=\"\(f(y))\" width=\"\(f(x1 - x0))\" height=\"\(f(lane - 6))\" rx=\"3\" fill=\"\(color)\" data-id=\"\(i.id)\" data-service=\"\(esc(i.service))\"><title>#\(i.id) \(esc(i.service)) \(i.severity.rawValue): peak \(AnalysisReport.percent(i.peakRate))</title></rect>"
            let label = "#\(i.id) \(i.service) · \(i.severity.rawValue) · peak \(AnalysisReport.percent(i.peakRate))"
            let right = x1 + 6 + Double(label.count) * 6.5 < width
            s += "<text x=\"\(f(right ? x1 + 6 : x0 - 6))\" y=\"\(f(y + 12))\" font-size=\"11\" fill=\"#1d2330\"\(right ? "" : " text-anchor=\"end\"")>\(esc(label))</text>\n"
        }
        return s + "</svg>\n"
    }

    /// Horizontal bars of the most frequent error patterns.
    static func patternChart(_ patterns: [ErrorPatternReport.Pattern]) -> String {
        let width = chartWidth, row = 24.0, labelW = 600.0
        let height = max(40.0, Double(patterns.count) * row + 12)
        var s = "<svg class=\"chart pattern-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"Top error patterns\">\n"
        let peak = Double(max(1, patterns.map(\.count).max() ?? 1))
        if patterns.isEmpty {
            s += "<text x=\"\(f(width / 2))\" y=\"24\" text-anchor=\"middle\" fill=\"#667\">no ERROR or FATAL entries</text>\n"
        }
        for (i, p) in patterns.enumerated() {
            let y = 6 + Double(i) * row
            let w = max(2, (width - labelW - 70) * Double(p.count) / peak)
            var text = p.template
            if !p.firstFrame.isEmpty { text += " @ " + p.firstFrame }
            let label = text.count > 90 ? String(text.prefix(89)) + "…" : text
            s += "<text x=\"\(f(labelW - 8))\" y=\"\(f(y + 15))\" font-size=\"11\" text-anchor=\"end\" fill=\"#1d2330\">\(esc(label))</text>"
            s += "<rect class=\"pattern-bar\" x=\"\(f(labelW))\" y=\"\(f(y + 3))\" width=\"\(f(w))\" height=\"\(f(row - 8))\" fill=\"#3b6fd4\" data-rank=\"\(i + 1)\" data-count=\"\(p.count)\"><title>\(esc(p.template)): \(p.count)</title></rect>"
            s += "<text x=\"\(f(labelW + w + 6))\" y=\"\(f(y + 15))\" font-size=\"11\" fill=\"#1d2330\">\(p.count)</text>\n"
        }
        return s + "</svg>\n"
    }

    /// A small line chart of `values` (gaps where nil), 160 × 28.
    static func spark(_ values: [Double?], color: String, label: String) -> String {
        let w = 160.0, h = 28.0
        let top = max(1e-12, values.compactMap { $0 }.max() ?? 0)
        let step = values.count > 1 ? (w - 4) / Double(values.count - 1) : 0
        let points = values.enumerated().compactMap { k, v in
            v.map { "\(f(2 + Double(k) * step)),\(f(h - 3 - (h - 6) * $0 / top))" }
        }.joined(separator: " ")
        let peak = values.compactMap { $0 }.max() ?? 0
        return "<svg class=\"spark\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"\(esc(label))\"><rect width=\"\(Int(w))\" height=\"\(Int(h))\" fill=\"#fbfcfe\"/><polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.6\" points=\"\(points)\"/><title>\(esc(label)): peak \(AnalysisReport.number((peak * 1000).rounded() / 1000))</title></svg>"
    }

    /// p50, p95 and p99 per timeline bucket as three lines, 260 × 48.
    static func percentileChart(_ m: PerformanceReport.Metric) -> String {
        let w = 260.0, h = 48.0
        let top = max(1e-12, m.overTime.compactMap { $0?.p99 }.max() ?? 0)
        let step = m.overTime.count > 1 ? (w - 4) / Double(m.overTime.count - 1) : 0
        var s = "<svg class=\"spark perf\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"\(esc(m.name)) percentiles\"><rect width=\"\(Int(w))\" height=\"\(Int(h))\" fill=\"#fbfcfe\"/>"
        for (p, color, pick) in [("50", "#7a9cd9", { (x: PerformanceReport.Percentiles) in x.p50 }),
                                 ("95", "#3b6fd4", { $0.p95 }), ("99", "#1b2f6b", { $0.p99 })] {
            let points = m.overTime.enumerated().compactMap { k, v in
                v.map { "\(f(2 + Double(k) * step)),\(f(h - 3 - (h - 6) * pick($0) / top))" }
            }.joined(separator: " ")
            s += "<polyline class=\"perf-line\" data-p=\"\(p)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(points)\"/>"
        }
        return s + "<title>\(esc(m.name)): p50 / p95 / p99 (max p99 \(AnalysisReport.number(top)))</title></svg>"
    }

    static func actionChart(_ actions: [UserActionReport.Action]) -> String {
        guard !actions.isEmpty else { return "<p class=\"muted\">(no user actions)</p>\n" }
        let width = 560.0, row = 20.0, labelW = 150.0
        let peak = Double(max(1, actions.map(\.count).max() ?? 1))
        var s = "<svg class=\"chart action-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(Double(actions.count) * row + 8))\" viewBox=\"0 0 \(Int(width)) \(Int(Double(actions.count) * row + 8))\" role=\"img\" aria-label=\"Top actions\">\n"
        for (k, a) in actions.enumerated() {
            let y = 4 + Double(k) * row
            let w = max(2, (width - labelW - 60) * Double(a.count) / peak)
            s += "<text x=\"\(f(labelW - 6))\" y=\"\(f(y + 13))\" font-size=\"11\" text-anchor=\"end\">\(esc(a.name))</text>"
            s += "<rect class=\"action-bar\" x=\"\(f(labelW))\" y=\"\(f(y + 2))\" width=\"\(f(w))\" height=\"\(f(row - 6))\" fill=\"#2e9e6b\"/>"
            s += "<text x=\"\(f(labelW + w + 5))\" y=\"\(f(y + 13))\" font-size=\"11\">\(a.count)</text>\n"
        }
        return s + "</svg>\n"
    }

    static func funnelChart(_ steps: [UserActionReport.FunnelStep]) -> String {
        guard let first = steps.first else { return "<p class=\"muted\">(no funnel: no actions that most users take one after another)</p>\n" }
        let width = 560.0, row = 30.0, labelW = 120.0, barW = 190.0
        let height = Int(Double(steps.count) * row + 8)
        var s = "<svg class=\"chart funnel-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(height)\" viewBox=\"0 0 \(Int(width)) \(height)\" role=\"img\" aria-label=\"Funnel\">\n"
        var previous = first.users
        for (k, step) in steps.enumerated() {
            let share = Double(step.users) / Double(max(1, first.users))
            let w = max(3, barW * share)
            let y = 4 + Double(k) * row
            let ofPrevious = k == 0 ? "" : ", \(AnalysisReport.percent(Double(step.users) / Double(max(1, previous)))) of previous"
            s += "<text x=\"\(f(labelW - 6))\" y=\"\(f(y + 16))\" font-size=\"11\" text-anchor=\"end\">\(k + 1). \(esc(step.action))</text>"
            s += "<rect class=\"funnel-bar\" x=\"\(f(labelW + (barW - w) / 2))\" y=\"\(f(y))\" width=\"\(f(w))\" height=\"\(f(row - 6))\" fill=\"#8e6bd6\" data-users=\"\(step.users)\"><title>\(esc(step.action)): \(step.users) users</title></rect>"
            s += "<text x=\"\(f(labelW + barW + 8))\" y=\"\(f(y + 16))\" font-size=\"11\">\(step.users) users (\(AnalysisReport.percent(share))\(ofPrevious))</text>\n"
            previous = step.users
        }
        return s + "</svg>\n"
    }

    enum Cell { case text(String), code(String), num(Int), numText(String), severity(String), time(String), html(String) }

    static func table(_ headers: [String], _ rows: [[Cell]]) -> String {
        guard !rows.isEmpty else { return "<p class=\"muted\">(none)</p>\n" }
        var s = "<table><thead><tr>" + headers.map { "<th>\(esc($0))</th>" }.joined() + "</tr></thead><tbody>\n"
        for row in rows {
            s += "<tr>" + row.map { c in
                switch c {
                case let .text(t): "<td>\(esc(t))</td>"
                case let .code(t): "<td><code>\(esc(t))</code></td>"
                case let .num(v): "<td class=\"n\">\(v)</td>"
                case let .numText(t): "<td class=\"n\">\(esc(t))</td>"
                case let .severity(t): "<td class=\"sev-\(esc(t))\">\(esc(t))</td>"
                case let .time(t): "<td class=\"t\">\(esc(t))</td>"
                case let .html(t): "<td>\(t)</td>"
                }
            }.joined() + "</tr>\n"
        }
        return s + "</tbody></table>\n"
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    static func esc(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(ch)
            }
        }
        return out
    }
}
