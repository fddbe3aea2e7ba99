import Foundation
import Pipeline
import Sinks

/// Feeds archived segments back into the pipeline (batch reprocessing): each file is decompressed and framed like
/// any stream; its lines are entries in the segment format, so IDs and context they carry are kept.
///
/// Resume: `skipBytes[path]` decompressed bytes of a file are skipped (the position the output archive holds for
/// it: exact after kill -9), else `skipLines[path]` lines (delivered by an earlier run stopped cleanly). Batches
/// carry their position (`replay:<path>`, decompressed bytes) for the archive to record with their frames.
/// Each file gets its own `SourceOrigin` named by its path, so deliveries can be counted per file.
public final class SegmentReplaySource {
    public let files: [String]
    public let options: FramingOptions
    public let sessionId: String
    public var skipLines: [String: Int] = [:]
    public var skipBytes: [String: Int64] = [:]
    /// Lines of each file passed so far (skipped or framed, empty ones included): the clean-stop resume point.
    public private(set) var linesDone: [String: Int] = [:]

    /// The position key of a replayed file.
    public static func positionKey(_ path: String) -> String { "replay:" + path }
    /// Called on the source thread after each chunk with (compressed bytes done, compressed bytes total).
    public var progress: ((Int, Int) -> Void)?
    public private(set) var stats = SourceStats()
    public var pool: BufferPool?

    public init(files: [String], options: FramingOptions, sessionId: String) {
        self.files = files
        self.options = options
        self.sessionId = sessionId
    }

    public func run(stop: StopSignal, emit: (RawBatch) -> Void) throws {
        let sizes = files.map { (try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int) ?? 0 }
        let total = sizes.reduce(0, +)
        var done = 0
        for (index, path) in files.enumerated() {
            if stop.isTriggered { break }
            let origin = SourceOrigin(name: path, sessionId: sessionId)
            var framer = LineFramer(maxLineBytes: options.maxLineBytes, batchMaxEntries: options.batchMaxEntries,
                                    batchMaxBytes: options.batchMaxBytes, pool: pool, multiline: false)
            let key = Self.positionKey(path)
            var bytesToSkip = skipBytes[path] ?? 0
            var toSkip = bytesToSkip > 0 ? 0 : skipLines[path] ?? 0
            var skipped: Int64 = 0, skippedLines = 0
            var framedLines = 0
            func take(_ close: BatchClose, includePartial: Bool = false) {
                while close != .full || framer.isFull,
                      let batch = framer.takeBatch(origin: origin, close: close, includePartial: includePartial, now: nowMillis()) {
                    batch.position = SourcePosition(key: key, offset: skipped + framer.consumed)
                    framedLines += batch.lines.count
                    emit(batch)
                }
            }
            defer { linesDone[path] = skippedLines + framedLines + framer.emptyLines }
            do {
                try readFile(path, stop: stop) { chunk in
                guard !stop.isTriggered else { throw ReplayStopped() }
                var p = chunk.baseAddress!
                var left = chunk.count
                if bytesToSkip > 0 {
                    let n = Int(min(Int64(left), bytesToSkip))
                    var q = p, l = n
                    while l > 0, let nl = memchr(q, 10, l) {
                        let used = q.distance(to: nl.assumingMemoryBound(to: UInt8.self)) + 1
                        q += used; l -= used; skippedLines += 1
                    }
                    p += n; left -= n; bytesToSkip -= Int64(n); skipped += Int64(n)
                }
                while toSkip > 0, left > 0, let nl = memchr(p, 10, left) {
                    let used = p.distance(to: nl.assumingMemoryBound(to: UInt8.self)) + 1
                    p += used
                    left -= used
                    toSkip -= 1
                    skippedLines += 1
                    skipped += Int64(used)
                }
                if toSkip > 0 { skipped += Int64(left); return }
                if left == 0 { return }
                stats.bytesRead += left
                while left > 0 {
                    let w = framer.writable
                    let n = min(left, w.count, 64 * 1024)
                    w.pointer.update(from: p, count: n)
                    framer.commit(n, now: nowMillis())
                    p += n
                    left -= n
                    take(.full)
                }
                }
            } catch is ReplayStopped {
                // Stopped by a signal: deliver the complete lines read so far; the resume point follows them.
                take(.end)
                break
            }
            take(.end, includePartial: true)
            stats.emptyLines += framer.emptyLines
            done += sizes[index]
            progress?(done, total)
        }
    }

    private func readFile(_ path: String, stop: StopSignal,
                          _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        try SegmentReader.read(path: path, body)
    }

    /// Thrown inside the reader to stop at once on a signal.
    struct ReplayStopped: Error {}
}
