import Foundation
import Pipeline

/// The urgent path's sink: copies each urgent entry to every `--urgent` destination, durably and in order.
///
/// `submit` appends the entries to each destination's ``UrgentSpool`` and fdatasyncs before returning — that
/// is what *accepted* means; each destination's ``UrgentDelivery`` thread then sends them in order with
/// retries, independently of the others, so a dead receiver slows neither the pipeline nor the other
/// destinations. Entries beyond a spool's bound are refused loudly (stderr + counter). At start, entries an
/// earlier run left in a spool are sent first.
public final class UrgentForwarder: UrgentSink, @unchecked Sendable {
    let deliveries: [UrgentDelivery]
    private let closeLock = NSLock()
    private var closed = false

    /// Opens (recovering) the spools and starts one delivery thread per destination.
    public init(configuration: UrgentConfiguration) throws {
        var deliveries: [UrgentDelivery] = []
        var seen = Set<String>()
        for destination in configuration.destinations where seen.insert(destination.url).inserted {
            let dir = configuration.stateDirectory + "/urgent/" + destination.spoolName
            let spool = try UrgentSpool(directory: dir, maxBytes: configuration.spoolMaxBytes, log: configuration.log)
            deliveries.append(UrgentDelivery(destination: destination, spool: spool, configuration: configuration))
        }
        self.deliveries = deliveries
        for d in deliveries { d.start() }
    }

    deinit { close() }

    public func submit(_ lines: UnsafeBufferPointer<UInt8>, count: Int) {
        guard count > 0 else { return }
        for d in deliveries { d.spool.append(lines, count: count) }
    }

    public func drain(timeoutMillis: Int) -> Bool {
        let deadline = Date().addingTimeInterval(Double(timeoutMillis) / 1000)
        for d in deliveries {
            let c = d.spool.condition
            c.lock()
            while d.spool.pendingEntries > 0, Date() < deadline { _ = c.wait(until: deadline) }
            c.unlock()
        }
        return deliveries.allSatisfy { $0.spool.counts.pending == 0 }
    }

    /// Stops the delivery threads and closes the spools (what is undelivered stays on disk).
    public func close() {
        closeLock.lock()
        let first = !closed
        closed = true
        closeLock.unlock()
        guard first else { return }
        for d in deliveries { d.stop() }
        for d in deliveries { d.spool.close() }
    }

    /// Per destination: delivered, still spooled, refused.
    public var counts: [(destination: String, delivered: Int, spooled: Int, refused: Int)] {
        deliveries.map { d in
            let c = d.spool.counts
            return (d.destination.url, c.delivered, c.pending, c.refused)
        }
    }

    /// Totals for /metrics: sent (delivered), spooled (waiting), refused (over the spool bound), retried (failed attempts).
    public var counters: [String: Int] {
        let all = counts
        let retried = deliveries.reduce(0) { $0 + $1.health.failures }
        return ["sent": all.reduce(0) { $0 + $1.delivered }, "spooled": all.reduce(0) { $0 + $1.spooled },
                "refused": all.reduce(0) { $0 + $1.refused }, "retried": retried]
    }

    /// The earliest time a destination started failing (nil when all deliver).
    public var failingSinceMillis: Int64? {
        deliveries.compactMap { $0.health.since }.min()
    }

    public var lastError: String? {
        deliveries.compactMap { d in d.health.since == nil ? nil : d.health.error.map { "\(d.destination.url): \($0)" } }.first
    }

    public var summary: String {
        let all = counts
        let text = { (d: Int, s: Int, r: Int) in "\(d) delivered, \(s) spooled, \(r) refused" }
        let total = text(all.map(\.delivered).reduce(0, +), all.map(\.spooled).reduce(0, +), all.map(\.refused).reduce(0, +))
        guard all.count > 1 else { return "urgent: " + total }
        return "urgent: " + total + " (" + all.map { "\($0.destination): " + text($0.delivered, $0.spooled, $0.refused) }
            .joined(separator: "; ") + ")"
    }
}
