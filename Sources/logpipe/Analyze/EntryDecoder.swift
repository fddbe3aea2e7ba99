import Dispatch
import Foundation
import Pipeline

/// Decodes entry lines into ``AnalysisEntry`` values in parallel (JSONSerialization
/// is the slow part), handing them on in input order.
///
/// Lines are gathered until about ``flushBytes``, then cut into one piece per
/// core, decoded concurrently and delivered piece by piece.
final class EntryDecoder {
    static let flushBytes = 8 << 20
    private var pending: [UInt8] = []
    private let deliver: ([AnalysisEntry]) -> Void
    /// Lines that were not entries (not JSON, or no timestamp or level).
    private(set) var skipped = 0

    init(deliver: @escaping ([AnalysisEntry]) -> Void) {
        self.deliver = deliver
        pending.reserveCapacity(Self.flushBytes + (1 << 20))
    }

    /// Adds whole lines (each ending in LF).
    func add(_ lines: UnsafeBufferPointer<UInt8>) {
        pending.append(contentsOf: lines)
        if pending.count >= Self.flushBytes { flush() }
    }

    func flush() {
        guard !pending.isEmpty else { return }
        let text = pending
        pending.removeAll(keepingCapacity: true)
        let pieces = Self.pieces(text, count: max(1, ProcessInfo.processInfo.activeProcessorCount * 2))
        let results = Results(count: pieces.count)
        DispatchQueue.concurrentPerform(iterations: pieces.count) { k in
            results.set(k, Self.decode(text, pieces[k]))
        }
        for k in pieces.indices {
            let (entries, bad) = results.get(k)
            skipped += bad
            deliver(entries)
        }
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

    static func decode(_ text: [UInt8], _ range: Range<Int>) -> ([AnalysisEntry], Int) {
        var entries: [AnalysisEntry] = []
        var bad = 0
        var start = range.lowerBound
        while start < range.upperBound {
            var end = start
            while end < range.upperBound && text[end] != 0x0A { end += 1 }
            if end > start {
                let line = text[start..<end]
                if let e = line.withUnsafeBytes({ AnalysisEntry(jsonLine: Data($0)) }) {
                    entries.append(e)
                } else if !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) {
                    bad += 1
                }
            }
            start = end + 1
        }
        return (entries, bad)
    }

    private final class Results: @unchecked Sendable {
        private var items: [([AnalysisEntry], Int)]
        private let lock = NSLock()
        init(count: Int) { items = Array(repeating: ([], 0), count: count) }
        func set(_ k: Int, _ v: ([AnalysisEntry], Int)) { lock.withLock { items[k] = v } }
        func get(_ k: Int) -> ([AnalysisEntry], Int) { lock.withLock { items[k] } }
    }
}
