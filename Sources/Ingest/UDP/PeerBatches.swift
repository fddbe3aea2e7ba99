import Pipeline

/// The UDP source's per-peer state: each sender address gets its own origin (a session ID, UUIDv7) and batch,
/// since a `RawBatch` carries one origin.
///
/// Peers live in an LRU cache of `peerLimit` entries (a forgotten peer that comes back gets a new session ID);
/// batches with lines waiting are listed for the timeout, at most `pendingLimit` of them (past that, all are cut,
/// which bounds memory when many peers trickle). Used by the receiving thread only.
struct PeerBatches {
    private var cache: LRUCache<PeerAddress, PeerBatch>
    private var pending: [PeerBatch] = []
    private var lastAddress: PeerAddress?
    private var last: PeerBatch?
    private var ids = UUIDv7Generator()
    private let timeoutMillis: Int64
    private let pendingLimit: Int
    private let pool: BufferPool?
    private let initialCapacity: Int
    /// When the oldest waiting batch times out (`.max` when none waits).
    private(set) var nextDeadline = Int64.max
    private(set) var peersSeen = 0

    init(options: FramingOptions, peerLimit: Int, pendingLimit: Int, pool: BufferPool?) {
        cache = LRUCache(capacity: peerLimit)
        timeoutMillis = Int64(max(options.batchTimeoutMillis, 0))
        self.pendingLimit = max(pendingLimit, 1)
        self.pool = pool
        // Small first, grown on demand (recycled pool buffers are usually larger): many quiet peers stay cheap.
        initialCapacity = min(options.batchMaxBytes, 64 * 1024) + DatagramReceiver.slotBytes
    }

    /// The batch for a sender; a new sender gets a session ID (evicting the least recently heard one when full,
    /// whose waiting lines go out first).
    @inline(__always)
    mutating func batch(for address: PeerAddress, now: Int64, emit: (RawBatch) -> Void) -> PeerBatch {
        if address == lastAddress, let last { return last }
        let batch: PeerBatch
        if let known = cache.get(address) {
            batch = known
        } else {
            let origin = SourceOrigin(name: address.name, sessionId: ids.string(millis: now))
            batch = PeerBatch(origin: origin, pool: pool, initialCapacity: initialCapacity)
            peersSeen += 1
            if let evicted = cache.insert(address, batch), let lines = evicted.value.take(close: .timeout) {
                emit(lines)
            }
        }
        lastAddress = address
        last = batch
        return batch
    }

    /// Lists a batch that has lines waiting for its timeout (after framing a datagram into it).
    @inline(__always)
    mutating func noteWaiting(_ batch: PeerBatch, emit: (RawBatch) -> Void) {
        guard !batch.listed, let oldest = batch.oldestMillis else { return }
        if pending.count >= pendingLimit { cutAll(close: .full, emit: emit) }
        batch.listed = true
        pending.append(batch)
        nextDeadline = min(nextDeadline, oldest + timeoutMillis)
    }

    /// Cuts the batches whose oldest line has waited the batch timeout.
    mutating func cutExpired(now: Int64, emit: (RawBatch) -> Void) {
        guard now >= nextDeadline else { return }
        nextDeadline = .max
        var kept = 0
        for batch in pending {
            if let oldest = batch.oldestMillis, oldest + timeoutMillis > now {
                nextDeadline = min(nextDeadline, oldest + timeoutMillis)
                pending[kept] = batch
                kept += 1
                continue
            }
            batch.listed = false
            if let lines = batch.take(close: .timeout) { emit(lines) }
        }
        pending.removeLast(pending.count - kept)
    }

    /// Cuts every waiting batch (at stop: `.end`).
    mutating func cutAll(close: BatchClose, emit: (RawBatch) -> Void) {
        for batch in pending {
            batch.listed = false
            if let lines = batch.take(close: close) { emit(lines) }
        }
        pending.removeAll(keepingCapacity: true)
        nextDeadline = .max
    }
}
