import Foundation
import Testing

/// `logpipe analyze` end to end: the built binary on a crafted log with known answers, in every output format.
@Suite struct AnalyzeCommandTests {
    /// 09:00–09:02 UTC: 3 latency values, 3 logins by 2 users, 4 timeouts (ERROR) and 2 disk-full (FATAL) errors.
    static let log: String = {
        var lines: [String] = []
        func add(_ s: Int, _ level: String, _ msg: String, service: String = "api", user: String? = nil, meta: String? = nil) {
            let ts = String(format: "2026-11-27T09:%02d:%02d.000Z", s / 60, s % 60)
            var ctx = #""service":"\#(service)","version":"1.0","environment":"production","sessionId":"s1","requestId":"r\#(s)""#
            if let user { ctx += #","userId":"\#(user)""# }
            var line = #"{"timestamp":"\#(ts)","level":"\#(level)","message":"\#(msg)","context":{\#(ctx)}"#
            if let meta { line += #","metadata":{\#(meta)}"# }
            lines.append(line + "}")
        }
        for s in 0..<20 { add(s, "INFO", "heartbeat \(s)") }
        for (i, v) in [30, 10, 20].enumerated() {
            add(20 + i, "INFO", "request took \(v) ms", meta: #""type":"performance","metric":"latency_ms","value":\#(v)"#)
        }
        for (i, u) in ["u1", "u2", "u1"].enumerated() {
            add(25 + i, "INFO", "user logged in", user: u, meta: #""type":"user_action","action":"login""#)
        }
        for (i, ms) in [120, 340, 95, 4000].enumerated() { add(70 + i, "ERROR", "timeout after \(ms) ms calling db") }
        add(130, "FATAL", "disk full on volume 3", service: "store")
        add(131, "FATAL", "disk full on volume 7", service: "store")
        return lines.joined(separator: "\n") + "\n"
    }()

    @Test func textReportHasKnownNumbers() throws {
        let r = try analyze(["--format", "text"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("ERROR+FATAL total: 6, templates: 2, patterns: 2"))
        let timeout = try #require(r.stdout.split(separator: "\n").first { $0.contains("timeout after") })
        #expect(timeout.split(separator: " ").first == "4")
        let latency = try #require(r.stdout.split(separator: "\n").first { $0.contains("latency_ms") })
        #expect(latency.split(separator: " ").map(String.init).prefix(8) == ["latency_ms", "3", "10", "30", "20", "20", "30", "30"])
        let login = try #require(r.stdout.split(separator: "\n").first { $0.contains("login") })
        #expect(login.split(separator: " ").map(String.init) == ["login", "3", "2"])
    }

    @Test func jsonReportFollowsSchema() throws {
        let r = try analyze(["--format", "json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(doc["schemaVersion"] as? Int == 1)
        #expect(doc["entries"] as? Int == 32)
        let errors = try #require(doc["errors"] as? [String: Any])
        #expect(errors["total"] as? Int == 6)
        let patterns = try #require(errors["patterns"] as? [[String: Any]])
        #expect(patterns.map { $0["count"] as? Int } == [4, 2])
        #expect(patterns[0]["firstTimestamp"] as? String == "2026-11-27T09:01:10.000Z")
        #expect(patterns[0]["lastTimestamp"] as? String == "2026-11-27T09:01:13.000Z")
        #expect(patterns[1]["services"] as? [String] == ["store"])
        #expect(patterns[1]["sample"] as? String == "disk full on volume 3")
        let perf = try #require((doc["performance"] as? [[String: Any]])?.first)
        #expect(perf["metric"] as? String == "latency_ms")
        #expect([perf["count"], perf["min"], perf["max"], perf["mean"], perf["p50"], perf["p99"]].map { ($0 as? NSNumber)?.doubleValue }
                == [3, 10, 30, 20, 20, 30])
        let actions = try #require(doc["userActions"] as? [[String: Any]])
        #expect(actions.count == 1 && actions[0]["count"] as? Int == 3 && actions[0]["uniqueUsers"] as? Int == 2)
        let minutes = try #require(doc["errorRate"] as? [[String: Any]])
        #expect(minutes.map { $0["entries"] as? Int } == [26, 4, 2])
        #expect(minutes.map { $0["errors"] as? Int } == [0, 4, 2])
        let incidents = try #require((doc["incidents"] as? [String: Any])?["items"] as? [[String: Any]])
        // 4 errors in api's window and 2 FATAL as store's only entries: too few entries and errors for a rate (the
        // old rules raised "critical" for both).
        #expect(incidents.isEmpty)
        let groups = try #require(errors["groups"] as? [[String: Any]])
        #expect(groups.map { $0["count"] as? Int } == [4, 2])
        #expect((groups[0]["variants"] as? [[String: Any]])?.count == 1)
        #expect((groups[0]["trend"] as? [Int]) == [0, 4, 0])
        let services = try #require(doc["services"] as? [[String: Any]])
        #expect(services.map { $0["service"] as? String } == ["api", "store"])
        #expect(services.map { $0["errors"] as? Int } == [4, 2])
    }

    @Test func htmlReportDrawsChartsFromTheData() throws {
        let r = try analyze(["--format", "html"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let html = r.stdout
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(occurrences(of: "class=\"chart rate-chart\"", in: html) == 1)
        #expect(occurrences(of: "class=\"chart pattern-chart\"", in: html) == 1)
        // Sparklines: one per service (2), one per template (2), one percentile chart (3 lines).
        #expect(occurrences(of: "<svg class=\"spark", in: html) == 5)
        #expect(occurrences(of: "class=\"perf-line\"", in: html) == 3)
        #expect(occurrences(of: "class=\"action-bar\"", in: html) == 1)
        #expect(!html.contains("<script") && !html.contains("src=\"http") && !html.contains("href=\"http"))
        #expect(occurrences(of: "class=\"pattern-bar\"", in: html) == 2)
        #expect(html.contains("data-rank=\"1\" data-count=\"4\"") && html.contains("data-rank=\"2\" data-count=\"2\""))
        #expect(occurrences(of: "class=\"rate-bar\"", in: html) == 3)
        #expect(html.contains("data-minute=\"2026-11-27T09:01:00.000Z\" data-entries=\"4\" data-errors=\"4\" data-rate=\"1.0000\""))
        #expect(html.contains("<title>timeout after &lt;*&gt; calling db: 4</title>"))
    }

    @Test func readsStdinAndSegments() throws {
        let fromStdin = try analyze(["-", "--format", "json"], stdinFile: true)
        #expect(fromStdin.status == 0, "stderr: \(fromStdin.stderr)")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("analyze-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = try write(Self.log)
        defer { try? FileManager.default.removeItem(atPath: input) }
        let run = try runBinary(["run", "--out", dir], stdinPath: input)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let fromSegments = try runBinary(["analyze", dir, "--format", "json"])
        #expect(fromSegments.status == 0, "stderr: \(fromSegments.stderr)")
        #expect(fromSegments.stdout == fromStdin.stdout)
    }

    @Test func rejectsBadWindow() throws {
        let r = try analyze(["--incident-window", "soon"])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
    }

    // MARK: - helpers (private to this file)

    private struct Output { var status: Int32; var stdout: String; var stderr: String }

    private func analyze(_ args: [String], stdinFile: Bool = false) throws -> Output {
        let path = try write(Self.log)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return stdinFile ? try runBinary(["analyze"] + args, stdinPath: path) : try runBinary(["analyze", path] + args)
    }

    private func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("analyze-\(UUID().uuidString).log").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func runBinary(_ args: [String], stdinPath: String? = nil) throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = args
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("analyze-out-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("stdout"), err = dir.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = try FileHandle(forWritingTo: err)
        p.standardInput = stdinPath.flatMap { FileHandle(forReadingAtPath: $0) } ?? FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return Output(status: p.terminationStatus, stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
                      stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self))
    }

    private static let binary: String = {
        if let env = ProcessInfo.processInfo.environment["LOGPIPE_BIN"], !env.isEmpty { return env }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/logpipe").path
    }()

    private func occurrences(of needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }
}
