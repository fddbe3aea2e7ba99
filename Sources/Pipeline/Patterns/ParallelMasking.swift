import Dispatch
import Foundation

/// Masks lines in blocks on Dispatch's global pool while the caller groups
/// earlier blocks, in order, on its own thread.
///
/// At most ``window`` blocks are masked ahead of the one being grouped, which
/// bounds the memory used beyond the input itself.
enum ParallelMasking {
    /// Lines per block.
    static let blockSize = 4096

    /// Calls `body` with every block of `lines` (ranges of `text`), masked, in order.
    static func forEachBlock(
        text: UnsafeBufferPointer<UInt8>, lines: [Range<Int>], body: (MaskedBlock) -> Void
    ) {
        let blockCount = (lines.count + blockSize - 1) / blockSize
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard blockCount > 1, cores > 1 else {
            if !lines.isEmpty { body(MaskedBlock(text: text, lines: lines[...])) }
            return
        }
        let window = 2 * cores
        let slots = Slots(count: blockCount)
        let shared = Shared(text: text, lines: lines)
        func submit(_ k: Int) {
            DispatchQueue.global().async {
                let range = (k * blockSize)..<min(shared.lines.count, (k + 1) * blockSize)
                slots.put(MaskedBlock(text: shared.text, lines: shared.lines[range]), at: k)
            }
        }
        for k in 0..<min(window, blockCount) { submit(k) }
        for k in 0..<blockCount {
            let block = slots.take(k)
            if k + window < blockCount { submit(k + window) }
            body(block)
        }
    }

    /// The input shared with workers; it outlives them because
    /// ``forEachBlock(text:lines:body:)`` waits for every block.
    private struct Shared: @unchecked Sendable {
        let text: UnsafeBufferPointer<UInt8>
        let lines: [Range<Int>]
    }

    /// One slot per block, each filled once by a worker and taken once by the caller.
    private final class Slots: @unchecked Sendable {
        private var blocks: [MaskedBlock?]
        private let ready: [DispatchSemaphore]
        private let lock = NSLock()

        init(count: Int) {
            blocks = Array(repeating: nil, count: count)
            ready = (0..<count).map { _ in DispatchSemaphore(value: 0) }
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
