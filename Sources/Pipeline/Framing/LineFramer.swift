/// Splits a byte stream into lines and groups them into batches.
///
/// The source reads straight into `writable` and calls `commit`; lines are ranges of the same buffer, so framing
/// copies nothing but the unfinished tail when a batch is cut. `\n` ends a line, a trailing `\r` is dropped, empty
/// lines are skipped (and counted). A line longer than `maxLineBytes` is cut there, flagged `truncated`, and the
/// rest of it up to the next newline is discarded (counted in `discardedBytes`). Not thread-safe: one per source.
public struct LineFramer {
    public let maxLineBytes: Int
    public let batchMaxEntries: Int
    public let batchMaxBytes: Int
    private let capacity: Int
    private var buffer: ByteBuffer
    private var lines: [LineRef] = []
    private var scanned = 0
    private var lineStart = 0
    private var discarding = false
    /// Read time of the oldest line waiting in the current batch (for the batch timeout).
    public private(set) var oldestPendingMillis: Int64?
    public private(set) var emptyLines = 0
    public private(set) var discardedBytes = 0
    public private(set) var truncatedLines = 0

    private let pool: BufferPool?

    /// `pool`: where new batch buffers come from (the stage that consumes a batch gives its buffer back).
    public init(maxLineBytes: Int, batchMaxEntries: Int, batchMaxBytes: Int, pool: BufferPool? = nil) {
        self.maxLineBytes = max(maxLineBytes, 16)
        self.batchMaxEntries = max(batchMaxEntries, 1)
        self.batchMaxBytes = max(batchMaxBytes, 1)
        self.pool = pool
        capacity = self.batchMaxBytes + self.maxLineBytes + 256 * 1024
        buffer = pool?.take(capacity: capacity) ?? ByteBuffer(capacity: capacity)
        lines.reserveCapacity(self.batchMaxEntries)
    }

    /// Where the next read may write, and how much.
    public var writable: (pointer: UnsafeMutablePointer<UInt8>, count: Int) { (buffer.end, buffer.capacity - buffer.count) }

    /// Complete lines waiting.
    public var pendingLines: Int { lines.count }

    /// Whether a batch should be cut now (full by entries or bytes, or no room left to read).
    public var isFull: Bool {
        lines.count >= batchMaxEntries || lineStart >= batchMaxBytes || buffer.capacity - buffer.count < 64 * 1024
    }

    /// Accounts for `n` bytes just written at `writable`.
    public mutating func commit(_ n: Int, now: Int64) {
        let newStart = buffer.count
        buffer.count += n
        if discarding {
            guard let nl = findNewline(from: newStart) else {
                discardedBytes += n
                buffer.count = newStart
                return
            }
            discardedBytes += nl - newStart
            let tail = buffer.count - (nl + 1)
            (buffer.base + newStart).update(from: buffer.base + nl + 1, count: tail)
            buffer.count = newStart + tail
            discarding = false
            scanned = newStart
            lineStart = newStart
        }
        var from = scanned
        while let nl = findNewline(from: from) {
            addLine(lineStart, nl, now: now)
            lineStart = nl + 1
            from = nl + 1
            if lines.count >= batchMaxEntries { break }
        }
        scanned = lines.count >= batchMaxEntries ? from : buffer.count
        if buffer.count - lineStart > maxLineBytes && scanned == buffer.count {
            // Cut the overlong line; drop what follows up to its newline.
            let cutEnd = lineStart + maxLineBytes
            lines.append(LineRef(start: lineStart, length: maxLineBytes, readMillis: now, truncated: true))
            truncatedLines += 1
            if oldestPendingMillis == nil { oldestPendingMillis = now }
            discardedBytes += buffer.count - cutEnd
            buffer.count = cutEnd
            lineStart = cutEnd
            scanned = cutEnd
            discarding = true
        }
    }

    private func findNewline(from: Int) -> Int? {
        guard from < buffer.count else { return nil }
        guard let p = memchr(buffer.base + from, 10, buffer.count - from) else { return nil }
        return buffer.base.distance(to: p.assumingMemoryBound(to: UInt8.self))
    }

    private mutating func addLine(_ s: Int, _ e: Int, now: Int64) {
        var end = e
        if end > s, buffer.base[end - 1] == 13 { end -= 1 }
        guard end > s else { emptyLines += 1; return }
        if end - s > maxLineBytes {
            lines.append(LineRef(start: s, length: maxLineBytes, readMillis: now, truncated: true))
            truncatedLines += 1
            discardedBytes += end - s - maxLineBytes
        } else {
            lines.append(LineRef(start: s, length: end - s, readMillis: now))
        }
        if oldestPendingMillis == nil { oldestPendingMillis = now }
    }

    /// Cuts a batch of the complete lines (and, at end of input, the unfinished last line). Nil when empty.
    public mutating func takeBatch(origin: SourceOrigin, close: BatchClose, includePartial: Bool = false,
                                   now: Int64) -> RawBatch? {
        if includePartial {
            if discarding {
                discarding = false
                buffer.count = lineStart
            } else if buffer.count > lineStart, lines.count < batchMaxEntries {
                addLine(lineStart, buffer.count, now: now)
                lineStart = buffer.count
                scanned = buffer.count
            }
        }
        guard !lines.isEmpty else { compactEmptyPrefix(); return nil }
        let next = pool?.take(capacity: capacity) ?? ByteBuffer(capacity: capacity)
        let tail = buffer.count - lineStart
        next.append(buffer.base + lineStart, tail)
        let unscanned = scanned - lineStart
        let batch = RawBatch(buffer: buffer, lines: lines, origin: origin, close: close, inputBytes: lineStart)
        buffer.count = lineStart
        buffer = next
        lines.removeAll(keepingCapacity: true)
        lineStart = 0
        scanned = unscanned
        oldestPendingMillis = nil
        // Lines beyond a full batch were left unscanned: frame them now.
        if scanned < buffer.count { commit(0, now: now) }
        return batch
    }

    /// Skipped empty lines can leave a prefix with no lines in it: reclaim its room.
    private mutating func compactEmptyPrefix() {
        guard lineStart > 0 else { return }
        let tail = buffer.count - lineStart
        buffer.base.update(from: buffer.base + lineStart, count: tail)
        buffer.count = tail
        scanned -= lineStart
        lineStart = 0
    }
}

#if canImport(Glibc)
import Glibc
#endif
