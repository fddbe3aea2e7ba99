import Pipeline
import SegmentFormat

/// One worker's private state: the stages (through the batch encoder) and, when a sink stores frames, the
/// compressor. Takes up settings a reload changed between batches, so no batch is encoded half with old and
/// half with new settings.
final class RunWorker {
    private(set) var encoder: BatchEncoder
    private var generation = 0
    /// nil when no sink stores compressed frames (`--clickhouse-only`).
    let compressor: SegmentCompressor?
    private let live: LiveSettings

    init(live: LiveSettings, compressor: SegmentCompressor?) {
        let (options, generation) = live.encoder
        encoder = BatchEncoder(options: options)
        self.generation = generation
        self.compressor = compressor
        self.live = live
    }

    /// Parse, filter, enrich and encode `raw` (its buffer goes back to `rawPool`), then compress.
    func process(_ raw: RawBatch, rawPool: BufferPool, outPool: BufferPool) -> CompressedBatch {
        let (options, generation) = live.encoder
        if generation != self.generation {
            encoder = BatchEncoder(options: options)
            self.generation = generation
        }
        let encoded = encoder.encode(raw, into: outPool.take(capacity: raw.buffer.count + raw.lines.count * 160))
        rawPool.give(raw.buffer)
        // Nothing to compress: an empty frame, not a pooled buffer (the pool drops it).
        guard let compressor else { return CompressedBatch(encoded: encoded, frame: ByteBuffer(capacity: 0)) }
        let frame = outPool.take(capacity: encoded.output.count / 2 + 4096)
        compressor.compress(encoded.output.bytes, into: frame)
        return CompressedBatch(encoded: encoded, frame: frame)
    }
}
