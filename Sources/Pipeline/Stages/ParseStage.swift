#if canImport(Glibc)
import Glibc
#endif

/// Parse: one framed line → a ``ParsedEntry`` (JSON, logfmt, syslog or plain text, per line with `auto`), with
/// joined continuation lines as its stack and a cut line marked `metadata.truncated`. A line that does not parse
/// is data: it is kept as plain text and counted (`parseError`).
///
/// A value: the batch encoder runs it per line in its loop; `parse(_:)` runs it on a whole batch in memory.
public struct ParseStage: Sendable {
    public let format: InputFormat

    public init(format: InputFormat) { self.format = format }

    /// Parses the line `ref` of `raw` into `entry`, its unmapped fields appended to `meta`.
    @inline(__always)
    public func parse(_ line: UnsafeBufferPointer<UInt8>, _ ref: LineRef, into entry: inout ParsedEntry,
                      meta: inout [MetaField], minutes: UnsafeMutablePointer<MinuteCache>) {
        // Joined continuation lines: the first line is the entry, the rest its stack trace.
        let head = ref.joined ? Self.firstLine(line) : line
        FormatDispatcher.parse(head, format: format, into: &entry, meta: &meta,
                               context: ParseContext(readMillis: ref.readMillis, minutes: minutes))
        if ref.joined { Self.attachContinuation(line, head, &entry, &meta) }
        if ref.truncated {
            meta.append(MetaField(key: .literal(.truncated), value: .literal(.trueValue)))
            entry.metaCount += 1
        }
    }

    /// A whole batch parsed in memory: one entry per line, their metadata fields in one shared array.
    public func parse(_ raw: RawBatch) -> (entries: [ParsedEntry], meta: [MetaField]) {
        let minutes = UnsafeMutablePointer<MinuteCache>.allocate(capacity: 1)
        minutes.initialize(to: MinuteCache())
        defer { minutes.deallocate() }
        var entries: [ParsedEntry] = []
        var meta: [MetaField] = []
        for ref in raw.lines {
            var entry = ParsedEntry()
            parse(raw.line(ref), ref, into: &entry, meta: &meta, minutes: minutes)
            entries.append(entry)
        }
        return (entries, meta)
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
}

extension RawBatch {
    /// The bytes of line `ref`.
    @inline(__always)
    public func line(_ ref: LineRef) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: buffer.base + Int(ref.start), count: Int(ref.length))
    }
}
