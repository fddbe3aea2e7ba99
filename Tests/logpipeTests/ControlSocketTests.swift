import Foundation
@testable import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 22, the control socket (docs/control-socket.md), through the real binary: `<state-dir>/control.sock`
/// mode 0600 owned by the running user, answering `stats`; other users kept out by the mode and, past the mode,
/// by the `SO_PEERCRED` check (refused, logged, counted); a stale socket replaced, a file never; removed at exit.
@Suite(.serialized) struct ControlSocketTests {
    static func line(_ n: Int) -> String { #"{"level":"INFO","message":"line \#(n)"}"# + "\n" }

    static func args(_ dir: TempDir, _ extra: [String] = []) -> [String] {
        ["run", "--out", dir.file("out"), "--state-dir", dir.file("state"), "--batch-timeout", "100ms"] + extra
    }

    /// A client that connects as `uid` (python3 drops root before connecting); its output: the answer, or
    /// `connect-error ERRNO`.
    static func connect(as uid: Int, to path: String) throws -> String {
        let script = """
        import os, socket, sys
        os.setgroups([]); os.setgid(int(sys.argv[2])); os.setuid(int(sys.argv[2]))
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(sys.argv[1])
        except OSError as e:
            print("connect-error", e.errno); sys.exit(0)
        s.settimeout(5)
        try:
            s.sendall(b'{"command":"stats"}\\n')
        except OSError:
            pass  # a refusal may come before the request is read
        print(s.recv(65536).decode(), end="")
        """
        return try runProgram("/usr/bin/python3", ["-c", script, path, String(uid)], timeout: 10).stdoutText
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func theSocketIsPrivateAnswersStatsAndIsRemovedAtExit() throws {
        let dir = TempDir("logpipe-ctl")
        let run = try ServiceRun(Self.args(dir), scratch: dir)
        let path = dir.file("state/control.sock")
        run.write(Array((0..<500).map(Self.line).joined().utf8))
        #expect(ControlSocketClient.waitForSocket(path, timeout: TestTime.seconds(10)), "\(run.stderrText)")

        var st = stat()
        #expect(lstat(path, &st) == 0)
        #expect(st.st_mode & S_IFMT == S_IFSOCK)
        #expect(st.st_mode & 0o777 == 0o600, "mode \(String(st.st_mode & 0o777, radix: 8))")
        #expect(st.st_uid == geteuid())
        #expect(!directoryListing(dir.file("state")).contains { $0.hasPrefix(".control-") }, "the private directory stays behind")

        // Every line read shows in the input's totals once delivered (the batch timeout delivers them).
        let deadline = Date().addingTimeInterval(TestTime.seconds(10))
        var stats: [String: Any] = [:]
        repeat {
            stats = try ControlSocketClient.object(path, #"{"command":"stats"}"#)
            if ((stats["inputs"] as? [[String: Any]])?.first?["entries"] as? Int) == 500 { break }
            usleep(50_000)
        } while Date() < deadline
        #expect(stats["ok"] as? Bool == true)
        let input = (stats["inputs"] as? [[String: Any]])?.first
        #expect(input?["name"] as? String == "stdin")
        #expect(input?["entries"] as? Int == 500, "\(stats)")
        let sink = (stats["sinks"] as? [[String: Any]])?.first
        #expect(sink?["name"] as? String == "segments")
        #expect(sink?["entries"] as? Int == 500, "\(stats)")

        let unknown = try ControlSocketClient.object(path, #"{"command":"nope"}"#)
        #expect(unknown["ok"] as? Bool == false)
        #expect((unknown["error"] as? String)?.contains("unknown command \"nope\"; known: ") == true, "\(unknown)")
        let bad = try ControlSocketClient.object(path, "not json")
        #expect((bad["error"] as? String)?.contains("expected a JSON object with a \"command\" field") == true, "\(bad)")

        run.closeStdin()
        let result = run.wait(timeout: 20)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: path), "the socket outlived the run")
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))), .enabled(if: geteuid() == 0, "needs root to act as other users"))
    func otherUsersAreKeptOutByTheModeAndPastItByTheOwnerCheck() throws {
        // A run as root: another user cannot even connect (mode 0600, owner root).
        let dir = TempDir("logpipe-ctl")
        let run = try ServiceRun(Self.args(dir), scratch: dir)
        let path = dir.file("state/control.sock")
        #expect(ControlSocketClient.waitForSocket(path, timeout: TestTime.seconds(10)), "\(run.stderrText)")
        #expect(try Self.connect(as: 65534, to: path) == "connect-error \(EACCES)")
        run.closeStdin()
        #expect(run.wait(timeout: 20).status == 0)

        // A run as nobody whose socket mode was widened by hand: a third user gets through the mode, and the
        // SO_PEERCRED check refuses it; root is still served.
        let other = TempDir("logpipe-ctl")
        for sub in ["state", "out"] {
            try FileManager.default.createDirectory(atPath: other.file(sub), withIntermediateDirectories: true)
            chown(other.file(sub), 65534, 65534)
        }
        let asNobody = "import os, sys; os.setgroups([]); os.setgid(65534); os.setuid(65534); os.execv(sys.argv[1], sys.argv[1:])"
        let nobodyRun = try ServiceRun(["-c", asNobody, Harness.binary] + Self.args(other), scratch: other,
                                       executable: "/usr/bin/python3")
        let nobodyPath = other.file("state/control.sock")
        #expect(ControlSocketClient.waitForSocket(nobodyPath, timeout: TestTime.seconds(10)), "\(nobodyRun.stderrText)")
        var st = stat()
        #expect(lstat(nobodyPath, &st) == 0 && st.st_uid == 65534 && st.st_mode & 0o777 == 0o600)
        #expect(chmod(nobodyPath, 0o666) == 0)
        let answer = try Self.connect(as: 65533, to: nobodyPath)
        let refusal = try JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any]
        #expect(refusal?["ok"] as? Bool == false, "\(answer)")
        #expect((refusal?["error"] as? String)?.contains("refused: uid 65533 is not the owner of this logpipe (uid 65534) nor root") == true, "\(answer)")
        #expect(nobodyRun.waitForStderr("control socket: refused a connection from uid 65533", count: 1, timeout: 5))
        let stats = try ControlSocketClient.object(nobodyPath, #"{"command":"stats"}"#)
        #expect(stats["ok"] as? Bool == true && stats["refusedConnections"] as? Int == 1, "\(stats)")
        nobodyRun.closeStdin()
        let result = nobodyRun.wait(timeout: 20)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: nobodyPath))
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func aStaleSocketIsReplacedAFileNeverAndALiveOneIsLeftToItsOwner() throws {
        let dir = TempDir("logpipe-ctl")
        let path = dir.file("state/control.sock")
        try FileManager.default.createDirectory(atPath: dir.file("state"), withIntermediateDirectories: true)
        // A killed run's socket: bound, nothing listening any more, file left behind.
        let stale = try runProgram("/usr/bin/python3", ["-c", "import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()", path])
        #expect(stale.status == 0, "\(stale.stderrText)")
        let run = try ServiceRun(Self.args(dir), scratch: dir)
        #expect(ControlSocketClient.waitForSocket(path, timeout: TestTime.seconds(10)), "\(run.stderrText)")

        // A second run on the same state directory leaves the live socket to the first.
        let second = try logpipe(["run", "--out", dir.file("out2"), "--state-dir", dir.file("state")], stdin: Data(Self.line(1).utf8))
        #expect(second.status == 0, "\(second.stderrText)")
        #expect(second.stderrText.contains("is in use by another running logpipe (same --state-dir)"), "\(second.stderrText)")
        #expect(try ControlSocketClient.object(path, #"{"command":"stats"}"#)["ok"] as? Bool == true)
        run.closeStdin()
        #expect(run.wait(timeout: 20).status == 0)

        // Something that is not a socket is never replaced; the run goes on without a control socket.
        #expect(FileManager.default.createFile(atPath: path, contents: Data("keep me".utf8)))
        let third = try logpipe(["run", "--out", dir.file("out3"), "--state-dir", dir.file("state")], stdin: Data(Self.line(2).utf8))
        #expect(third.status == 0, "\(third.stderrText)")
        #expect(third.stderrText.contains("exists and is not a socket; not replacing it"), "\(third.stderrText)")
        #expect(FileManager.default.contents(atPath: path) == Data("keep me".utf8))
    }
}
