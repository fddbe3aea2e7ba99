import Foundation
import Testing

/// Generated JSON logs through `logpipe run`, read back with the real `lz4` / `gzip` / `zstd` tools and compared line by line.
@Suite struct RunRoundTripTests {
    static let lineCount = 5000
    static let segmentMaxEntries = 700

    @Test(arguments: ["lz4", "gzip", "zstd"])
    func generatedLogsRoundTrip(codec: String) throws {
        let input = try generatedLogs(lines: Self.lineCount, seed: 7)
        let inputLines = splitLines(input)
        try #require(inputLines.count == Self.lineCount)
        let run = try runPipeline(input, ["--codec", codec, "--batch-max-entries", "97",
                                          "--segment-max-entries", "\(Self.segmentMaxEntries)",
                                          "--service", "flag-service"])
        #expect(run.result.status == 0, "stderr: \(run.result.stderrText)")
        #expect(run.result.stdout.isEmpty, "run must not write data to stdout")

        // Only finalized segments and their manifests: no .open, no temp files.
        let listing = directoryListing(run.outDir)
        let ext = ["lz4": ".jsonl.lz4", "gzip": ".jsonl.gz", "zstd": ".jsonl.zst"][codec]!
        for name in listing {
            #expect(name.hasSuffix(ext) || name.hasSuffix(".meta.json"), "unexpected file \(name)")
            #expect(name.range(of: #"^\d{8}T\d{6}Z-\d{6}(\.jsonl\.(lz4|gz|zst)|\.meta\.json)$"#, options: .regularExpression) != nil,
                    "bad name \(name)")
        }
        let expectedSegments = (Self.lineCount + Self.segmentMaxEntries - 1) / Self.segmentMaxEntries
        #expect(run.segments.count == expectedSegments)
        #expect(listing.count == run.segments.count * 2)

