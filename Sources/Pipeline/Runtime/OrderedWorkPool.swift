import Dispatch
import Foundation

/// Runs a CPU stage on several batches at once and delivers the results in submission order.
///
/// Threading: `submit` may be called from several source threads (each source's batches keep their order) and
/// blocks while `maxInFlight` batches are between submission and delivery: that is the back-pressure that
/// reaches the sources. `process` runs on a concurrent queue, at most `workers` at a time; `deliver` runs on one
/// serial queue, strictly in order, so a sink behind it needs no locks (the worker that completes the next batch
/// in order runs it there, on its own thread). Per-worker state (encoders, codecs) comes from `makeWorker`, one
/// per concurrent slot.
public final class OrderedWorkPool<Worker, Output: Sendable>: @unchecked Sendable {
    private let inFlight: DispatchSemaphore
    private let workQueue = DispatchQueue(label: "logpipe.work", attributes: .concurrent)
    private let deliverQueue = DispatchQueue(label: "logpipe.deliver")
    private let group = DispatchGroup()
    private let idle = NSLock()
    private var idleWorkers: [Worker] = []
    private let workerSlots: DispatchSemaphore
    private let process: (Worker, RawBatch) -> Output
    private let deliver: (Output) -> Void
    private var nextSequence = 0
    // Touched on deliverQueue only.
    private var nextToDeliver = 0
    private var waiting: [Int: Output] = [:]
    /// Bodies waiting for the batches submitted before them (``afterSubmitted(_:)``), by that count.
    private var barriers: [(mark: Int, body: () -> Void)] = []
    private var timers: [DispatchSourceTimer] = []

    public init(workers: Int, maxInFlight: Int, makeWorker: () -> Worker,
                process: @escaping (Worker, RawBatch) -> Output, deliver: @escaping (Output) -> Void) {
        let workers = max(1, workers)
        inFlight = DispatchSemaphore(value: max(maxInFlight, workers))
        workerSlots = DispatchSemaphore(value: workers)
        idleWorkers = (0..<workers).map { _ in makeWorker() }
        self.process = process
        self.deliver = deliver
    }

    /// Batches submitted and not yet delivered (the queue depth).
    public var pending: Int {
        idle.lock()
        defer { idle.unlock() }
        return nextSequence - delivered
    }
    private var delivered = 0

    /// Hands a batch to the stage; blocks while the pipeline is full.
    public func submit(_ batch: RawBatch) {
        inFlight.wait()
        idle.lock()
        let sequence = nextSequence
        nextSequence += 1
        idle.unlock()
        group.enter()
        workQueue.async { [self] in
            workerSlots.wait()
            idle.lock()
            let worker = idleWorkers.removeLast()
            idle.unlock()
            let output = process(worker, batch)
            idle.lock()
            idleWorkers.append(worker)
            idle.unlock()
            workerSlots.signal()
            // On the delivery queue, but on this thread (`sync` runs the block here once the queue is free): the
            // worker that completes the next batch in order delivers it at once. An `async` hand-off woke a
            // delivery thread per batch, and on a busy machine that thread waited for a core while the batches
            // behind it filled the window and stopped the source (perf sched: 0.5 s ready in a 1.8 s run).
            deliverQueue.sync { [self] in
                waiting[sequence] = output
                while let next = waiting.removeValue(forKey: nextToDeliver) {
                    deliver(next)
                    nextToDeliver += 1
                    idle.lock(); delivered += 1; idle.unlock()
                    inFlight.signal()
                    group.leave()
                    runBarriers()
                }
            }
        }
    }

    /// Runs `body` on the delivery queue after everything submitted so far has been delivered.
    public func afterDelivered(_ body: @escaping () -> Void) {
        group.notify(queue: deliverQueue, execute: body)
    }

    /// Runs `body` on the delivery queue once every batch submitted before this call has been delivered — while
    /// other sources keep submitting (``afterDelivered(_:)`` would wait for a moment with nothing in flight).
    public func afterSubmitted(_ body: @escaping @Sendable () -> Void) {
        idle.lock()
        let mark = nextSequence
        idle.unlock()
        deliverQueue.async { [self] in
            barriers.append((mark, body))
            runBarriers()
        }
    }

    /// Delivery queue only.
    private func runBarriers() {
        while let i = barriers.firstIndex(where: { $0.mark <= nextToDeliver }) {
            barriers.remove(at: i).body()
        }
    }

    /// Runs `body` once on the delivery queue, between deliveries.
    public func onDeliveryQueue(_ body: @escaping @Sendable () -> Void) { deliverQueue.async(execute: body) }

    /// Runs `body` on the delivery queue every `intervalMillis` until `drain` (for periodic syncs). The returned
    /// timer may be rescheduled (a reload that changes the interval).
    @discardableResult
    public func every(intervalMillis: Int, _ body: @escaping () -> Void) -> DispatchSourceTimer {
        let timer = DispatchSource.makeTimerSource(queue: deliverQueue)
        timer.schedule(deadline: .now() + .milliseconds(intervalMillis), repeating: .milliseconds(intervalMillis))
        timer.setEventHandler(handler: body)
        timer.resume()
        timers.append(timer)
        return timer
    }

    /// Blocks until every submitted batch has been delivered.
    public func drain() {
        group.wait()
        deliverQueue.sync {}
        for t in timers { t.cancel() }
        timers.removeAll()
    }
}
