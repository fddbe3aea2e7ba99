import Foundation
import Pipeline
import SegmentFormat

/// Feeds archived segments back into the pipeline (batch reprocessing): each file is decompressed and framed like
/// any stream; its lines are entries in the segment format, so IDs and context they carry are kept.
///
/// Resume: batches carry their position (`replay:<path>`, decompressed bytes), which the output archive records
/// with their frames and, once durable in every sink, the ``ReplayCursor`` records too. A restart skips, per file,
/// the newer of the two (`resume(fromArchive:)`): exact after a clean stop and after kill -9.
/// Each file gets its own `SourceOrigin` named by its path, so deliveries can be counted per file.
public final class SegmentReplaySource: Source {
    public let files: [String]
    public let options: FramingOptions
    public let sessionId: String
    public let cursor: ReplayCursor?
    /// Decompressed bytes of each file to skip (already delivered).
    public private(set) var skipBytes: [String: Int64] = [:]
    public var name: String { "replay" }

    /// The position key of a replayed file.
    public static func positionKey(_ path: String) -> String { "replay:" + path }
    /// Called on the source thread after each chunk with (compressed bytes done, compressed bytes total).
    public var progress: ((Int, Int) -> Void)?
    public private(set) var stats = SourceStats()
    public var pool: BufferPool?

    public init(files: [String], options: FramingOptions, sessionId: String, cursor: ReplayCursor? = nil) {
        self.files = files
        self.options = options
        self.sessionId = sessionId
        self.cursor = cursor
        if let cursor { take(cursor.positions) }
    }

    /// Without a cursor (no --state-dir) a replay starts from the beginning, whatever the archive holds.
    public func resume(fromArchive positions: [String: Int64]) throws {
        if cursor != nil { take(positions) }
    }

    public func acknowledge(_ positions: [SourcePosition]) throws { try cursor?.advance(positions) }

    private func take(_ positions: [String: Int64]) {
        for path in files {
            if let p = positions[Self.positionKey(path)] { skipBytes[path] = max(skipBytes[path] ?? 0, p) }
        }
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
            var skipped: Int64 = 0
            func take(_ close: BatchClose, includePartial: Bool = false) {
                while close != .full || framer.isFull,
                      let batch = framer.takeBatch(origin: origin, close: close, includePartial: includePartial, now: nowMillis()) {
                    batch.position = SourcePosition(key: key, offset: skipped + framer.consumed)
                    emit(batch)
                }
            }
            do {
                try readFile(path, stop: stop) { chunk in
                guard !stop.isTriggered else { throw ReplayStopped() }
                var p = chunk.baseAddress!
                var left = chunk.count
                if bytesToSkip > 0 {
                    let n = Int(min(Int64(left), bytesToSkip))
                    p += n; left -= n; bytesToSkip -= Int64(n); skipped += Int64(n)
                }
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
