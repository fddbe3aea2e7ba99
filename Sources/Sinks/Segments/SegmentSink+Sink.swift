import Pipeline

/// The segment files as a topology ``Sink``: every entry, compressed by the workers (one frame per batch).
extension SegmentSink {
    public var name: String { "segments" }
    public var needsFrame: Bool { true }

    public func accept(_ batch: CompressedBatch, lines: UnsafeBufferPointer<UInt8>, count: Int) throws {
        try write(batch)
    }

    /// The fsync runs on the finalizer queue, after the finalizations already queued.
    public func flush(_ done: @escaping @Sendable (Error?) -> Void) { syncInBackground(done) }

    public var health: SinkHealth { SinkHealth(gauges: ["segments_finalized": segmentsFinalized]) }
}
