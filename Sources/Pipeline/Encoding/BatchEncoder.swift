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

    public init(format: InputFormat = .auto, minLevel: Level = .debug, enrichment: Enrichment,
                since: Int64? = nil, until: Int64? = nil) {
        self.format = format
        self.minLevel = minLevel
        self.enrichment = enrichment
        self.since = since
        self.until = until
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
    /// Pre-encoded defaults; `constants` owns the bytes the `defaults` pointers point into.
    private let constants: ByteBuffer
    private var defaults: EntryWriter.Defaults
    private var sessionOrigin: ObjectIdentifier?
    private var sessionBytes = ByteBuffer(capacity: 64)
    private let minutes = UnsafeMutablePointer<MinuteCache>.allocate(capacity: 1)

    public init(options: EncoderOptions) {
        self.options = options
        meta.reserveCapacity(64)
        minutes.initialize(to: MinuteCache())
        let e = options.enrichment
        let parts = [e.serviceJSON, e.versionJSON, e.environmentJSON, e.hostJSON]
        constants = ByteBuffer(capacity: parts.reduce(0) { $0 + $1.count })
        var offsets: [Int] = []
        for p in parts { offsets.append(constants.count); constants.append(p) }
        let c = constants
        func slice(_ i: Int) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(start: c.base + offsets[i], count: parts[i].count)
        }
        defaults = EntryWriter.Defaults(service: slice(0), version: slice(1), environment: slice(2), host: slice(3),
                                        session: UnsafeBufferPointer(start: sessionBytes.base, count: 0))
    }

    deinit { minutes.deallocate() }

    public func encode(_ raw: RawBatch, into output: ByteBuffer) -> EncodedBatch {
        let batch = EncodedBatch(output: output, close: raw.close, origin: raw.origin, inputBytes: raw.inputBytes)
        batch.position = raw.position
        batch.firstReadMillis = raw.lines.first?.readMillis
        output.reserve(raw.buffer.count + raw.lines.count * 200)
        batch.entries.reserveCapacity(raw.lines.count)
        useSession(of: raw.origin)
        let defaults = self.defaults
        var stats = BatchStats()
        stats.linesIn = raw.lines.count
        // Read once: the options struct holds reference-counted strings, and a copy per line shows in profiles.
        let format = options.format, minLevel = options.minLevel, since = options.since, until = options.until
        // The metadata scratch array, owned locally for the batch (no property access or retain per line); each
        // entry's fields are a range of it, so it is cleared per batch, not per line.
        var meta = self.meta
        self.meta = []
        meta.removeAll(keepingCapacity: true)
        defer { self.meta = meta }
        for ref in raw.lines {
            let line = UnsafeBufferPointer(start: raw.buffer.base + Int(ref.start), count: Int(ref.length))
            var entry = ParsedEntry()
            // Joined continuation lines: the first line is the entry, the rest its stack trace.
            let head = ref.joined ? Self.firstLine(line) : line
            FormatDispatcher.parse(head, format: format, into: &entry, meta: &meta,
                                   context: ParseContext(readMillis: ref.readMillis, minutes: minutes))
            if ref.joined { Self.attachContinuation(line, head, &entry, &meta) }
            if entry.parseError { stats.parseErrors += 1 }
            let level = entry.level ?? .info
            guard level >= minLevel else { stats.filtered += 1; continue }
            if ref.truncated {
                stats.truncated += 1
                meta.append(MetaField(key: .literal(.truncated), value: .literal(.trueValue)))
                entry.metaCount += 1
            }
            let ts = entry.timestampMillis ?? ref.readMillis
            if let since, ts < since { stats.filtered += 1; continue }
            if let until, ts >= until { stats.filtered += 1; continue }
            meta.withUnsafeBufferPointer { m in
                EntryWriter.write(entry, level: level, timestamp: ts, line: line, meta: m, defaults: defaults,
                                  times: &timeFormatter, ids: &ids, readMillis: ref.readMillis, to: output)
            }
            batch.entries.append(EntryInfo(end: Int32(output.count), level: level, timestampMillis: ts))
            stats.levelCounts[Int(level.rawValue)] += 1
        }
        stats.entriesOut = batch.entries.count
        batch.stats = stats
        return batch
    }

    private static func firstLine(_ line: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        guard let nl = memchr(line.baseAddress!, 10, line.count) else { return line }
        var n = line.baseAddress!.distance(to: nl.assumingMemoryBound(to: UInt8.self))
        if n > 0, line[n - 1] == 13 { n -= 1 }
        return UnsafeBufferPointer(rebasing: line[0..<n])
    }

    private static func attachContinuation(_ line: UnsafeBufferPointer<UInt8>, _ head: UnsafeBufferPointer<UInt8>,
                                           _ entry: inout ParsedEntry, _ meta: inout [MetaField]) {
        var start = head.count
        while start < line.count, line[start] == 13 || line[start] == 10 { start += 1 }
        let rest = FieldValue(start: start, end: line.count, kind: .text, clean: false)
        if entry.stack.isPresent {
            meta.append(MetaField(key: .literal(.continuation), value: rest))
            entry.metaCount += 1
        } else {
            entry.stack = rest
        }
    }

    private func useSession(of origin: SourceOrigin) {
        let id = ObjectIdentifier(origin)
        guard sessionOrigin != id else { return }
        sessionOrigin = id
        let json = Enrichment.quoted(origin.sessionId)
        sessionBytes = ByteBuffer(capacity: json.count)
        sessionBytes.append(json)
        defaults.session = UnsafeBufferPointer(start: sessionBytes.base, count: sessionBytes.count)
    }
}
