import Foundation
@testable import TestSupport
import Testing

/// The live error-rate monitor (issues 4 and 23): one episode with known timing raises one incident — opened,
/// escalated, resolved, one id — as entries in the segments and on the urgent path, and `logpipe analyze` on the
/// same input reports the same episode (the same rules live and offline).
@Suite struct IncidentTests {
    /// Service payments, 20 entries a second for 6 minutes: 1 % errors, except 09:03–09:04 (minute 3) where 40 %
    /// of the entries are a new error ("payment failed for order N").
    /// Expected: a new-error incident (high) within a second of 09:03 (the 10th occurrence), which becomes an
    /// error-rate incident once the window share passes the open level (6 %: baseline 1 % + 5 points), critical
    /// above 20 %, resolved once the share has stayed under 3.5 % for 30 s, ending where the errors stopped (09:04).
    static let start = 1_795_770_000_000  // 2026-11-27T09:00:00Z
    static func input() -> (text: String, errors: Int) {
        var lines: [String] = []
        var errors = 0
        for i in 0..<(6 * 60 * 20) {
            let ms = i * 50
            let spike = ms >= 180_000 && ms < 240_000
            let error = spike ? i % 5 < 2 : i % 100 == 0
            if error { errors += 1 }
            let message = !error ? "order \(i) placed" : spike ? "payment failed for order \(9000 + i)" : "card \(i) declined"
            let t = Double(start + ms) / 1000
            lines.append("{\"ts\":\(t),\"level\":\"\(error ? "error" : "info")\",\"msg\":\"\(message)\",\"service\":\"payments\"}")
        }
        return (lines.joined(separator: "\n") + "\n", errors)
    }

    @Test func oneEpisodeRaisesOneIncidentLiveAndTheSameOffline() throws {
        let (text, errors) = Self.input()
        let receiver = try TestHTTPReceiver()
        let dir = TempDir("logpipe-incidents")
        let out = dir.file("out")
        let result = try logpipe(["run", "--out", out, "--state-dir", dir.file("state"),
                                  "--urgent", "http://127.0.0.1:\(receiver.port)/hook"],
                                 stdin: Data(text.utf8), environment: cleanEnvironment())
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stderrText.contains("4 incidents raised"), "\(result.stderrText)")

        let entries = try jsonObjects(splitLines(try logpipe(["cat", out]).stdout).reduce(into: Data()) { $0 += $1 + Data([10]) })
        let incidents = entries.filter { ($0["metadata"] as? [String: Any])?["type"] as? String == "incident" }
        let steps = incidents.map { m -> String in
            let meta = m["metadata"] as! [String: Any]
            return "\(meta["state"]!)/\(meta["kind"]!)/\(meta["severity"]!)"
        }
        #expect(steps == ["open/ERROR_THRESHOLD_EXCEEDED/high", "escalated/ERROR_RATE/high",
                          "escalated/ERROR_RATE/critical", "resolved/ERROR_RATE/critical"])
        #expect(incidents.allSatisfy { $0.string("level") == "ERROR" && $0.string("context.service") == "payments" })
        #expect(Set(incidents.map { ($0["metadata"] as! [String: Any])["incident"] as? Int }) == [1])
        // Opened by the 10th occurrence of the new error: entries 3600, 3601, 3605, 3606, … (2 of every 5).
        #expect(incidents.first?.string("timestamp") == "2026-11-27T09:03:01.050Z")
        #expect(incidents.first?.string("metadata.errorKey") == "payment failed for order <*>")
        let resolved = try #require(incidents.last?["metadata"] as? [String: Any])
        #expect(abs(((resolved["peakRate"] as? NSNumber)?.doubleValue ?? 0) - 0.40) < 0.01)
        #expect(abs(((resolved["baseline"] as? NSNumber)?.doubleValue ?? 0) - 0.01) < 0.002)
        #expect(resolved["start"] as? String == "2026-11-27T09:03:00.000Z")
        let end = try #require(resolved["end"] as? String)
        #expect(end > "2026-11-27T09:03:55" && end < "2026-11-27T09:04:05", "\(end)")
        #expect((resolved["patterns"] as? [String])?.first == "payment failed for order <*>")

        // On the urgent path too, after the ERROR entries that raised them.
        #expect(receiver.waitForLines(errors + 4, timeout: 10))
        #expect(receiver.lines.filter { $0.contains("\"type\":\"incident\"") }.count == 4)

        // Offline: the same episode, once.
        let input = dir.write("input.log", Data(text.utf8))
        let report = try logpipe(["analyze", input, "--format", "json"])
        #expect(report.status == 0, "\(report.stderrText)")
        let doc = try #require(try JSONSerialization.jsonObject(with: report.stdout) as? [String: Any])
        let items = try #require((doc["incidents"] as? [String: Any])?["items"] as? [[String: Any]])
        #expect(items.count == 1)
        #expect(items.first?["start"] as? String == resolved["start"] as? String)
        #expect(items.first?["end"] as? String == end)
        #expect(items.first?["severity"] as? String == "critical" && items.first?["state"] as? String == "resolved")
    }
}
