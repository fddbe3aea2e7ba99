import Foundation
import Testing
@testable import Pipeline

/// Inputs found by the libFuzzer targets in fuzz/ (issue 8), kept as regression tests, plus a small seeded run of
/// the framer property so `make test` checks it without libFuzzer.
@Suite struct FuzzRegressionTests {
    /// fuzz/FuzzEncoder: a syslog PRI with leading zeros was written as the JSON number `094`, which no JSON
    /// parser accepts, so the whole segment line was unreadable.
    @Test
    func syslogPriWithLeadingZerosIsValidJSON() {
        let lines = ["<094>Nov 27 09:00:15 api-01 payments: payment authorized",
                     "<013>1 2026-11-27T09:00:00Z h app - - - hi",
                     "<00>x: y"]
        for format in [InputFormat.auto, .syslog] {
            let (_, text, objects) = encode(lines, format: format)
            #expect(objects.allSatisfy { $0["__invalid__"] == nil }, "\(format): \(text)")
        }
    }

    /// fuzz/FuzzEncoder: a BSD syslog day of many digits (`Nov 2799…9 09:00:00`) overflowed the day number: the
    /// worker trapped and logpipe died on one line. Found once the fuzz package built again (it lacked CTLS).
    /// The same trap was in epoch timestamps: 19 nines do not fit an Int64.
    @Test func hugeDayOrEpochNumbersAreKeptAsDataNotATrap() {
        let lines = ["<14>Nov 27" + String(repeating: "9", count: 60) + " 09:00:00 h app: x",
                     #"{"timestamp":9999999999999999999,"message":"epoch overflow"}"#,
                     #"{"timestamp":"99999999999999999999999","message":"epoch overflow as text"}"#,
                     #"{"timestamp":1795770000123456789,"message":"epoch nanoseconds"}"#]
        let (_, text, o) = encode(lines)
        #expect(o.count == 4, "\(text)")
        #expect(o.allSatisfy { $0["__invalid__"] == nil }, "\(text)")
        #expect(o[1].meta["timestamp"] != nil, "an unreadable timestamp is kept under metadata: \(text)")
        #expect(o[3]["timestamp"] as? String == "2026-11-27T09:00:00.123Z", "\(text)")
    }

    @Test func syslogPriWithoutLeadingZeroIsANumber() {
        let (_, _, o) = encode(["<134>1 2026-11-27T09:00:00Z h app - - - hi", "<0>Nov 27 09:00:01 h app: x"])
        #expect(o.count == 2)
        #expect(o.allSatisfy { $0["__invalid__"] == nil })
        #expect(o[0].meta["pri"] as? Int == 134)
    }

    /// fuzz/FuzzFramer: a line of exactly maxLineBytes followed by `\r\n` is not too long (the `\r` is dropped),
    /// but when a read ends between the `\r` and the `\n` the framer sees maxLineBytes + 1 bytes without a newline
    /// and cuts the line: `metadata.truncated: true` on an entry that lost nothing, depending on read boundaries.
    @Test
    func lineOfMaxLengthBeforeCRLFIsNotTruncated() {
        let line = String(repeating: "a", count: 16)
        let whole = frame(Array((line + "\r\nnext\n").utf8), maxLine: 16, entries: 10, multiline: false) { Int.max }
        var chunks = [17, 100]
        let split = frame(Array((line + "\r\nnext\n").utf8), maxLine: 16, entries: 10, multiline: false) { chunks.removeFirst() }
        #expect(whole.lines.first?.truncated == false)
        #expect(split.lines == whole.lines)
    }

    /// fuzz/FuzzFramer's property, seeded and bounded: framing the same bytes whole or in random chunks gives
    /// the same lines, flags and empty-line count.
    @Test func randomChunkingGivesTheSameLines() {
        var rng = SplitMix(seed: 0x5eed)
        let alphabet: [UInt8] = Array("ab \t\r\n\n\nat Caused by:\u{1b}é".utf8)
        for iteration in 0..<300 {
            let input = (0..<Int(rng.next() % 600)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            let maxLine = 16 + Int(rng.next() % 64)
            let entries = 1 + Int(rng.next() % 8)
            let multiline = rng.next() % 2 == 0
            let whole = frame(input, maxLine: maxLine, entries: entries, multiline: multiline) { Int.max }
            let chunked = frame(input, maxLine: maxLine, entries: entries, multiline: multiline) {
                Int(rng.next() % 17) + 1
            }
            // Known bug (lineOfMaxLengthBeforeCRLFIsNotTruncated): the truncated flag of a line of exactly maxLine
            // bytes may differ; compare without it for those lines.
            func relaxed(_ ls: [Line]) -> [Line] { ls.map { $0.bytes.count == maxLine ? Line(bytes: $0.bytes, truncated: false, joined: $0.joined) : $0 } }
            #expect(relaxed(whole.lines) == relaxed(chunked.lines) && whole.empty == chunked.empty,
                    "iteration \(iteration): \(String(decoding: input, as: UTF8.self).debugDescription)")
        }
    }

    struct Line: Equatable { var bytes: [UInt8]; var truncated: Bool; var joined: Bool }

    func frame(_ input: [UInt8], maxLine: Int, entries: Int, multiline: Bool,
               chunk: () -> Int) -> (lines: [Line], empty: Int) {
        var f = LineFramer(maxLineBytes: maxLine, batchMaxEntries: entries, batchMaxBytes: 4096, multiline: multiline)
        let origin = SourceOrigin(name: "t", sessionId: "s")
        var out: [Line] = []
        func collect(_ b: RawBatch) {
            for l in b.lines {
                out.append(Line(bytes: Array(UnsafeBufferPointer(start: b.buffer.base + Int(l.start), count: Int(l.length))),
                                truncated: l.truncated, joined: l.joined))
            }
        }
        var i = 0
        while i < input.count {
            let w = f.writable
            let n = min(w.count, input.count - i, max(chunk(), 1))
            input.withUnsafeBufferPointer { w.pointer.update(from: $0.baseAddress! + i, count: n) }
            f.commit(n, now: 0)
            i += n
            while f.isFull, let b = f.takeBatch(origin: origin, close: .full, now: 0) { collect(b) }
        }
        while let b = f.takeBatch(origin: origin, close: .end, includePartial: true, now: 0) { collect(b) }
        return (out, f.emptyLines)
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
