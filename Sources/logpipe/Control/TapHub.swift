import Foundation
import Pipeline
import Synchronization

/// The taps attached to a run. The pipeline asks `attached` once per batch — one relaxed atomic load — and does
/// nothing more while nobody taps; with taps attached it offers the batch to each (``Tap/offer``), which copies
/// or drops but never waits for a client.
final class TapHub: @unchecked Sendable {
    private let count = Atomic<Int>(0)
    private let parsedCount = Atomic<Int>(0)
    private let lock = NSLock()
    private var taps: [Tap] = []

    /// True while any tap is attached (the per-batch check on the delivery queue).
    @inline(__always) var attached: Bool { count.load(ordering: .relaxed) > 0 }
    /// True while a tap at `parsed` is attached (the per-batch check in the workers).
    @inline(__always) var parsedAttached: Bool { parsedCount.load(ordering: .relaxed) > 0 }

    func attach(_ tap: Tap) {
        lock.withLock { taps.append(tap) }
        if tap.point == .parsed { parsedCount.add(1, ordering: .relaxed) }
        count.add(1, ordering: .relaxed)
    }

    func detach(_ tap: Tap) {
        lock.withLock { taps.removeAll { $0 === tap } }
        if tap.point == .parsed { parsedCount.subtract(1, ordering: .relaxed) }
        count.subtract(1, ordering: .relaxed)
    }

    /// A batch at `parsed` (a worker thread).
    func parsed(_ batch: EncodedBatch) {
        for tap in current() where tap.point == .parsed {
            tap.offer(batch.output.bytes, entries: batch.entries.count)
        }
    }

    /// A delivered batch (the delivery queue): every delivered tap gets it; each filters by its floor itself.
    func delivered(_ batch: EncodedBatch) {
        for tap in current() where tap.point != .parsed {
            tap.offer(batch.output.bytes, entries: batch.entries.count)
        }
    }

    private func current() -> [Tap] { lock.withLock { taps } }
}
