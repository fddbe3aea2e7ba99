import Foundation
import Pipeline
import SegmentFormat

/// Feeds archived segments back into the pipeline (batch reprocessing): each file is decompressed and framed like
/// any stream; its lines are entries in the segment format, so IDs and context they carry are kept.
///
/// Resume: with a ``ReplayCursor``, the lines of a file it records as delivered are skipped, and each batch
/// carries its position (the file, lines of it done), which the cursor records once the batch is durable in
/// every sink. Each file gets its own `SourceOrigin` named by its path, so deliveries can be counted per file.
public final class SegmentReplaySource: Source {
    public let files: [String]
    public let options: FramingOptions
    public let sessionId: String
    public let cursor: ReplayCursor?
    public let skipLines: [String: Int]
    public var name: String { "replay" }
    /// Called on the source thread after each chunk with (compressed bytes done, compressed bytes total).
    public var progress: ((Int, Int) -> Void)?
    public private(set) var stats = SourceStats()
    public var pool: BufferPool?

    public init(files: [String], options: FramingOptions, sessionId: String, cursor: ReplayCursor? = nil) {
        self.files = files
        self.options = options
        self.sessionId = sessionId
        self.cursor = cursor
        skipLines = cursor?.linesDone ?? [:]
    }

    public func acknowledge(_ positions: [SourcePosition]) throws { try cursor?.advance(positions) }

    public func run(stop: StopSignal, emit: (RawBatch) -> Void) throws {
        let sizes = files.map { (try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int) ?? 0 }
        let total = sizes.reduce(0, +)
        var done = 0
        for (index, path) in files.enumerated() {
            if stop.isTriggered { break }
            let origin = SourceOrigin(name: path, sessionId: sessionId)
            var framer = LineFramer(maxLineBytes: options.maxLineBytes, batchMaxEntries: options.batchMaxEntries,
                                    batchMaxBytes: options.batchMaxBytes, pool: pool, multiline: false)
            var toSkip = skipLines[path] ?? 0
            // Lines of this file behind each batch (skipped ones included): the batch's position.
            var linesBehind = toSkip
            func emitAt(_ batch: RawBatch) {
                linesBehind += batch.lines.count
                batch.position = SourcePosition(key: path, offset: Int64(linesBehind + framer.emptyLines))
                emit(batch)
            }
            do {
                try readFile(path, stop: stop) { chunk in
                guard !stop.isTriggered else { throw ReplayStopped() }
                var p = chunk.baseAddress!
                var left = chunk.count
                while toSkip > 0, left > 0, let nl = memchr(p, 10, left) {
                    let used = p.distance(to: nl.assumingMemoryBound(to: UInt8.self)) + 1
                    p += used
                    left -= used
                    toSkip -= 1
                }
                if toSkip > 0 { return }
                stats.bytesRead += left
                while left > 0 {
                    let w = framer.writable
                    let n = min(left, w.count, 64 * 1024)
                    w.pointer.update(from: p, count: n)
                    framer.commit(n, now: nowMillis())
                    p += n
                    left -= n
                    while framer.isFull, let batch = framer.takeBatch(origin: origin, close: .full, now: nowMillis()) {
                        emitAt(batch)
                    }
                }
                }
            } catch is ReplayStopped {
                // Stopped by a signal: deliver the complete lines read so far; the resume point follows them.
                while let batch = framer.takeBatch(origin: origin, close: .end, now: nowMillis()) { emitAt(batch) }
                break
            }
            while let batch = framer.takeBatch(origin: origin, close: .end, includePartial: true, now: nowMillis()) {
                emitAt(batch)
            }
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
