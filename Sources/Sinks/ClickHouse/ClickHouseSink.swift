import Foundation
import Pipeline

/// Ships every entry to a ClickHouse table (issue 9) on the shared delivery engine (``DeliveryLane``).
///
/// `submit` appends the entries to a durable ``DeliverySpool`` in `<state-dir>/clickhouse/<name>/` (group commit:
/// written at once; fdatasynced by an append a second or more after the last sync, before each retry backoff,
/// before tail checkpoints move (`sync`) and at close; the entries are in the segments too); one ``DeliveryLane`` thread reads the spool in order and
/// inserts everything pending (up to `maxRequestBytes` per insert) through ``ClickHouseTransport``, committing
/// only after ClickHouse answered 200, retrying with ``RetryPolicy`` backoff while the server is down or
/// refusing. At-least-once: a re-sent insert duplicates rows (docs/clickhouse.md shows how to drop them).
public final class ClickHouseSink: Sink, @unchecked Sendable {
    public let configuration: ClickHouseConfiguration
    let spool: DeliverySpool
    let delivery: DeliveryLane
    private let transport: ClickHouseTransport
    /// Rows the server refused for good (type or parse errors), in `<state-dir>/dead-letter/clickhouse/`.
    public let deadLetter: DeadLetterQueue
    private let closeLock = NSLock()
    private var closed = false

    /// Opens (recovering) the spool and starts the delivery thread. Throws when the spool cannot be used.
    public init(configuration: ClickHouseConfiguration) throws {
        self.configuration = configuration
        let dir = configuration.stateDirectory + "/clickhouse/" + configuration.spoolName
        spool = try DeliverySpool(directory: dir, maxBytes: configuration.spoolMaxBytes, boundFlag: "--clickhouse-spool-max", syncIntervalMillis: 1000,
                                 log: configuration.log)
        transport = ClickHouseTransport(configuration: configuration)
        deadLetter = DeadLetterQueue(stateDirectory: configuration.stateDirectory,
                                     sink: "clickhouse")
        delivery = DeliveryLane(name: configuration.url, spool: spool, transport: transport,
                                settings: DeliverySettings(label: "clickhouse", retry: configuration.retry,
                                                           maxRequestBytes: configuration.maxRequestBytes,
                                                           deadLetter: deadLetter, log: configuration.log))
        delivery.start()
    }

    deinit { close() }

    public func submit(_ lines: UnsafeBufferPointer<UInt8>, count: Int) {
        delivery.submit(lines, count: count)
    }

    public func drain(timeoutMillis: Int) -> Bool {
        delivery.drain(until: Date().addingTimeInterval(Double(timeoutMillis) / 1000))
    }

    // MARK: Sink

    public var exitSummary: String? { summary }

    public var name: String { "clickhouse" }

    public func accept(_ batch: CompressedBatch, lines: UnsafeBufferPointer<UInt8>, count: Int) throws {
        submit(lines, count: count)
    }

    /// The spool commits in groups: its fsync runs off the delivery queue.
    public func flush(_ done: @escaping @Sendable (Error?) -> Void) {
        DispatchQueue.global().async { [self] in
            do { try sync(); done(nil) } catch { done(error) }
        }
    }

    /// Waits up to the drain timeout for the inserts; what is left stays in the spool for the next start.
    public func finish() throws -> Bool {
        try sync()
        return drain(timeoutMillis: configuration.drainTimeoutMillis)
    }

    public var health: SinkHealth {
        .lanes(counters: counters, failingSinceMillis: failingSinceMillis, lastError: lastError, failing: "insert failing")
    }

    /// Stops the delivery thread and closes the spool (what is not inserted stays on disk for the next start).
    public func close() {
        closeLock.lock()
        let first = !closed
        closed = true
        closeLock.unlock()
        guard first else { return }
        delivery.close()
    }

    /// Inserted, still spooled, refused (over the spool bound). Spooled lines that were not entries (left out
    /// of inserts, see `counters`) and rows the server refused (dead-lettered) are not counted as inserted.
    public var counts: (inserted: Int, spooled: Int, refused: Int) {
        let c = spool.counts
        // (rejected and dead-lettered lines are counted before the spool commits their batch: never below 0)
        return (max(0, c.delivered - transport.rejected - deadLetter.count), c.pending, c.refused)
    }

    /// For /metrics: inserted, spooled, refused, retried (failed attempts), rejected (spooled lines not entries),
    /// dead_lettered (rows the server refused for good).
    public var counters: [String: Int] {
        let c = counts
        return ["inserted": c.inserted, "spooled": c.spooled, "refused": c.refused,
                "retried": delivery.health.failures, "rejected": transport.rejected, "dead_lettered": deadLetter.count]
    }

    /// The spool commits in groups: fsync what is not yet on disk (before tail checkpoints move past it).
    public func sync() throws { try delivery.sync() }

    public var failingSinceMillis: Int64? { delivery.health.since }

    public var lastError: String? {
        let h = delivery.health
        return h.since == nil ? nil : h.error.map { "\(configuration.url): \($0)" }
    }

    public var summary: String {
        let c = counts
        let rejected = transport.rejected
        let dead = deadLetter.count
        return "clickhouse: \(c.inserted) inserted, \(c.spooled) spooled, \(c.refused) refused" +
            (rejected > 0 ? ", \(rejected) rejected (not entries)" : "") +
            (dead > 0 ? ", \(dead) dead-lettered (in \(deadLetter.directory))" : "")
    }
}
