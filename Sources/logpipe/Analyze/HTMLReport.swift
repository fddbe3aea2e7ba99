import Foundation
import Pipeline

/// `--format html`: one self-contained page — summary, an error-rate chart, a
/// top-patterns chart (both inline SVG) and the tables. No scripts, no external assets.
///
/// Chart elements carry their data for tests and tooling: each error-rate bar is
/// `<rect class="rate-bar" data-minute=… data-entries=… data-errors=… data-rate=…>`,
/// each pattern bar `<rect class="pattern-bar" data-count=… data-rank=…>`, each with a `<title>`.
enum HTMLReport {
    /// Patterns drawn in the top-patterns chart.
    static let topPatterns = 10

    static func render(_ r: AnalysisReport) -> String {
        var h = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>logpipe analyze</title>
        <style>
        body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2330;background:#fff}
        h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dde}
        table{border-collapse:collapse;margin:6px 0;font-size:13px}th,td{padding:3px 8px;border-bottom:1px solid #eef;text-align:left;vertical-align:top}
        th{background:#f3f5fa}td.n{text-align:right;font-variant-numeric:tabular-nums}code{font-size:12px}
        .sev-critical{color:#b00020;font-weight:600}.sev-high{color:#d35400;font-weight:600}.sev-medium{color:#9a7d0a}
        .muted{color:#667}svg{display:block;margin:8px 0}
        </style></head><body>
        <h1>logpipe analyze</h1>

        """
        h += "<p class=\"muted\">\(r.entries) entries"
        if let f = r.firstMillis, let l = r.lastMillis { h += " from \(esc(AnalysisReport.time(f))) to \(esc(AnalysisReport.time(l)))" }
        h += " · " + r.levels.map { "\($0.name) \($0.count)" }.joined(separator: " · ")
        h += " · ERROR+FATAL \(r.errorTotal) · incidents \(r.incidents.count)</p>\n"

        h += "<h2>Error rate per minute</h2>\n" + rateChart(r.minutes)
        h += "<h2>Top error patterns</h2>\n" + patternChart(Array(r.patterns.prefix(topPatterns)))

        h += "<h2>Error patterns <span class=\"muted\">(ERROR+FATAL total \(r.errorTotal))</span></h2>\n"
        h += table(["Count", "First", "Last", "Services", "Environments", "Template", "First frame", "Sample"],
                   r.patterns.map { p in
                       [.num(p.count), .text(AnalysisReport.time(p.firstMillis)), .text(AnalysisReport.time(p.lastMillis)),
                        .text(p.services.joined(separator: ", ")), .text(p.environments.joined(separator: ", ")),
                        .code(p.template), .code(p.firstFrame), .text(p.sample)]
                   })
        h += "<h2>Performance</h2>\n"
        h += table(["Metric", "Count", "Min", "Max", "Mean", "p50", "p95", "p99"], r.metrics.map { m in
            [.text(m.name), .num(m.count)] + [m.min, m.max, m.mean, m.p50, m.p95, m.p99].map { .numText(AnalysisReport.number($0)) }
        })
        h += "<h2>User actions</h2>\n"
        h += table(["Action", "Count", "Unique users"], r.actions.map { [.text($0.name), .num($0.count), .num($0.uniqueUsers)] })
        h += "<h2>Incidents <span class=\"muted\">(window \(r.windowMillis / 1000) s)</span></h2>\n"
        h += table(["Time", "Kind", "Severity", "Service", "Errors", "Entries", "Rate", "Error"], r.incidents.map { i in
            [.text(AnalysisReport.time(i.timestampMillis)), .text(i.kind.rawValue), .severity(i.severity.rawValue),
             .text(i.service), .num(i.errors), .num(i.entries), .numText(i.rate.map(AnalysisReport.percent) ?? "–"),
             .code(i.errorKey ?? "")]
        })
        h += "<h2>Error rate table</h2>\n"
        h += table(["Minute", "Entries", "Errors", "Rate"], r.minutes.map { m in
            [.text(AnalysisReport.time(m.startMillis)), .num(m.entries), .num(m.errors), .numText(AnalysisReport.percent(m.rate))]
        })
        return h + "</body></html>\n"
    }

    /// Bars of the ERROR+FATAL share per minute (0–100 %).
    static func rateChart(_ minutes: [ErrorRateSeries.Minute]) -> String {
        let width = 1100.0, height = 220.0, left = 44.0, bottom = 24.0, top = 10.0
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
        } else {
            s += "<text x=\"\(f(width / 2))\" y=\"\(f(height / 2))\" text-anchor=\"middle\" fill=\"#667\">no entries</text>\n"
        }
        return s + "</svg>\n"
    }

    /// Horizontal bars of the most frequent error patterns.
    static func patternChart(_ patterns: [ErrorPatternReport.Pattern]) -> String {
        let width = 1100.0, row = 26.0, labelW = 560.0
        let height = max(40.0, Double(patterns.count) * row + 12)
        var s = "<svg class=\"chart pattern-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"Top error patterns\">\n"
        let peak = Double(max(1, patterns.map(\.count).max() ?? 1))
        if patterns.isEmpty {
            s += "<text x=\"\(f(width / 2))\" y=\"24\" text-anchor=\"middle\" fill=\"#667\">no ERROR or FATAL entries</text>\n"
        }
        for (i, p) in patterns.enumerated() {
            let y = 6 + Double(i) * row
            let w = max(2, (width - labelW - 70) * Double(p.count) / peak)
            let label = p.template.count > 80 ? String(p.template.prefix(79)) + "…" : p.template
            s += "<text x=\"\(f(labelW - 8))\" y=\"\(f(y + 16))\" font-size=\"11\" text-anchor=\"end\" fill=\"#1d2330\">\(esc(label))</text>"
            s += "<rect class=\"pattern-bar\" x=\"\(f(labelW))\" y=\"\(f(y + 3))\" width=\"\(f(w))\" height=\"\(f(row - 8))\" fill=\"#3b6fd4\" data-rank=\"\(i + 1)\" data-count=\"\(p.count)\"><title>\(esc(p.template)): \(p.count)</title></rect>"
            s += "<text x=\"\(f(labelW + w + 6))\" y=\"\(f(y + 16))\" font-size=\"11\" fill=\"#1d2330\">\(p.count)</text>\n"
        }
        return s + "</svg>\n"
    }

    enum Cell { case text(String), code(String), num(Int), numText(String), severity(String) }

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
