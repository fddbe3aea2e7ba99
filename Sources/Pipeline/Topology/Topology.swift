import Foundation

/// One run's graph, built once from the configuration: sources → (workers: parse, filter, enrich, encode,
/// compress) → delivery queue → sinks, each sink with its route, and acknowledgements flowing back.
///
/// Nothing in it changes after construction; ``TopologyRunner`` runs it.
public struct Topology<Worker>: @unchecked Sendable {
    public var sources: [Source]
    public var sinks: [Sink]
    /// Per-worker state (stage values, encoder, compressor): one per concurrent worker.
    public var makeWorker: () -> Worker
    /// The CPU stages for one batch, on a worker thread.
    public var process: (Worker, RawBatch) -> CompressedBatch
    /// Sees each delivered batch on the delivery queue, after every sink took it, and may add one batch of its own
    /// (incidents raised by the error-rate monitor) that goes to the sinks by the same routes.
    public var observe: ((CompressedBatch) -> CompressedBatch?)?
    /// Called on the delivery queue after each batch (metrics, replay progress) and before its buffers go back.
    public var delivered: ((CompressedBatch) -> Void)?
    /// Gives a batch's buffers back once every sink is done with it.
    public var recycle: ((CompressedBatch) -> Void)?
    /// The run's first failure, at once (log it, mark /health); the sources are stopping.
    public var failed: ((String) -> Void)?
    /// Every half second on the delivery queue (metrics, health), with the batches in flight and the running
    /// sources and sinks (a reload changes them).
    public var tick: ((_ inFlight: Int, _ sources: [Source], _ sinks: [Sink]) -> Void)?
    /// How often a background acknowledgement round runs.
    public var flushIntervalMillis: Int
    /// Worker count and how many batches may be between a source and the sinks (back-pressure beyond it).
    public var workers: Int
    public var maxInFlight: Int

    public init(sources: [Source], sinks: [Sink], makeWorker: @escaping () -> Worker,
                process: @escaping (Worker, RawBatch) -> CompressedBatch, flushIntervalMillis: Int,
                workers: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)) {
        self.sources = sources
        self.sinks = sinks
        self.makeWorker = makeWorker
        self.process = process
        self.flushIntervalMillis = flushIntervalMillis
        self.workers = workers
        self.maxInFlight = workers * 2 + 1
    }
}
