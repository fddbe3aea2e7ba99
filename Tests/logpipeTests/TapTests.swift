import Foundation
@testable import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 22, `logpipe tap` against a real running instance (docs/control-socket.md, "tap"): the points
/// (parsed before the level filter, filtered, a sink's route), --min-level, --grep, --limit; a tap that does not
/// read drops its own samples, counted, while the run keeps every line.
@Suite(.serialized) struct TapTests {
    static let levels = ["DEBUG", "INFO", "WARN", "ERROR"]

    static func line(_ n: Int) -> String {
        #"{"level":"\#(levels[n % levels.count])","message":"line \#(n)"}"# + "\n"
    }

    static func start(_ dir: TempDir, _ extra: [String] = []) throws -> (ServiceRun, String) {
        let run = try ServiceRun(["run", "--out", dir.file("out"), "--state-dir", dir.file("state"),
                                  "--batch-timeout", "50ms", "--batch-max-entries", "200"] + extra, scratch: dir)
        let socket = dir.file("state/control.sock")
        guard ControlSocketClient.waitForSocket(socket, timeout: TestTime.seconds(10)) else {
            throw ToolError.failed("no control socket: \(run.stderrText)")
        }
        return (run, socket)
    }

    static func tap(_ dir: TempDir, _ args: [String]) throws -> (entries: [[String: Any]], result: ProcessResult) {
        let r = try logpipe(["tap", "--state-dir", dir.file("state"), "--format", "json"] + args, timeout: 20)
        return (try jsonObjects(r.stdout), r)
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(2))))
    func tapPointsLevelsGrepAndLimit() throws {
        let dir = TempDir("logpipe-tap")
        let (run, _) = try Self.start(dir, ["--min-level", "INFO"])
        let stream = LineStream(run, seconds: 30, line: Self.line)

        let filtered = try Self.tap(dir, ["--limit", "40"])
        #expect(filtered.result.status == 0, "\(filtered.result.stderrText)")
        #expect(filtered.entries.count == 40)
        #expect(filtered.entries.allSatisfy { ["INFO", "WARN", "ERROR"].contains($0["level"] as? String ?? "") },
                "the filtered point holds no DEBUG entry (--min-level INFO)")
        #expect(filtered.entries.allSatisfy { ($0["context"] as? [String: Any])?["sessionId"] != nil }, "entries are segment lines")
        #expect(filtered.result.stderrText.contains("logpipe tap: 40 entries shown, 0 dropped (limit)"), "\(filtered.result.stderrText)")
        // In delivery order: the line numbers rise.
        let numbers = filtered.entries.compactMap { ($0["message"] as? String).flatMap { Int($0.dropFirst(5)) } }
        #expect(numbers == numbers.sorted() && numbers.count == 40, "\(numbers)")

        let parsed = try Self.tap(dir, ["--at", "parsed", "--min-level", "DEBUG", "--limit", "40"])
        #expect(parsed.entries.count == 40)
        #expect(parsed.entries.contains { $0["level"] as? String == "DEBUG" }, "parsed is before the level filter")

        let errors = try Self.tap(dir, ["--min-level", "ERROR", "--grep", "line 1", "--limit", "5"])
        #expect(errors.entries.count == 5)
        #expect(errors.entries.allSatisfy { $0["level"] as? String == "ERROR" && ($0["message"] as? String ?? "").hasPrefix("line 1") },
                "\(errors.entries)")

        let segments = try Self.tap(dir, ["--at", "segments", "--limit", "3"])
        #expect(segments.entries.count == 3, "\(segments.result.stderrText)")

        let unknown = try logpipe(["tap", "--state-dir", dir.file("state"), "--at", "urgent"])
        #expect(unknown.status == 1)
        #expect(unknown.stderrText.contains("unknown tap point \"urgent\": expected parsed, filtered or a sink of this run (segments)"),
                "\(unknown.stderrText)")
        let none = try logpipe(["tap", "--state-dir", dir.file("nothing-here")])
        #expect(none.status == 1 && none.stderrText.contains("is logpipe run going with --state-dir"), "\(none.stderrText)")

        let written = stream.stop()
        run.closeStdin()
        let result = run.wait(timeout: 30)
        #expect(result.status == 0, "\(result.stderrText)")
        // Tapping took nothing away: every INFO-or-above line is in the segments.
        let kept = try segmentFiles(in: dir.file("out")).flatMap { try jsonObjects(try decompressWithTool($0)) }
        #expect(kept.count == (0..<written).filter { $0 % 4 != 0 }.count)
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func theUrgentPointShowsWhatTheUrgentRouteTakes() throws {
        let receiver = try TestHTTPReceiver()
        let dir = TempDir("logpipe-tap")
        let (run, _) = try Self.start(dir, ["--urgent", "http://127.0.0.1:\(receiver.port)/hook", "--incidents", "off"])
        let stream = LineStream(run, seconds: 30, line: Self.line)
        let urgent = try Self.tap(dir, ["--at", "urgent", "--limit", "20"])
        #expect(urgent.result.status == 0, "\(urgent.result.stderrText)")
        #expect(urgent.entries.count == 20)
        #expect(urgent.entries.allSatisfy { $0["level"] as? String == "ERROR" }, "the urgent route takes ERROR and FATAL only")
        // --min-level below the route's level does not widen it.
        let floor = try Self.tap(dir, ["--at", "urgent", "--min-level", "DEBUG", "--limit", "5"])
        #expect(floor.entries.count == 5 && floor.entries.allSatisfy { $0["level"] as? String == "ERROR" })
        _ = stream.stop()
        run.closeStdin()
        #expect(run.wait(timeout: 30).status == 0)
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(2))))
    func aTapThatDoesNotReadDropsItsOwnSamplesAndTheRunKeepsEveryLine() throws {
        let dir = TempDir("logpipe-tap")
        let (run, socket) = try Self.start(dir)
        // A client that asks for a tap and then does not read: its queue fills, and the pipeline goes on.
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var small: Int32 = 4096
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            let b = Array(socket.utf8); raw.copyBytes(from: b); raw[b.count] = 0
        }
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(connected == 0)
        let request = Array(#"{"command":"tap","at":"filtered"}"#.utf8) + [10]
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }

        let stream = LineStream(run, seconds: 60, chunk: 1000, pauseMicros: 0, line: Self.line)
        // Until 200,000 lines are in; the tap client reads nothing meanwhile.
        let deadline = Date().addingTimeInterval(TestTime.seconds(60))
        while Date() < deadline, stream.written < 200_000 { usleep(20_000) }
        let written = stream.stop()
        // Now read what the tap got while the run ends: some entries, drop reports, the end line with the totals.
        final class Received: @unchecked Sendable { var data = [UInt8]() }
        let received = Received()
        let readDone = DispatchSemaphore(value: 0)
        Thread {
            defer { readDone.signal() }
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            let readDeadline = Date().addingTimeInterval(TestTime.seconds(60))
            while Date() < readDeadline {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                received.data.append(contentsOf: buffer[..<n])
            }
        }.start()
        run.closeStdin()
        let result = run.wait(timeout: 60)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(RunSummary(stderr: result.stderrText)?.entriesOut == written, "\(result.stderrText)")
        readDone.wait()
        let data = received.data
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        let end = lines.last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(end?["tap"] as? String == "end", "\(lines.suffix(2))")
        let sent = end?["sent"] as? Int ?? 0, dropped = end?["dropped"] as? Int ?? 0
        #expect(dropped > 0, "a tap that does not read must drop")
        #expect(sent > 0 && sent + dropped <= written, "sent \(sent) dropped \(dropped) written \(written)")
        #expect(lines.contains { $0.hasPrefix(#"{"tap":"dropped""#) })
        #expect(lines.filter { $0.hasPrefix(#"{"timestamp":"#) }.count == sent)
    }
}
