import Foundation
@testable import TestSupport
import Testing

/// The live error-rate monitor (issue 4): crafted input with known rates raises the incidents of each severity
/// step and the repeated-error incident, as entries in the segments and on the urgent path.
@Suite struct IncidentTests {
    /// 40 INFO entries, then 11 ERROR entries of one error, 100 ms apart, one service, all in one 60 s window:
    /// after ERROR n the share is n/(40+n): 3 → 6.98% (medium), 5 → 11.1% (high), 11 → 21.6% (critical);
    /// the 10th occurrence of the same error raises ERROR_THRESHOLD_EXCEEDED.
    static func input() -> String {
        var lines: [String] = []
        let start = 1_795_800_000_000
        for i in 0..<51 {
            let t = Double(start + i * 100) / 1000
            let error = i >= 40
            let message = error ? "payment failed for order \(9000 + i)" : "order \(i) placed"
            lines.append("{\"ts\":\(t),\"level\":\"\(error ? "error" : "info")\",\"msg\":\"\(message)\",\"service\":\"payments\"}")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func knownRatesRaiseEachSeverityStepOnTheUrgentPathAndInTheSegments() throws {
        let receiver = try TestHTTPReceiver()
        let dir = TempDir("logpipe-incidents")
        let out = dir.file("out")
        let result = try logpipe(["run", "--out", out, "--state-dir", dir.file("state"),
                                  "--urgent", "http://127.0.0.1:\(receiver.port)/hook"],
                                 stdin: Data(Self.input().utf8), environment: cleanEnvironment())
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stderrText.contains("4 incidents raised"), "\(result.stderrText)")

        let entries = try jsonObjects(splitLines(try logpipe(["cat", out]).stdout).reduce(into: Data()) { $0 += $1 + Data([10]) })
        let incidents = entries.filter { ($0["metadata"] as? [String: Any])?["type"] as? String == "incident" }
        let steps = incidents.map { m -> String in
            let meta = m["metadata"] as! [String: Any]
            return "\(meta["kind"]!)/\(meta["severity"]!)"
        }
        #expect(steps == ["ERROR_RATE/medium", "ERROR_RATE/high", "ERROR_THRESHOLD_EXCEEDED/high", "ERROR_RATE/critical"])
        #expect(incidents.allSatisfy { $0.string("level") == "ERROR" && $0.string("context.service") == "payments" })
        let critical = try #require(incidents.last?["metadata"] as? [String: Any])
        #expect(abs(((critical["rate"] as? NSNumber)?.doubleValue ?? 0) - 11.0 / 51.0) < 0.001)
        #expect(critical["windowSeconds"] as? Int == 60)
        // Raised at the entry that crossed the line: the 3rd ERROR (entry 43 at +4.2 s) for medium.
        #expect(incidents.first?.string("timestamp") == "2026-11-27T17:20:04.200Z")

        // On the urgent path too, after the ERROR entries that raised them, in order.
        #expect(receiver.waitForLines(11 + 4, timeout: 10))
        let urgentIncidents = receiver.lines.filter { $0.contains("\"type\":\"incident\"") }
        #expect(urgentIncidents.count == 4)
    }
}
