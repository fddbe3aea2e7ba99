import Dispatch
import Foundation
import Pipeline
import Sinks

/// Reloads the whole configuration of a running `logpipe run` (SIGHUP, `logpipe reload`): reads it again, builds
/// and checks what changed while the running topology goes on, then has the runner apply the difference
/// (``TopologyRunner/apply(_:completion:)``). A configuration that cannot be read, checked or built is refused
/// with one log line and `logpipe_reload_failures_total`; the running topology is untouched. docs/reload.md.
///
/// Threading: reloads run one at a time on their own queue; `reload` returns at once.
final class RunReloader: @unchecked Sendable {
    /// An input of the running set: its key (``RunConfiguration/inputKey(_:)``) and its source.
    typealias RunningInput = (key: String, source: Source)

    private let queue = DispatchQueue(label: "logpipe.reload")
    private let runner: TopologyRunner<RunWorker>
    private let parts: RunTopologyBuilder.Parts
    private let read: () throws -> RunConfiguration
    // Reload queue only.
    private var running: RunConfiguration
    private var inputs: [RunningInput]
    private var sinks: [RunConfiguration.SinkKind: (key: String, sink: Sink)]
    private let counts = ReloadCounts()

    /// `sources` are the topology's, in the order of `configuration.settings.inputs`; `outputs` its sinks.
    init(runner: TopologyRunner<RunWorker>, parts: RunTopologyBuilder.Parts, configuration: RunConfiguration,
         outputs: RunTopologyBuilder.Outputs, read: @escaping () throws -> RunConfiguration) {
        self.runner = runner
        self.parts = parts
        self.read = read
        running = configuration
        inputs = zip(configuration.settings.inputs, parts.topology.sources).map {
            (key: configuration.inputKey($0.0), source: $0.1)
        }
        let built: [RunConfiguration.SinkKind: Sink?] = [.urgent: outputs.urgent, .clickhouse: outputs.clickhouse,
                                                         .http: outputs.http, .segments: parts.segments.current]
        var sinks: [RunConfiguration.SinkKind: (key: String, sink: Sink)] = [:]
        for kind in RunConfiguration.SinkKind.allCases {
            if let key = configuration.sinkKey(kind), let sink = built[kind] ?? nil { sinks[kind] = (key, sink) }
        }
        self.sinks = sinks
        reportTotals()
    }

    /// `logpipe_reloads_total` (applied) and `logpipe_reload_failures_total` (refused).
    private func reportTotals() {
        let (reloads, failures) = counts.totals
        parts.metrics?.count("logpipe_reloads_total", reloads)
        parts.metrics?.count("logpipe_reload_failures_total", failures)
    }

    /// Starts a reload; `trigger` names it in the log line ("SIGHUP"); `done` (optional) hears whether it was
    /// applied, and the line.
    func reload(trigger: String, done: (@Sendable (Bool, String) -> Void)? = nil) {
        queue.async { [self] in
            let (applied, text) = reloadNow()
            counts.count(applied: applied)
            reportTotals()
            let line = "\(trigger): " + text
            if applied { Diagnostics.logger.notice("\(line)") } else { Diagnostics.logger.error("\(line)") }
            done?(applied, line)
        }
    }

    /// One reload, on the reload queue: (applied, the log line without its trigger).
    private func reloadNow() -> (Bool, String) {
        let plan: ReloadPlan
        do { plan = try prepare() } catch {
            return (false, "new configuration refused, the running one is kept: \(error)")
        }
        let made = MadeSinks()
        let change = TopologyChange(
            stop: plan.stopped.map(\.source),
            start: plan.started.map { input in (input.source.name, { input.source }) },
            sinks: plan.sinks.map { kind, slot in
                guard case let .start(make) = slot else { return slot }
                return .start { let sink = try make(); made.add(kind, sink); return sink }
            },
            flushIntervalMillis: plan.next.settings.framing.batchTimeoutMillis)
        let finished = DispatchSemaphore(value: 0)
        let result = OutcomeBox()
        runner.apply(change) { outcome in
            result.outcome = outcome
            finished.signal()
        }
        finished.wait()
        let outcome = result.outcome
        if let refused = outcome.refused { return (false, "new configuration refused: \(refused)") }
        // The stages' settings: workers take them up between two batches.
        Diagnostics.configure(level: plan.next.settings.logLevel)
        parts.live.update(plan.next.settings.encoder)
        parts.live.urgent = plan.next.sinkKey(.urgent) != nil
        commit(plan, made: made.sinks, failures: outcome.failures)
        if case let .running(sink)? = plan.sinks.first(where: { $0.kind == .segments })?.slot,
           let segments = sink as? SegmentSink, !plan.replaced.contains(.segments) {
            // The segment sink stays: its open segment is finalized (outputs reopened, as logrotate expects).
            runner.onDeliveryQueue {
                do { try segments.rotate() } catch { Diagnostics.logger.error("reload: cannot reopen the segment: \(error)") }
            }
        }
        return (true, plan.summary(failures: outcome.failures, kept: outcome.kept))
    }

