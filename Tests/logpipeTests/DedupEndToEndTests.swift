import Foundation
@testable import TestSupport
import Testing

/// Issue 22, `--dedup WINDOW` through the real binary (docs/dedup.md): runs of identical messages become the first
/// and the last repeat with `metadata.repeated`, every input line accounted for; a run is cut at each batch's
/// end; an urgent entry is delivered at once, not held for its repeats.
@Suite(.serialized) struct DedupEndToEndTests {
    static func json(_ level: String, _ message: String, _ n: Int) -> String {
        #"{"level":"\#(level)","message":"\#(message)","requestId":"r-\#(n)"}"# + "\n"
    }

    /// (message, level, repeated) of each entry in the segments.
    static func collapsed(_ run: RunOutput) throws -> [(String, String, Int?)] {
        try run.entries().map {
            ($0["message"] as? String ?? "", $0["level"] as? String ?? "", ($0["metadata"] as? [String: Any])?["repeated"] as? Int)
        }
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func runsCollapseAndEveryLineIsAccountedFor() throws {
        var input = (0..<100).map { Self.json("ERROR", "connection refused", $0) }.joined()
        input += Self.json("INFO", "tick", 100)
        input += (0..<50).map { _ in "plain slow request\n" }.joined()
        input += Self.json("INFO", "tick", 151)
        let run = try runPipeline(Data(input.utf8), ["--dedup", "10s", "--batch-max-entries", "1000"])
        #expect(run.result.status == 0, "\(run.result.stderrText)")
        let e = try Self.collapsed(run)
        #expect(e.map(\.0) == ["connection refused", "connection refused", "tick", "plain slow request", "plain slow request", "tick"])
        #expect(e.map(\.2) == [nil, 99, nil, nil, 49, nil])
        // The last repeat is the one kept: its own request ID.
        let kept = try run.entries()[1]["context"] as? [String: Any]
        #expect(kept?["requestId"] as? String == "r-99")
        #expect(e.reduce(0) { $0 + ($1.2 ?? 1) } == 152, "every line is an entry of its own or counted in a repeated")
        #expect(run.result.stderrText.contains("152 lines in, 6 entries out") && run.result.stderrText.contains("146 repeats collapsed"),
                "\(run.result.stderrText)")
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func aRunIsCutAtEachBatchEndAndTheConfigKeyWorksToo() throws {
        let dir = TempDir("logpipe-dedup")
        let config = dir.write("logpipe.yaml", Data("pipeline:\n  dedup: 1m\n  batch:\n    max-entries: 40\n".utf8))
        let input = (0..<100).map { Self.json("WARN", "disk 91% full", $0) }.joined()
        let run = try runPipeline(Data(input.utf8), ["--config", config])
        #expect(run.result.status == 0, "\(run.result.stderrText)")
        // Three batches (of at most 40 lines): each its first occurrence and its last repeat with the count.
        let repeated = try Self.collapsed(run).map(\.2)
        #expect(repeated.count == 6 && repeated.enumerated().allSatisfy { ($0.offset % 2 == 0) == ($0.element == nil) }, "\(repeated)")
        #expect(repeated.reduce(0) { $0 + ($1 ?? 1) } == 100, "\(repeated)")
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func anUrgentEntryIsDeliveredAtOnceNotHeldForItsRepeats() throws {
        let receiver = try TestHTTPReceiver()
        let dir = TempDir("logpipe-dedup")
        let run = try ServiceRun(["run", "--out", dir.file("out"), "--state-dir", dir.file("state"), "--dedup", "1m",
                                  "--batch-timeout", "100ms", "--urgent", "http://127.0.0.1:\(receiver.port)/hook"], scratch: dir)
        // One ERROR, and then nothing: it must reach the receiver while the window (1 minute) is still open.
        run.write(Array(Self.json("ERROR", "payment failed", 0).utf8))
        #expect(receiver.waitForLines(1, timeout: TestTime.seconds(10)), "\(run.stderrText)")
        // Five repeats later, in a batch of their own: a run starts over in each batch, so its first occurrence
        // goes at once too, and the last repeat carries the count of the other four.
        run.write(Array((1...5).map { Self.json("ERROR", "payment failed", $0) }.joined().utf8))
        #expect(receiver.waitForLines(3, timeout: TestTime.seconds(10)), "\(receiver.lines)")
        run.closeStdin()
        #expect(run.wait(timeout: 20).status == 0)
        let lines = try receiver.lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(lines.map { ($0["context"] as? [String: Any])?["requestId"] as? String } == ["r-0", "r-1", "r-5"], "\(receiver.lines)")
        #expect(lines.map { ($0["metadata"] as? [String: Any])?["repeated"] as? Int } == [nil, nil, 4], "\(receiver.lines)")
    }
}
