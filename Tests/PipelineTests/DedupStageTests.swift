import Foundation
@testable import Pipeline
import Testing

/// ``DedupStage`` on encoded batches in memory: runs of identical messages collapse into the first and the last
/// repeat (`metadata.repeated = N`), within the window, never across a batch's end.
@Suite struct DedupStageTests {
    static let origin = SourceOrigin(name: "t", sessionId: "s")

    /// A segment line at second `second` of a fixed minute.
    static func line(_ level: String, _ message: String, second: Int = 0, metadata: String? = nil, stack: String? = nil) -> String {
        let time = String(format: "2026-03-01T10:00:%02d.000Z", second)
        var s = #"{"timestamp":"\#(time)","level":"\#(level)","message":"\#(message)","context":{"service":"a}b","version":"v","environment":"e","host":"h","sessionId":"s","requestId":"r\#(second)"}"#
        if let metadata { s += #","metadata":\#(metadata)"# }
        if let stack { s += #","stack":"\#(stack)""# }
        return s + "}\n"
    }

    static func batch(_ lines: [String]) -> EncodedBatch {
        let buffer = ByteBuffer(capacity: 4096)
        buffer.append(string: lines.joined())
        let (batch, rejected) = SegmentLine.batch(from: buffer, origin: origin)
        precondition(rejected == 0)
        return batch
    }

    static func entries(_ batch: EncodedBatch) throws -> [[String: Any]] {
        try String(decoding: Array(batch.output.bytes), as: UTF8.self).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    @Test func aRunBecomesTheFirstAndTheLastRepeatWithItsCount() throws {
        let b = Self.batch([Self.line("ERROR", "disk full", second: 1), Self.line("ERROR", "disk full", second: 2),
                            Self.line("ERROR", "disk full", second: 3, metadata: #"{"x":3}"#), Self.line("INFO", "ok", second: 4)])
        let collapsed = DedupStage(windowMillis: 10_000).collapse(b, scratch: ByteBuffer(capacity: 64))
        #expect(collapsed == 1)
        let e = try Self.entries(b)
        #expect(e.map { $0["message"] as? String } == ["disk full", "disk full", "ok"])
        #expect(e[0]["metadata"] == nil, "the first occurrence goes on unchanged")
        #expect(e[1]["metadata"] as? [String: Int] == ["repeated": 2, "x": 3], "the last repeat, its own metadata kept")
        #expect(e[1]["timestamp"] as? String == "2026-03-01T10:00:03.000Z")
        #expect(b.entries.count == 3 && b.stats.entriesOut == 3 && b.stats.collapsed == 1)
        #expect(b.stats.levelCounts == [0, 1, 0, 2, 0])
        #expect(Int(b.entries.last!.end) == b.output.count)
    }

    @Test func theWindowTheLevelAndTheMessageEndARun() throws {
        let b = Self.batch([Self.line("WARN", "slow", second: 0), Self.line("WARN", "slow", second: 5),
                            Self.line("WARN", "slow", second: 9), Self.line("WARN", "slow", second: 20), // past the window
                            Self.line("ERROR", "slow", second: 21), // another level
                            Self.line("ERROR", #"said \"slow\""#, second: 22), Self.line("ERROR", #"said \"slow\""#, second: 23)])
        DedupStage(windowMillis: 10_000).collapse(b, scratch: ByteBuffer(capacity: 64))
        let e = try Self.entries(b)
        #expect(e.map { $0["timestamp"] as! String }.map { String($0.dropFirst(17).prefix(2)) } == ["00", "09", "20", "21", "22", "23"])
        #expect(e.map { ($0["metadata"] as? [String: Int])?["repeated"] } == [nil, 2, nil, nil, nil, 1])
    }

    @Test func repeatedGoesIntoEveryShapeOfLine() throws {
        let b = Self.batch([Self.line("INFO", "a"), Self.line("INFO", "a", stack: "at x"),
                            Self.line("INFO", "b"), Self.line("INFO", "b", metadata: "{}"),
                            Self.line("INFO", "c"), Self.line("INFO", "c")])
        DedupStage(windowMillis: 1000).collapse(b, scratch: ByteBuffer(capacity: 64))
        let e = try Self.entries(b)
        #expect(e.count == 6)
        #expect(e[1]["metadata"] as? [String: Int] == ["repeated": 1] && e[1]["stack"] as? String == "at x")
        #expect(e[3]["metadata"] as? [String: Int] == ["repeated": 1])
        #expect(e[5]["metadata"] as? [String: Int] == ["repeated": 1])
        #expect((e[5]["context"] as? [String: String])?["service"] == "a}b")
    }

    @Test func withoutRepeatsTheBatchIsUntouched() {
        let lines = [Self.line("INFO", "a"), Self.line("INFO", "b"), Self.line("INFO", "a")]
        let b = Self.batch(lines)
        #expect(DedupStage(windowMillis: 1000).collapse(b, scratch: ByteBuffer(capacity: 64)) == 0)
        #expect(String(decoding: Array(b.output.bytes), as: UTF8.self) == lines.joined())
    }
}
