import Foundation
import Testing

/// Usage errors and `logpipe cat`.
@Suite struct CLITests {
    @Test(arguments: [
        (["--segment-max-bytes", "12Q"], "--segment-max-bytes"),
        (["--min-level", "LOUD"], "--min-level"),
        (["--codec", "zip"], "--codec"),
        (["--codec-level", "40", "--codec", "zstd"], "--codec-level"),
        (["--batch-timeout", "5x"], "--batch-timeout"),
        (["--batch-max-bytes=-1M"], "--batch-max-bytes"),
        (["--max-line-bytes", "0"], "--max-line-bytes"),
        (["--segment-max-entries", "0"], "--segment-max-entries"),
        (["--max-segments", "0"], "--max-segments"),
        (["--batch-max-entries", "0"], "--batch-max-entries"),
        (["--format", "xml"], "--format"),
    ])
    func badRunFlagExitsTwoNamingTheFlag(args: [String], flag: String) throws {
        let dir = TempDir("logpipe-flags")
        let out = dir.file("out")
        let r = try logpipe(["run", "--out", out] + args, stdin: Data("a line\n".utf8), environment: cleanEnvironment())
        #expect(r.status == 2, "exit \(r.status) for \(args); stderr: \(r.stderrText)")
        #expect(r.stderrText.contains(flag), "stderr does not name \(flag): \(r.stderrText)")
        let value = args.count > 1 ? args[1] : String(args[0].split(separator: "=")[1])
        #expect(r.stderrText.contains(value), "stderr does not quote the value: \(r.stderrText)")
        #expect(r.stdout.isEmpty, "stdout: \(r.stdoutText)")
        #expect(!FileManager.default.fileExists(atPath: out), "nothing is created on a usage error")
    }

    @Test func segmentMaxBytesMessageShape() throws {
        let r = try logpipe(["run", "--out", TempDir().file("o"), "--segment-max-bytes", "12Q"])
        #expect(r.status == 2)
        #expect(r.stderrText.contains(#"invalid --segment-max-bytes "12Q": expected a size like 64M"#), "\(r.stderrText)")
    }

    @Test(arguments: [["--min-level", "LOUD"], ["--since", "yesterday-ish"], ["--until", "2026-13-45"]])
    func badCatFlagExitsTwo(args: [String]) throws {
        let dir = TempDir("logpipe-catflags")
        let r = try logpipe(["cat", dir.path] + args)
        #expect(r.status == 2, "stderr: \(r.stderrText)")
        #expect(r.stderrText.contains(args[0]), "\(r.stderrText)")
        #expect(r.stdout.isEmpty)
    }

    @Test func unusableOutputDirectoryIsARuntimeFailure() throws {
        let dir = TempDir("logpipe-badout")
        let file = dir.write("not-a-directory", Data("x".utf8))
        let r = try logpipe(["run", "--out", file], stdin: Data("a line\n".utf8), environment: cleanEnvironment())
        #expect(r.status == 1, "stderr: \(r.stderrText)")
        #expect(!r.stderrText.isEmpty)
        #expect(r.stdout.isEmpty)
        #expect(FileManager.default.contents(atPath: file) == Data("x".utf8), "the file is left alone")
    }

    @Test func catOfMissingPathIsAUsageError() throws {
        let r = try logpipe(["cat", "/nonexistent/logpipe/segments"])
        #expect(r.status == 2, "stderr: \(r.stderrText)")
        #expect(r.stdout.isEmpty)
    }

    // MARK: - cat

    /// 3,000 generated entries in several segments of each codec, plus the decompressed lines in order.
    struct Archive {
        let run: RunOutput
        let lines: [Data]
        let entries: [[String: Any]]

        init(codec: String) throws {
            let input = try generatedLogs(lines: 3000, seed: 11)
            run = try runPipeline(input, ["--codec", codec, "--segment-max-entries", "400", "--batch-max-entries", "150"])
            lines = splitLines(run.allContent)
            entries = try jsonObjects(run.allContent)
        }

        func expected(_ keep: ([String: Any], Data) -> Bool) -> Data {
            var out = Data()
            for (e, l) in zip(entries, lines) where keep(e, l) { out.append(l); out.append(0x0a) }
            return out
        }
    }

    @Test(arguments: ["lz4", "gzip", "zstd"])
    func catPrintsEverythingInOrder(codec: String) throws {
        let a = try Archive(codec: codec)
        #expect(a.run.segments.count == 8)
        #expect(a.entries.count == 3000)
        let r = try logpipe(["cat", a.run.outDir])
        #expect(r.status == 0, "stderr: \(r.stderrText)")
        #expect(r.stdout == a.run.allContent)
        // Files named one by one (in reverse) come out in the order given.
        let files = try logpipe(["cat"] + a.run.segments.reversed())
        #expect(files.stdout == a.run.contents.reversed().reduce(into: Data()) { $0.append($1) })
    }

