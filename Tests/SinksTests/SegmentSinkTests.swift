import Foundation
import Testing
import Pipeline
import SegmentFormat
@testable import Sinks

/// A temporary directory removed when the value goes away.
final class SinkTempDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "logpipe-sink-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    var listing: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }
    var segments: [String] { listing.filter { SegmentName.parse($0) != nil }.map { path + "/" + $0 } }
}

/// Builds encoded and compressed batches in memory, the way the run pipeline does.
struct BatchFactory {
    let codec: SegmentCodec
    let encoder = BatchEncoder(options: EncoderOptions(format: .auto, minLevel: .debug,
                                                       enrichment: Enrichment(service: "s", version: "v", environment: "e", host: "h")))
    let compressor: SegmentCompressor
    let origin = SourceOrigin(name: "test", sessionId: "sess")
    var next = 0

    init(codec: SegmentCodec) {
        self.codec = codec
        compressor = codec.makeCompressor()
    }

    /// A batch of `count` entries with distinct messages (`pad` bytes of filler each), levels cycling.
    mutating func batch(_ count: Int, pad: Int = 40, close: BatchClose = .full) -> CompressedBatch {
        let levels = ["DEBUG", "INFO", "WARN", "ERROR", "FATAL"]
        var text = ""
        for _ in 0..<count {
            next += 1
            let ts = 1_795_770_000_000 + Int64(next) * 7 % 5000 // not in order, so first/last must be min/max
            text += #"{"ts":\#(ts),"level":"\#(levels[next % 5])","msg":"entry \#(next) \#(String(repeating: "p", count: pad))"}"# + "\n"
        }
        var framer = LineFramer(maxLineBytes: 1 << 20, batchMaxEntries: count, batchMaxBytes: 1 << 26)
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let w = framer.writable
            let n = min(w.count, bytes.count - offset)
            bytes.withUnsafeBufferPointer { w.pointer.update(from: $0.baseAddress! + offset, count: n) }
            framer.commit(n, now: 1_795_770_000_000)
            offset += n
        }
        let raw = framer.takeBatch(origin: origin, close: close, includePartial: true, now: 1_795_770_000_000)!
        let encoded = encoder.encode(raw, into: ByteBuffer(capacity: 4096))
        let frame = ByteBuffer(capacity: 4096)
        compressor.compress(encoded.output.bytes, into: frame)
        return CompressedBatch(encoded: encoded, frame: frame)
    }
}

/// Reads a whole segment with `SegmentReader`.
func readSegment(_ path: String) throws -> [UInt8] {
    var out: [UInt8] = []
    try SegmentReader.read(path: path) { out.append(contentsOf: $0) }
    return out
}

/// SHA-256 through the real `sha256sum` (independent of the code under test).
func sha256sum(_ path: String) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["sha256sum", path]
    let outPath = NSTemporaryDirectory() + "sha-\(UUID().uuidString)"
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: outPath) }
    let handle = FileHandle(forWritingAtPath: outPath)!
    p.standardOutput = handle
    try p.run()
    p.waitUntilExit()
    try handle.close()
    let text = String(decoding: FileManager.default.contents(atPath: outPath) ?? Data(), as: UTF8.self)
    return String(text.prefix(64))
}

func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] { bytes.split(separator: 0x0a) }

/// Byte-for-byte equality reported as a short description (a failed `#expect(a == b)` would print every byte).
func sameBytes<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool { a.elementsEqual(b) }

