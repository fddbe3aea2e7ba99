import Foundation
import Pipeline

/// The urgent path's sink: copies each urgent entry to every `--urgent` destination, durably and in order.
///
/// `submit` appends the entries to each destination's ``DeliveryLane`` (its spool fdatasyncs before returning —
/// that is what *accepted* means); each lane's thread then sends them in order with
/// retries, independently of the others, so a dead receiver slows neither the pipeline nor the other
/// destinations. Entries beyond a spool's bound are refused loudly (stderr + counter). At start, entries an
/// earlier run left in a spool are sent first.
public final class UrgentForwarder: Sink, @unchecked Sendable {
    let lanes: DeliveryLanes
    public let configuration: UrgentConfiguration

    /// Opens (recovering) the spools and starts one delivery thread per destination.
    public init(configuration: UrgentConfiguration) throws {
        var deliveries: [DeliveryLane] = []
        var seen = Set<String>()
        for destination in configuration.destinations where seen.insert(destination.url).inserted {
            let dir = configuration.stateDirectory + "/urgent/" + destination.spoolName
            let spool = try DeliverySpool(directory: dir, maxBytes: configuration.spoolMaxBytes, boundFlag: "--urgent-spool-max", log: configuration.log)
            deliveries.append(DeliveryLane(name: destination.url, spool: spool,
                                           transport: destination.makeTransport(configuration: configuration),
                                           settings: configuration.delivery))
        }
        lanes = DeliveryLanes(deliveries)
        self.configuration = configuration
    }

    deinit { close() }

    public func submit(_ lines: UnsafeBufferPointer<UInt8>, count: Int) {
        lanes.submit(lines, count: count)
    }

    public func drain(timeoutMillis: Int) -> Bool { lanes.drain(timeoutMillis: timeoutMillis) }

    /// Stops the delivery threads and closes the spools (what is undelivered stays on disk).
    public func close() { lanes.close() }

    // MARK: Sink

    public var exitSummary: String? { summary }

    public var name: String { "urgent" }
    public var route: Route { .atLeast(configuration.level) }

    public func accept(_ batch: CompressedBatch, lines: UnsafeBufferPointer<UInt8>, count: Int) throws {
        submit(lines, count: count)
    }

    /// Every append is fdatasynced before `submit` returns: what was accepted is already durable.
    public func flush(_ done: @escaping @Sendable (Error?) -> Void) { done(nil) }
    public func sync() throws {}

    /// Waits up to the drain timeout for delivery; what is left stays in the spools for the next start.
    public func finish() throws -> Bool {
        drain(timeoutMillis: configuration.drainTimeoutMillis)
    }

    public var health: SinkHealth {
        .lanes(counters: counters, failingSinceMillis: failingSinceMillis, lastError: lastError, failing: "delivery failing")
    }

    /// Per destination: delivered, still spooled, refused.
    public var counts: [(destination: String, delivered: Int, spooled: Int, refused: Int)] {
        lanes.all.map { d in
            let c = d.spool.counts
            return (d.name, c.delivered, c.pending, c.refused)
        }
    }

    /// Totals for /metrics: sent (delivered), spooled (waiting), refused (over the spool bound), retried (failed attempts).
    public var counters: [String: Int] {
        let all = counts
        let retried = lanes.retried
        return ["sent": all.reduce(0) { $0 + $1.delivered }, "spooled": all.reduce(0) { $0 + $1.spooled },
                "refused": all.reduce(0) { $0 + $1.refused }, "retried": retried]
    }

    /// The earliest time a destination started failing (nil when all deliver).
    public var failingSinceMillis: Int64? {
        lanes.failingSinceMillis
    }

    public var lastError: String? {
        lanes.lastError
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
