import Foundation
@testable import TestSupport
import Testing

/// `logpipe run` with stdin kept open: SIGTERM mid-stream and the batch timeout for a trickle.
@Suite(.serialized) struct LiveRunTests {
    static func numbered(_ n: Int) -> String { "msg \(String(format: "%07d", n)) payload abcdefghijklmnopqrstuvwxyz" }

    /// Thread-safe flag and counter shared with the writer thread.
    final class WriterState: @unchecked Sendable {
        private let lock = NSLock()
        private var _stop = false
        private var _written = 0
        var stop: Bool { get { lock.withLock { _stop } } set { lock.withLock { _stop = newValue } } }
        var written: Int { get { lock.withLock { _written } } set { lock.withLock { _written = newValue } } }
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))), arguments: [Int32(SIGTERM), Int32(SIGINT)])
    func signalMidStreamDrainsAndFinalizes(signal: Int32) throws {
        let dir = TempDir("logpipe-sig")
        let out = dir.file("out")
        let proc = try RunningProcess(executable: Harness.binary,
                                      arguments: ["run", "--out", out, "--format", "plain", "--batch-max-entries", "500",
                                                  "--segment-max-entries", "5000"],
                                      environment: cleanEnvironment(), scratch: dir)
        let state = WriterState()
        let writerDone = DispatchSemaphore(value: 0)
        let fd = proc.stdinWriteFD
        let writer = Thread {
            defer { writerDone.signal() }
            let deadline = Date().addingTimeInterval(10)
            var n = 1
            while n <= 200_000, !state.stop, Date() < deadline {
                // Small chunks of lines, the last line of some chunks split across writes.
                var chunk = ""
                for k in n..<(n + 50) { chunk += Self.numbered(k) + "\n" }
                let bytes = Array(chunk.utf8)
                let cut = (n / 50) % 3 == 0 ? bytes.count - 7 : bytes.count
                var ok = true
                for part in [bytes[0..<cut], bytes[cut...]] where !part.isEmpty {
                    let written = part.withUnsafeBytes { raw -> Bool in
                        var p = raw.baseAddress!, left = raw.count
                        while left > 0 {
                            let w = write(fd, p, left)
                            if w < 0 { if errno == EINTR { continue }; return false }
                            p += w; left -= w
                        }
                        return true
                    }
                    if !written { ok = false; break }
                }
                if !ok { break }
                n += 50
                state.written = n - 1
                usleep(300) // a steady stream, not a flood: keeps the check below cheap
            }
        }
        writer.start()
        // Mid-stream: once logpipe has written its first batch (an open segment exists), not after a fixed sleep
        // that a loaded machine can outlast before logpipe has read anything.
        let begun = Date().addingTimeInterval(TestTime.seconds(10))
        while Date() < begun, !directoryListing(out).contains(where: { $0.hasSuffix(".open") }) { usleep(5000) }
        usleep(100_000)
        proc.signal(signal)
        let started = Date()
        // stdin stays open: the program must stop reading on its own.
        let result = proc.wait(timeout: 8) // × LOGPIPE_TEST_TIME_SCALE, as every process wait
        let elapsed = Date().timeIntervalSince(started)
        state.stop = true
        proc.closeStdin() // unblocks the writer if it is stuck on a full pipe
        writerDone.wait()

        #expect(!result.timedOut, "did not exit within \(TestTime.seconds(8)) s of the signal")
        #expect(elapsed < TestTime.seconds(5), "took \(elapsed) s to exit after the signal")
        #expect(result.status == 0 && !result.signaled, "status \(result.status), stderr: \(result.stderrText)")
        let listing = directoryListing(out)
        #expect(!listing.contains { $0.hasSuffix(".open") || $0.hasSuffix(".tmp") }, "\(listing)")
        let segments = segmentFiles(in: out)
        #expect(!segments.isEmpty)
        var messages: [String] = []
        for segment in segments {
            let content = try decompressWithTool(segment)
            let m = try readJSONObject(manifestPath(of: segment))
            #expect(m["sha256"] as? String == (try sha256sum(segment)))
            #expect(m["entries"] as? Int == splitLines(content).count)
            #expect(m["uncompressedBytes"] as? Int == content.count)
            messages += try jsonObjects(content).map { $0.string("message") ?? "" }
        }
        // A gap-free prefix of the input; only the last may be a cut-off line.
        let k = messages.count
        #expect(k > 0)
        #expect(k <= max(state.written, 1) + 50)
        for (i, m) in messages.enumerated() {
            let expected = Self.numbered(i + 1)
            if i == k - 1 {
                #expect(!m.isEmpty && expected.hasPrefix(m), "last entry \(m) is not a prefix of line \(i + 1)")
            } else if m != expected {
                Issue.record("entry \(i + 1) is \(m), expected \(expected)")
                break
            }
        }
        #expect(RunSummary(stderr: result.stderrText)?.entriesOut == k, "stderr: \(result.stderrText)")
        #expect(RunSummary(stderr: result.stderrText)?.segments == segments.count)
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))), arguments: ["lz4", "gzip", "zstd"])
    func trickleReachesTheOpenSegmentWithinTheBatchTimeout(codec: String) throws {
        let dir = TempDir("logpipe-trickle")
        let out = dir.file("out")
        let proc = try RunningProcess(executable: Harness.binary,
                                      arguments: ["run", "--out", out, "--batch-timeout", "200ms", "--codec", codec],
                                      environment: cleanEnvironment(), scratch: dir)
        let line = #"{"level":"warn","msg":"trickle one"}"#
        #expect(proc.write(Array((line + "\n").utf8)))
        let started = Date()
        var seen: [[String: Any]] = []
        var openFile: String?
        while Date().timeIntervalSince(started) < TestTime.seconds(3), seen.isEmpty {
            usleep(50_000)
            if let open = directoryListing(out).first(where: { $0.hasSuffix(".open") }) {
                openFile = open
                if let data = try? decompressWithTool(out + "/" + open), !data.isEmpty {
                    seen = (try? jsonObjects(data)) ?? []
                }
            }
        }
        let waited = Date().timeIntervalSince(started)
        #expect(proc.process.isRunning, "stdin is still open: the run must go on")
        try #require(seen.count == 1, "the line did not reach the open segment within \(TestTime.seconds(3)) s (open file: \(openFile ?? "none"))")
        #expect(seen[0].string("message") == "trickle one")
        #expect(seen[0].string("level") == "WARN")
        #expect(waited >= 0.15, "a batch must wait for its timeout (\(waited) s)")
        #expect(openFile?.hasSuffix(["lz4": ".jsonl.lz4.open", "gzip": ".jsonl.gz.open", "zstd": ".jsonl.zst.open"][codec]!) == true)
        #expect(segmentFiles(in: out).isEmpty, "nothing finalized while running")

        // A second line later goes into the same open segment as another frame.
        #expect(proc.write(Array("second line\n".utf8)))
        proc.closeStdin()
        let result = proc.wait(timeout: 10)
        #expect(result.status == 0 && !result.timedOut, "stderr: \(result.stderrText)")
        let listing = directoryListing(out)
        #expect(!listing.contains { $0.hasSuffix(".open") }, "\(listing)")
        let segments = segmentFiles(in: out)
        try #require(segments.count == 1)
        let entries = try jsonObjects(try decompressWithTool(segments[0]))
        #expect(entries.map { $0.string("message") } == ["trickle one", "second line"])
        let m = try readJSONObject(manifestPath(of: segments[0]))
        #expect(m["entries"] as? Int == 2)
        #expect(m["sha256"] as? String == (try sha256sum(segments[0])))
    }

    /// A SIGTERM sent while `run` is still starting, to a process that began with SIGTERM blocked (as a child
    /// spawned from a libdispatch worker thread does), stops the run: it used to stay pending until the signal
    /// handlers' `signal(SIGTERM, SIG_IGN)` discarded it, and the run then waited on its open stdin forever.
    @Test(.timeLimit(.minutes(TestTime.minutes(1))), arguments: [Int32(SIGTERM), Int32(SIGINT)])
    func signalDuringStartUpIsNotLost(signal: Int32) throws {
        let dir = TempDir("logpipe-early-signal")
        var stdinPipe: [Int32] = [0, 0]
        try #require(pipe(&stdinPipe) == 0)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var mask = sigset_t()
        sigemptyset(&mask)
        sigaddset(&mask, signal)
        posix_spawnattr_setsigmask(&attr, &mask)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        posix_spawn_file_actions_addclose(&actions, stdinPipe[1])
        posix_spawn_file_actions_addopen(&actions, 2, dir.file("stderr"), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let args = [Harness.binary, "run", "--out", dir.file("out"), "--state-dir", dir.file("state")]
        var argv = args.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var env = cleanEnvironment().map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in env { free(p) } }
        var pid: pid_t = 0
        try #require(posix_spawn(&pid, Harness.binary, &actions, &attr, &argv, &env) == 0)
        close(stdinPipe[0])
        kill(pid, signal) // at once: the process is still starting
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(TestTime.seconds(10))
        var exited = false
        while Date() < deadline {
            if waitpid(pid, &status, WNOHANG) == pid { exited = true; break }
            usleep(10_000)
        }
        if !exited { kill(pid, SIGKILL); waitpid(pid, &status, 0) }
        close(stdinPipe[1])
        let stderr = String(decoding: FileManager.default.contents(atPath: dir.file("stderr")) ?? Data(), as: UTF8.self)
        #expect(exited, "still running \(TestTime.seconds(10)) s after the signal (stdin open): the signal was lost")
        // Exited normally (not by the signal) with 0, after its summary.
        #expect(exited && (status & 0x7f) == 0 && (status >> 8) & 0xff == 0, "wait status \(status), stderr: \(stderr)")
        #expect(stderr.contains("lines in"), "stderr: \(stderr)")
    }
}
