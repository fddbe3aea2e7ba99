import Testing
@testable import Ingest

/// The TCP syslog framer on bytes alone, each stream also fed split at every byte position (a frame may arrive
/// in any number of reads).
@Suite struct SyslogStreamFramerTests {
    struct Out: Equatable {
        var frames: [String] = []
        var truncated: [Bool] = []
        var rejects: [String] = []
    }

    private func frame(_ input: [UInt8], max: Int = 64, splitAt: Int? = nil) -> Out {
        var framer = SyslogStreamFramer(maxFrameBytes: max)
        var out = Out()
        let onFrame: SyslogStreamFramer.Frame = { p, n, t in
            out.frames.append(String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self))
            out.truncated.append(t)
        }
        let pieces = splitAt.map { [Array(input[..<$0]), Array(input[$0...])] } ?? [input]
        for piece in pieces {
            piece.withUnsafeBufferPointer { b in
                if let base = b.baseAddress { framer.feed(base, b.count, frame: onFrame, reject: { out.rejects.append($0.rawValue) }) }
            }
        }
        framer.finish(frame: onFrame, reject: { out.rejects.append($0.rawValue) })
        return out
    }

    /// The same result whole and split anywhere.
    private func check(_ text: String, max: Int = 64, _ expected: Out, sourceLocation: SourceLocation = #_sourceLocation) {
        let bytes = Array(text.utf8)
        #expect(frame(bytes, max: max) == expected, sourceLocation: sourceLocation)
        for i in 0...bytes.count {
            #expect(frame(bytes, max: max, splitAt: i) == expected, "split at \(i)", sourceLocation: sourceLocation)
        }
    }

    @Test func octetCountingIsDetectedFromADigit() {
        check("5 hello11 <13>1 world\n3 abc", Out(frames: ["hello", "<13>1 world", "abc"], truncated: [false, false, false]))
    }

    @Test func newlineFramingEndsAtLFOrNULAndDropsCR() {
        check("<13>one\r\n<14>two\0\n<15>three", Out(frames: ["<13>one", "<14>two", "<15>three"], truncated: [false, false, false]))
    }

    @Test func anOversizedCountedFrameIsCutAndTheStreamStaysInStep() {
        let big = String(repeating: "x", count: 100)
        check("100 \(big)4 next", max: 16, Out(frames: [String(repeating: "x", count: 16), "next"], truncated: [true, false],
                                                rejects: ["frame_too_large"]))
    }

    @Test func anOversizedLineIsCutAndSkippedToItsEnd() {
        let big = String(repeating: "y", count: 40)
        check("<13>\(big)\n<13>after\n", max: 16, Out(frames: ["<13>" + String(repeating: "y", count: 12), "<13>after"],
                                                      truncated: [true, false], rejects: ["frame_too_large"]))
    }

    @Test func aCountThatIsNotANumberKeepsTheLine() {
        check("5 hello12a4 not a count\n3 abc", Out(frames: ["hello", "12a4 not a count", "abc"], truncated: [false, false, false],
                                                     rejects: ["bad_frame"]))
    }

    @Test func aHalfSentCountedFrameIsKeptTruncated() {
        check("5 hello20 only half", Out(frames: ["hello", "only half"], truncated: [false, true], rejects: ["truncated_frame"]))
    }

    @Test func rsyslogsTrailingLFIsNotPartOfTheMessage() {
        check("6 hello\n6 world\n", Out(frames: ["hello", "world"], truncated: [false, false]))
    }
}
