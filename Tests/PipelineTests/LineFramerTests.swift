import Foundation
import Testing
@testable import Pipeline

@Suite struct LineFramerTests {
    let origin = SourceOrigin(name: "t", sessionId: "s")

    func framer(maxLine: Int = 1024, entries: Int = 1000, bytes: Int = 1 << 20) -> LineFramer {
        LineFramer(maxLineBytes: maxLine, batchMaxEntries: entries, batchMaxBytes: bytes)
    }

    /// Takes every batch until none is left (partial line included at the end).
    func drain(_ f: inout LineFramer, includePartial: Bool = true) -> [RawBatch] {
        var out: [RawBatch] = []
        while let b = f.takeBatch(origin: origin, close: .end, includePartial: includePartial, now: 0) { out.append(b) }
        return out
    }

    @Test func linesAcrossCommits() {
        var f = framer()
        feed(&f, "first li")
        #expect(f.pendingLines == 0)
        feed(&f, "ne\nsecond\nthi")
        #expect(f.pendingLines == 2)
        feed(&f, "rd\n")
        #expect(f.pendingLines == 3)
        let b = f.takeBatch(origin: origin, close: .full, now: 0)
        #expect(b?.lineStrings == ["first line", "second", "third"])
        #expect(b?.lines.allSatisfy { !$0.truncated } == true)
        let none = f.takeBatch(origin: origin, close: .full, now: 0)
        #expect(none == nil)
    }

    @Test func byteByByte() {
        var f = framer()
        for byte in Array("ab\r\ncd\n\nef".utf8) { feed(&f, [byte]) }
        let batches = drain(&f)
        #expect(batches.flatMap(\.lineStrings) == ["ab", "cd", "ef"])
        #expect(f.emptyLines == 1)
    }

    @Test func crlfAndEmptyLines() {
        var f = framer()
        feed(&f, "a\r\n\n\r\n\nb\r\r\n c \n")
        let b = drain(&f)
        #expect(b.flatMap(\.lineStrings) == ["a", "b\r", " c "], "only one trailing CR is dropped")
        #expect(f.emptyLines == 3)
        var g = framer()
        feed(&g, "\n\n\n")
        #expect(drain(&g).isEmpty)
        #expect(g.emptyLines == 3)
    }

    @Test func partialLineAtEnd() {
        var f = framer()
        feed(&f, "x\ny")
        let first = f.takeBatch(origin: origin, close: .timeout, includePartial: false, now: 0)
        #expect(first?.lineStrings == ["x"])
        let none = f.takeBatch(origin: origin, close: .timeout, includePartial: false, now: 0)
        #expect(none == nil, "y is unfinished")
        feed(&f, "z")
        let last = f.takeBatch(origin: origin, close: .end, includePartial: true, now: 0)
        #expect(last?.lineStrings == ["yz"])
        let after = f.takeBatch(origin: origin, close: .end, includePartial: true, now: 0)
        #expect(after == nil)
    }

    @Test func overlongLineInOneCommit() {
        var f = framer(maxLine: 16)
        feed(&f, String(repeating: "a", count: 40) + "\nshort\n" + String(repeating: "b", count: 16) + "\n" +
            String(repeating: "c", count: 17) + "\n")
        let lines = drain(&f).flatMap(\.lines)
        #expect(lines.count == 4)
        #expect(lines.map(\.truncated) == [true, false, false, true])
        #expect(lines.map { Int($0.length) } == [16, 5, 16, 16])
        #expect(f.truncatedLines == 2)
        #expect(f.discardedBytes == 24 + 1)
    }

    @Test func overlongLineAcrossCommits() {
        var f = framer(maxLine: 16)
        feed(&f, "start\n" + String(repeating: "x", count: 10))
        feed(&f, String(repeating: "x", count: 10))          // now 20 > 16: cut at 16
        feed(&f, String(repeating: "y", count: 100))         // still the same line: discarded
        feed(&f, "yyy\nnext line\n")
        let batches = drain(&f)
        let all = batches.flatMap { zip($0.lineStrings, $0.lines.map(\.truncated)).map { ($0, $1) } }
        #expect(all.map(\.0) == ["start", String(repeating: "x", count: 16), "next line"])
        #expect(all.map(\.1) == [false, true, false])
        #expect(f.truncatedLines == 1)
        #expect(f.discardedBytes == 4 + 100 + 3)
    }

