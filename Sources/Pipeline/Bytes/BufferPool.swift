import Foundation

/// Recycles batch buffers between stages, so the hot path stops asking the kernel for fresh (faulting, zeroed)
/// pages on every batch. Thread-safe; keeps at most `limit` idle buffers (the pipeline's in-flight bound keeps
/// the number in use bounded too).
public final class BufferPool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [ByteBuffer] = []
    private let limit: Int

    public init(limit: Int = 16) { self.limit = limit }

    /// An empty buffer with at least `capacity` bytes.
    public func take(capacity: Int) -> ByteBuffer {
        lock.lock()
        if let i = idle.lastIndex(where: { $0.capacity >= capacity }) {
            let b = idle.remove(at: i)
            lock.unlock()
            b.removeAll()
            return b
        }
        lock.unlock()
        return ByteBuffer(capacity: capacity)
    }

    /// Gives a buffer back; the caller must not use it afterwards.
    public func give(_ buffer: ByteBuffer) {
        guard buffer.capacity >= 4096 else { return } // a tiny one (an empty marker batch's) would only hold a slot
        lock.lock()
        if idle.count < limit { idle.append(buffer) }
        lock.unlock()
    }
}
