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
    private let taps: TapHub?
    /// For taps at `parsed`: the same stages with the level filter off, made when such a tap first attaches.
    private var unfiltered: BatchEncoder?

    init(live: LiveSettings, compressor: SegmentCompressor?, taps: TapHub? = nil) {
        let (options, generation) = live.encoder
        encoder = BatchEncoder(options: options)
        self.generation = generation
        self.compressor = compressor
        self.live = live
        self.taps = taps
    }

    /// Parse, filter, enrich and encode `raw` (its buffer goes back to `rawPool`), then compress.
    func process(_ raw: RawBatch, rawPool: BufferPool, outPool: BufferPool) -> CompressedBatch {
        let (options, generation) = live.encoder
        if generation != self.generation {
            encoder = BatchEncoder(options: options)
            unfiltered = nil
            self.generation = generation
        }
        if let taps, taps.parsedAttached { taps.parsed(encodeUnfiltered(raw, options)) }
        let encoded = encoder.encode(raw, into: outPool.take(capacity: raw.buffer.count + raw.lines.count * 160))
        rawPool.give(raw.buffer)
        // Nothing to compress: an empty frame, not a pooled buffer (the pool drops it).
        guard let compressor else { return CompressedBatch(encoded: encoded, frame: ByteBuffer(capacity: 0)) }
        let frame = outPool.take(capacity: encoded.output.count / 2 + 4096)
        compressor.compress(encoded.output.bytes, into: frame)
        return CompressedBatch(encoded: encoded, frame: frame)
    }

    /// `raw` through parse and enrich with every entry kept (a tap at `parsed`: before the level filter).
    private func encodeUnfiltered(_ raw: RawBatch, _ options: EncoderOptions) -> EncodedBatch {
        let e = unfiltered ?? BatchEncoder(options: EncoderOptions(format: options.format, minLevel: .debug,
                                                                     enrichment: options.enrichment))
        unfiltered = e
        return e.encode(raw, into: ByteBuffer(capacity: raw.buffer.count + raw.lines.count * 160))
    }
}
