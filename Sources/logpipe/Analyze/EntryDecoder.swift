import Dispatch
import Foundation
import Pipeline

/// Decodes entry lines into ``AnalysisEntry`` values in parallel and hands them on in input order, on a serial
/// queue of its own, so that the ordered analysis of one block runs while the next is read and decoded.
///
/// Lines are gathered until about ``flushBytes``, then cut into one piece per core, scanned concurrently
/// (``AnalysisEntryScanner``; JSONSerialization only for lines the scanner refuses), the order-free part of
/// the analysis (``LogAnalysis/Tally``) counted on the same threads, and queued for `deliver`.
/// At most ``maxQueued`` blocks wait for delivery, which bounds memory. `deliver` runs on the delivery queue
/// only; call ``finish()`` before reading what it built.
final class EntryDecoder: @unchecked Sendable {
    static let flushBytes = 4 << 20
    static let maxQueued = 3
    private var pending: [UInt8] = []
    private let deliver: ([AnalysisEntry]) -> Void
    /// The order-free part, merged on a queue of its own (off the ordered path); `merged` is touched there only.
    private let tallyQueue = DispatchQueue(label: "logpipe.analyze.tally")
    private var merged = LogAnalysis.Tally()
    private let queue = DispatchQueue(label: "logpipe.analyze.deliver")
    private let slots = DispatchSemaphore(value: EntryDecoder.maxQueued)
    private let analysisFieldsOnly: Bool
    private let lock = NSLock()
    private var skippedCount = 0
    /// Lines that were not entries (not JSON, or no timestamp or level).
    var skipped: Int { lock.withLock { skippedCount } }

    /// `analysisFieldsOnly`: decode only what ``LogAnalysis`` reads (see ``AnalysisEntryScanner``).
    init(analysisFieldsOnly: Bool = false, deliver: @escaping ([AnalysisEntry]) -> Void) {
        self.deliver = deliver
        self.analysisFieldsOnly = analysisFieldsOnly
        pending.reserveCapacity(Self.flushBytes + (1 << 20))
    }

    /// Adds whole lines (each ending in LF).
    func add(_ lines: UnsafeBufferPointer<UInt8>) {
        pending.append(contentsOf: lines)
        if pending.count >= Self.flushBytes { flush() }
    }

    /// Queues what is pending for decoding (on the global pool) and then delivery (in order); returns at once
    /// unless ``maxQueued`` blocks are already on their way.
    func flush() {
        guard !pending.isEmpty else { return }
        let block = Block(text: pending)
        pending = []
        pending.reserveCapacity(Self.flushBytes + (1 << 20))
        let pieces = Self.pieces(block.text, count: max(1, ProcessInfo.processInfo.activeProcessorCount))
        let results = Results(count: pieces.count)
        let fieldsOnly = analysisFieldsOnly
        let group = DispatchGroup()
        slots.wait()
        for (k, range) in pieces.enumerated() {
            DispatchQueue.global().async(group: group) {
                block.text.withUnsafeBufferPointer { all in
                    let (entries, bad) = Self.decode(all, range, analysisFieldsOnly: fieldsOnly)
                    var tally = LogAnalysis.Tally()
                    for e in entries { tally.add(e) }
                    results.set(k, (entries, bad, tally))
                }
            }
        }
        queue.async { [self] in
            group.wait()
            var bad = 0
            for k in pieces.indices {
                let (entries, skipped, tally) = results.get(k)
                bad += skipped
                tallyQueue.async { [self] in merged.merge(tally) }
                deliver(entries)
            }
            lock.withLock { skippedCount += bad }
            slots.signal()
        }
    }

    /// Decodes the rest, waits until every entry is delivered and returns the order-free part of the analysis
    /// of all of them.
    func finish() -> LogAnalysis.Tally {
        flush()
        queue.sync {}
        return tallyQueue.sync { merged }
    }

    /// `text` cut at line ends into about `count` ranges.
    static func pieces(_ text: [UInt8], count: Int) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        let size = max(1, text.count / count)
        var start = 0
        while start < text.count {
            var end = min(text.count, start + size)
            while end < text.count && text[end - 1] != 0x0A { end += 1 }
            ranges.append(start..<end)
            start = end
        }
        return ranges
    }

    static func decode(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>,
                       analysisFieldsOnly: Bool = false) -> ([AnalysisEntry], Int) {
        var scanner = AnalysisEntryScanner(analysisFieldsOnly: analysisFieldsOnly)
        var entries: [AnalysisEntry] = []
        entries.reserveCapacity(range.count / 200)
        var bad = 0
        guard let base = text.baseAddress else { return ([], 0) }
        var start = range.lowerBound
        while start < range.upperBound {
            let end = memchr(base + start, 0x0A, range.upperBound - start)
                .map { base.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? range.upperBound
            if end > start {
                let line = UnsafeBufferPointer(start: base + start, count: end - start)
                if let e = scanner.entry(line) ?? AnalysisEntry(jsonLine: Data(line)) {
                    entries.append(e)
                } else if !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) {
                    bad += 1
                }
            }
            start = end + 1
        }
        return (entries, bad)
    }

    /// One block of lines, shared by the workers that decode its pieces.
    private final class Block: @unchecked Sendable {
        let text: [UInt8]
        init(text: [UInt8]) { self.text = text }
    }

    private final class Results: @unchecked Sendable {
        private var items: [([AnalysisEntry], Int, LogAnalysis.Tally)]
        private let lock = NSLock()
        init(count: Int) { items = Array(repeating: ([], 0, LogAnalysis.Tally()), count: count) }
        func set(_ k: Int, _ v: ([AnalysisEntry], Int, LogAnalysis.Tally)) { lock.withLock { items[k] = v } }
        func get(_ k: Int) -> ([AnalysisEntry], Int, LogAnalysis.Tally) {
            lock.withLock { defer { items[k] = ([], 0, LogAnalysis.Tally()) }; return items[k] }
        }
    }
}
