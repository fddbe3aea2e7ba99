import Dispatch
import Foundation

/// Masks a text in blocks on Dispatch's global pool while the caller groups
/// earlier blocks, in order, on its own thread.
///
/// Blocks are byte ranges cut at line ends, so workers also find the lines.
/// At most `2 × cores` blocks are masked ahead of the one being grouped, which
/// bounds the memory used beyond the input itself.
enum ParallelMasking {
    /// Bytes per block (about 4,000 typical lines).
    static let blockBytes = 256 * 1024

    /// Calls `body` with every block of `text`, masked, in order.
    static func forEachBlock(text: UnsafeBufferPointer<UInt8>, body: (MaskedBlock) -> Void) {
        let ranges = blockRanges(text)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard ranges.count > 1, cores > 1 else {
            for r in ranges { body(MaskedBlock(text: text, range: r)) }
            return
        }
        let window = 2 * cores
        let slots = Slots(count: ranges.count)
        let shared = Shared(text: text)
        func submit(_ k: Int) {
            let range = ranges[k]
            DispatchQueue.global().async {
                if slots.claim(k) { slots.put(MaskedBlock(text: shared.text, range: range), at: k) }
            }
        }
        for k in 0..<min(window, ranges.count) { submit(k) }
        for k in ranges.indices {
            // Rather than wait for a block no worker has started, mask it here.
            let block = slots.claim(k) ? MaskedBlock(text: text, range: ranges[k]) : slots.take(k)
            if k + window < ranges.count { submit(k + window) }
            body(block)
        }
    }

    /// `text` cut into ranges of about ``blockBytes``, each ending just after a LF (or at the end).
    static func blockRanges(_ text: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        guard let base = text.baseAddress else { return ranges }
        var start = 0
        while start < text.count {
            var end = min(text.count, start + blockBytes)
            if end < text.count, let hit = memchr(base + end, 0x0A, text.count - end) {
                end = base.distance(to: hit.assumingMemoryBound(to: UInt8.self)) + 1
            } else {
                end = text.count
            }
            ranges.append(start..<end)
            start = end
        }
        return ranges
    }

    /// Runs `body(k)` for `k` in `0..<count` on the pool (or inline on one core).
    static func forEach(_ count: Int, _ body: @Sendable (Int) -> Void) {
        if count <= 1 || ProcessInfo.processInfo.activeProcessorCount < 2 {
            for k in 0..<count { body(k) }
        } else {
            DispatchQueue.concurrentPerform(iterations: count, execute: body)
        }
    }

    /// The input shared with workers; it outlives them because
    /// ``forEachBlock(text:body:)`` waits for every block.
    private struct Shared: @unchecked Sendable {
        let text: UnsafeBufferPointer<UInt8>
    }

    /// One slot per block, each claimed once (by a worker or the caller), filled
    /// once by a worker and taken once by the caller.
    private final class Slots: @unchecked Sendable {
        private var blocks: [MaskedBlock?]
        private var claimed: [Bool]
        private let ready: [DispatchSemaphore]
        private let lock = NSLock()

        init(count: Int) {
            blocks = Array(repeating: nil, count: count)
            claimed = Array(repeating: false, count: count)
            ready = (0..<count).map { _ in DispatchSemaphore(value: 0) }
        }

        /// True for the first caller only: that one masks block `k`.
        func claim(_ k: Int) -> Bool {
            lock.withLock {
                if claimed[k] { return false }
                claimed[k] = true
                return true
            }
        }

        func put(_ block: MaskedBlock, at k: Int) {
            lock.withLock { blocks[k] = block }
            ready[k].signal()
        }

        func take(_ k: Int) -> MaskedBlock {
            ready[k].wait()
            return lock.withLock {
                let block = blocks[k]!
                blocks[k] = nil
                return block
            }
        }
    }
}
