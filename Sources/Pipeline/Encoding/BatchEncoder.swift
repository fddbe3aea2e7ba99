#if canImport(Glibc)
import Glibc
#endif

/// Options of the parse → filter → enrich stage.
public struct EncoderOptions: Sendable {
    public var format: InputFormat
    public var minLevel: Level
    public var enrichment: Enrichment
    /// Keep only entries whose time is in `[since, until)` (replay's point-in-time selection); others are filtered.
    public var since: Int64?
    public var until: Int64?
    /// `--dedup WINDOW`: collapse identical consecutive messages (``DedupStage``); nil: off.
    public var dedupWindowMillis: Int64?

    public init(format: InputFormat = .auto, minLevel: Level = .debug, enrichment: Enrichment,
                since: Int64? = nil, until: Int64? = nil, dedupWindowMillis: Int64? = nil) {
        self.format = format
        self.minLevel = minLevel
        self.enrichment = enrichment
        self.since = since
        self.until = until
        self.dedupWindowMillis = dedupWindowMillis
    }
}

/// Runs the CPU stages on a raw batch — ``ParseStage`` → ``LevelFilterStage`` → ``EnrichStage`` — and encodes
/// what passes in the segment line format (``EntryWriter``); with `--dedup`, ``DedupStage`` then collapses the
/// encoded batch's repeats. The stages are values called per line in one loop,
/// so a line is read once and nothing is allocated per line.
///
/// Holds per-thread state (ID generator, time-format cache, scratch arrays): use one per worker thread.
public final class BatchEncoder {
    public let options: EncoderOptions
    public let parse: ParseStage
    public let filter: LevelFilterStage
    public let enrich: EnrichStage
    /// Off (nil) unless `--dedup`; works on the encoded batch, after the loop.
    public let dedup: DedupStage?
    private lazy var dedupScratch = ByteBuffer(capacity: 64 * 1024)
    private var timeFormatter = TimestampFormatter()
    private var ids = UUIDv7Generator()
    private var meta: [MetaField] = []
    private let minutes = UnsafeMutablePointer<MinuteCache>.allocate(capacity: 1)

    public init(options: EncoderOptions) {
        self.options = options
        parse = ParseStage(format: options.format)
        filter = LevelFilterStage(minLevel: options.minLevel, since: options.since, until: options.until)
        enrich = EnrichStage(enrichment: options.enrichment)
        dedup = options.dedupWindowMillis.map(DedupStage.init(windowMillis:))
        meta.reserveCapacity(64)
        minutes.initialize(to: MinuteCache())
    }

    deinit { minutes.deallocate() }

    public func encode(_ raw: RawBatch, into output: ByteBuffer) -> EncodedBatch {
        let batch = EncodedBatch(output: output, close: raw.close, origin: raw.origin, inputBytes: raw.inputBytes)
        batch.position = raw.position
        batch.firstReadMillis = raw.lines.first?.readMillis
        output.reserve(raw.buffer.count + raw.lines.count * 200)
        batch.entries.reserveCapacity(raw.lines.count)
        let defaults = enrich.defaults(for: raw.origin)
        var stats = BatchStats()
        stats.linesIn = raw.lines.count
        // Read once: the stages hold reference-counted strings, and a copy per line shows in profiles.
        let parse = self.parse, filter = self.filter, minutes = self.minutes
        // The metadata scratch array, owned locally for the batch (no property access or retain per line); each
        // entry's fields are a range of it, so it is cleared per batch, not per line.
        var meta = self.meta
        self.meta = []
        meta.removeAll(keepingCapacity: true)
        defer { self.meta = meta }
        for ref in raw.lines {
            let line = raw.line(ref)
            var entry = ParsedEntry()
            parse.parse(line, ref, into: &entry, meta: &meta, minutes: minutes)
            if entry.parseError { stats.parseErrors += 1 }
            let level = entry.level ?? .info
            let ts = entry.timestampMillis ?? ref.readMillis
            guard filter.admits(level: level, timestampMillis: ts) else { stats.filtered += 1; continue }
            if ref.truncated { stats.truncated += 1 }
            meta.withUnsafeBufferPointer { m in
                EntryWriter.write(entry, level: level, timestamp: ts, line: line, meta: m, defaults: defaults,
                                  times: &timeFormatter, ids: &ids, readMillis: ref.readMillis, to: output)
            }
            batch.entries.append(EntryInfo(end: Int32(output.count), level: level, timestampMillis: ts))
            stats.levelCounts[Int(level.rawValue)] += 1
        }
        stats.entriesOut = batch.entries.count
        batch.stats = stats
        if let dedup { dedup.collapse(batch, scratch: dedupScratch) }
        return batch
    }
}
