import Foundation
import Pipeline

/// The generic HTTP push output (`--output http://…`, NDJSON; `--output otlp+http://…/v1/logs`, OTLP/HTTP
/// protobuf): every entry to every destination, on the shared delivery
/// engine — one durable ``DeliverySpool`` in `<state-dir>/http/<destination>/` and one ``DeliveryLane`` per
/// destination (group commit like ClickHouse: fdatasynced at least every second, before retry backoffs and
/// when the pipeline flushes), requests of up to `maxRequestBytes` of entries. Entries a destination refuses
/// for good go to `<state-dir>/dead-letter/http/` (one queue for all destinations; each reason names its
/// destination). At-least-once: a request whose answer was lost is sent again.
public final class HTTPOutputSink: Sink, @unchecked Sendable {
    public let configuration: HTTPOutputConfiguration
    let lanes: DeliveryLanes
    public let deadLetter: DeadLetterQueue
    private var otlp: [OTLPTransport] = []

    /// Opens (recovering) the spools and starts one delivery thread per destination.
    public init(configuration: HTTPOutputConfiguration) throws {
        self.configuration = configuration
        deadLetter = DeadLetterQueue(stateDirectory: configuration.stateDirectory, sink: "http")
        var lanes: [DeliveryLane] = []
        var seen = Set<String>()
        for destination in configuration.destinations where seen.insert(destination.url).inserted {
            let spool = try DeliverySpool(directory: configuration.stateDirectory + "/http/" + destination.spoolName,
                                          maxBytes: configuration.spoolMaxBytes, boundFlag: "--output-spool-max",
                                          syncIntervalMillis: 1000, log: configuration.log)
            let transport: DeliveryTransport
            if destination.otlp {
                let t = OTLPTransport(destination: destination, configuration: configuration)
                otlp.append(t)
                transport = t
            } else {
                transport = HTTPPushTransport(destination: destination.http, configuration: configuration)
            }
            lanes.append(DeliveryLane(name: destination.url, spool: spool, transport: transport,
                                      settings: DeliverySettings(label: "http", retry: configuration.retry,
                                                                 maxRequestBytes: configuration.maxRequestBytes,
                                                                 deadLetter: deadLetter, log: configuration.log)))
        }
        self.lanes = DeliveryLanes(lanes)
    }

    deinit { close() }

    public var name: String { "http" }
    public var exitSummary: String? { summary }

    public func accept(_ batch: CompressedBatch, lines: UnsafeBufferPointer<UInt8>, count: Int) throws {
        lanes.submit(lines, count: count)
    }

    /// The spools commit in groups: their fsync runs off the delivery queue.
    public func flush(_ done: @escaping @Sendable (Error?) -> Void) {
        DispatchQueue.global().async { [self] in
            do { try sync(); done(nil) } catch { done(error) }
        }
    }

    public func sync() throws { try lanes.sync() }

    /// Waits up to the drain timeout for delivery; what is left stays in the spools for the next start.
    public func finish() throws -> Bool {
        try sync()
        return lanes.drain(timeoutMillis: configuration.drainTimeoutMillis)
    }

    /// Stops the delivery threads and closes the spools (what is undelivered stays on disk).
    public func close() { lanes.close() }

    /// Totals: sent (delivered and accepted by the receiver), spooled, refused (over the spool bound), retried
    /// (failed attempts), dead_lettered (refused for good by a receiver), partially_rejected (records an OTLP
    /// collector's partial success said it dropped).
    public var counters: [String: Int] {
        let all = lanes.all.map { $0.spool.counts }
        let dead = deadLetter.count
        return ["sent": max(0, all.reduce(0) { $0 + $1.delivered } - dead), "spooled": all.reduce(0) { $0 + $1.pending },
                "refused": all.reduce(0) { $0 + $1.refused }, "retried": lanes.retried,
                "dead_lettered": dead, "partially_rejected": otlp.reduce(0) { $0 + $1.rejectedRecords }]
    }

    public var health: SinkHealth {
        .lanes(counters: counters, failingSinceMillis: lanes.failingSinceMillis, lastError: lanes.lastError,
               failing: "delivery failing")
    }

    public var summary: String {
        let c = counters
        return "http: \(c["sent"]!) sent, \(c["spooled"]!) spooled, \(c["refused"]!) refused" +
            (c["dead_lettered"]! > 0 ? ", \(c["dead_lettered"]!) dead-lettered (in \(deadLetter.directory))" : "") +
            (c["partially_rejected"]! > 0 ? ", \(c["partially_rejected"]!) rejected by an OTLP collector (partial success)" : "")
    }
}
