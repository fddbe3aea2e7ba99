import Foundation
@testable import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 22, `logpipe top` under tmux against a real running instance: the pane shows per-input and per-sink
/// rates that are non-zero and in line with what the test writes, and `q` quits.
@Suite(.serialized) struct TopTests {
    static func line(_ n: Int) -> String { #"{"level":"INFO","message":"line \#(n)"}"# + "\n" }

    /// `tmux -L NAME ARGS` on a server of the test's own (its socket name is unique to the test); its stdout.
    ///
    /// Spawned and reaped here (posix_spawn, waitpid) rather than through Foundation's Process: the tmux server
    /// that `new-session` daemonizes keeps what it inherited open, and Process then never saw the client end.
    @discardableResult
    static func tmux(_ server: String, _ args: [String], scratch: TempDir) throws -> String {
        let out = scratch.file("tmux-\(UUID().uuidString)")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let words: [String] = ["tmux", "-L", server] + args
        let variables: [String] = ["TERM=xterm-256color", "PATH=/usr/bin:/bin", "HOME=" + scratch.path]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        let env: [UnsafeMutablePointer<CChar>?] = variables.map { strdup($0) } + [nil]
        defer { (argv + env).forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, "/usr/bin/tmux", &actions, nil, argv, env) == 0 else { throw ToolError.failed("cannot start tmux") }
        let deadline = Date().addingTimeInterval(TestTime.seconds(10))
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > deadline { kill(pid, SIGKILL); waitpid(pid, &status, 0); throw ToolError.failed("tmux \(args) hung") }
            usleep(10_000)
        }
        return String(decoding: FileManager.default.contents(atPath: out) ?? Data(), as: UTF8.self)
    }

    /// The numbers of the row named `name` in the pane: entries/s, bytes/s (with its unit), lag, spool, errors, drops.
    static func row(_ name: String, in pane: String) -> [String]? {
        for line in pane.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            if fields.first == name, fields.count == 7 { return Array(fields.dropFirst()) }
        }
        return nil
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func topShowsPlausibleRatesUnderTmuxAndQuitsOnQ() throws {
        let dir = TempDir("logpipe-top")
        let run = try ServiceRun(["run", "--out", dir.file("out"), "--state-dir", dir.file("state"), "--batch-timeout", "50ms"],
                                 scratch: dir)
        let socket = dir.file("state/control.sock")
        #expect(ControlSocketClient.waitForSocket(socket, timeout: TestTime.seconds(10)), "\(run.stderrText)")
        let started = Date()
        let stream = LineStream(run, seconds: 30, chunk: 100, pauseMicros: 10_000, line: Self.line)

        let server = "logpipe-top-\(UUID().uuidString.prefix(8))"
        defer { _ = try? Self.tmux(server, ["kill-server"], scratch: dir) }
        // After q the shell prints top's exit status and keeps the pane for the test to read.
        let script = #""$0" top --state-dir "$1"; echo "top exited $?"; sleep 10"#
        try Self.tmux(server, ["new-session", "-d", "-s", "top", "-x", "120", "-y", "30",
                               "sh", "-c", script, Harness.binary, dir.file("state")], scratch: dir)

        // Poll the pane until the stdin row shows a rate (the first screen has none: rates need two answers).
        var pane = ""
        var input: [String]?, sink: [String]?
        let deadline = Date().addingTimeInterval(TestTime.seconds(15))
        repeat {
            usleep(200_000)
            pane = try Self.tmux(server, ["capture-pane", "-p", "-t", "top"], scratch: dir)
            input = Self.row("stdin", in: pane)
            sink = Self.row("segments", in: pane)
        } while Date() < deadline && (Double(input?[0] ?? "-") ?? 0) == 0
        let averageRate = Double(stream.written) / Date().timeIntervalSince(started)

        #expect(pane.contains("logpipe top — \(socket)"), "\(pane)")
        #expect(pane.contains("ENTRIES/S") && pane.contains("BYTES/S") && pane.contains("SPOOL") && pane.contains("DROPS"), "\(pane)")
        let inputRate = Double(input?[0] ?? "") ?? 0, sinkRate = Double(sink?[0] ?? "") ?? 0
        // The writer sends about 100 lines every 10 ms (under 10,000/s); a one-second rate is near that average.
        #expect(inputRate > 0 && inputRate < max(averageRate, 100) * 3, "input \(inputRate)/s, written \(averageRate)/s:\n\(pane)")
        #expect(sinkRate > 0 && sinkRate < max(averageRate, 100) * 3, "segments \(sinkRate)/s:\n\(pane)")
        #expect(input?[1].hasSuffix("/s") == true && input?[1] != "0B/s", "\(pane)")
        #expect(input?[4] == "0" && input?[5] == "0", "no errors, no drops:\n\(pane)")

        try Self.tmux(server, ["send-keys", "-t", "top", "q"], scratch: dir)
        let quitDeadline = Date().addingTimeInterval(TestTime.seconds(5))
        repeat {
            usleep(100_000)
            pane = try Self.tmux(server, ["capture-pane", "-p", "-t", "top"], scratch: dir)
        } while Date() < quitDeadline && !pane.contains("top exited")
        #expect(pane.contains("top exited 0"), "top did not quit on q:\n\(pane)")

        _ = stream.stop()
        run.closeStdin()
        #expect(run.wait(timeout: 20).status == 0)
    }
}