@Suite struct SegmentSinkTests {
    /// Checks every finalized segment against its manifest; returns the segments' decoded contents in order.
    func verifyManifests(_ dir: SinkTempDir, codec: SegmentCodec) throws -> [[UInt8]] {
        var contents: [[UInt8]] = []
        for segment in dir.segments {
            let content = try readSegment(segment)
            let name = SegmentName.parse((segment as NSString).lastPathComponent)!.name
            let m = try SegmentManifest.read(dir.path + "/" + name.manifestFileName)
            #expect(m.segment == name.fileName)
            #expect(m.codec == codec.rawValue)
            #expect(m.entries == lines(content).count)
            #expect(m.uncompressedBytes == content.count)
            let size = try FileManager.default.attributesOfItem(atPath: segment)[.size] as? Int
            #expect(m.bytes == size)
            #expect(m.sha256 == (try sha256sum(segment)))
            let objects = try lines(content).map { try #require(try JSONSerialization.jsonObject(with: Data($0)) as? [String: Any]) }
            let times = objects.compactMap { $0["timestamp"] as? String }
            #expect(m.firstTimestamp == times.min())
            #expect(m.lastTimestamp == times.max())
            for level in Level.allCases {
                #expect(m.levels[level.name] == objects.filter { $0["level"] as? String == level.name }.count)
            }
            contents.append(content)
        }
        return contents
    }

    @Test(arguments: SegmentCodec.allCases)
    func exactRotationByEntries(codec: SegmentCodec) throws {
        let dir = SinkTempDir()
        let sink = try SegmentSink(options: SegmentOptions(directory: dir.path, codec: codec, maxEntries: 40))
        final class Box: @unchecked Sendable { var manifests: [SegmentManifest] = [] }
        let box = Box()
        sink.onFinalize = { box.manifests.append($0) }
        var factory = BatchFactory(codec: codec)
        var expected: [UInt8] = []
        for size in [25, 25, 25, 100, 1, 39, 35] {
            let b = factory.batch(size)
            expected += b.encoded.output.bytes
            try sink.write(b)
        }
        try sink.finish()
        let total = 25 * 3 + 100 + 1 + 39 + 35 // 250
        #expect(sink.entriesWritten == total)
        let contents = try verifyManifests(dir, codec: codec)
        #expect(contents.map { lines($0).count } == [40, 40, 40, 40, 40, 40, 10])
        #expect(sameBytes(contents.flatMap { $0 }, expected), "read back identical, in order")
        #expect(sink.segmentsFinalized == 7)
        #expect(box.manifests.count == 7)
        #expect(box.manifests.map(\.entries) == [40, 40, 40, 40, 40, 40, 10])
        #expect(dir.listing.count == 14, "\(dir.listing)")
        #expect(!dir.listing.contains { $0.hasSuffix(".open") || $0.hasSuffix(".tmp") })
        // Names: sequences 1…7, in order.
        #expect(dir.segments.map { SegmentName.parse(($0 as NSString).lastPathComponent)!.name.sequence } == Array(1...7))
    }

    @Test(arguments: SegmentCodec.allCases)
    func exactRotationByBytes(codec: SegmentCodec) throws {
        let dir = SinkTempDir()
        let maxBytes = 3000
        let sink = try SegmentSink(options: SegmentOptions(directory: dir.path, codec: codec, maxBytes: maxBytes))
        var factory = BatchFactory(codec: codec)
        var expected: [UInt8] = []
        var entrySizes: [Int] = []
        for size in [3, 17, 40, 2, 60, 9] {
            let b = factory.batch(size, pad: size * 3)
            expected += b.encoded.output.bytes
            entrySizes += (0..<b.encoded.entries.count).map { Int(b.encoded.entries[$0].end) - b.encoded.start(of: $0) }
            try sink.write(b)
        }
        try sink.finish()
        let contents = try verifyManifests(dir, codec: codec)
        #expect(sameBytes(contents.flatMap { $0 }, expected))
        #expect(contents.count > 3)
        var used = 0
        for (i, c) in contents.enumerated() {
            #expect(c.count <= maxBytes, "segment \(i): \(c.count) bytes")
            let n = lines(c).count
            if i < contents.count - 1 {
                // Exact: the first entry of the next segment would not have fitted.
                #expect(c.count + entrySizes[used + n] > maxBytes, "segment \(i) closed early")
            }
            used += n
        }
        #expect(used == entrySizes.count)
    }

    @Test func anEntryLargerThanMaxBytesGetsASegmentOfItsOwn() throws {
        let dir = SinkTempDir()
        let sink = try SegmentSink(options: SegmentOptions(directory: dir.path, codec: .lz4, maxBytes: 500))
        var factory = BatchFactory(codec: .lz4)
        try sink.write(factory.batch(2, pad: 10))
        try sink.write(factory.batch(1, pad: 2000))
        try sink.write(factory.batch(2, pad: 10))
        try sink.finish()
        let contents = try verifyManifests(dir, codec: .lz4)
        #expect(contents.map { lines($0).count } == [2, 1, 2])
    }

    @Test(arguments: SegmentCodec.allCases)
    func retentionDeletesTheOldestWithTheirManifests(codec: SegmentCodec) throws {
        let dir = SinkTempDir()
        let sink = try SegmentSink(options: SegmentOptions(directory: dir.path, codec: codec, maxEntries: 10, maxSegments: 3))
        var factory = BatchFactory(codec: codec)
        var expected: [UInt8] = []
        for _ in 0..<10 {
            let b = factory.batch(10)
            expected += b.encoded.output.bytes
            try sink.write(b)
        }
        try sink.finish()
        #expect(sink.segmentsFinalized == 10)
        let names = dir.segments.map { SegmentName.parse(($0 as NSString).lastPathComponent)!.name }
        #expect(names.map(\.sequence) == [8, 9, 10])
        #expect(dir.listing.count == 6, "\(dir.listing)")
        for n in names { #expect(dir.listing.contains(n.manifestFileName)) }
        let contents = try verifyManifests(dir, codec: codec)
        #expect(sameBytes(contents.flatMap { $0 }, expected.suffix(contents.reduce(0) { $0 + $1.count })))
        #expect(lines(contents[0]).first.map { String(decoding: $0, as: UTF8.self).contains("\"entry 71 ") } == true)
    }

    @Test func sequenceContinuesAfterExistingSegments() throws {
        let dir = SinkTempDir()
        var factory = BatchFactory(codec: .lz4)
        do {
            let sink = try SegmentSink(options: SegmentOptions(directory: dir.path, codec: .lz4, maxEntries: 5))
            try sink.write(factory.batch(12))
            try sink.finish()
        }
        #expect(dir.segments.count == 3)
        let sink = try SegmentSink(options: SegmentOptions(directory: dir.path, codec: .gzip, maxEntries: 5))
        try sink.write(factory.batch(3))
        try sink.finish()
        let names = dir.segments.map { SegmentName.parse(($0 as NSString).lastPathComponent)!.name }
        #expect(names.map(\.sequence) == [1, 2, 3, 4])
        #expect(names.last?.codec == .gzip)
    }

    @Test(arguments: SegmentCodec.allCases)
    func openSegmentIsReadableAfterATimeoutBatch(codec: SegmentCodec) throws {
        let dir = SinkTempDir()
        let sink = try SegmentSink(options: SegmentOptions(directory: dir.path, codec: codec))
        var factory = BatchFactory(codec: codec)
        let b = factory.batch(3, close: .timeout)
        try sink.write(b)
        let open = dir.listing.filter { $0.hasSuffix(".open") }
        try #require(open.count == 1)
        #expect(dir.segments.isEmpty)
        #expect(sameBytes(try readSegment(dir.path + "/" + open[0]), b.encoded.output.bytes))
        try sink.finish()
        #expect(dir.listing.filter { $0.hasSuffix(".open") }.isEmpty)
        #expect(sameBytes(try verifyManifests(dir, codec: codec).flatMap { $0 }, b.encoded.output.bytes))
    }

    @Test func finishWithNothingWrittenCreatesNothing() throws {
        let dir = SinkTempDir()
        let sink = try SegmentSink(options: SegmentOptions(directory: dir.path + "/nested/out"))
        try sink.finish()
        #expect(sink.segmentsFinalized == 0)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: dir.path + "/nested/out")) ?? ["?"]).isEmpty)
    }

    @Test func segmentNames() {
        let n = SegmentName(startMillis: 1_795_770_000_123, sequence: 42, codec: .lz4)
        #expect(n.fileName == "20261127T090000Z-000042.jsonl.lz4")
        #expect(n.openFileName == "20261127T090000Z-000042.jsonl.lz4.open")
        #expect(n.manifestFileName == "20261127T090000Z-000042.meta.json")
        #expect(SegmentName.parse(n.fileName)?.name.sequence == 42)
        #expect(SegmentName.parse(n.openFileName) == nil)
        #expect(SegmentName.parse(n.openFileName, allowOpen: true)?.isOpen == true)
        #expect(SegmentName.parse("20261127T090000Z-000042.meta.json") == nil)
        #expect(SegmentName.parse("20261127T090000Z-000042.jsonl.gz")?.name.codec == .gzip)
        #expect(SegmentName.parse("20261127T090000Z-000042.jsonl.zst")?.name.codec == .zstd)
        #expect(SegmentName(startMillis: 1_795_770_000_123, sequence: 42, codec: .zstd).openFileName
                == "20261127T090000Z-000042.jsonl.zst.open")
        #expect(SegmentName.parse("garbage.jsonl.lz4") == nil)
    }
}

@Suite struct SegmentReaderTests {
    /// A finalized segment of `batches` frames of `perBatch` entries; returns its path and each frame's content.
    func makeSegment(_ dir: SinkTempDir, codec: SegmentCodec, batches: Int = 5, perBatch: Int = 200)
        throws -> (path: String, frames: [[UInt8]], frameSizes: [Int]) {
        let sink = try SegmentSink(options: SegmentOptions(directory: dir.path, codec: codec))
        var factory = BatchFactory(codec: codec)
        var frames: [[UInt8]] = []
        var sizes: [Int] = []
        for _ in 0..<batches {
            let b = factory.batch(perBatch)
            frames.append(Array(b.encoded.output.bytes))
            sizes.append(b.frame.count)
            try sink.write(b)
        }
        try sink.finish()
        let path = try #require(dir.segments.first)
        return (path, frames, sizes)
    }

