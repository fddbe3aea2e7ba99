/// Reads the level and time of a line in the segment format without parsing JSON.
///
/// Segment lines start `{"timestamp":"<24 bytes>","level":"<LEVEL>"`, so both sit at fixed offsets; a line of
/// another shape is not a segment line (nil).
public enum SegmentLine {
    static let prefix: StaticString = "{\"timestamp\":\""
    /// Offset of the timestamp's first byte.
    public static let timestampAt = 14
    /// Offset of the level's first byte: after `{"timestamp":"` + 24 + `","level":"`.
    public static let levelAt = 14 + 24 + 11

    /// Level and time of the line at `p` (without or with its newline); nil when the line is not of the format.
    @inline(__always) public static func info(_ p: UnsafePointer<UInt8>, _ n: Int) -> (level: Level, millis: Int64)? {
        guard n > levelAt + 6, memcmp(p, prefix.utf8Start, timestampAt) == 0,
              let level = level(initial: p[levelAt]),
              let t = TimestampParser.parseISO(UnsafeBufferPointer(start: p + timestampAt, count: 24), 0, 24),
              t.end == 24 else { return nil }
        return (level, t.millis)
    }

    @inline(__always) public static func level(initial c: UInt8) -> Level? {
        switch c {
        case UInt8(ascii: "D"): .debug
        case UInt8(ascii: "I"): .info
        case UInt8(ascii: "W"): .warn
        case UInt8(ascii: "E"): .error
        case UInt8(ascii: "F"): .fatal
        default: nil
        }
    }

    /// Builds an encoded batch from complete segment lines (each ending in `\n`) for re-writing into a sink;
    /// lines not of the format are left out and counted in `rejected`.
    public static func batch(from lines: ByteBuffer, origin: SourceOrigin, close: BatchClose = .end)
        -> (batch: EncodedBatch, rejected: Int) {
        let out = ByteBuffer(capacity: lines.count)
        let batch = EncodedBatch(output: out, close: close, origin: origin, inputBytes: 0)
        var rejected = 0
        var start = 0
        let base = lines.base
        while start < lines.count {
            guard let nl = memchr(base + start, 10, lines.count - start) else { rejected += 1; break }
            let end = base.distance(to: nl.assumingMemoryBound(to: UInt8.self)) + 1
            if let info = info(base + start, end - start) {
                out.append(base + start, end - start)
                batch.entries.append(EntryInfo(end: Int32(out.count), level: info.level, timestampMillis: info.millis))
                batch.stats.levelCounts[Int(info.level.rawValue)] += 1
            } else {
                rejected += 1
            }
            start = end
        }
        batch.stats.linesIn = batch.entries.count + rejected
        batch.stats.entriesOut = batch.entries.count
        return (batch, rejected)
    }
}

#if canImport(Glibc)
import Glibc
#endif
