import Foundation
import Pipeline

/// The one path between a network input's event loops and the topology, shared by every protocol (TCP/TLS
/// syslog, HTTP, OTLP, Fluent forward):
///
/// - `offer` queues a batch from any thread without blocking. The queue is bounded in bytes; when it is full the
///   batch is refused and the caller applies back-pressure: a TCP input stops reading (and asks `whenRoom` to be
///   told when to read again), an HTTP input answers 503 with `Retry-After`.
/// - `run` is the body of the source's `Source.run`: it forwards queued batches to `emit` in order, on the
///   source thread (where `emit` may block: that is the pipeline's back-pressure, which fills this queue).
/// - Every queued batch carries a position (key: the input's name, offset: a sequence number). When the topology
///   acknowledges a position, every reply registered up to it fires with `true`: the client's acknowledgement
///   (HTTP 200, a forward `ack`) is sent only once its entries are durable in every sink.
/// - `close` (from `Source.afterRun`, after the run's last acknowledgement round) answers every reply that never
///   became durable with `false` (503), so no client is told "kept" for data that was not.
///
/// At stop, `run` calls `drain` once: the protocol cuts its connections' partial batches and offers them, which
/// are taken even past the bound, and then the queue is closed and emptied into `emit`.
public final class NetworkIntake: @unchecked Sendable {
    public typealias Reply = @Sendable (_ durable: Bool) -> Void

    public enum Offer: Sendable, Equatable {
        /// Queued; its reply fires once the batch is durable (or at `close` with `false`).
        case queued
        /// The queue is full: nothing was taken; apply back-pressure.
        case full
        /// The input is stopping: nothing was taken.
        case stopped
    }

    /// The key of this input's positions (its name as the user gave it).
    public let key: String
    public let maxQueuedBytes: Int
    private let condition = NSCondition()
    private var queue: [RawBatch] = []
    private var head = 0
    private var queuedBytes = 0
    private var sequence: Int64 = 0
    /// Replies by the sequence number of their batch, ascending.
    private var replies: [(sequence: Int64, reply: Reply)] = []
    private var replyHead = 0
    private var roomWaiters: [@Sendable () -> Void] = []
    private var draining = false, closed = false
    private var acknowledgedSequence: Int64 = 0
    private(set) var peakQueuedBytes = 0

    /// Where queued entries are counted (`logpipe_input_entries_total`): here, so the figure means the same for
    /// every protocol — entries taken into the pipeline, whether or not their sender waits for an answer.
    private let counters: NetworkCounters?

    public init(key: String, maxQueuedBytes: Int = 64 << 20, counters: NetworkCounters? = nil) {
        self.key = key
        self.maxQueuedBytes = max(maxQueuedBytes, 1)
        self.counters = counters
    }

    /// Queues `batch` (its position is set here) and registers `reply` for when it is durable.
    public func offer(_ batch: RawBatch, reply: Reply? = nil) -> Offer {
        condition.lock()
        defer { condition.unlock() }
        if closed { return .stopped }
        // One batch always fits into an empty queue, whatever its size.
        if !draining, queuedBytes > 0, queuedBytes + batch.buffer.count > maxQueuedBytes { return .full }
        sequence += 1
        batch.position = SourcePosition(key: key, offset: sequence)
        queue.append(batch)
        queuedBytes += batch.buffer.count
        peakQueuedBytes = max(peakQueuedBytes, queuedBytes)
        if let reply { replies.append((sequence, reply)) }
        condition.broadcast()
        counters?.received(entries: batch.lines.count)
        return .queued
    }

    /// Registers `reply` for when every batch offered so far is durable: a client's acknowledgement for entries
    /// that went out in earlier batches. Fires at once when they are (`true`) or the input closed (`false`).
    public func whenDurable(_ reply: @escaping Reply) {
        condition.lock()
        if closed || sequence <= acknowledgedSequence {
            let durable = sequence <= acknowledgedSequence
            condition.unlock()
            reply(durable)
            return
        }
        replies.append((sequence, reply))
        condition.unlock()
    }

