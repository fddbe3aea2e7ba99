import Foundation
import Pipeline

/// Turns one datagram into entries of its peer's batch: one line per entry, or several when the datagram holds
/// several lines; cuts batches that reach the size limits.
///
/// Trailing `\n`, `\r\n` and NUL bytes end a datagram (Python's SysLogHandler appends a NUL); they never make an
/// empty entry. Inside a datagram, empty lines are skipped and counted; a line over `maxLineBytes` is cut there
/// and flagged `truncated`. With `multiline`, continuation lines (leading whitespace, `at `, `Caused by:`,
/// `Traceback`, `...`) join the entry before them in the same datagram, as the stream framer does across lines.
/// Copies bytes only: parsing is the pipeline's work, off the receiving thread.
struct DatagramFramer {
    let maxLineBytes: Int
    let batchMaxEntries: Int
    let batchMaxBytes: Int
    let multiline: Bool
    private(set) var emptyLines = 0
    private(set) var truncatedLines = 0
    private(set) var discardedBytes = 0

    init(options: FramingOptions) {
        maxLineBytes = max(options.maxLineBytes, 16)
        batchMaxEntries = max(options.batchMaxEntries, 1)
        batchMaxBytes = max(options.batchMaxBytes, 1)
        multiline = options.multiline
    }

    /// What framing made of a datagram.
    enum Outcome { case framed, empty, truncated }

    /// Adds the datagram's lines to `batch`; full batches go out through `emit` (close `.full`).
    mutating func frame(_ datagram: UnsafeBufferPointer<UInt8>, into batch: PeerBatch, now: Int64,
                        emit: (RawBatch) -> Void) -> Outcome {
        guard let p = datagram.baseAddress else { return .empty }
        var n = datagram.count
        while n > 0, p[n - 1] == 10 || p[n - 1] == 13 || p[n - 1] == 0 { n -= 1 }
        guard n > 0 else { return .empty }
        if !batch.isEmpty, batch.byteCount + n > batchMaxBytes, let full = batch.take(close: .full) { emit(full) }
        batch.inputBytes += datagram.count
        var outcome = Outcome.framed
        var start = 0
        var joinable = false // the last entry came from this datagram and may take continuation lines
        while true {
            let nl = memchr(p + start, 10, n - start).map { p.distance(to: $0.assumingMemoryBound(to: UInt8.self)) }
            let lineEnd = nl ?? n
            var end = lineEnd
            if end > start, p[end - 1] == 13 { end -= 1 }
            let length = end - start
            if length == 0 {
                emptyLines += 1
                joinable = false
            } else if multiline, joinable, batch.lastLineLength + 1 + length <= maxLineBytes,
                      Self.isContinuation(p + start, length) {
                batch.joinToLast(p + start, length)
            } else {
                if batch.lineCount >= batchMaxEntries, let full = batch.take(close: .full) { emit(full) }
                let cut = length > maxLineBytes
                if cut {
                    truncatedLines += 1
                    discardedBytes += length - maxLineBytes
                    outcome = .truncated
                }
                batch.append(p + start, cut ? maxLineBytes : length, truncated: cut, now: now)
                joinable = !cut
            }
            guard let nl else { break }
            start = nl + 1
        }
        if batch.lineCount >= batchMaxEntries || batch.byteCount >= batchMaxBytes,
           let full = batch.take(close: .full) {
            emit(full)
        }
        return outcome
    }

    /// Leading whitespace, `at `, `Caused by:`, `Traceback`, `...`: the stream framer's continuation rule.
    static func isContinuation(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        if p[0] == 32 || p[0] == 9 { return true }
        func starts(_ s: StaticString) -> Bool {
            n >= s.utf8CodeUnitCount && memcmp(p, s.utf8Start, s.utf8CodeUnitCount) == 0
        }
        return starts("at ") || starts("Caused by:") || starts("Traceback") || starts("...")
    }
}
