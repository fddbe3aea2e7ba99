import Foundation

/// Runs a ``Topology``: each source on its own thread into one ordered worker pool; each delivered batch to
/// every sink by its route; acknowledgements (``Acknowledgements``) in the background every flush interval and
/// at once for batches cut by time or end of input; at the end, drain, finish every sink, acknowledge the rest.
///
/// The first sink failure (e.g. disk full) stops the sources; what was not written is reported and the run
/// fails. A source error stops the other sources too.
public final class TopologyRunner<Worker>: @unchecked Sendable {
    /// What a run did.
    public struct Outcome: Sendable {
        public var stats = BatchStats()
        public var source = SourceStats()
        public var failure: String?
        /// Names of the sinks that kept something for the next start (an undelivered spool).
        public var kept: [String] = []
        /// Entries the observer added (incidents).
        public var observed = 0
    }

    public let topology: Topology<Worker>
    public let stop: StopSignal
    private let acks: Acknowledgements
    private let failure: FailureBox
    private var pool: OrderedWorkPool<Worker, CompressedBatch>?
    private let routeScratch = ByteBuffer(capacity: 64 * 1024)

    public init(_ topology: Topology<Worker>, stop: StopSignal = StopSignal()) {
        self.topology = topology
        self.stop = stop
        let failure = FailureBox()
        self.failure = failure
        acks = Acknowledgements(sources: topology.sources, sinks: topology.sinks) { [topology, stop] error in
            // A round failed (a sink could not flush, a source could not record): the run stops.
            guard failure.set("\(error)") else { return }
            topology.failed?("\(error)")
            stop.trigger()
        }
    }

    /// Runs `body` on the delivery queue between batches (a reload that rotates a segment); no-op when idle.
    public func onDeliveryQueue(_ body: @escaping @Sendable () -> Void) { pool?.onDeliveryQueue(body) }

    /// Batches between the sources and the sinks now.
    public var inFlight: Int { pool?.pending ?? 0 }

    public func run() -> Outcome {
        var outcome = Outcome()
        let t = topology
        let failure = self.failure, acks = self.acks
        let pool = OrderedWorkPool<Worker, CompressedBatch>(
            workers: t.workers, maxInFlight: t.maxInFlight, makeWorker: t.makeWorker, process: t.process,
            deliver: { [self] batch in
                guard failure.message == nil else { return }
                do {
                    try deliver(batch)
                    acks.written(batch.encoded.position)
                    if batch.encoded.close == .timeout || batch.encoded.close == .end { try acks.syncNow() }
                    outcome.stats.add(batch.encoded.stats)
                    if let extra = t.observe?(batch) {
                        try deliver(extra)
                        outcome.observed += extra.encoded.entries.count
                    }
                    t.delivered?(batch)
                    t.recycle?(batch)
                } catch {
                    fail("\(error)")
                }
            })
        self.pool = pool
        pool.every(intervalMillis: max(t.flushIntervalMillis, 10)) {
            guard failure.message == nil else { return }
            acks.flushInBackground()
        }
        if let tick = t.tick { pool.every(intervalMillis: 500) { tick(pool.pending) } }
        var sourceError: Error?
        outcome.source = runSources(into: pool)
        if let e = sourcesError { sourceError = e }
        pool.drain()
        // Acknowledge what is durable before any sink's drain wait (a dead receiver's timeout): a kill during
        // that wait must not make the next start read again what the sinks already hold.
        var finishError: Error?
        if failure.message == nil {
            do { try acks.syncNow() } catch { finishError = error }
        }
        // In reverse order: the sinks that take everything (segments, last in delivery) finalize first.
        for sink in t.sinks.reversed() {
            do { if try !sink.finish() { outcome.kept.append(sink.name) } } catch { finishError = finishError ?? error }
        }
        if let e = acks.waitForRounds(), finishError == nil, failure.message == nil { finishError = e }
        for source in t.sources { source.afterRun() }
        outcome.failure = failure.message ?? finishError.map { "\($0)" } ?? sourceError.map { "\($0)" }
        return outcome
    }

    private func fail(_ message: String) {
        guard failure.set(message) else { return }
        topology.failed?(message)
        stop.trigger()
    }

    /// Every sink takes the batch by its route, in the order the sinks were given.
    private func deliver(_ batch: CompressedBatch) throws {
        let e = batch.encoded
        for sink in topology.sinks {
            switch sink.route {
            case .all:
                try sink.accept(batch, lines: e.output.bytes, count: e.entries.count)
            case let .atLeast(level):
                let count = RouteStage(level: level).select(e, into: routeScratch)
                if count > 0 { try sink.accept(batch, lines: routeScratch.bytes, count: count) }
            }
        }
    }

    // MARK: sources

    private var sourcesError: Error?

    /// Runs every source on its own thread; returns when all have ended (the first error stops the others).
    private func runSources(into pool: OrderedWorkPool<Worker, CompressedBatch>) -> SourceStats {
        let group = DispatchGroup()
        let lock = NSLock()
        let total = StatsBox()
        for (index, source) in topology.sources.enumerated() {
            group.enter()
            let task = SourceTask(source: source)
            let thread = Thread { [self] in
                do {
                    try task.source.run(stop: stop) { raw in
                        raw.position?.source = index
                        pool.submit(raw)
                    }
                } catch {
                    lock.lock(); if sourcesError == nil { sourcesError = error }; lock.unlock()
                    stop.trigger()
                }
                lock.lock(); total.stats.add(task.source.stats); lock.unlock()
                group.leave()
            }
            thread.name = "logpipe-source-\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
        return total.stats
    }
}

private struct SourceTask: @unchecked Sendable { let source: Source }
private final class StatsBox: @unchecked Sendable { var stats = SourceStats() }

/// The first failure of a run, set from any queue.
final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: String?
    /// True when this was the first.
    func set(_ m: String) -> Bool {
        lock.lock(); defer { lock.unlock() }
        guard value == nil else { return false }
        value = m
        return true
    }
    var message: String? { lock.lock(); defer { lock.unlock() }; return value }
}
