import Foundation
@testable import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 22: reload of the whole configuration under load, through the real binary. A tailed file grows at
/// 50,000 lines/s while the config file is rewritten and SIGHUP sent 20 times — changing the batching, the minimum
/// level, the urgent URL (two real receivers) and adding/removing a second tailed file — with two bad configs in
/// the middle (a bad value, a UDP port that is taken) that are refused while the run goes on. At the end every line
/// is counted by its sequence number in the segments (decompressed with the real `lz4`): none lost, none twice;
/// the only lines missing are DEBUG ones, which a minimum level of INFO removes by design.
@Suite(.serialized) struct ReloadTests {
    /// Main file: line `i` is `m i`; every 100th is ERROR (urgent), every 5th DEBUG (what min-level INFO drops).
    static func mainLevel(_ i: Int) -> String { i % 100 == 99 ? "ERROR" : i % 5 == 2 ? "DEBUG" : "INFO" }

    static func mainLines(_ range: Range<Int>) -> String {
        range.map { #"{"timestamp":"2026-03-01T10:00:00.000Z","level":"\#(mainLevel($0))","message":"m \#($0)"}"# + "\n" }.joined()
    }

    static func extraLines(_ range: Range<Int>) -> String {
        range.map { #"{"timestamp":"2026-03-01T10:00:00.000Z","level":"INFO","message":"x \#($0)"}"# + "\n" }.joined()
    }

    /// One step of the reload sequence.
    struct Step {
        var extra: Bool
        var minLevel: String
        var batch: (entries: Int, timeout: String)
        var urgentA: Bool

        /// Steps 0…19: min level every step, urgent URL every other step, the second file every third step,
        /// batching every fourth; the last step has the second file (so all of it is read in the end).
        static func at(_ k: Int) -> Step {
            let batches = [(500, "100ms"), (2000, "250ms"), (200, "50ms")]
            return Step(extra: k % 3 != 2, minLevel: k % 2 == 0 ? "INFO" : "DEBUG", batch: batches[(k / 4) % 3],
                        urgentA: (k / 2) % 2 == 1)
        }

        func yaml(_ dir: TempDir, a: Int, b: Int) -> String {
            let inputs = ["\"file:\(dir.file("logs/main.log"))\""] + (extra ? ["\"file:\(dir.file("logs/extra.log"))\""] : [])
            return """
            inputs: [\(inputs.joined(separator: ", "))]
            state-dir: \(dir.file("state"))
            pipeline:
              min-level: \(minLevel)
              batch: {max-entries: \(batch.entries), timeout: \(batch.timeout)}
            segments: {out: \(dir.file("out"))}
            urgent: {urls: ["http://127.0.0.1:\(urgentA ? a : b)/ingest"], level: ERROR, drain-timeout: 3s, incidents: off}

            """
        }
    }

    static let mainTotal = 500_000, extraTotal = 20_000

    @Test(.timeLimit(.minutes(TestTime.minutes(2))))
    func twentyReloadsUnderLoadLoseAndDuplicateNothing() throws {
        let dir = TempDir("logpipe-reload")
        try FileManager.default.createDirectory(atPath: dir.file("logs"), withIntermediateDirectories: true)
        let a = try TestHTTPReceiver(), b = try TestHTTPReceiver()
        defer { a.stop(); b.stop() }
        let busy = try TestHTTPReceiver.listenSocket(port: 0, udp: true)
        defer { close(busy) }
        let busyPort = TestHTTPReceiver.boundPort(busy)
        let config = dir.file("logpipe.yaml")
        let first = Step(extra: false, minLevel: "DEBUG", batch: (1000, "100ms"), urgentA: true)
        ServiceTests.writeConfig(config, first.yaml(dir, a: a.port, b: b.port))
        _ = FileManager.default.createFile(atPath: dir.file("logs/main.log"), contents: nil)
        _ = FileManager.default.createFile(atPath: dir.file("logs/extra.log"), contents: nil)
        let run = try ServiceRun(["run", "--config", config, "--metrics", "127.0.0.1:0"], scratch: dir)
        let port = try run.metricsPort()

        let writer = LineWriter(main: dir.file("logs/main.log"), extra: dir.file("logs/extra.log"))
        writer.start(mainTotal: Self.mainTotal, extraTotal: Self.extraTotal, seconds: 10)

        // 20 reloads, a bad value after the 7th and a taken UDP port after the 14th.
        var notices: [String] = []
        for k in 0..<20 {
            if k == 7 || k == 14 {
                let bad = k == 7
                    ? "pipeline: {min-level: LOUD}\n"
                    : Step.at(k).yaml(dir, a: a.port, b: b.port).replacingOccurrences(of: "inputs: [", with: "inputs: [\"udp://127.0.0.1:\(busyPort)\", ")
                ServiceTests.writeConfig(config, bad)
                run.signal(SIGHUP)
                let refusals = k == 7 ? 1 : 2
                #expect(run.waitForStderr("new configuration refused", count: refusals, timeout: 10), "step \(k): not refused: \(run.stderrText)")
                #expect(run.isRunning, "step \(k): logpipe stopped after a refused reload: \(run.stderrText)")
            }
            ServiceTests.writeConfig(config, Step.at(k).yaml(dir, a: a.port, b: b.port))
            run.signal(SIGHUP)
            #expect(run.waitForStderr("configuration reloaded", count: k + 1, timeout: 15), "step \(k): no reload notice: \(run.stderrText)")
            notices = run.stderrText.split(separator: "\n").filter { $0.contains("configuration reloaded") }.map(String.init)
            usleep(300_000)
        }
        writer.wait()
        #expect(writer.written == (Self.mainTotal, Self.extraTotal))

        // Every line read (lines in counts each line once as it is read), then the reload totals.
        let total = Double(Self.mainTotal + Self.extraTotal)
        let m = try waitForMetrics(port, timeout: 40) { ($0.total("logpipe_entries_in_total") ?? 0) >= total }
        #expect(m.total("logpipe_entries_in_total") == total)
        #expect(m.total("logpipe_reloads_total") == 20)
        #expect(m.total("logpipe_reload_failures_total") == 2)
        run.signal(SIGTERM)
        let result = run.wait(timeout: 30)
        #expect(result.status == 0 && !result.timedOut, "\(result.stderrText)")

        // What each reload did: min-level-only steps touch no input; the second file comes and goes; urgent moves.
        #expect(notices.count == 20, "\(notices)")
        let mainName = "file:\(dir.file("logs/main.log"))"
        for (k, notice) in notices.enumerated() where k > 0 && Step.at(k).batch == Step.at(k - 1).batch {
            #expect(!notice.contains(mainName), "step \(k) restarted the main tail though its configuration did not change: \(notice)")
        }
        #expect(notices.contains { $0.contains("started file:\(dir.file("logs/extra.log"))") })
        #expect(notices.contains { $0.contains("stopped file:\(dir.file("logs/extra.log"))") })
        #expect(notices.contains { $0.contains("reopened urgent") })
        let refusals = result.stderrText.split(separator: "\n").filter { $0.contains("configuration refused") }
        #expect(refusals.count == 2, "\(refusals)")
        #expect(refusals.first?.contains("LOUD") == true && refusals.last?.contains("\(busyPort)") == true, "\(refusals)")

        // Counted by sequence number in the segments.
        var main = [UInt8](repeating: 0, count: Self.mainTotal), extra = [UInt8](repeating: 0, count: Self.extraTotal)
        var other: [String] = []
        for segment in segmentFiles(in: dir.file("out")) {
            for entry in try jsonObjects(try decompressWithTool(segment)) {
                let message = entry["message"] as? String ?? ""
                if message.hasPrefix("m "), let n = Int(message.dropFirst(2)), n < main.count { main[n] &+= 1 }
                else if message.hasPrefix("x "), let n = Int(message.dropFirst(2)), n < extra.count { extra[n] &+= 1 }
                else { other.append(message) }
            }
        }
        #expect(other.count == 0, "unexpected entries: \(other.prefix(5))")
        let duplicated = main.indices.filter { main[$0] > 1 } + extra.indices.filter { extra[$0] > 1 }.map { -$0 - 1 }
        #expect(duplicated.count == 0, "\(duplicated.count) lines twice or more (negative: the second file): \(duplicated.prefix(10))")
        let lost = main.indices.filter { main[$0] == 0 && Self.mainLevel($0) != "DEBUG" }
        #expect(lost.count == 0, "\(lost.count) main lines lost: \(lost.prefix(10))")
        let lostExtra = extra.indices.filter { extra[$0] == 0 }
        #expect(lostExtra.count == 0, "\(lostExtra.count) lines of the second file lost: \(lostExtra.prefix(10))")
        let filtered = main.indices.filter { main[$0] == 0 }.count
        let summary = try #require(RunSummary(stderr: result.stderrText), "\(result.stderrText)")
        #expect(summary.filtered == filtered && summary.linesIn == Self.mainTotal + Self.extraTotal, "\(summary), \(filtered) missing DEBUG lines")

        // The urgent path: both receivers took ERROR entries, and together all of them (at least once).
        let urgent = Set((a.lines + b.lines).compactMap { line -> Int? in
            guard let data = line.data(using: .utf8), let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let msg = o["message"] as? String, msg.hasPrefix("m ") else { return nil }
            return Int(msg.dropFirst(2))
        })
        #expect(!a.lines.isEmpty && !b.lines.isEmpty, "a: \(a.lines.count), b: \(b.lines.count)")
        let errors = (0..<Self.mainTotal).filter { Self.mainLevel($0) == "ERROR" }
        let unsent = errors.filter { !urgent.contains($0) }
        #expect(unsent.count == 0, "\(unsent.count) of \(errors.count) ERROR lines reached neither urgent receiver: \(unsent.prefix(10))")
    }

    /// `logpipe reload` through the control socket: applied (exit 0, the notice on stdout) and refused (exit 1, the
    /// reason on stderr) with the run going on; what it applied holds (the min level), nothing is lost.
    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func reloadCommandAppliesOrRefusesAndSaysWhich() throws {
        let dir = TempDir("logpipe-reload")
        let config = dir.file("logpipe.yaml")
        let state = dir.file("state")
        ServiceTests.writeConfig(config, "pipeline: {min-level: DEBUG, batch: {timeout: 50ms}}\n")
        let run = try ServiceRun(["run", "--config", config, "--out", dir.file("out"), "--state-dir", state], scratch: dir)
        #expect(ControlSocketClient.waitForSocket(state + "/control.sock", timeout: TestTime.seconds(10)), "\(run.stderrText)")
        run.write(Array(Self.mainLines(0..<1000).utf8))
        // All of it delivered under the old settings before any reload (the control socket's stats say so).
        let deadline = Date().addingTimeInterval(TestTime.seconds(10))
        var delivered = 0
        repeat {
            let stats = try ControlSocketClient.object(state + "/control.sock", #"{"command":"stats"}"#)
            delivered = ((stats["inputs"] as? [[String: Any]])?.first?["entries"] as? Int) ?? 0
            if delivered < 1000 { usleep(20_000) }
        } while delivered < 1000 && Date() < deadline
        #expect(delivered == 1000)

        ServiceTests.writeConfig(config, "pipeline: {min-level: LOUD}\n")
        let refused = try logpipe(["reload", "--state-dir", state], environment: cleanEnvironment(), timeout: 20)
        #expect(refused.status == 1 && refused.stderrText.contains("new configuration refused") && refused.stderrText.contains("LOUD"),
                "\(refused.status): \(refused.stderrText)")
        #expect(run.isRunning)

        ServiceTests.writeConfig(config, "pipeline: {min-level: INFO, batch: {timeout: 50ms}}\n")
        let applied = try logpipe(["reload", "--state-dir", state], environment: cleanEnvironment(), timeout: 20)
        #expect(applied.status == 0 && applied.stdoutText.contains("reload command: configuration reloaded (min level INFO"),
                "\(applied.status): \(applied.stdoutText)\(applied.stderrText)")
        run.write(Array(Self.mainLines(1000..<2000).utf8))
        run.closeStdin()
        let result = run.wait(timeout: 20)
        #expect(result.status == 0 && !result.timedOut, "\(result.stderrText)")

        var seen: [Int] = []
        for segment in segmentFiles(in: dir.file("out")) {
            for entry in try jsonObjects(try decompressWithTool(segment)) {
                if let m = entry["message"] as? String, m.hasPrefix("m "), let n = Int(m.dropFirst(2)) { seen.append(n) }
            }
        }
        let expected = (0..<2000).filter { $0 < 1000 || Self.mainLevel($0) != "DEBUG" }
        #expect(seen == expected, "\(seen.count) entries for \(expected.count): \(firstDifference(seen, expected) ?? "")")
    }

    /// A reload that moves the output directory, changes the segment size and the `--output` URL: the old
    /// directory's last segment is finalized, the new one takes over, the HTTP output moves to the other receiver;
    /// across both directories every line is there once, and every line reached a receiver.
    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func reloadMovesTheOutputDirectoryAndTheHTTPOutput() throws {
        let dir = TempDir("logpipe-reload")
        let a = try TestHTTPReceiver(), b = try TestHTTPReceiver()
        defer { a.stop(); b.stop() }
        let config = dir.file("logpipe.yaml")
        func yaml(out: String, maxEntries: Int, port: Int) -> String {
            "pipeline: {batch: {timeout: 50ms}}\nsegments: {out: \(dir.file(out)), max-entries: \(maxEntries)}\n" +
                "output: {urls: [\"http://127.0.0.1:\(port)/all\"]}\n"
        }
        ServiceTests.writeConfig(config, yaml(out: "out1", maxEntries: 100_000, port: a.port))
        let run = try ServiceRun(["run", "--config", config, "--state-dir", dir.file("state"), "--metrics", "127.0.0.1:0"],
                                 scratch: dir)
        let port = try run.metricsPort()
        run.write(Array(Self.mainLines(0..<3000).utf8))
        _ = try waitForMetrics(port, timeout: 10) { ($0.total("logpipe_entries_in_total") ?? 0) >= 3000 }
        ServiceTests.writeConfig(config, yaml(out: "out2", maxEntries: 500, port: b.port))
        run.signal(SIGHUP)
        #expect(run.waitForStderr("configuration reloaded", count: 1, timeout: 10), "\(run.stderrText)")
        #expect(run.stderrText.contains("reopened http, segments"), "\(run.stderrText)")
        run.write(Array(Self.mainLines(3000..<6000).utf8))
        run.closeStdin()
        let result = run.wait(timeout: 20)
        #expect(result.status == 0 && !result.timedOut, "\(result.stderrText)")

        func numbers(_ out: String) throws -> [Int] {
            try segmentFiles(in: dir.file(out)).flatMap { segment in
                try jsonObjects(try decompressWithTool(segment)).compactMap { ($0["message"] as? String).flatMap { Int($0.dropFirst(2)) } }
            }
        }
        let first = try numbers("out1"), second = try numbers("out2")
        #expect(directoryListing(dir.file("out1")).allSatisfy { !$0.hasSuffix(".open") }, "\(directoryListing(dir.file("out1")))")
        #expect(first + second == Array(0..<6000), "\(first.count) + \(second.count): \(firstDifference(first + second, Array(0..<6000)) ?? "")")
        #expect(first.count >= 3000 && segmentFiles(in: dir.file("out2")).count >= (6000 - first.count) / 500)
        let received = Set((a.lines + b.lines).compactMap { line -> Int? in
            guard let r = line.range(of: #""message":"m "#) else { return nil }
            return Int(line[r.upperBound...].prefix { $0.isNumber })
        })
        #expect(received == Set(0..<6000), "\(6000 - received.count) lines reached neither receiver")
        #expect(!b.lines.isEmpty)
    }
}

/// Appends numbered lines to the two tailed files at a steady pace on its own thread, bounded in count and time.
private final class LineWriter: @unchecked Sendable {
    private let main: String, extra: String
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var counts = (0, 0)

    init(main: String, extra: String) {
        self.main = main
        self.extra = extra
    }

    var written: (Int, Int) { lock.lock(); defer { lock.unlock() }; return counts }

    /// Writes `mainTotal` and `extraTotal` lines over about `seconds`, in steps of 10 ms.
    func start(mainTotal: Int, extraTotal: Int, seconds: Double) {
        let steps = Int(seconds * 100)
        Thread { [self] in
            let m = open(main, O_WRONLY | O_APPEND), x = open(extra, O_WRONLY | O_APPEND)
            defer { close(m); close(x); done.signal() }
            let start = Date()
            for step in 0..<steps {
                let (m0, m1) = (mainTotal * step / steps, mainTotal * (step + 1) / steps)
                let (x0, x1) = (extraTotal * step / steps, extraTotal * (step + 1) / steps)
                guard Self.append(m, ReloadTests.mainLines(m0..<m1)), Self.append(x, ReloadTests.extraLines(x0..<x1)) else { return }
                lock.lock(); counts = (m1, x1); lock.unlock()
                let due = start.addingTimeInterval(Double(step + 1) / 100)
                let wait = due.timeIntervalSinceNow
                if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
            }
        }.start()
    }

    func wait() { done.wait() }

    private static func append(_ fd: Int32, _ text: String) -> Bool {
        Array(text.utf8).withUnsafeBytes { raw in
            guard var p = raw.baseAddress else { return true }
            var left = raw.count
            while left > 0 {
                let n = write(fd, p, left)
                if n < 0 { if errno == EINTR { continue }; return false }
                p += n
                left -= n
            }
            return true
        }
    }
}
