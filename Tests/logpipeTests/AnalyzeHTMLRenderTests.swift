import Foundation
@testable import TestSupport
import Testing

/// The HTML report in a real browser (issue 23): `scripts/report_shot.sh` renders it in headless Chromium at
/// 1280 px (installing chromium with apt when missing and root) and counts each chart's colour in the
/// screenshot; here its figures are checked.
@Suite struct AnalyzeHTMLRenderTests {
    @Test func htmlReportDrawsItsChartsInHeadlessChromiumAt1280Pixels() throws {
        let dir = TempDir("logpipe-report-shot")
        let png = dir.file("shot.png")
        let result = try runProgram("/bin/bash", [Harness.packageRoot + "/scripts/report_shot.sh", png],
                                    environment: cleanEnvironment(["LOGPIPE_BIN": Harness.binary]), timeout: 600)
        #expect(result.status == 0, "\(result.stdoutText)\n\(result.stderrText)")
        let line = try #require(result.stdoutText.split(separator: "\n").first { $0.hasPrefix("report-shot:") })
        #expect(line.contains("1280x2600"), "\(line)")
        func figure(_ name: String) -> Int? {
            guard let r = line.range(of: " \(name) ") else { return nil }
            return Int(line[r.upperBound...].prefix { $0.isNumber })
        }
        // Pixels of each chart's colour: error-rate bars, pattern bars, critical incident spans, action and
        // funnel bars.
        for chart in ["rate", "pattern", "incident", "action", "funnel"] {
            #expect((figure(chart) ?? 0) >= 150, "\(chart): \(line)")
        }
        // The generated episodes (checkout spike, search rise) and the samples' payments burst: three spans.
        #expect(figure("incident-bar") == 3, "\(line)")
        #expect((figure("spark") ?? 0) >= 10 && (figure("perf-line") ?? 0) >= 3)
        let html = try String(contentsOfFile: dir.file("shot.html"), encoding: .utf8)
        #expect(!html.contains("<script") && !html.contains("src=\"http") && !html.contains("href=\"http"))
    }
}
