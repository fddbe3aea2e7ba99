/// Per-entry facts the sinks need without re-parsing: where the line ends, its level and time.
public struct EntryInfo: Sendable {
    /// Offset just after the entry's `\n` in the batch output.
    public var end: Int32
    public var level: Level
    public var timestampMillis: Int64
}

/// Counts a stage reports for a batch; added up for the run summary and the manifests.
public struct BatchStats: Sendable {
    public var linesIn = 0
    public var entriesOut = 0
    public var filtered = 0
    public var parseErrors = 0
    public var truncated = 0
    /// Repeats the dedup stage left out (``DedupStage``: each run's count is in its `metadata.repeated`).
    public var collapsed = 0
    public var levelCounts = [Int](repeating: 0, count: 5)

    public init() {}

    public mutating func add(_ o: BatchStats) {
        linesIn += o.linesIn
        entriesOut += o.entriesOut
        filtered += o.filtered
        parseErrors += o.parseErrors
        truncated += o.truncated
        collapsed += o.collapsed
        for i in 0..<5 { levelCounts[i] += o.levelCounts[i] }
    }
}

/// A batch in the segment line format: NDJSON bytes plus one `EntryInfo` per line.
public final class EncodedBatch: @unchecked Sendable {
    public let output: ByteBuffer
    public var entries: [EntryInfo] = []
    public var stats = BatchStats()
    public let close: BatchClose
    public let origin: SourceOrigin
    public let inputBytes: Int
    /// When the batch's first line was read (for the end-to-end latency).
    public var firstReadMillis: Int64?
    /// Carried from the raw batch: the checkpoint to commit when this batch is durable.
    public var position: SourcePosition?

    public init(output: ByteBuffer, close: BatchClose, origin: SourceOrigin, inputBytes: Int) {
        self.output = output
        self.close = close
        self.origin = origin
        self.inputBytes = inputBytes
    }

    /// Start offset of entry `i`.
    @inline(__always) public func start(of i: Int) -> Int { i == 0 ? 0 : Int(entries[i - 1].end) }
}

/// A batch ready for the sinks: its entries and, when a sink stores them compressed, their compressed frame
/// (empty otherwise).
public struct CompressedBatch: Sendable {
    public let encoded: EncodedBatch
    public let frame: ByteBuffer

    public init(encoded: EncodedBatch, frame: ByteBuffer) {
        self.encoded = encoded
        self.frame = frame
    }
}
