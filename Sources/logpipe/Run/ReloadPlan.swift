import Foundation
import Pipeline

/// What one reload found: the new configuration, and per input and sink whether it stays, goes or starts.
struct ReloadPlan {
    var next: RunConfiguration
    /// Flags that differed but need a restart (kept at their running values).
    var restartOnly: [String]
    var kept: [(key: String, source: Source)] = []
    var stopped: [(key: String, source: Source)] = []
    var started: [(key: String, source: Source)] = []
    /// The new sink set: running ones (kept, or a segment sink opened already) and ones opened in the swap.
    var sinks: [(kind: RunConfiguration.SinkKind, slot: TopologyChange.SinkSlot)] = []
    /// Sinks of a kind that runs on with a new configuration, and kinds that are gone.
    var replaced: [RunConfiguration.SinkKind] = []
    var removed: [RunConfiguration.SinkKind] = []

    init(next: RunConfiguration, restartOnly: [String]) {
        self.next = next
        self.restartOnly = restartOnly
    }

    /// The notice of an applied reload (the SIGHUP tests look for "configuration reloaded" and the min level).
    func summary(failures: [String], kept spools: [String]) -> String {
        let encoder = next.settings.encoder
        var parts = ["min level \(encoder.minLevel.name)", "format \(encoder.format.rawValue)"]
        let names = { (list: [(key: String, source: Source)]) in list.map(\.source.name).joined(separator: ", ") }
        if !started.isEmpty { parts.append("started \(names(started))") }
        if !stopped.isEmpty { parts.append("stopped \(names(stopped))") }
        if !replaced.isEmpty { parts.append("reopened \(replaced.map(\.rawValue).joined(separator: ", "))") }
        if !removed.isEmpty { parts.append("removed \(removed.map(\.rawValue).joined(separator: ", "))") }
        var line = "configuration reloaded (" + parts.joined(separator: "; ") + ")"
        if !spools.isEmpty { line += "; \(spools.joined(separator: ", ")) left entries in the spool for the next start" }
        if !failures.isEmpty { line += "; could not start: " + failures.joined(separator: "; ") }
        if !restartOnly.isEmpty { line += "; changes to \(restartOnly.joined(separator: ", ")) need a restart" }
        return line
    }
}

/// Sinks a reload opened on the delivery queue, by kind (written there, read after the reload is done).
final class MadeSinks: @unchecked Sendable {
    private let lock = NSLock()
    private var made: [RunConfiguration.SinkKind: Sink] = [:]
    func add(_ kind: RunConfiguration.SinkKind, _ sink: Sink) { lock.lock(); made[kind] = sink; lock.unlock() }
    var sinks: [RunConfiguration.SinkKind: Sink] { lock.lock(); defer { lock.unlock() }; return made }
}

/// Hands a reload's outcome from the delivery queue to the reload queue.
final class OutcomeBox: @unchecked Sendable {
    var outcome = TopologyChange.Outcome()
}

/// Reloads applied and refused, for /metrics (`logpipe_reloads_total`, `logpipe_reload_failures_total`).
final class ReloadCounts: @unchecked Sendable {
    private let lock = NSLock()
    private var applied = 0, refused = 0
    func count(applied ok: Bool) {
        lock.lock()
        if ok { applied += 1 } else { refused += 1 }
        lock.unlock()
    }
    var totals: (reloads: Int, failures: Int) { lock.lock(); defer { lock.unlock() }; return (applied, refused) }
}
