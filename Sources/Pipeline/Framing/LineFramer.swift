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
    private var lastWasEmpty = false
    /// Read time of the oldest line waiting in the current batch (for the batch timeout).
    public private(set) var oldestPendingMillis: Int64?
    public private(set) var emptyLines = 0
    public private(set) var discardedBytes = 0
    public private(set) var truncatedLines = 0

    private let pool: BufferPool?
    /// Join continuation lines (stack traces) to the entry before them.
    public let multiline: Bool
    /// Input bytes consumed by the batches taken so far (lines and skipped bytes), for checkpoints.
    public private(set) var consumed: Int64 = 0
    private var committed: Int64 = 0

    /// `pool`: where new batch buffers come from (the stage that consumes a batch gives its buffer back).
    public init(maxLineBytes: Int, batchMaxEntries: Int, batchMaxBytes: Int, pool: BufferPool? = nil,
                multiline: Bool = false) {
        self.multiline = multiline
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

    /// Whether the last complete entry waiting could still get continuation lines: multiline joining is on, no
    /// empty line came after it, and it is not a JSON object line (a JSON line carries its stack trace inside).
    public var lastEntryMayContinue: Bool {
        guard multiline, !lastWasEmpty, let last = lines.last, !last.truncated else { return false }
        var i = Int(last.start)
        let end = i + Int(last.length)
        while i < end, buffer.base[i] == 32 || buffer.base[i] == 9 { i += 1 }
        return i >= end || buffer.base[i] != UInt8(ascii: "{")
    }

    /// Whether bytes of an unfinished line are waiting.
    public var hasPartialLine: Bool { buffer.count > lineStart && !discarding }

    /// Whether a batch should be cut now (full by entries or bytes, or no room left to read).
    public var isFull: Bool {
        lines.count >= batchMaxEntries || lineStart >= batchMaxBytes || buffer.capacity - buffer.count < 64 * 1024
    }

    /// Accounts for `n` bytes just written at `writable`.
    public mutating func commit(_ n: Int, now: Int64) {
        committed += Int64(n)
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
        let pending = buffer.count - lineStart
        // One byte over is not overlong when it is the `\r` of a CRLF whose `\n` has not arrived yet.
        let overlong = pending > maxLineBytes + 1 || (pending == maxLineBytes + 1 && buffer.base[buffer.count - 1] != 13)
        if overlong && scanned == buffer.count {
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
        guard end > s else { emptyLines += 1; lastWasEmpty = true; return }
        if multiline, !lastWasEmpty, let last = lines.last, !last.truncated,
           end - Int(last.start) <= maxLineBytes, Self.isContinuation(buffer.base + s, end - s) {
            lines[lines.count - 1].length = Int32(end - Int(last.start))
            lines[lines.count - 1].joined = true
            return
        }
        lastWasEmpty = false
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
    /// `holdContinuable`: keep the last entry back when it may still get continuation lines
    /// (`lastEntryMayContinue`), as a full batch always does; nil when it is the only one.
    public mutating func takeBatch(origin: SourceOrigin, close: BatchClose, includePartial: Bool = false,
                                   holdContinuable: Bool = false, now: Int64) -> RawBatch? {
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
        let hold = close == .full || holdContinuable && lastEntryMayContinue
        if hold, lines.count == 1, holdContinuable { return nil }
        var held: LineRef?
        var heldNext = 0
        if multiline, hold, lines.count > 1, !includePartial, let last = lines.last, !last.truncated,
           let next = lineEnd(after: last) {
            // More input is surely coming: keep the last entry back, its continuation lines may follow.
            held = lines.removeLast()
            heldNext = next - Int(last.start)
            lineStart = Int(last.start)
        }
        let next = pool?.take(capacity: capacity) ?? ByteBuffer(capacity: capacity)
        let tail = buffer.count - lineStart
        next.append(buffer.base + lineStart, tail)
        let unscanned = scanned - lineStart
        consumed = committed - Int64(tail)
        let batch = RawBatch(buffer: buffer, lines: lines, origin: origin, close: close, inputBytes: lineStart)
        buffer.count = lineStart
        buffer = next
        lines.removeAll(keepingCapacity: true)
        lineStart = 0
        scanned = unscanned
        oldestPendingMillis = nil
        if var h = held {
            // The held entry now opens the new buffer; the next line starts after its newline.
            h.start = 0
            lines.append(h)
            lineStart = heldNext
            oldestPendingMillis = h.readMillis
        }
        // Lines beyond a full batch were left unscanned: frame them now.
        if scanned < buffer.count { commit(0, now: now) }
        return batch
    }

    /// Index just after the newline that ends `line` (its `\r\n` or `\n`), when it is in the buffer.
    private func lineEnd(after line: LineRef) -> Int? {
        var i = Int(line.start) + Int(line.length)
        if i < buffer.count, buffer.base[i] == 13 { i += 1 }
        return i < buffer.count && buffer.base[i] == 10 ? i + 1 : nil
    }

    /// Whether a line continues the entry before it: leading whitespace, `at `, `Caused by:`, `Traceback`, `...`.
    @inline(__always) static func isContinuation(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        let b = UnsafeBufferPointer(start: p, count: n)
        // The first byte decides for almost every line (a JSON line's `{` never continues anything).
        switch p[0] {
        case 32, 9: return true
        case UInt8(ascii: "a"): return b.hasPrefix("at ")
        case UInt8(ascii: "C"): return b.hasPrefix("Caused by:")
        case UInt8(ascii: "T"): return b.hasPrefix("Traceback")
        case UInt8(ascii: "."): return b.hasPrefix("...")
        default: return false
        }
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

extension UnsafeBufferPointer where Element == UInt8 {
    @inline(__always) func hasPrefix(_ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        return count >= n && memcmp(baseAddress!, s.utf8Start, n) == 0
    }
}

#if canImport(Glibc)
import Glibc
#endif
