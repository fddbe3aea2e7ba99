/// Where a batch came from: names the source and carries its session ID (one per run of a source).
public final class SourceOrigin: Sendable {
    public let name: String
    public let sessionId: String

    public init(name: String, sessionId: String) {
        self.name = name
        self.sessionId = sessionId
    }
}

/// How far into its input a batch reaches: what its source may commit once the batch is durable in every sink.
public struct SourcePosition: Sendable, Equatable {
    /// The input's identity (a file fingerprint).
    public var key: String
    /// Offset just after the last byte whose lines are in this batch or earlier ones.
    public var offset: Int64
    /// Which source of the topology the position belongs to (set by the runner when the batch is emitted).
    public var source = 0

    public init(key: String, offset: Int64) {
        self.key = key
        self.offset = offset
    }
}

/// One framed line inside a batch's buffer.
public struct LineRef: Sendable {
    public var start: Int32
    public var length: Int32
    /// When the line was read (epoch ms).
    public var readMillis: Int64
    /// Set when the line was cut at `--max-line-bytes`.
    public var truncated: Bool
    /// Set when continuation lines were joined to it (the bytes then hold `\n`s): the first line is the entry,
    /// the rest its stack.
    public var joined = false

    public init(start: Int, length: Int, readMillis: Int64, truncated: Bool = false) {
        self.start = Int32(start)
        self.length = Int32(length)
        self.readMillis = readMillis
        self.truncated = truncated
    }
}

/// Why a batch was closed; a batch closed by time or end of input is made durable at once. `caughtUp` batches
/// (cut early when the source has read everything available, for the urgent path's latency) are made durable
/// by the periodic sync instead.
public enum BatchClose: Sendable {
    case full, timeout, end, caughtUp
}

/// Raw lines moving from a source to the workers: one contiguous buffer plus line ranges.
///
/// Ownership passes with the batch: the source never touches the buffer after handing it on.
public final class RawBatch: @unchecked Sendable {
    public let buffer: ByteBuffer
    public let lines: [LineRef]
    public let origin: SourceOrigin
    public let close: BatchClose
    /// Bytes of input this batch completes.
    public let inputBytes: Int
    /// Where the input stands after this batch (file tail sources set it; acknowledged when durable).
    public var position: SourcePosition?

    public init(buffer: ByteBuffer, lines: [LineRef], origin: SourceOrigin, close: BatchClose, inputBytes: Int,
                position: SourcePosition? = nil) {
        self.buffer = buffer
        self.lines = lines
        self.origin = origin
        self.close = close
        self.inputBytes = inputBytes
        self.position = position
    }
}
