/// Options of the parse → filter → enrich stage.
public struct EncoderOptions: Sendable {
    public var format: InputFormat
    public var minLevel: Level
    public var enrichment: Enrichment

    public init(format: InputFormat = .auto, minLevel: Level = .debug, enrichment: Enrichment) {
        self.format = format
        self.minLevel = minLevel
        self.enrichment = enrichment
    }
}

/// The CPU stage: parses each line of a raw batch, drops entries below the minimum level (counted), enriches the
/// rest and writes them in the segment line format.
///
/// Holds per-thread state (ID generator, time-format cache, scratch arrays): use one per worker thread.
public final class BatchEncoder {
    public let options: EncoderOptions
    private var timeFormatter = TimestampFormatter()
    private var ids = UUIDv7Generator()
    private var meta: [MetaField] = []
    private var sessionCache: (origin: ObjectIdentifier, json: [UInt8])?

    public init(options: EncoderOptions) {
        self.options = options
        meta.reserveCapacity(64)
    }

    public func encode(_ raw: RawBatch, into output: ByteBuffer) -> EncodedBatch {
        let batch = EncodedBatch(output: output, close: raw.close, origin: raw.origin, inputBytes: raw.inputBytes)
        output.reserve(raw.buffer.count + raw.lines.count * 200)
        batch.entries.reserveCapacity(raw.lines.count)
        let session = sessionJSON(raw.origin)
        var stats = BatchStats()
        stats.linesIn = raw.lines.count
        for ref in raw.lines {
            let line = UnsafeBufferPointer(start: raw.buffer.base + Int(ref.start), count: Int(ref.length))
            meta.removeAll(keepingCapacity: true)
            var entry = ParsedEntry()
            FormatDispatcher.parse(line, format: options.format, into: &entry, meta: &meta,
                                   context: ParseContext(readMillis: ref.readMillis))
            if entry.parseError { stats.parseErrors += 1 }
            let level = entry.level ?? .info
            guard level >= options.minLevel else { stats.filtered += 1; continue }
            if ref.truncated {
                stats.truncated += 1
                meta.append(MetaField(key: .literal(.truncated), value: .literal(.trueValue)))
                entry.metaCount += 1
            }
            let ts = entry.timestampMillis ?? ref.readMillis
            EntryWriter.write(entry, level: level, timestamp: ts, line: line, meta: meta, session: session,
                              enrichment: options.enrichment, times: &timeFormatter, ids: &ids, readMillis: ref.readMillis,
                              to: output)
            batch.entries.append(EntryInfo(end: Int32(output.count), level: level, timestampMillis: ts))
            stats.levelCounts[Int(level.rawValue)] += 1
        }
        stats.entriesOut = batch.entries.count
        batch.stats = stats
        return batch
    }

    private func sessionJSON(_ origin: SourceOrigin) -> [UInt8] {
        let id = ObjectIdentifier(origin)
        if let c = sessionCache, c.origin == id { return c.json }
        let json = Enrichment.quoted(origin.sessionId)
        sessionCache = (id, json)
        return json
    }
}