    @Test func overlongLineAtEndOfInput() {
        var f = framer(maxLine: 16)
        feed(&f, String(repeating: "z", count: 50)) // no newline ever comes
        let batches = drain(&f)
        let lines = batches.flatMap(\.lines)
        #expect(lines.count == 1)
        #expect(lines.first?.truncated == true)
        #expect(batches.flatMap(\.lineStrings) == [String(repeating: "z", count: 16)])
    }

    @Test func batchesCutByEntriesKeepOrder() {
        var f = framer(entries: 3)
        let input = (1...10).map { "line \($0)" }
        feed(&f, input.joined(separator: "\n") + "\n")
        #expect(f.isFull)
        var got: [[String]] = []
        while f.isFull, let b = f.takeBatch(origin: origin, close: .full, now: 0) { got.append(b.lineStrings) }
        got += drain(&f).map(\.lineStrings)
        #expect(got.map(\.count) == [3, 3, 3, 1])
        #expect(got.flatMap { $0 } == input)
    }

    @Test func batchesCutByBytes() {
        var f = framer(entries: 1000, bytes: 100)
        let input = (1...50).map { String(format: "entry-%03d-%@", $0, String(repeating: "p", count: 20)) }
        var got: [String] = []
        for line in input {
            feed(&f, line + "\n")
            while f.isFull, let b = f.takeBatch(origin: origin, close: .full, now: 0) {
                #expect(b.inputBytes <= 100 + 31, "batch of \(b.inputBytes) bytes")
                got += b.lineStrings
            }
        }
        got += drain(&f).flatMap(\.lineStrings)
        #expect(got == input)
    }

    @Test func oldestPendingTimeDrivesTheTimeout() {
        var f = framer()
        #expect(f.oldestPendingMillis == nil)
        feed(&f, "partial", now: 100)
        #expect(f.oldestPendingMillis == nil, "an unfinished line is not pending yet")
        feed(&f, " done\n", now: 150)
        #expect(f.oldestPendingMillis == 150)
        feed(&f, "second\n", now: 300)
        #expect(f.oldestPendingMillis == 150)
        let b = f.takeBatch(origin: origin, close: .timeout, now: 400)
        #expect(b?.lines.map(\.readMillis) == [150, 300])
        #expect(f.oldestPendingMillis == nil)
    }

    @Test func randomSplitsGiveTheSameLines() {
        var rng = SystemRandomNumberGenerator()
        var text = ""
        for i in 0..<2000 { text += "l\(i) " + String(repeating: "w", count: Int.random(in: 0...80, using: &rng)) + (i % 7 == 0 ? "\r\n" : "\n") }
        let bytes = Array(text.utf8)
        // Split bytes (a Swift String treats "\r\n" as one Character).
        let expected = bytes.split(separator: 0x0a).map { String(decoding: $0.last == 0x0d ? $0.dropLast() : $0, as: UTF8.self) }
        var f = framer(maxLine: 1024, entries: 64, bytes: 4096)
        var got: [String] = []
        var i = 0
        while i < bytes.count {
            let n = min(Int.random(in: 1...300, using: &rng), bytes.count - i)
            feed(&f, Array(bytes[i..<(i + n)]))
            i += n
            while f.isFull, let b = f.takeBatch(origin: origin, close: .full, now: 0) { got += b.lineStrings }
        }
        got += drain(&f).flatMap(\.lineStrings)
        #expect(got.count == expected.count)
        let firstDifference = got.indices.first { $0 < expected.count && got[$0] != expected[$0] }
        #expect(firstDifference == nil, "first difference at line \(firstDifference ?? -1)")
    }
}
