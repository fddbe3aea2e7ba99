import Foundation
import Testing

/// Archives (issue 5): verify names damage and exits 1, --repair recovers every intact entry and quarantines the
/// damaged files, crash recovery of `.open` segments, replay reproduces an archive byte for byte.
@Suite(.serialized) struct ArchiveTests {
    /// 8,000 generated entries in 4 segments of 2,000, batches of 250 (8 frames per segment).
    private func archive(codec: String = "lz4") throws -> (dir: TempDir, out: String, entries: [Data]) {
        let dir = TempDir("logpipe-archive")
        let input = dir.write("input", try generatedLogs(lines: 8000, seed: 11))
        let out = dir.file("out")
        let run = try logpipe(["run", "--out", out, "--codec", codec, "--segment-max-entries", "2000",
                               "--batch-max-entries", "250"], stdinFile: input)
        #expect(run.status == 0, "\(run.stderrText)")
        let cat = try logpipe(["cat", out])
        return (dir, out, splitLines(cat.stdout))
    }

    @Test(arguments: ["lz4", "gzip", "zstd"])
    func verifyNamesEachDamageAndRepairRecoversEveryIntactEntry(codec: String) throws {
        let (dir, out, original) = try archive(codec: codec)
        _ = dir
        let segments = segmentFiles(in: out)
        try #require(segments.count == 4)
        #expect(try logpipe(["verify", out]).status == 0)

        // 1: a byte flipped in the middle; 2: cut to two thirds; 3: manifest deleted; 4: manifest garbage.
        var flipped = try Data(contentsOf: URL(fileURLWithPath: segments[0]))
        flipped[flipped.count / 2] ^= 0xff
        try flipped.write(to: URL(fileURLWithPath: segments[0]))
        let whole = try Data(contentsOf: URL(fileURLWithPath: segments[1]))
        try whole.prefix(whole.count * 2 / 3).write(to: URL(fileURLWithPath: segments[1]))
        try FileManager.default.removeItem(atPath: manifestPath(of: segments[2]))
        try Data("not json {".utf8).write(to: URL(fileURLWithPath: manifestPath(of: segments[3])))

        let verify = try logpipe(["verify", out])
        #expect(verify.status == 1)
        for (i, reason) in ["damaged frame", "cut short", "manifest missing", "manifest unreadable"].enumerated() {
            let name = (segments[i] as NSString).lastPathComponent
            #expect(verify.stderrText.contains(name) && verify.stderrText.contains(reason),
                    "segment \(i) should be named with \"\(reason)\": \(verify.stderrText)")
        }
        #expect(verify.stdout.isEmpty == false)

        let repair = try logpipe(["verify", "--repair", out])
        #expect(repair.status == 0, "\(repair.stderrText)")
        #expect(try logpipe(["verify", out]).status == 0)
        let quarantined = directoryListing(out + "/quarantine")
        #expect(quarantined.contains((segments[0] as NSString).lastPathComponent))
        #expect(quarantined.contains((segments[1] as NSString).lastPathComponent))
        #expect(quarantined.contains((manifestPath(of: segments[3]) as NSString).lastPathComponent))