    /// Reads, checks and builds the new configuration; nothing running is touched yet.
    private func prepare() throws -> ReloadPlan {
        let (next, restartOnly) = try read().keepingRestartOnly(of: running)
        var plan = ReloadPlan(next: next, restartOnly: restartOnly)
        let wanted = next.settings.inputs.map { (spec: $0, key: next.inputKey($0)) }
        plan.kept = inputs.filter { input in wanted.contains { $0.key == input.key } }
        plan.stopped = inputs.filter { input in !wanted.contains { $0.key == input.key } }
        // Built now: a bad glob or a port that cannot be bound refuses the reload.
        for (spec, key) in wanted where !inputs.contains(where: { $0.key == key }) {
            let source = try parts.inputs.make(spec, settings: next.settings, lowLatency: next.sinkKey(.urgent) != nil)
            plan.started.append((key: key, source: source))
        }
        for kind in RunConfiguration.SinkKind.allCases {
            guard let key = next.sinkKey(kind) else { continue }
            if let current = sinks[kind], current.key == key {
                plan.sinks.append((kind, .running(current.sink)))
            } else if kind == .segments {
                let options = (sinks[.segments]?.sink as? SegmentSink)?.options
                plan.sinks.append((kind, .running(try next.openSegments(after: options))))
                plan.replaced.append(kind)
            } else {
                // Opened once the running one has finished (it may hold the same spool); checked now.
                try Self.checkWritable(next.settings.stateDir)
                plan.sinks.append((kind, .start { try next.makeNetworkSink(kind)! }))
                plan.replaced.append(kind)
            }
        }
        plan.removed = sinks.keys.filter { next.sinkKey($0) == nil }
        return plan
    }

    /// The reload was applied: the running configuration, inputs and sinks are the new ones.
    private func commit(_ plan: ReloadPlan, made: [RunConfiguration.SinkKind: Sink], failures: [String]) {
        for input in plan.stopped { parts.health.removeInput(input.source.name) }
        let started = plan.started.filter { input in !failures.contains { $0.hasPrefix(input.source.name + ":") } }
        for input in started { parts.health.input(input.source.name) }
        inputs = plan.kept + started
        var next: [RunConfiguration.SinkKind: (key: String, sink: Sink)] = [:]
        for (kind, slot) in plan.sinks {
            guard let key = plan.next.sinkKey(kind) else { continue }
            switch slot {
            case let .running(sink): next[kind] = (key, sink)
            case .start: if let sink = made[kind] { next[kind] = (key, sink) }
            }
        }
        sinks = next
        parts.segments.current = next[.segments]?.sink as? SegmentSink
        running = plan.next
        let (stats, runner) = (parts.stats, runner)
        let order = SinkList(sinks: RunConfiguration.SinkKind.allCases.compactMap { next[$0]?.sink })
        runner.onDeliveryQueue { stats.running(sources: runner.sources, sinks: order.sinks) }
    }

    /// A state directory the new spools can be made in (created if missing, as at start).
    private static func checkWritable(_ dir: String) throws {
        let probe = dir + "/.reload-probe-\(getpid())"
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: probe, contents: Data()) else {
                throw RuntimeFailure("cannot write in --state-dir \(dir)")
            }
            try FileManager.default.removeItem(atPath: probe)
        } catch let e as RuntimeFailure { throw e } catch {
            throw RuntimeFailure("cannot use --state-dir \(dir): \(error.localizedDescription)")
        }
    }
}

/// Sinks handed to the delivery queue (they are only touched there once handed over).
private struct SinkList: @unchecked Sendable { let sinks: [Sink] }
