import Foundation

/// End-to-end acknowledgements: a source position is acknowledged only when every sink that took the batch
/// before it has made the batch durable (the model Vector calls end-to-end acknowledgements).
///
/// The delivery queue reports each batch's position once every sink accepted the batch (`written`). A *round*
/// takes the positions written so far and asks every sink to make what it accepted durable (`flush` in the
/// background, or `sync` at once for batches cut by time or end of input); when all sinks are done, the round's
/// positions go to their sources' `acknowledge`. Rounds are committed in the order they started, so a position
/// never moves back; after a failed round (a sink could not flush, a source could not record) nothing later is
/// acknowledged: the run stops and the next start resumes from the last acknowledged position.
///
/// Sources and sinks may change between rounds (a reload): a source is registered under an id that is never
/// reused and stays registered until its last positions have reached it; the sinks of a round are those set when
/// it started.
///
/// Threading: `written`, `flushInBackground`, `syncNow` and `sinks` on the delivery queue only; completions on
/// any thread; `register` and `unregister` on any thread.
public final class Acknowledgements: @unchecked Sendable {
    /// Guarded by `condition`.
    private var sources: [Int: Source]
    /// The sinks a round flushes; set on the delivery queue between batches.
    public var sinks: [Sink]
    /// The newest position per (source, key) written since the last round; delivery queue only.
    private var pending: [Int: [String: SourcePosition]] = [:]
    private let condition = NSCondition()
    /// Guarded by `condition`.
    private var started = 0, committed = 0
    private var finished: [Int: (positions: [Int: [SourcePosition]], error: Error?)] = [:]
    private var failure: Error?
    private var acknowledgedCount = 0
    /// Told once, on any thread, when a round fails (the run stops).
    private let failed: @Sendable (Error) -> Void

    /// `sources` get the ids 0, 1, … in order.
    public init(sources: [Source], sinks: [Sink], failed: @escaping @Sendable (Error) -> Void = { _ in }) {
        self.sources = Dictionary(uniqueKeysWithValues: sources.enumerated().map { ($0.offset, $0.element) })
        self.sinks = sinks
        self.failed = failed
    }

    /// Positions tagged `id` go to `source` from now on.
    public func register(_ source: Source, id: Int) {
        condition.lock()
        sources[id] = source
        condition.unlock()
    }

    /// After the source's last round has committed (``waitForRounds()``): it gets nothing more.
    public func unregister(_ id: Int) {
        condition.lock()
        sources[id] = nil
        condition.unlock()
    }

    /// Every sink has accepted the batch that ends at `position` (`position.source` indexes `sources`).
    public func written(_ position: SourcePosition?) {
        guard let p = position else { return }
        pending[p.source, default: [:]][p.key] = p
    }

    /// Starts a round: every sink flushes in the background; the positions are acknowledged once all are done.
    public func flushInBackground() {
        let (round, positions) = startRound()
        let left = Countdown(sinks.count)
        guard !sinks.isEmpty else { complete(round, positions, nil); return }
        for sink in sinks {
            sink.flush { [self] error in
                let (last, first) = left.done(error)
                if last { complete(round, positions, first) }
            }
        }
    }

    /// A round that runs now: every sink syncs before this returns; the positions are acknowledged once the
    /// rounds before this one are (at once when none is pending). Throws the first failure seen by then.
    public func syncNow() throws {
        let (round, positions) = startRound()
        var error: Error?
        for sink in sinks where error == nil {
            do { try sink.sync() } catch let e { error = e }
        }
        complete(round, positions, error)
        condition.lock()
        let failure = self.failure
        condition.unlock()
        if let e = error ?? failure { throw e }
    }

    /// Waits until every round started has been committed or has failed; returns the first failure.
    @discardableResult
    public func waitForRounds() -> Error? {
        condition.lock()
        defer { condition.unlock() }
        while committed < started { condition.wait() }
        return failure
    }

    /// Positions acknowledged so far (counted per position, for tests and metrics).
    public var acknowledged: Int {
        condition.lock()
        defer { condition.unlock() }
        return acknowledgedCount
    }

    private func startRound() -> (Int, [Int: [SourcePosition]]) {
        let positions = pending.mapValues { Array($0.values) }
        pending.removeAll(keepingCapacity: true)
        condition.lock()
        defer { condition.unlock() }
        started += 1
        return (started - 1, positions)
    }

    private func complete(_ round: Int, _ positions: [Int: [SourcePosition]], _ error: Error?) {
        condition.lock()
        defer { condition.broadcast(); condition.unlock() }
        finished[round] = (positions, error)
        // In round order: a later round may finish first (another sink's queue) but never commits first.
        while let r = finished.removeValue(forKey: committed) {
            committed += 1
            guard failure == nil else { continue }
            if let e = r.error { failure = e; failed(e); continue }
            for (index, list) in r.positions.sorted(by: { $0.key < $1.key }) where !list.isEmpty {
                guard let source = sources[index] else { continue }
                do {
                    try source.acknowledge(list)
                    acknowledgedCount += list.count
                } catch {
                    failure = error
                    failed(error)
                    break
                }
            }
        }
    }
}

/// Counts sinks still flushing: a round completes once, at its first error or when the last sink is done.
private final class Countdown: @unchecked Sendable {
    private let lock = NSLock()
    private var left: Int
    private var over = false
    init(_ n: Int) { left = n }
    /// (true, error) exactly once: for the first error, or for the last sink when none failed.
    func done(_ error: Error?) -> (Bool, Error?) {
        lock.lock()
        defer { lock.unlock() }
        left -= 1
        guard !over else { return (false, nil) }
        if let error { over = true; return (true, error) }
        if left == 0 { over = true; return (true, nil) }
        return (false, nil)
    }
}
