/// Splits a TCP syslog byte stream into messages (RFC 6587), fed in chunks as they arrive; copies nothing it
/// can hand out in place.
///
/// - The framing is detected from the connection's first byte: a digit means octet counting (`LEN SP MSG`),
///   anything else newline framing (a message ends at LF or NUL, a trailing CR is dropped; legacy senders and
///   Python's SysLogHandler end with NUL). Between octet-counted frames, stray LF/CR/NUL/SP are skipped.
/// - A counted frame's trailing LF, CR or NUL (rsyslog's templates end with LF) is not part of the message.
/// - A frame over `maxFrameBytes` is cut: its first `maxFrameBytes` bytes become an entry marked truncated, the
///   rest is skipped (the count says how much, so the stream stays in step), counted `frame_too_large`.
/// - An octet count that is not a number (`12a…`, ten or more digits, no digit before the space) is
///   `bad_frame`: the bytes up to the next LF are kept as an entry, and counting resumes after it.
/// - At close, an octet-counted frame that did not arrive whole is `truncated_frame` and its bytes an entry
///   marked truncated; an unterminated last line in newline framing is a whole entry (as at the end of stdin).
///
/// A value type, testable on bytes alone; `frame` is called once per message in order.
struct SyslogStreamFramer {
    enum Framing: Equatable { case unknown, octetCounting, newline }
    enum Reject: String { case frameTooLarge = "frame_too_large", badFrame = "bad_frame", truncatedFrame = "truncated_frame" }
    typealias Frame = (_ bytes: UnsafePointer<UInt8>, _ count: Int, _ truncated: Bool) -> Void

    private enum State {
        case start
        /// Reading the octet count (its digits are also in `carry`, for a bad frame).
        case count(Int)
        /// In an octet-counted frame: bytes still to come, and how many of them to keep.
        case body(remaining: Int, keep: Int, cut: Bool)
        /// In a line (newline framing, or the rest of a bad frame).
        case line
        /// Past `maxFrameBytes` in a line: skip to its end.
        case skipLine
    }

    let maxFrameBytes: Int
    private(set) var framing = Framing.unknown
    private(set) var discardedBytes = 0
    private var state = State.start
    private var carry: [UInt8] = []

    init(maxFrameBytes: Int) { self.maxFrameBytes = max(maxFrameBytes, 16) }

    /// Frames `n` bytes at `p`; partial frames wait for the next chunk.
    mutating func feed(_ p: UnsafePointer<UInt8>, _ n: Int, frame: Frame, reject: (Reject) -> Void) {
        var i = 0
        while i < n {
            switch state {
            case .start:
                let b = p[i]
                if framing == .unknown { framing = isDigit(b) ? .octetCounting : .newline }
                if b == 10 || b == 0 || b == 13 || (framing == .octetCounting && b == 32) {
                    i += 1 // an empty line, or separators some senders put between counted frames
                } else if framing == .octetCounting, isDigit(b) {
                    state = .count(0)
                } else {
                    if framing == .octetCounting { reject(.badFrame) }
                    state = .line
                }
            case let .count(value):
                let b = p[i]
                if isDigit(b), carry.count < 9 {
                    carry.append(b)
                    state = .count(value * 10 + Int(b - 48))
                    i += 1
                } else if b == 32, !carry.isEmpty {
                    carry.removeAll(keepingCapacity: true)
                    i += 1
                    if value == 0 {
                        state = .start
                    } else if value > maxFrameBytes {
                        reject(.frameTooLarge)
                        state = .body(remaining: value, keep: maxFrameBytes, cut: true)
                    } else {
                        state = .body(remaining: value, keep: value, cut: false)
                    }
                } else {
                    reject(.badFrame) // the digits so far stay in `carry`, the start of the kept line
                    state = .line
                }
            case let .body(remaining, keep, cut):
                let take = min(remaining, n - i)
                let wanted = max(0, min(take, keep - carry.count))
                if carry.isEmpty, take == remaining, keep == remaining {
                    let n = Self.trimmed(p + i, take)
                    if n > 0 { frame(p + i, n, false) } // whole in this chunk: straight from the read buffer
                    state = .start
                } else {
                    carry.append(contentsOf: UnsafeBufferPointer(start: p + i, count: wanted))
                    discardedBytes += take - wanted
                    if take == remaining {
                        while let last = carry.last, last == 10 || last == 13 || last == 0 { carry.removeLast() }
                        emitCarry(truncated: cut, frame: frame)
                        state = .start
                    } else {
                        state = .body(remaining: remaining - take, keep: keep, cut: cut)
                    }
                }
                i += take
            case .line:
                var j = i
                while j < n, p[j] != 10, p[j] != 0 { j += 1 }
                let length = j - i
                if j < n, carry.isEmpty, length <= maxFrameBytes {
                    let end = length > 0 && p[j - 1] == 13 ? length - 1 : length
                    if end > 0 { frame(p + i, end, false) }
                    state = .start
                } else if carry.count + length > maxFrameBytes {
                    let room = maxFrameBytes - carry.count
                    carry.append(contentsOf: UnsafeBufferPointer(start: p + i, count: room))
                    discardedBytes += length - room
                    reject(.frameTooLarge)
                    emitCarry(truncated: true, frame: frame)
                    state = j < n ? .start : .skipLine
                } else {
                    carry.append(contentsOf: UnsafeBufferPointer(start: p + i, count: length))
                    if j < n {
                        if carry.last == 13 { carry.removeLast() }
                        emitCarry(truncated: false, frame: frame)
                        state = .start
                    }
                }
                i = j < n ? j + 1 : n
            case .skipLine:
                var j = i
                while j < n, p[j] != 10, p[j] != 0 { j += 1 }
                discardedBytes += j - i
                if j < n { state = .start }
                i = j < n ? j + 1 : n
            }
        }
    }

    /// The connection closed: what is left becomes an entry (see the type's summary).
    mutating func finish(frame: Frame, reject: (Reject) -> Void) {
        switch state {
        case .count, .body:
            reject(.truncatedFrame)
            emitCarry(truncated: true, frame: frame)
        case .line:
            emitCarry(truncated: false, frame: frame)
        case .start, .skipLine:
            break
        }
        state = .start
    }

    /// Bytes of a partial frame waiting for the rest (bounded by `maxFrameBytes`).
    var pendingBytes: Int { carry.count }

    private mutating func emitCarry(truncated: Bool, frame: Frame) {
        guard !carry.isEmpty else { return }
        carry.withUnsafeBufferPointer { frame($0.baseAddress!, $0.count, truncated) }
        carry.removeAll(keepingCapacity: carry.capacity <= 64 << 10)
    }

    /// A counted frame without the LF, CR or NUL some senders (rsyslog's templates) end it with.
    private static func trimmed(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        var n = n
        while n > 0, p[n - 1] == 10 || p[n - 1] == 13 || p[n - 1] == 0 { n -= 1 }
        return n
    }

    @inline(__always) private func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
}