    /// True while an offer of `bytes` would be taken.
    public func hasRoom(for bytes: Int = 1) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return !closed && (queuedBytes == 0 || queuedBytes + bytes <= maxQueuedBytes)
    }

    /// Calls `resume` once, on some thread, when the queue has drained to half its bound (at once if it has), or
    /// when the input stops. A paused connection reads again from there.
    public func whenRoom(_ resume: @escaping @Sendable () -> Void) {
        condition.lock()
        // While draining every offer is taken: a paused connection hands its held batches on at once.
        if closed || draining || queuedBytes <= maxQueuedBytes / 2 {
            condition.unlock()
            resume()
            return
        }
        roomWaiters.append(resume)
        condition.unlock()
    }

    /// Bytes waiting for the pipeline now.
    public var queued: Int {
        condition.lock()
        defer { condition.unlock() }
        return queuedBytes
    }

    /// Replies waiting for their batches to become durable.
    public var waitingReplies: Int {
        condition.lock()
        defer { condition.unlock() }
        return replies.count - replyHead
    }

    /// The body of `Source.run`: forwards batches to `emit` until `stop`; then `drain` (cut what the connections
    /// hold and offer it), and forwards everything queued before returning.
    public func run(stop: StopSignal, emit: (RawBatch) -> Void, drain: () -> Void) {
        while let batch = next(stop: stop) { emit(batch) }
        // Paused connections resume first (their held batches are taken now), then each cuts what it holds.
        wakeRoomWaiters()
        drain()
        condition.lock()
        closed = true
        condition.unlock()
        wakeRoomWaiters()
        while let batch = take() { emit(batch) }
    }

    private func wakeRoomWaiters() {
        condition.lock()
        let waiters = roomWaiters
        roomWaiters.removeAll()
        condition.unlock()
        waiters.forEach { $0() }
    }

    /// The next batch, or nil once `stop` fired (from then on offers are taken past the bound, for the drain).
    private func next(stop: StopSignal) -> RawBatch? {
        condition.lock()
        while head == queue.count {
            if stop.isTriggered {
                draining = true
                condition.unlock()
                return nil
            }
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.05))
        }
        condition.unlock()
        return take()
    }

    private func take() -> RawBatch? {
        condition.lock()
        guard head < queue.count else { condition.unlock(); return nil }
        let batch = queue[head]
        head += 1
        if head == queue.count || head >= 1024 {
            queue.removeFirst(head)
            head = 0
        }
        queuedBytes -= batch.buffer.count
        var waiters: [@Sendable () -> Void] = []
        if !roomWaiters.isEmpty, queuedBytes <= maxQueuedBytes / 2 {
            waiters = roomWaiters
            roomWaiters.removeAll()
        }
        condition.unlock()
        waiters.forEach { $0() }
        return batch
    }

    /// `Source.acknowledge`: the replies of every batch up to the acknowledged position fire with `true`.
    public func acknowledge(_ positions: [SourcePosition]) {
        guard let offset = positions.last(where: { $0.key == key })?.offset else { return }
        fire(upTo: offset, durable: true)
    }

    /// `Source.afterRun`: replies whose batches never became durable fire with `false`; later offers are refused.
    public func close() {
        condition.lock()
        closed = true
        condition.unlock()
        wakeRoomWaiters()
        fire(upTo: .max, durable: false)
    }

    private func fire(upTo offset: Int64, durable: Bool) {
        condition.lock()
        if durable { acknowledgedSequence = max(acknowledgedSequence, offset) }
        var due: [Reply] = []
        while replyHead < replies.count, replies[replyHead].sequence <= offset {
            due.append(replies[replyHead].reply)
            replyHead += 1
        }
        if replyHead >= 1024 || replyHead == replies.count {
            replies.removeFirst(replyHead)
            replyHead = 0
        }
        condition.unlock()
        for reply in due { reply(durable) }
    }
}
