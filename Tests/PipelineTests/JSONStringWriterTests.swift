import Foundation
import Testing
@testable import Pipeline

@Suite struct JSONStringWriterTests {
    func text(_ bytes: [UInt8]) -> String {
        let out = ByteBuffer(capacity: 16)
        withBytes(bytes) { JSONStringWriter.appendText($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count, to: out) }
        return String(decoding: out.bytes, as: UTF8.self)
    }

    func content(_ s: String) -> String { content(Array(s.utf8)) }

    func content(_ bytes: [UInt8]) -> String {
        let out = ByteBuffer(capacity: 16)
        withBytes(bytes) { JSONStringWriter.appendJSONContent($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count, to: out) }
        return String(decoding: out.bytes, as: UTF8.self)
    }

    func value(_ bytes: [UInt8]) -> String {
        let out = ByteBuffer(capacity: 16)
        withBytes(bytes) { JSONStringWriter.appendJSONValue($0.baseAddress!, $0.count, to: out) }
        return String(decoding: out.bytes, as: UTF8.self)
    }

    /// Decodes `"<s>"` as JSON; nil when it is not a valid JSON string.
    func decode(_ s: String) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(("\"" + s + "\"").utf8), options: .fragmentsAllowed)) as? String
    }

    func hasRawControl(_ s: String) -> Bool { s.utf8.contains { $0 < 0x20 || $0 == 0x7f } }

    @Test func escapesQuotesBackslashesAndControls() {
        let s = text(Array("a\"b\\c\nd\te\rf\u{1}g\u{7f}h\u{0}".utf8))
        #expect(s == #"a\"b\\c\nd\te\rf\u0001g\u007fh\u0000"#)
        #expect(decode(s) == "a\"b\\c\nd\te\rf\u{1}g\u{7f}h\u{0}")
    }

    @Test func everyControlByteIsEscaped() {
        let all = (0..<0x80).map { UInt8($0) }
        let s = text(all)
        #expect(!hasRawControl(s))
        #expect(decode(s) == String(decoding: all, as: UTF8.self))
    }

    @Test func ansiEscapeSequencesCannotReachATerminal() {
        let s = text(Array("\u{1b}[31mred\u{1b}[0m \u{1b}]0;title\u{7}".utf8))
        #expect(s == #"\u001b[31mred\u001b[0m \u001b]0;title\u0007"#)
        #expect(!s.utf8.contains(0x1b))
    }

    @Test
    func c1ControlsAreEscaped() {
        let s = text([0xc2, 0x9b, 0x33, 0x31, 0x6d, 0x20, 0xc2, 0x85])
        #expect(s == #"\u009b31m \u0085"#)
        #expect(content([0xc2, 0x9b]) == #"\u009b"#)
    }

    @Test func validUTF8IsKeptVerbatim() {
        let s = "héllo ✓ 𝄞 日本語 \u{FFFD} \u{10FFFF}"
        #expect(text(Array(s.utf8)) == s)
        #expect(content(s) == s)
    }

    @Test func invalidUTF8BecomesReplacementCharacters() {
        let cases: [([UInt8], String)] = [
            ([0x61, 0xff, 0x62], "a\u{FFFD}b"),
            ([0xc3, 0x28], "\u{FFFD}("),                        // lead byte without continuation
            ([0xc0, 0xaf], "\u{FFFD}\u{FFFD}"),                // overlong '/'
            ([0xe2, 0x82], "\u{FFFD}\u{FFFD}"),                // cut 3-byte sequence
            ([0x80], "\u{FFFD}"),                              // lone continuation
            ([0xf8, 0x88, 0x80, 0x80, 0x80], String(repeating: "\u{FFFD}", count: 5)),
        ]
        for (bytes, expected) in cases {
            #expect(text(bytes) == expected, "\(bytes)")
            #expect(content(bytes) == expected, "\(bytes)")
        }
        // Surrogates (ED A0..BF) and code points above U+10FFFF (F4 90+) are invalid too: no raw bytes survive.
        for bytes: [UInt8] in [[0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80]] {
            let s = text(bytes)
            #expect(!s.isEmpty && s.unicodeScalars.allSatisfy { $0 == "\u{FFFD}" }, "\(bytes) → \(s)")
        }
        // A valid sequence right after an invalid byte is kept.
        #expect(text([0xff, 0xe2, 0x9c, 0x93]) == "\u{FFFD}✓")
    }

    @Test func utf8Length() {
        func len(_ b: [UInt8]) -> Int { withBytes(b) { JSONStringWriter.utf8Length($0.baseAddress!, $0.count) } }
        #expect(len([0xc3, 0xa9]) == 2)
        #expect(len([0xe2, 0x9c, 0x93]) == 3)
        #expect(len([0xf0, 0x9d, 0x84, 0x9e]) == 4)
        #expect(len([0xe0, 0x80, 0x80]) == 0, "overlong")
        #expect(len([0xed, 0xa0, 0x80]) == 0, "surrogate")
        #expect(len([0xed, 0x9f, 0xbf]) == 3, "U+D7FF")
        #expect(len([0xf4, 0x8f, 0xbf, 0xbf]) == 4, "U+10FFFF")
        #expect(len([0xf4, 0x90, 0x80, 0x80]) == 0, "above U+10FFFF")
        #expect(len([0xc1, 0xbf]) == 0)
        #expect(len([0xe2, 0x9c]) == 0, "cut")
    }

    @Test func jsonContentKeepsValidEscapesAndRepairsTheRest() {
        #expect(content(#"a\"b\\c\/d\n\t\u00e9\uD83D\uDE00"#) == #"a\"b\\c\/d\n\t\u00e9\uD83D\uDE00"#)
        #expect(content(#"stray \q and \u12 end"#) == #"stray \\q and \\u12 end"#)
        #expect(content(#"trailing \"#) == #"trailing \\"#)
        #expect(content("raw \" quote") == #"raw \" quote"#)
        let repaired = content(Array("ctl \u{1b}[0m \n \u{7f}".utf8) + [0xff])
        #expect(repaired == #"ctl \u001b[0m \n \u007f"# + "\u{FFFD}")
        for s in [content(#"stray \q"#), repaired] { #expect(decode(s) != nil, "\(s)") }
    }

    @Test func jsonValueRepairsStringsInside() {
        let v = value(Array(#"{"a":"x"#.utf8) + [0x01, 0xff] + Array(#"","b":[1,"\u0041",true]}"#.utf8))
        #expect(v == #"{"a":"x\u0001"# + "\u{FFFD}" + #"","b":[1,"\u0041",true]}"#)
        let parsed = (try? JSONSerialization.jsonObject(with: Data(v.utf8))) as? [String: Any]
        #expect(parsed?["a"] as? String == "x\u{1}\u{FFFD}")
        // Raw whitespace between tokens becomes a space (never a raw newline in the output).
        #expect(value(Array("{\"a\":\n1,\t\"b\":2}".utf8)) == #"{"a": 1, "b":2}"#)
    }

    @Test func isClean() {
        func clean(_ s: String) -> Bool { withBytes(s) { JSONStringWriter.isClean($0.baseAddress!, $0.count) } }
        #expect(clean("plain ascii text 123 {}[]:,"))
        #expect(!clean("quote\""))
        #expect(!clean("back\\slash"))
        #expect(!clean("tab\t"))
        #expect(!clean("é"), "non-ASCII must be checked")
        #expect(!clean("\u{7f}"))
    }
}

extension JSONStringWriterTests {
    /// The scan that finds the next byte needing attention (16 bytes a step, then 8, then 1) agrees with a byte-by-byte
    /// reference for every byte value at every position, start offset and length around the step sizes.
    @Test func theVectorScanFindsTheSameByteAsAByteLoop() {
        var rng = SplitMix(seed: 3)
        func reference(_ b: [UInt8], _ i: Int) -> Int {
            var j = i
            while j < b.count, !SWAR.needsAttention(b[j]) { j += 1 }
            return j
        }
        for n in 0...70 {
            for _ in 0..<40 {
                // Mostly plain ASCII, with one or two bytes from the whole range (or none) at random places.
                var b = (0..<n).map { _ in UInt8(0x20 + rng.next() % 0x5f) }
                for _ in 0..<Int(rng.next() % 3) where n > 0 { b[Int(rng.next() % UInt64(n))] = UInt8(truncatingIfNeeded: rng.next()) }
                for start in Set([0, n / 3, n / 2, max(n - 1, 0)]) where start <= n {
                    let got = b.withUnsafeBufferPointer { SWAR.skipClean($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, start, n) }
                    #expect(got == reference(b, start), "n \(n) start \(start) bytes \(b)")
                }
            }
        }
        for v in 0...255 { // each byte value alone, at each lane of a 16-byte step and in the tails
            for at in [0, 7, 8, 15, 16, 20] {
                var b = [UInt8](repeating: 0x61, count: 24)
                b[at] = UInt8(v)
                let got = b.withUnsafeBufferPointer { SWAR.skipClean($0.baseAddress!, 0, 24) }
                #expect(got == (SWAR.needsAttention(UInt8(v)) ? at : 24), "byte \(v) at \(at)")
            }
        }
    }
}
