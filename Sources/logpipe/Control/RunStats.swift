import Foundation
import Pipeline

/// Running totals per input and per sink for the control socket's `stats` command (what `logpipe top` shows),
/// counted per delivered batch on the delivery queue, never per line.
///
/// Input: lines read, input bytes, parse errors, the end-to-end latency of its last batch (read → delivered:
/// the lag), and what its source reports lost before the pipeline (UDP kernel drops). Sink: the entries and
/// NDJSON bytes its route took, its spool depth, failed attempts (errors), refused or dead-lettered entries
/// (drops) and how long it has been failing (its lag).
final class RunStats: @unchecked Sendable {
    private struct Totals { var entries = 0, bytes = 0, errors = 0, lagMillis: Int64 = 0 }
    private let lock = NSLock()
    private var inputs: [String: Totals] = [:]
    private var inputOrder: [String] = []
    private var sinkTotals: [Totals]
    /// Written on the delivery queue (at start and by a reload), where `delivered` reads them; under `lock`.
    private var sinks: [Sink]
    private var sources: [Source]
    private let started = nowMillis()

    init(sources: [Source], sinks: [Sink]) {
        self.sources = sources
        self.sinks = sinks
        sinkTotals = Array(repeating: Totals(), count: sinks.count)
    }

    /// A reload changed the running set (on the delivery queue): a sink's totals stay with its name, so a
    /// replaced forwarder goes on counting where the old one stopped.
    func running(sources: [Source], sinks: [Sink]) {
        lock.lock()
        defer { lock.unlock() }
        var byName: [String: Totals] = [:]
        for (sink, totals) in zip(self.sinks, sinkTotals) { byName[sink.name] = totals }
        self.sources = sources
        self.sinks = sinks
        sinkTotals = sinks.map { byName[$0.name] ?? Totals() }
    }

    /// One batch every sink took (the delivery queue).
    func delivered(_ batch: EncodedBatch) {
        let now = nowMillis()
        // What each level-routed sink took, counted before taking the lock.
        let routed = sinks.map { sink -> (Int, Int) in
            guard case let .atLeast(level) = sink.route else { return (batch.entries.count, batch.output.count) }
            guard batch.stats.levelCounts[Int(level.rawValue)...].reduce(0, +) > 0 else { return (0, 0) }
            var n = 0, bytes = 0
            for (i, e) in batch.entries.enumerated() where e.level >= level {
                n += 1
                bytes += Int(e.end) - batch.start(of: i)
            }
            return (n, bytes)
        }
        lock.lock()
        defer { lock.unlock() }
        let name = batch.origin.name
        if inputs[name] == nil { inputOrder.append(name) }
        var t = inputs[name] ?? Totals()
        t.entries += batch.stats.linesIn
        t.bytes += batch.inputBytes
        t.errors += batch.stats.parseErrors
        if let read = batch.firstReadMillis { t.lagMillis = max(0, now - read) }
        inputs[name] = t
        for (i, (n, bytes)) in routed.enumerated() {
            sinkTotals[i].entries += n
            sinkTotals[i].bytes += bytes
        }
    }

    /// The `stats` answer: `{"uptimeMillis", "inputs": [...], "sinks": [...]}` (docs/control-socket.md).
    func snapshot() -> [String: Any] {
        lock.lock()
        let (sources, sinks) = (self.sources, self.sinks)
        lock.unlock()
        var drops: [String: Int] = [:]
        for source in sources {
            drops[source.name] = source.gauges.filter { $0.name.hasSuffix("_drops_total") }.reduce(0) { $0 + Int($1.value) }
        }
        let healths = sinks.map(\.health)
        let now = nowMillis()
        lock.lock()
        defer { lock.unlock() }
        var inputRows: [[String: Any]] = inputOrder.map { name in
            let t = inputs[name]!
            return ["name": name, "entries": t.entries, "bytes": t.bytes, "errors": t.errors, "lagMillis": t.lagMillis,
                    "drops": drops.removeValue(forKey: name) ?? 0]
        }
        // A source whose batches carry another origin name (a peer, a file) reports its drops on a row of its own.
        for source in sources {
            if let d = drops[source.name], d > 0 {
                inputRows.append(["name": source.name, "entries": 0, "bytes": 0, "errors": 0, "lagMillis": 0, "drops": d])
            }
        }
        let sinkRows: [[String: Any]] = sinks.indices.map { i in
            let h = healths[i], t = sinkTotals[i]
            return ["name": sinks[i].name, "entries": t.entries, "bytes": t.bytes, "spool": h.gauges["spooled"] ?? 0,
                    "errors": h.counters["retried"] ?? 0,
                    "drops": (h.counters["refused"] ?? 0) + (h.counters["dead_lettered"] ?? 0),
                    "lagMillis": h.failingSinceMillis.map { max(0, now - $0) } ?? 0]
        }
        return ["uptimeMillis": now - started, "inputs": inputRows, "sinks": sinkRows]
    }
}
