import Foundation
import Pipeline
import SegmentFormat
@testable import Sinks
import Testing

/// Source positions recorded with the frames (issue 17): what a salvaged segment holds and what it says about
/// its sources agree at every point a kill can stop the writer — between the record and its frame, inside the
/// frame, after it. Each kill point is made exactly, by cutting a copy of the open segment where the kill would.
@Suite struct SegmentPositionsTests {
    static func positioned(_ f: inout BatchFactory, _ count: Int, offset: Int64, key: String = "256:ab@1:2") -> CompressedBatch {
        let b = f.batch(count)
        b.encoded.position = SourcePosition(key: key, offset: offset)
        return b
    }

    /// Writes batches of 5, 7 and 3 entries (positions 100, 200, 300) and leaves the segment open, as a kill
    /// would; returns the directory, the open segment's name and the frame ends.
    static func openSegment() throws -> (SinkTempDir, String, [Int]) {
        let dir = SinkTempDir()
        var f = BatchFactory(codec: .lz4)
        let sink = try SegmentSink(options: SegmentOptions(directory: dir.path, codec: .lz4))
        var ends: [Int] = []
        var total = 0
        for (count, offset) in [(5, Int64(100)), (7, 200), (3, 300)] {
            let b = positioned(&f, count, offset: offset)
            total += b.frame.count
            ends.append(total)
            try sink.write(b)
        }
        let open = dir.listing.first { $0.hasSuffix(".open") }!
        return (dir, open, ends)
    }

    /// The state a kill leaves when the writer had got `length(frame ends)` bytes of the segment out (frames
    /// differ in length from run to run: entries get fresh request IDs).
    static func killed(at length: ([Int]) -> Int) throws -> (SegmentRecovery.Outcome, [String], SinkTempDir) {
        let (dir, open, ends) = try openSegment()
        let copy = SinkTempDir()
        for name in dir.listing where !name.hasSuffix(".meta.json") {
            try FileManager.default.copyItem(atPath: dir.path + "/" + name, toPath: copy.path + "/" + name)
        }
        truncate(copy.path + "/" + open, off_t(length(ends)))
        let outcome = try SegmentRecovery.recoverOpenSegments(options: SegmentOptions(directory: copy.path, codec: .lz4))
        let messages = try copy.segments.flatMap { try readSegment($0).split(separator: 10).map { String(decoding: $0, as: UTF8.self) } }
        return (outcome, messages, copy)
    }

    @Test func killAfterAWholeFrameKeepsItAndItsPosition() throws {
        let (outcome, lines, dir) = try Self.killed { $0[1] }
        #expect(outcome.positions == ["256:ab@1:2": 200])
        #expect(lines.count == 12)
        #expect(!dir.listing.contains { $0.hasSuffix(".positions") || $0.hasSuffix(".open") })
        let manifest = try SegmentManifest.read(dir.path + "/" + dir.listing.first { $0.hasSuffix(".meta.json") }!)
        #expect(manifest.positions == ["256:ab@1:2": 200] && manifest.entries == 12)
    }

    @Test func killInsideAFrameDropsTheWholeFrameAndKeepsThePositionBeforeIt() throws {
        // The last frame cut in its middle: its finished blocks would otherwise be salvaged without a position.
        let (outcome, lines, _) = try Self.killed { $0[1] + ($0[2] - $0[1]) / 2 }
        #expect(outcome.positions == ["256:ab@1:2": 200])
        #expect(lines.count == 12)
    }

    @Test func killBetweenRecordAndFrameKeepsThePositionBeforeIt() throws {
        let (outcome, lines, _) = try Self.killed { $0[0] }
        #expect(outcome.positions == ["256:ab@1:2": 100])
        #expect(lines.count == 5)
    }

    /// A salvage stopped between its temp file and the rename (issue 17: a replay killed while it salvaged lost
    /// that segment's entries — the `.open` file was already gone — while its side file still claimed their
    /// positions). The stop is made exact by a directory squatting on the final name, so the rename fails there:
    /// the `.open` file and its side file must still be there, and the next start salvages them once.
    @Test func salvageStoppedBeforeItsRenameKeepsTheOpenSegment() throws {
        let (src, open, _) = try Self.openSegment()
        let final = src.path + "/" + open.dropLast(5)
        try FileManager.default.createDirectory(atPath: final, withIntermediateDirectories: false)
        #expect(throws: (any Error).self) {
            try SegmentRecovery.recoverOpenSegments(options: SegmentOptions(directory: src.path, codec: .lz4))
        }
        #expect(src.listing.contains(open) && src.listing.contains { $0.hasSuffix(".positions") })
        try FileManager.default.removeItem(atPath: final)
        let again = try SegmentRecovery.recoverOpenSegments(options: SegmentOptions(directory: src.path, codec: .lz4))
        #expect(again.positions == ["256:ab@1:2": 300])
        #expect(try src.segments.flatMap { try readSegment($0).split(separator: 10) }.count == 15)
        #expect(!src.listing.contains { $0.hasSuffix(".salvage") || $0.hasSuffix(".open") || $0.hasSuffix(".positions") })
    }

    @Test func finalizedSegmentsCarryPositionsInTheirManifest() throws {
        let dir = SinkTempDir()
        var f = BatchFactory(codec: .gzip)
        let sink = try SegmentSink(options: SegmentOptions(directory: dir.path, codec: .gzip, maxEntries: 10))
        try sink.write(Self.positioned(&f, 6, offset: 10))
        try sink.write(Self.positioned(&f, 6, offset: 20, key: "replay:/a"))
        try sink.write(f.batch(6)) // no position (stdin): splits as before
        try sink.finish()
        // A batch with a position is not split: it starts the next segment.
        let counts = try dir.segments.map { try readSegment($0).split(separator: 10).count }
        #expect(counts == [6, 10, 2])
        #expect(!dir.listing.contains { $0.hasSuffix(".positions") })
        #expect(SegmentRecovery.archivePositions(directory: dir.path) == ["256:ab@1:2": 10, "replay:/a": 20])
        let text = try String(contentsOfFile: dir.path + "/" + dir.listing.first { $0.hasSuffix(".meta.json") }!, encoding: .utf8)
        #expect(text.hasSuffix(#""positions": {"256:ab@1:2": 10}}"# + "\n"))
    }
}
