#if canImport(Glibc)
import Glibc
#endif

/// Dedup (`--dedup WINDOW`): identical consecutive messages from one source within the window collapse, as in
/// rsyslog's "last message repeated N times". The first occurrence goes on at once, in place; of the N repeats
/// after it only the last is kept, where the run ends, with `metadata.repeated = N` (it stands for N entries,
/// itself included; the run had N + 1). "Identical" is the same level and the same message text (other fields
/// may differ: the kept repeat has its own time, IDs and metadata); a run ends at a different message, at a
/// repeat past the window (counted from the run's first entry), or at the end of the batch.
///
/// Runs never span batches (a batch holds the lines of one source, and batches of one source may be encoded by
/// different workers in parallel): the entry for the repeats is written at the end of its batch, and the next
/// batch starts over with its first occurrence. So nothing is ever held back — urgent entries (ERROR, FATAL) are
/// never delayed — and a long flood becomes at most two entries per batch (`--batch-max-entries`,
/// `--batch-timeout`).
///
/// A value working on an encoded batch (segment lines), after the level filter: `collapse` is the whole stage.
public struct DedupStage: Sendable {
    public let windowMillis: Int64

    public init(windowMillis: Int64) { self.windowMillis = windowMillis }

    /// The run in progress: its first entry (index in the batch), its last repeat, and how many repeats it has.
    private struct Run {
        var first: Int
        var last: Int
        var repeats = 0
    }

    /// Rewrites `batch` with its runs collapsed (the entries, their bytes and the counts); `scratch` is working
    /// space. Returns how many entries were left out.
    @discardableResult
    public func collapse(_ batch: EncodedBatch, scratch: ByteBuffer) -> Int {
        let n = batch.entries.count
        guard n > 1 else { return 0 }
        let base = batch.output.base
        scratch.removeAll()
        scratch.reserve(batch.output.count + 64)
        var kept: [EntryInfo] = []
        kept.reserveCapacity(n)
        var run: Run?
        var runs = 0
        func keep(_ i: Int) {
            let s = batch.start(of: i), e = Int(batch.entries[i].end)
            scratch.append(base + s, e - s)
            var info = batch.entries[i]
            info.end = Int32(scratch.count)
            kept.append(info)
        }
        func close(_ r: Run) {
            guard r.repeats > 0 else { return }
            runs += 1
            let s = batch.start(of: r.last), e = Int(batch.entries[r.last].end)
            Self.writeRepeated(UnsafeBufferPointer(start: base + s, count: e - s), repeats: r.repeats, to: scratch)
            var info = batch.entries[r.last]
            info.end = Int32(scratch.count)
            kept.append(info)
        }
        for i in 0..<n {
            let info = batch.entries[i]
            if var r = run, info.level == batch.entries[r.first].level,
               info.timestampMillis - batch.entries[r.first].timestampMillis <= windowMillis,
               sameMessage(batch, r.first, i) {
                r.repeats += 1
                r.last = i
                run = r
                continue
            }
            if let r = run { close(r) }
            keep(i)
            run = Run(first: i, last: i)
        }
        if let r = run { close(r) }
        guard runs > 0 else { return 0 }
        let collapsed = n - kept.count // the repeats left out: each run's count minus the one kept
        batch.output.removeAll()
        batch.output.append(scratch.bytes)
        batch.entries = kept
        batch.stats.entriesOut = kept.count
        batch.stats.collapsed += collapsed
        batch.stats.levelCounts = [Int](repeating: 0, count: 5)
        for e in kept { batch.stats.levelCounts[Int(e.level.rawValue)] += 1 }
        return collapsed
    }

    /// True when entries `a` and `b` have the same message (compared as encoded: equal text, equal bytes).
    private func sameMessage(_ batch: EncodedBatch, _ a: Int, _ b: Int) -> Bool {
        guard let x = Self.message(batch, a), let y = Self.message(batch, b), x.count == y.count else { return false }
        return memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0
    }

    /// The message of entry `i` as encoded (with its quotes): after `"level":"<LEVEL>","message":`.
    static func message(_ batch: EncodedBatch, _ i: Int) -> UnsafeBufferPointer<UInt8>? {
        let s = batch.start(of: i), e = Int(batch.entries[i].end)
        let p = batch.output.base + s, n = e - s
        let levelLength = batch.entries[i].level.name.utf8.count
        let from = SegmentLine.levelAt + levelLength + 12 // `","message":`
        guard from < n, p[from] == 0x22 else { return nil }
        var j = from + 1
        while j < n {
            if p[j] == 0x5c { j += 2; continue }
            if p[j] == 0x22 { return UnsafeBufferPointer(start: p + from, count: j + 1 - from) }
            j += 1
        }
        return nil
    }

    private static let metadataKey = Array(#"},"metadata":{"#.utf8)
    private static let stackKey = Array(#","stack":""#.utf8)

    /// `line` (a segment line with its newline) with `"repeated":N` first in its metadata (an object of its own
    /// when it has none). The unescaped-quote keys searched for cannot occur
    /// inside a JSON string, and `},"metadata":{` first occurs where the context ends.
    static func writeRepeated(_ line: UnsafeBufferPointer<UInt8>, repeats: Int, to out: ByteBuffer) {
        let p = line.baseAddress!, n = line.count
        func find(_ needle: [UInt8]) -> Int? { ByteSearch.find(p, n, needle) }
        if let m = find(Self.metadataKey) {
            let at = m + Self.metadataKey.count
            out.append(p, at)
            out.append(string: "\"repeated\":\(repeats)")
            if p[at] != 0x7d { out.append(0x2c) }
            out.append(p + at, n - at)
        } else {
            let at = find(Self.stackKey) ?? (n - 2) // before `,"stack":` or the closing `}` and newline
            out.append(p, at)
            out.append(string: ",\"metadata\":{\"repeated\":\(repeats)}")
            out.append(p + at, n - at)
        }
    }
}
