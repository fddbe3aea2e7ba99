import Pipeline

/// The lines one peer's datagrams added since its last batch was cut, plus that peer's origin (session ID).
///
/// Lines are copied into one buffer (taken from the pool when the first line arrives); `take` hands buffer and
/// line ranges on as a `RawBatch` and leaves the batch empty. Used by one thread at a time: the UDP receiving
/// thread, or a network connection's event loop (Network/).
public final class PeerBatch {
    public let origin: SourceOrigin
    private let pool: BufferPool?
    private let initialCapacity: Int
    private var buffer: ByteBuffer?
    public private(set) var lines: [LineRef] = []
    /// Datagram bytes behind the waiting lines.
    public var inputBytes = 0
    /// Whether the source's list of batches waiting for their timeout holds this one.
    var listed = false

    public init(origin: SourceOrigin, pool: BufferPool?, initialCapacity: Int) {
        self.origin = origin
        self.pool = pool
        self.initialCapacity = initialCapacity
    }

    public var isEmpty: Bool { lines.isEmpty }
    public var lineCount: Int { lines.count }
    public var byteCount: Int { buffer?.count ?? 0 }
    /// Read time of the oldest waiting line.
    public var oldestMillis: Int64? { lines.first?.readMillis }
    /// Length of the last line (for the joined-line limit).
    public var lastLineLength: Int { Int(lines.last?.length ?? 0) }

    /// Copies a line in as a new entry.
    @inline(__always) public func append(_ p: UnsafePointer<UInt8>, _ n: Int, truncated: Bool, now: Int64) {
        let b = buffer ?? makeBuffer()
        lines.append(LineRef(start: b.count, length: n, readMillis: now, truncated: truncated))
        b.append(p, n)
    }

    /// Appends a continuation line to the last entry (`\n` between), which then carries a stack.
    public func joinToLast(_ p: UnsafePointer<UInt8>, _ n: Int) {
        guard let b = buffer, !lines.isEmpty else { return }
        b.append(10)
        b.append(p, n)
        lines[lines.count - 1].length += Int32(n + 1)
        lines[lines.count - 1].joined = true
    }

    /// The waiting lines as a batch (nil when none wait); the next line starts a fresh buffer.
    public func take(close: BatchClose) -> RawBatch? {
        guard let b = buffer, !lines.isEmpty else { return nil }
        let batch = RawBatch(buffer: b, lines: lines, origin: origin, close: close, inputBytes: inputBytes)
        buffer = nil
        lines.removeAll(keepingCapacity: true)
        inputBytes = 0
        return batch
    }

    private func makeBuffer() -> ByteBuffer {
        let b = pool?.take(capacity: initialCapacity) ?? ByteBuffer(capacity: initialCapacity)
        buffer = b
        return b
    }
}
