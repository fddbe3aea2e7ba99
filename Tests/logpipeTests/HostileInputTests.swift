import Foundation
import Testing

/// Input that tries to break the parser or the output: random bytes, NULs, invalid UTF-8, terminal escapes, huge
/// lines, cut-off JSON and logfmt. The run must succeed, account for every line and write only valid, safe JSON.
@Suite struct HostileInputTests {
    static func hostileInput() -> (data: Data, hugeLineIndex: Int, truncatedJSONIndex: Int) {
        var rng = SeededRandom(seed: 0xC0FFEE)
        var lines: [[UInt8]] = []
        // Random bytes, cut into lines wherever a \n falls.
        var random = [UInt8](repeating: 0, count: 48 * 1024)
        for i in random.indices { random[i] = UInt8.random(in: 0...255, using: &rng) }
        lines += random.split(separator: 0x0a, omittingEmptySubsequences: false).map(Array.init)
        lines.append([0x61, 0x00, 0x62, 0x00, 0x00, 0x63])                    // NULs
        lines.append(Array("\u{0}".utf8))
        lines.append([0x62, 0x61, 0x64, 0x20, 0xff, 0xfe, 0x20, 0xc3, 0x28, 0x20, 0xed, 0xa0, 0x80, 0x20, 0xf4, 0x90, 0x80, 0x80])
        lines.append(Array("\u{1b}[31mred\u{1b}[0m \u{1b}]0;title\u{07} \u{7f} \u{08}\u{0c}\u{0b}".utf8))
        lines.append(Array(#"{"level":"error","msg":"esc \u001b[2J and raw "#.utf8) + [0x1b, 0x5b, 0x32, 0x4a, 0x01] + Array(#"","k":"\u0000"}"#.utf8))
        let hugeLineIndex = lines.count
        lines.append([UInt8](repeating: UInt8(ascii: "x"), count: 5 * 1024 * 1024))
        let truncatedJSONIndex = lines.count
        lines.append(Array(#"{"level":"error","msg":"cut off"#.utf8))
        lines.append(Array(#"level=error msg="unterminated value"#.utf8))
        lines.append(Array(#"{"a":[1,2,{"b":"#.utf8))
        lines.append(Array("<999999999999>1 bogus".utf8))
        lines.append(Array("<1>1 not-a-time h a p m - x".utf8))
        lines.append(Array(#"{"deep":"#.utf8) + [UInt8](repeating: UInt8(ascii: "["), count: 10_000))
        lines.append(Array("crlf line\r".utf8))
        lines.append(Array("\r".utf8))
        lines.append([])
        lines.append(Array("   ".utf8))
        lines.append(Array("\t{\"level\":\"warn\",\"msg\":\"tab-led\"}".utf8))
        lines.append(Array("tail".utf8)) // last line: no newline at the end
        var data = Data()
        for (i, l) in lines.enumerated() {
            data.append(contentsOf: l)
            if i < lines.count - 1 { data.append(0x0a) }
        }
        return (data, hugeLineIndex, truncatedJSONIndex)
    }

    @Test func hostileBytesAreContainedAndCounted() throws {
        let (input, _, _) = Self.hostileInput()
        let lines = splitLines(input).map { $0.last == 0x0d ? $0.dropLast() : $0 }
        let nonEmpty = lines.filter { !$0.isEmpty }
        let run = try runPipeline(input, ["--batch-max-entries", "64", "--multiline", "off"]) // every line counted 1:1
        #expect(run.result.status == 0, "stderr: \(run.result.stderrText)")
        #expect(!run.result.signaled)

        let raw = run.allContent
        let outLines = splitLines(raw)
        #expect(raw.last == 0x0a, "every entry ends with a newline")
        #expect(outLines.count == nonEmpty.count)
        // No raw control byte (or DEL) anywhere but the line terminators.
        for (i, line) in outLines.enumerated() {
            let bad = line.firstIndex { $0 < 0x20 || $0 == 0x7f }
            #expect(bad == nil, "output line \(i + 1) holds raw byte \(bad.map { line[$0] } ?? 0)")
            #expect(String(data: Data(line), encoding: .utf8) != nil, "output line \(i + 1) is not valid UTF-8")
        }
        let parsed = parseJSONLines(raw)
        let invalid = parsed.enumerated().filter { $0.element == nil }.map { $0.offset + 1 }
        #expect(invalid.isEmpty, "lines that are not JSON objects: \(invalid.prefix(10))")
        let entries = parsed.compactMap { $0 }

        // Find the special lines by content.
        let truncated = entries.filter { ($0["metadata"] as? [String: Any])?["truncated"] as? Bool == true }
        #expect(truncated.count == 1)
        if let t = truncated.first {
            let m = t.string("message") ?? ""
            #expect(m.utf8.count == 1 << 20, "cut at the default --max-line-bytes (1M)")
            #expect(m.allSatisfy { $0 == "x" })
        }
        let cut = entries.filter { ($0.string("message") ?? "").contains(#""msg":"cut off"#) }
        #expect(cut.count == 1)
        #expect((cut.first?["metadata"] as? [String: Any])?["parseError"] as? String == "invalid JSON")
        let logfmt = entries.filter { ($0.string("message") ?? "").contains("unterminated value") }
        #expect(logfmt.count == 1)
        // In auto mode a line that only looks like logfmt falls back to plain text (its level=error still counts).
        #expect(logfmt.first?.string("level") == "ERROR")
        #expect(logfmt.first?.string("message") == #"msg="unterminated value"#)

        let nul = entries.first { ($0.string("message") ?? "").hasPrefix("a\u{0}b") }
        #expect(nul?.string("message") == "a\u{0}b\u{0}\u{0}c")
        let bad = entries.first { ($0.string("message") ?? "").hasPrefix("bad ") }
        let badMessage = bad?.string("message") ?? ""
        #expect(badMessage.hasPrefix("bad \u{FFFD}") && badMessage.contains("\u{FFFD}( "), "\(badMessage)")
        #expect(badMessage.unicodeScalars.allSatisfy { $0.isASCII || $0 == "\u{FFFD}" }, "\(badMessage)")
        let ansi = entries.first { ($0.string("message") ?? "").contains("red") }
        #expect(ansi?.string("message")?.hasPrefix("\u{1b}[31mred") == true, "ANSI kept, but escaped in the bytes")
        let esc = entries.first { ($0.string("message") ?? "").hasPrefix("esc ") }
        #expect(esc?.string("level") == "ERROR", "a JSON string with raw control bytes is repaired, not rejected")
        #expect(esc?.string("message") == "esc \u{1b}[2J and raw \u{1b}[2J\u{1}")
        let tab = entries.first { $0.string("message") == "tab-led" }
        #expect(tab?.string("level") == "WARN")
        #expect(entries.contains { $0.string("message") == "crlf line" })
        #expect(entries.last?.string("message") == "tail")

        for e in entries {
            #expect(isSegmentTimestamp(e.string("timestamp") ?? ""))
            #expect(!(e.string("context.sessionId") ?? "").isEmpty)
            #expect(!(e.string("context.requestId") ?? "").isEmpty)
        }
        let parseErrors = entries.filter { ($0["metadata"] as? [String: Any])?["parseError"] != nil }.count
        #expect(run.summary == RunSummary(linesIn: nonEmpty.count, entriesOut: nonEmpty.count, filtered: 0,
                                          parseErrors: parseErrors, truncated: 1, emptyLines: lines.count - nonEmpty.count,
                                          segments: run.segments.count),
                "stderr: \(run.result.stderrText)")
        // Manifests still match.
        for (segment, content) in zip(run.segments, run.contents) {
            let m = try readJSONObject(manifestPath(of: segment))
            #expect(m["uncompressedBytes"] as? Int == content.count)
            #expect(m["entries"] as? Int == splitLines(content).count)
        }
    }

    /// U+0080…U+009F are control characters too (U+009B is CSI, U+0085 NEL): "every control char escaped".
    @Test
    func c1ControlCharactersAreEscaped() throws {
        let input = Data([0x63, 0x31, 0x20, 0xc2, 0x9b, 0x33, 0x31, 0x6d, 0x20, 0xc2, 0x85, 0x20, 0xc2, 0x80, 0x0a])
        let run = try runPipeline(input)
        #expect(run.result.status == 0)
        let raw = [UInt8](run.allContent)
        let rawC1 = raw.indices.dropLast().contains { raw[$0] == 0xc2 && (0x80...0x9f).contains(raw[$0 + 1]) }
        #expect(!rawC1, "raw C1 control character in the output: \(String(decoding: raw, as: UTF8.self).debugDescription)")
        #expect(try run.entries().first?.string("message") == "c1 \u{9b}31m \u{85} \u{80}")
    }

    @Test func maxLineBytesCutsLongLinesAndKeepsTheNextLine() throws {
        var input = Data("short\n".utf8)
        input.append(Data(repeating: UInt8(ascii: "y"), count: 10_000))
        input.append(Data("\n{\"msg\":\"after\"}\n".utf8))
        input.append(Data("{\"msg\":\"".utf8) + Data(repeating: UInt8(ascii: "z"), count: 5000) + Data("\"}\n".utf8))
        let run = try runPipeline(input, ["--max-line-bytes", "4K"])
        #expect(run.result.status == 0)
        let e = try run.entries()
        try #require(e.count == 4)
        #expect(e[0].string("message") == "short")
        #expect(e[1].string("message") == String(repeating: "y", count: 4096))
        #expect((e[1]["metadata"] as? [String: Any])?["truncated"] as? Bool == true)
        #expect(e[2].string("message") == "after")
        #expect(e[2]["metadata"] == nil)
        // A cut JSON line is no longer JSON: plain text, flagged both ways.
        let m3 = e[3]["metadata"] as? [String: Any] ?? [:]
        #expect(m3["truncated"] as? Bool == true)
        #expect(m3["parseError"] as? String == "invalid JSON")
        #expect(run.summary?.truncated == 2)
        #expect(run.summary?.parseErrors == 1)
    }

    @Test func emptyInputMakesNoSegments() throws {
        let run = try runPipeline(Data())
        #expect(run.result.status == 0)
        #expect(run.segments.isEmpty)
        #expect(directoryListing(run.outDir).isEmpty)
        #expect(run.summary == RunSummary(linesIn: 0, entriesOut: 0, filtered: 0, parseErrors: 0, truncated: 0,
                                          emptyLines: 0, segments: 0))

        let blank = try runPipeline(Data("\n\n\r\n\n".utf8))
        #expect(blank.result.status == 0)
        #expect(blank.segments.isEmpty)
        #expect(blank.summary?.emptyLines == 4)
        #expect(blank.summary?.entriesOut == 0)
    }
}