    @Test(arguments: ["lz4", "gzip", "zstd"])
    func catMinLevel(codec: String) throws {
        let a = try Archive(codec: codec)
        let r = try logpipe(["cat", a.run.outDir, "--min-level", "ERROR"])
        #expect(r.status == 0, "stderr: \(r.stderrText)")
        let expected = a.expected { e, _ in ["ERROR", "FATAL"].contains(e.string("level") ?? "") }
        #expect(!expected.isEmpty)
        #expect(r.stdout == expected)
    }

    @Test(arguments: ["lz4", "gzip", "zstd"])
    func catGrep(codec: String) throws {
        let a = try Archive(codec: codec)
        for text in ["payment declined", "\"userId\":\"u-1", "no such text anywhere"] {
            let r = try logpipe(["cat", a.run.outDir, "--grep", text])
            #expect(r.status == 0)
            let expected = a.expected { _, l in l.range(of: Data(text.utf8)) != nil }
            #expect(r.stdout == expected, "--grep \(text)")
        }
        #expect(try logpipe(["cat", a.run.outDir, "--grep", "payment declined"]).stdout.isEmpty == false)
        // Combined with a level filter.
        let r = try logpipe(["cat", a.run.outDir, "--grep", "payments", "--min-level", "warn"])
        let expected = a.expected { e, l in
            l.range(of: Data("payments".utf8)) != nil && ["WARN", "ERROR", "FATAL"].contains(e.string("level") ?? "")
        }
        #expect(r.stdout == expected)
    }

    @Test(arguments: ["lz4", "gzip", "zstd"])
    func catSinceUntil(codec: String) throws {
        let a = try Archive(codec: codec)
        let times = a.entries.map { $0.string("timestamp") ?? "" }
        // Boundaries on exact entry times: --since is inclusive, --until exclusive.
        let since = times[1000], until = times[2200]
        let r = try logpipe(["cat", a.run.outDir, "--since", since, "--until", until])
        #expect(r.status == 0, "stderr: \(r.stderrText)")
        let expected = a.expected { e, _ in
            let t = e.string("timestamp") ?? ""
            return t >= since && t < until
        }
        #expect(splitLines(expected).count == 1200)
        #expect(r.stdout == expected)

        // Only --since (skips whole segments by their manifests) and only --until.
        let late = try logpipe(["cat", a.run.outDir, "--since", times[2999]])
        #expect(late.stdout == a.lines[2999] + Data([0x0a]))
        let early = try logpipe(["cat", a.run.outDir, "--until", times[1]])
        #expect(early.stdout == a.lines[0] + Data([0x0a]))
        // A time zone offset is understood.
        let first = a.entries[0].string("timestamp")!
        let shifted = try logpipe(["cat", a.run.outDir, "--until", "2026-11-27T01:00:00+01:00"]) // = 00:00:00Z
        #expect(first >= "2026-11-27T00:00:00.000Z")
        #expect(shifted.stdout == a.expected { e, _ in (e.string("timestamp") ?? "") < "2026-11-27T00:00:00.000Z" })
    }

    @Test func catReportsADamagedSegmentAndKeepsGoing() throws {
        let input = try generatedLogs(lines: 600, seed: 2)
        let run = try runPipeline(input, ["--segment-max-entries", "200", "--batch-max-entries", "50"])
        try #require(run.segments.count == 3)
        // Cut the middle segment short.
        let victim = run.segments[1]
        let bytes = try Data(contentsOf: URL(fileURLWithPath: victim))
        try bytes.prefix(bytes.count - 10).write(to: URL(fileURLWithPath: victim))
        let r = try logpipe(["cat", run.outDir])
        #expect(r.status == 1, "stderr: \(r.stderrText)")
        #expect(r.stderrText.contains((victim as NSString).lastPathComponent), "\(r.stderrText)")
        // Segments 1 and 3 are whole in the output; what came of segment 2 is a prefix of it.
        let out = r.stdout
        #expect(out.starts(with: run.contents[0]))
        #expect(out.suffix(run.contents[2].count) == run.contents[2])
        let middle = out.dropFirst(run.contents[0].count).dropLast(run.contents[2].count)
        #expect(run.contents[1].starts(with: middle))
        #expect(middle.count >= 150 * 300 / 2, "complete frames before the damage are delivered")
    }
}