        let entries = try run.entries()
        try #require(entries.count == inputLines.count)
        var runSessionIds = Set<String>()
        var seenRequestIds = Set<String>()
        for (i, (line, out)) in zip(inputLines, entries).enumerated() {
            let inp = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            #expect(out.string("level") == inp.string("level"), "line \(i + 1)")
            #expect(out.string("message") == inp.string("message"), "line \(i + 1)")
            #expect(out.string("timestamp") == inp.string("timestamp"), "line \(i + 1)")
            #expect(isSegmentTimestamp(out.string("timestamp") ?? ""), "line \(i + 1)")
            // Context: the input's own values win over --service; the rest is filled in.
            for key in ["service", "version", "environment", "userId"] {
                #expect(out.string("context.\(key)") == inp.string("context.\(key)"), "line \(i + 1) context.\(key)")
            }
            #expect(out.string("context.host") == (inp.string("context.host") ?? ProcessInfo.processInfo.hostName),
                    "line \(i + 1) host")
            let session = try #require(out.string("context.sessionId"), "line \(i + 1)")
            #expect(!session.isEmpty)
            if let s = inp.string("context.sessionId") { #expect(session == s, "line \(i + 1) sessionId kept") } else {
                runSessionIds.insert(session)
            }
            let request = try #require(out.string("context.requestId"), "line \(i + 1)")
            #expect(!request.isEmpty)
            if let r = inp.string("context.requestId") { #expect(request == r, "line \(i + 1) requestId kept") } else {
                #expect(isUUIDv7(request), "line \(i + 1) generated requestId \(request)")
                #expect(seenRequestIds.insert(request).inserted, "generated requestId repeated: \(request)")
            }
            #expect(out.string("stack") == inp.string("stack"), "line \(i + 1) stack")
            let inMeta = inp["metadata"] as? NSDictionary
            let outMeta = out["metadata"] as? NSDictionary
            #expect(inMeta == outMeta, "line \(i + 1) metadata")
            #expect(Set(out.keys).isSubset(of: ["timestamp", "level", "message", "context", "metadata", "stack"]))
        }
        #expect(runSessionIds.count == 1, "one session ID per run for entries without one: \(runSessionIds)")
        #expect(runSessionIds.allSatisfy(isUUIDv7))

        // Manifests tell the truth.
        var total = 0
        for (index, (segment, content)) in zip(run.segments, run.contents).enumerated() {
            let m = try readJSONObject(manifestPath(of: segment))
            let lines = try jsonObjects(content)
            let name = (segment as NSString).lastPathComponent
            #expect(m["segment"] as? String == name)
            #expect(m["codec"] as? String == codec)
            #expect(m["entries"] as? Int == lines.count, "\(name)")
            #expect(m["uncompressedBytes"] as? Int == content.count, "\(name)")
            let size = try FileManager.default.attributesOfItem(atPath: segment)[.size] as? Int
            #expect(m["bytes"] as? Int == size, "\(name)")
            #expect(m["sha256"] as? String == (try sha256sum(segment)), "\(name)")
            let times = lines.compactMap { $0.string("timestamp") }
            #expect(m["firstTimestamp"] as? String == times.min(), "\(name) earliest")
            #expect(m["lastTimestamp"] as? String == times.max(), "\(name) latest")
            let levels = try #require(m["levels"] as? [String: Int])
            for level in ["DEBUG", "INFO", "WARN", "ERROR", "FATAL"] {
                #expect(levels[level] == lines.filter { $0.string("level") == level }.count, "\(name) \(level)")
            }
            #expect(isSegmentTimestamp(m["createdAt"] as? String ?? ""))
            #expect(lines.count <= Self.segmentMaxEntries, "\(name) over --segment-max-entries")
            if index < run.segments.count - 1 {
                #expect(lines.count == Self.segmentMaxEntries, "rotation by entries is exact: \(name)")
            }
            total += lines.count
        }
        #expect(total == Self.lineCount)
        #expect(run.summary == RunSummary(linesIn: Self.lineCount, entriesOut: Self.lineCount, filtered: 0, parseErrors: 0,
                                          truncated: 0, emptyLines: 0, segments: expectedSegments),
                "stderr: \(run.result.stderrText)")
    }

    @Test func rotationBySizeNeverExceedsSegmentMaxBytes() throws {
        let input = try generatedLogs(lines: 2000, seed: 3)
        let maxBytes = 64 * 1024
        let run = try runPipeline(input, ["--segment-max-bytes", "64K", "--batch-max-entries", "300"])
        #expect(run.result.status == 0, "stderr: \(run.result.stderrText)")
        #expect(run.segments.count >= 5)
        var total = 0
        for (i, (segment, content)) in zip(run.segments, run.contents).enumerated() {
            let m = try readJSONObject(manifestPath(of: segment))
            #expect(content.count <= maxBytes, "segment \(i) has \(content.count) bytes")
            #expect(m["uncompressedBytes"] as? Int == content.count)
            #expect(m["entries"] as? Int == splitLines(content).count)
            #expect(m["sha256"] as? String == (try sha256sum(segment)))
            if i < run.segments.count - 1 {
                // Exact rotation: the next entry would not have fitted (entries are well under 2 KiB).
                #expect(content.count > maxBytes - 2048, "segment \(i) closed early at \(content.count) bytes")
            }
            total += splitLines(content).count
        }
        #expect(total == 2000)
        let inMessages = try jsonObjects(input).map { $0.string("message") }
        #expect(firstDifference(try run.entries().map { $0.string("message") }, inMessages) == nil)
    }

    @Test func maxSegmentsKeepsTheNewest() throws {
        let input = try generatedLogs(lines: 1000, seed: 5)
        let run = try runPipeline(input, ["--segment-max-entries", "100", "--batch-max-entries", "50",
                                          "--max-segments", "3"])
        #expect(run.result.status == 0, "stderr: \(run.result.stderrText)")
        #expect(run.segments.count == 3)
        #expect(directoryListing(run.outDir).count == 6, "\(directoryListing(run.outDir))")
        // The newest three hold the last 300 entries, in order.
        let inMessages = try jsonObjects(input).map { $0.string("message") }
        #expect(firstDifference(try run.entries().map { $0.string("message") }, Array(inMessages.suffix(300))) == nil)
        let sequences = run.segments.map { Int(($0 as NSString).lastPathComponent.dropFirst(17).prefix(6)) }
        #expect(sequences == [8, 9, 10])
        for segment in run.segments { #expect(FileManager.default.fileExists(atPath: manifestPath(of: segment))) }
        #expect(run.summary?.segments == 10)
    }

    @Test func enrichmentFromEnvironmentAndFlags() throws {
        let input = Data("plain line one\n{\"msg\":\"own\",\"service\":\"svc-own\",\"env\":\"prod-own\",\"version\":\"9\"}\n".utf8)
        // Environment variables are the defaults; flags win over them; the entry's own values win over both.
        let env = cleanEnvironment(["LOGPIPE_SERVICE": "env-svc", "LOGPIPE_ENVIRONMENT": "env-env",
                                    "LOGPIPE_APP_VERSION": "env-ver"])
        let run = try runPipeline(input, ["--environment", "flag-env"], environment: env)
        #expect(run.result.status == 0)
        let e = try run.entries()
        try #require(e.count == 2)
        #expect(e[0].string("context.service") == "env-svc")
        #expect(e[0].string("context.environment") == "flag-env")
        #expect(e[0].string("context.version") == "env-ver")
        #expect(e[0].string("context.host") == ProcessInfo.processInfo.hostName)
        #expect(e[1].string("context.service") == "svc-own")
        #expect(e[1].string("context.environment") == "prod-own")
        #expect(e[1].string("context.version") == "9")
        #expect(e[0].string("context.sessionId") == e[1].string("context.sessionId"))

        let bare = try runPipeline(Data("x\n".utf8))
        let b = try bare.entries()
        #expect(b.first?.string("context.service") == "unknown")
        #expect(b.first?.string("context.environment") == "unknown")
        #expect(b.first?.string("context.version") == "unknown")
        #expect(b.first?.string("context.sessionId") != e[0].string("context.sessionId"), "a new session per run")
    }

    @Test func minLevelWarnDropsLowerEntriesAndCountsThem() throws {
        let input = try generatedLogs(lines: 2000, seed: 9)
        let inLevels = try jsonObjects(input).map { $0.string("level") ?? "" }
        let kept = ["WARN", "ERROR", "FATAL"]
        let expected = try jsonObjects(input).filter { kept.contains($0.string("level") ?? "") }.map { $0.string("message") }
        let run = try runPipeline(input, ["--min-level", "warn", "--batch-max-entries", "128"])
        #expect(run.result.status == 0)
        let out = try run.entries()
        #expect(out.allSatisfy { kept.contains($0.string("level") ?? "") })
        #expect(firstDifference(out.map { $0.string("message") }, expected) == nil)
        let dropped = inLevels.filter { !kept.contains($0) }.count
        #expect(dropped > 0)
        #expect(run.summary == RunSummary(linesIn: 2000, entriesOut: expected.count, filtered: dropped, parseErrors: 0,
                                          truncated: 0, emptyLines: 0, segments: run.segments.count),
                "stderr: \(run.result.stderrText)")
    }

    @Test(arguments: ["app.jsonl", "app.logfmt", "syslog.log", "plain.log"])
    func sampleFile(name: String) throws {
        let input = try Data(contentsOf: URL(fileURLWithPath: Harness.samplesDir + "/" + name))
        let lines = splitLines(input).map { $0.last == 0x0d ? $0.dropLast() : $0 }
        let nonEmpty = lines.filter { !$0.isEmpty }.count
        let empty = lines.count - nonEmpty
        let run = try runPipeline(input, ["--multiline", "off"]) // lines counted 1:1; joining has its own test
        #expect(run.result.status == 0, "stderr: \(run.result.stderrText)")
        let entries = try run.entries()
        #expect(entries.count == nonEmpty)
        let parseErrors = entries.filter { ($0["metadata"] as? [String: Any])?["parseError"] != nil }.count
        #expect(run.summary == RunSummary(linesIn: nonEmpty, entriesOut: nonEmpty, filtered: 0, parseErrors: parseErrors,
                                          truncated: 0, emptyLines: empty, segments: run.segments.count),
                "stderr: \(run.result.stderrText)")
        #expect(run.segments.count == 1)
        for e in entries {
            #expect(isSegmentTimestamp(e.string("timestamp") ?? ""))
            #expect(["DEBUG", "INFO", "WARN", "ERROR", "FATAL"].contains(e.string("level") ?? ""))
            #expect(!(e.string("context.sessionId") ?? "").isEmpty)
            #expect(!(e.string("context.requestId") ?? "").isEmpty)
            #expect(e.string("message") != nil)
        }
        // Every line of these samples carries its time (2026-11-27 09:0x); plain.log has time-only lines.
        if name != "plain.log" {
            let undated = entries.filter { !($0.string("timestamp") ?? "").hasPrefix("2026-11-27T09:0") }
            #expect(undated.isEmpty, "\(undated.prefix(3))")
        }
    }
}