        // Every intact entry is back, in order: segments 3 and 4 whole, 1 missing exactly one frame of 250,
        // 2 keeping a prefix of whole frames.
        let after = splitLines(try logpipe(["cat", out]).stdout)
        #expect(Array(after.suffix(4000)) == Array(original.suffix(4000)))
        let first = Array(after.prefix(after.count - 4000))
        var it = original.prefix(4000).makeIterator()
        let ordered = first.allSatisfy { line in
            while let next = it.next() { if next == line { return true } }
            return false
        }
        #expect(ordered, "repaired entries are an ordered subset of the originals")
        #expect(first.count >= 2000 - 250 + 1250 - 250, "lost more than the damaged frames: kept \(first.count)")
        #expect(first.count < 4000)
    }

    @Test(arguments: ["lz4", "zstd"])
    func killDuringWriteThenRestartRecoversTheOpenSegment(codec: String) throws {
        let dir = TempDir("logpipe-kill")
        let out = dir.file("out")
        let proc = try RunningProcess(executable: Harness.binary,
                                      arguments: ["run", "--out", out, "--codec", codec, "--batch-max-entries", "100",
                                                  "--batch-timeout", "100ms"],
                                      environment: cleanEnvironment(), scratch: dir)
        let lines = splitLines(try generatedLogs(lines: 3000, seed: 5))
        for (i, line) in lines.enumerated() {
            _ = proc.write(Array(line) + [10])
            if i % 500 == 499 { usleep(150_000) }
        }
        usleep(400_000)
        proc.signal(SIGKILL)
        _ = proc.wait(timeout: 5)
        #expect(directoryListing(out).contains { $0.hasSuffix(".open") }, "a segment was open at the kill")
        let before = try decompressWithTool(segmentOpen(in: out))

        let restart = try logpipe(["run", "--out", out, "--codec", codec], stdin: Data("{\"message\":\"after restart\"}\n".utf8))
        #expect(restart.status == 0, "\(restart.stderrText)")
        #expect(restart.stderrText.contains("recovered"))
        #expect(!directoryListing(out).contains { $0.hasSuffix(".open") })
        #expect(try logpipe(["verify", out]).status == 0)
        let all = splitLines(try logpipe(["cat", out]).stdout)
        #expect(all.count == splitLines(before).count + 1, "every entry of every finished block is recovered")
        #expect(Array(all.prefix(splitLines(before).count)) == splitLines(before))
        if codec == "zstd" {
            #expect(segmentFiles(in: out).allSatisfy { $0.hasSuffix(".jsonl.zst") })
            // Every recovered segment is whole for the real tool too.
            let tool = try segmentFiles(in: out).map(decompressWithTool).reduce(into: Data()) { $0.append($1) }
            #expect(splitLines(tool) == all)
        }
    }

    /// A zstd `.open` segment cut in the middle of its last frame (a crash during a write): the restart keeps
    /// every complete line of the blocks that decoded, finalizes the segment and `zstd -dc` reads it whole.
    @Test func tornZstdOpenSegmentIsSalvagedOnRestart() throws {
        let dir = TempDir("logpipe-torn-zstd")
        let input = dir.write("input", try generatedLogs(lines: 3000, seed: 9))
        let out = dir.file("out")
        // Batches of 1,000 entries: frames of several 128 KiB zstd blocks, so a cut inside one leaves whole blocks.
        let run = try logpipe(["run", "--out", out, "--codec", "zstd", "--batch-max-entries", "1000"], stdinFile: input)
        #expect(run.status == 0, "\(run.stderrText)")
        let segments = segmentFiles(in: out)
        try #require(segments.count == 1)
        let original = splitLines(try decompressWithTool(segments[0]))
        try #require(original.count == 3000)
        // Back to an open segment, as a kill leaves it: no manifest, `.open` suffix, the last frame cut short.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: segments[0]))
        try FileManager.default.removeItem(atPath: manifestPath(of: segments[0]))
        try FileManager.default.removeItem(atPath: segments[0])
        let cut = bytes.count - 2000
        try bytes.prefix(cut).write(to: URL(fileURLWithPath: segments[0] + ".open"))
        #expect((try? decompressWithTool(segments[0] + ".open")) == nil, "zstd -dc sees the torn frame")

        let restart = try logpipe(["run", "--out", out, "--codec", "zstd"], stdin: Data())
        #expect(restart.status == 0, "\(restart.stderrText)")
        #expect(restart.stderrText.contains("recovered"), "\(restart.stderrText)")
        #expect(!directoryListing(out).contains { $0.hasSuffix(".open") })
        #expect(try logpipe(["verify", out]).status == 0)
        let recovered = splitLines(try segmentFiles(in: out).map(decompressWithTool).reduce(into: Data()) { $0.append($1) })
        // Two whole frames (2,000 entries) plus the complete lines of the torn frame's finished blocks.
        #expect(recovered.count > 2000, "the finished blocks of the torn frame are kept: \(recovered.count)")
        #expect(recovered.count < 3000)
        #expect(recovered == Array(original.prefix(recovered.count)))
        #expect(splitLines(try logpipe(["cat", out]).stdout) == recovered)
    }

    @Test func replayIntoANewOutReproducesTheArchive() throws {
        let (dir, out, original) = try archive()
        let copy = dir.file("replayed")
        let replay = try logpipe(["replay", out, "--out", copy, "--codec", "gzip"])
        #expect(replay.status == 0, "\(replay.stderrText)")
        let replayed = splitLines(try logpipe(["cat", copy]).stdout)
        #expect(replayed == original)
        #expect(try logpipe(["verify", copy]).status == 0)
        // gzip → zstd → lz4: the same entries in every codec.
        let zstd = dir.file("replayed-zstd"), back = dir.file("replayed-lz4")
        #expect(try logpipe(["replay", copy, "--out", zstd, "--codec", "zstd"]).status == 0)
        #expect(segmentFiles(in: zstd).allSatisfy { $0.hasSuffix(".jsonl.zst") } && !segmentFiles(in: zstd).isEmpty)
        #expect(try logpipe(["verify", zstd]).status == 0)
        #expect(try logpipe(["replay", zstd, "--out", back]).status == 0)
        #expect(splitLines(try logpipe(["cat", back]).stdout) == original)
    }

    private func segmentOpen(in dir: String) throws -> String {
        guard let open = directoryListing(dir).first(where: { $0.hasSuffix(".open") }) else {
            throw ToolError.failed("no .open segment in \(dir)")
        }
        return dir + "/" + open
    }
}
