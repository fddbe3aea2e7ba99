import Foundation
import Pipeline

/// A bounded queue of batches between the receiving thread and the pipeline, drained by a thread of its own.
///
/// The pipeline may pause its input for a while (a segment being finalized and fsynced, a busy machine); a file
/// waits, UDP does not. Without this, the receiving thread would block in `emit` and only the kernel's receive
/// buffer would hold the datagrams, at about 1 KiB of accounting each. Queued here, a datagram costs its bytes:
/// 64 MiB holds seconds of traffic. When even this is full, `put` blocks, the kernel buffer fills and the drops
/// are counted there. Order is kept (one forwarding thread).
final class BatchHandoff: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [RawBatch] = []
    private var head = 0
    private var queuedBytes = 0
    private var closed = false
    let maxBytes: Int
    /// The most bytes that waited at once.
    private(set) var peakBytes = 0

    init(maxBytes: Int) { self.maxBytes = max(maxBytes, 1) }

    /// Queues a batch; blocks while the queue holds `maxBytes` or more.
    func put(_ batch: RawBatch) {
        condition.lock()
        while queuedBytes >= maxBytes, !closed { condition.wait() }
        queue.append(batch)
        queuedBytes += batch.buffer.count
        peakBytes = max(peakBytes, queuedBytes)
        condition.broadcast()
        condition.unlock()
    }

    /// The next batch, waiting for one; nil once closed and empty.
    func take() -> RawBatch? {
        condition.lock()
        defer { condition.unlock() }
        while head == queue.count, !closed { condition.wait() }
        guard head < queue.count else { return nil }
        let batch = queue[head]
        head += 1
        if head == queue.count || head >= 1024 {
            queue.removeFirst(head)
            head = 0
        }
        queuedBytes -= batch.buffer.count
        condition.broadcast()
        return batch
    }

    /// No more batches: `take` returns what is left, then nil.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Runs `body` with a `put` while a thread forwards every queued batch to `emit`, in order; returns once all
    /// of them were forwarded.
    static func forwarding<T>(maxBytes: Int, to emit: (RawBatch) -> Void,
                              _ body: (BatchHandoff) throws -> T) rethrows -> (T, peakBytes: Int) {
        try withoutActuallyEscaping(emit) { emit in
            let handoff = BatchHandoff(maxBytes: maxBytes)
            let forward = Forward(emit: emit)
            let done = DispatchSemaphore(value: 0)
            let thread = Thread {
                while let batch = handoff.take() { forward.emit?(batch) }
                done.signal()
            }
            thread.name = "udp-handoff"
            thread.start()
            defer {
                handoff.close()
                done.wait()
                forward.emit = nil // the thread object may outlive this call; `emit` must not
            }
            return (try body(handoff), handoff.peakBytes)
        }
    }

    private final class Forward: @unchecked Sendable {
        var emit: ((RawBatch) -> Void)?
        init(emit: @escaping (RawBatch) -> Void) { self.emit = emit }
    }
}