    /// Reads with `SegmentReader`, returning what was delivered and the error thrown (if any).
    func readCapturing(_ path: String) -> ([UInt8], Error?) {
        var out: [UInt8] = []
        do {
            try SegmentReader.read(path: path) { out.append(contentsOf: $0) }
            return (out, nil)
        } catch { return (out, error) }
    }

    func isCorrupt(_ e: Error?) -> Bool {
        if case .corrupt? = e as? SegmentError { return true }
        return false
    }

    @Test(arguments: SegmentCodec.allCases)
    func readsConcatenatedFramesIdentically(codec: SegmentCodec) throws {
        let dir = SinkTempDir()
        let seg = try makeSegment(dir, codec: codec)
        let (data, error) = readCapturing(seg.path)
        #expect(error == nil)
        #expect(sameBytes(data, seg.frames.flatMap { $0 }))
    }

    @Test(arguments: SegmentCodec.allCases)
    func truncatedFileThrowsCorruptAfterTheIntactPrefix(codec: SegmentCodec) throws {
        let dir = SinkTempDir()
        let seg = try makeSegment(dir, codec: codec)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: seg.path))
        let whole = seg.frames.flatMap { $0 }
        // Cut inside the 4th frame (and, separately, a few bytes before the end).
        let fourthStart = seg.frameSizes.prefix(3).reduce(0, +)
        for cut in [fourthStart + seg.frameSizes[3] / 2, bytes.count - 3, fourthStart + 5] {
            let path = dir.path + "/cut-\(cut)"
            try bytes.prefix(cut).write(to: URL(fileURLWithPath: path))
            let (data, error) = readCapturing(path)
            #expect(isCorrupt(error), "cut at \(cut): \(String(describing: error))")
            #expect(whole.starts(with: data), "delivered bytes must be a prefix of the content")
            let intact = seg.frames.prefix(cut >= bytes.count - 3 ? 4 : 3).reduce(0) { $0 + $1.count }
            #expect(data.count >= intact, "complete frames before the cut are delivered (\(data.count) < \(intact))")
        }
    }

    @Test(arguments: SegmentCodec.allCases)
    func flippedByteThrowsCorruptAfterTheIntactPrefix(codec: SegmentCodec) throws {
        let dir = SinkTempDir()
        let seg = try makeSegment(dir, codec: codec)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: seg.path))
        let thirdStart = seg.frameSizes.prefix(2).reduce(0, +)
        let at = thirdStart + seg.frameSizes[2] / 2
        bytes[at] ^= 0x55
        let path = dir.path + "/flipped"
        try bytes.write(to: URL(fileURLWithPath: path))
        let (data, error) = readCapturing(path)
        #expect(isCorrupt(error), "\(String(describing: error))")
        let intact = seg.frames.prefix(2).flatMap { $0 }
        #expect(data.starts(with: intact), "the two frames before the damage are delivered whole")
    }

    @Test func notASegment() throws {
        let dir = SinkTempDir()
        let path = dir.path + "/plain.txt"
        try Data("hello, not compressed\n".utf8).write(to: URL(fileURLWithPath: path))
        let (data, error) = readCapturing(path)
        #expect(isCorrupt(error))
        #expect(data.isEmpty)
        let empty = dir.path + "/empty"
        try Data().write(to: URL(fileURLWithPath: empty))
        let (d2, e2) = readCapturing(empty)
        #expect(e2 == nil && d2.isEmpty)
        let (_, e3) = readCapturing(dir.path + "/missing")
        if case .io? = e3 as? SegmentError {} else { Issue.record("missing file: \(String(describing: e3))") }
    }

    @Test(arguments: SegmentCodec.allCases)
    func largeSegmentReadsInChunks(codec: SegmentCodec) throws {
        // More than the reader's 1 MiB input / 4 MiB output chunks.
        let dir = SinkTempDir()
        let seg = try makeSegment(dir, codec: codec, batches: 6, perBatch: 8000)
        let (data, error) = readCapturing(seg.path)
        #expect(error == nil)
        #expect(data.count > 5 << 20)
        #expect(sameBytes(data, seg.frames.flatMap { $0 }))
    }
}
