import Foundation

/// Runs a ``Topology``: each source on its own thread into one ordered worker pool; each delivered batch to
/// every sink by its route; acknowledgements (``Acknowledgements``) in the background every flush interval and
/// at once for batches cut by time or end of input; at the end, drain, finish every sink, acknowledge the rest.
///
/// The topology is the run's start; a reload changes the running set through ``apply(_:completion:)``
/// (`TopologyRunner+Reload.swift`): sources come and go on their own stop signals, the sink set is swapped on the
/// delivery queue between two batches. The first sink failure (e.g. disk full) stops the sources; what was not
/// written is reported and the run fails. A source error stops the other sources too.
public final class TopologyRunner<Worker>: @unchecked Sendable {
    /// What a run did.
    public struct Outcome: @unchecked Sendable {
        public var stats = BatchStats()
        public var source = SourceStats()
        public var failure: String?
        /// Names of the sinks that kept something for the next start (an undelivered spool).
        public var kept: [String] = []
        /// Entries the observer added (incidents).
        public var observed = 0
        /// The sources and sinks running at the end (for their exit lines; a reload may have changed them).
        public var sources: [Source] = []
        public var sinks: [Sink] = []
    }

    /// The topology the run started with (the running set may differ after a reload: see `sources`, `sinks`).
    public let topology: Topology<Worker>
    public let stop: StopSignal
    let acks: Acknowledgements
    let failure: FailureBox
    var pool: OrderedWorkPool<Worker, CompressedBatch>?
    private let routeScratch = ByteBuffer(capacity: 64 * 1024)
    /// The sinks batches go to, in delivery order; delivery queue only once the run has started.
    var currentSinks: [Sink]
    var flushTimer: DispatchSourceTimer?
    /// Guards what follows; broadcast when a source ends or a reload is done.
    let activity = NSCondition()
    /// Running (and ended, not yet removed) sources by id; ids are never reused.
    var running: [Int: RunningSource] = [:]
    var nextSourceID = 0
    /// Sources still reading plus reloads in progress: the run ends when it reaches 0.
    var busy = 0
    var ended = false
    private var sourcesError: Error?
    private var sourceStats = SourceStats()

    public init(_ topology: Topology<Worker>, stop: StopSignal = StopSignal()) {
        self.topology = topology
        self.stop = stop
        let failure = FailureBox()
        self.failure = failure
        currentSinks = topology.sinks
        acks = Acknowledgements(sources: [], sinks: topology.sinks) { [topology, stop] error in
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

    /// The sources of the running set, in the order they started.
    public var sources: [Source] {
        activity.lock()
        defer { activity.unlock() }
        return running.sorted { $0.key < $1.key }.map(\.value.source)
    }

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
        flushTimer = pool.every(intervalMillis: max(t.flushIntervalMillis, 10)) {
            guard failure.message == nil else { return }
            acks.flushInBackground()
        }
        if let tick = t.tick { pool.every(intervalMillis: 500) { [self] in tick(pool.pending, sources, currentSinks) } }
        for source in t.sources { start(source, into: pool) }
        activity.lock()
        while busy > 0 { activity.wait() }
        ended = true
        let sourceError = sourcesError
        outcome.source = sourceStats
        activity.unlock()
        pool.drain()
        // Acknowledge what is durable before any sink's drain wait (a dead receiver's timeout): a kill during
        // that wait must not make the next start read again what the sinks already hold.
        var finishError: Error?
        if failure.message == nil {
            do { try acks.syncNow() } catch { finishError = error }
        }
        // In reverse order: the sinks that take everything (segments, last in delivery) finalize first.
        for sink in currentSinks.reversed() {
            do { if try !sink.finish() { outcome.kept.append(sink.name) } } catch { finishError = finishError ?? error }
            sink.close()
        }
        if let e = acks.waitForRounds(), finishError == nil, failure.message == nil { finishError = e }
        outcome.sources = sources
        outcome.sinks = currentSinks
        for source in outcome.sources { source.afterRun() }
        outcome.failure = failure.message ?? finishError.map { "\($0)" } ?? sourceError.map { "\($0)" }
        return outcome
    }

    func fail(_ message: String) {
        guard failure.set(message) else { return }
        topology.failed?(message)
        stop.trigger()
    }

    /// Every sink takes the batch by its route, in the order the sinks were given.
    private func deliver(_ batch: CompressedBatch) throws {
        let e = batch.encoded
        for sink in currentSinks {
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

    /// Starts `source` on its own thread under a new id; its batches' positions are tagged with that id.
    func start(_ source: Source, into pool: OrderedWorkPool<Worker, CompressedBatch>) {
        let entry = RunningSource(source, stop: stop.child())
        activity.lock()
        let id = nextSourceID
        nextSourceID += 1
        running[id] = entry
        busy += 1
        activity.unlock()
        acks.register(source, id: id)
        let task = SourceTask(entry: entry)
        let thread = Thread { [self] in
            do {
                try task.entry.source.run(stop: task.entry.stop) { raw in
                    raw.position?.source = id
                    pool.submit(raw)
                }
            } catch {
                activity.lock(); if sourcesError == nil { sourcesError = error }; activity.unlock()
                stop.trigger()
            }
            stop.detach(task.entry.stop)
            activity.lock()
            sourceStats.add(task.entry.source.stats)
            task.entry.ended = true
            busy -= 1
            activity.broadcast()
            activity.unlock()
        }
        thread.name = "logpipe-source-\(id)"
        thread.stackSize = 1 << 20
        thread.start()
    }
}

private struct SourceTask: @unchecked Sendable { let entry: RunningSource }

/// A source started by the runner: its own stop signal (a child of the run's) and whether `run` returned
/// (guarded by the runner's `activity`).
final class RunningSource: @unchecked Sendable {
    let source: Source
    let stop: StopSignal
    var ended = false
    init(_ source: Source, stop: StopSignal) {
        self.source = source
        self.stop = stop
    }
}

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
