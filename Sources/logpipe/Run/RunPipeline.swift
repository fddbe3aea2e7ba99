import Dispatch
import Foundation
import Ingest
import Pipeline
import SegmentFormat
import Sinks

/// One run: the topology built from the resolved configuration (``RunTopologyBuilder``), run by a
/// ``TopologyRunner``, with what a process adds around it — signals, SIGHUP reload, /health and /metrics, the
/// exit line.
///
/// Signals: the first SIGINT/SIGTERM stops the sources; everything read is drained and finalized. The first sink
/// failure (e.g. disk full) stops the sources too; what was not written is reported, and the run fails.
final class RunPipeline {
    struct Summary {
        var stats = BatchStats()
        var segments = 0
        var source = SourceStats()
        var failure: String?
        var urgent: String?
        var incidents = 0

        var line: String {
            "logpipe: \(stats.linesIn) lines in, \(stats.entriesOut) entries out, \(stats.filtered) filtered, " +
                "\(stats.parseErrors) parse errors, \(stats.truncated) truncated, \(source.emptyLines) empty lines skipped, " +
                "\(segments) segments finalized" + (stats.collapsed > 0 ? ", \(stats.collapsed) repeats collapsed" : "") + (incidents > 0 ? ", \(incidents) incidents raised" : "") +
                (urgent.map { "; " + $0 } ?? "")
        }
    }

    /// What a reload needs besides the topology: the configuration it started from, the sinks built for it,
    /// and how to read the configuration again.
    struct Reload {
        let configuration: RunConfiguration
        let outputs: RunTopologyBuilder.Outputs
        let read: () throws -> RunConfiguration
    }

    let parts: RunTopologyBuilder.Parts
    private let runner: TopologyRunner<RunWorker>
    private let reloader: RunReloader?
    private var signalSources: [DispatchSourceSignal] = []
    var settings: RunOptions.Resolved { parts.settings }
    /// `<state-dir>/control.sock` (docs/control-socket.md): `stats` and `tap` are registered here; a command is
    /// one more `control.register(name) { request, reply in … }`.
    let control: ControlServer

    /// `reload`: what SIGHUP needs (nil: reload not available, as in replay).
    init(_ parts: RunTopologyBuilder.Parts, reload: Reload?) {
        self.parts = parts
        let runner = TopologyRunner(parts.topology)
        self.runner = runner
        reloader = reload.map {
            RunReloader(runner: runner, parts: parts, configuration: $0.configuration, outputs: $0.outputs, read: $0.read)
        }
        control = ControlServer(stateDir: parts.settings.stateDir)
        control.register("stats") { [stats = parts.stats, weak control] _, reply in
            reply.send(json: stats.snapshot().merging(["ok": true, "refusedConnections": control?.refused ?? 0]) { a, _ in a })
        }
        TapService(hub: parts.taps, sinks: parts.topology.sinks.map { ($0.name, $0.route) }).register(on: control)
        reloader?.register(on: control)
    }

    func run() throws -> Summary {
        installSignalHandlers()
        var server: MetricsServer?
        if let address = settings.metricsAddress, let metrics = parts.metrics {
            server = try MetricsServer(address: address, health: parts.health, metrics: metrics)
            server?.start()
            Diagnostics.logger.notice("serving /health and /metrics on \(server!.host):\(server!.port)")
        }
        defer { server?.shutdown() }
        do { try control.start() } catch {
            Diagnostics.logger.warning("control socket: \(error); tap, top and reload cannot reach this run")
        }
        defer { control.stop() }
        for source in parts.topology.sources { parts.health.input(source.name) }
        if parts.segments.current != nil { parts.health.sink("segments", error: nil) }
        let outcome = runner.run()
        for name in outcome.kept {
            Diagnostics.logger.warning(name == "clickhouse"
                ? "entries not yet inserted into ClickHouse stay in the spool for the next start"
                : "\(name) entries not yet delivered stay in the spool for the next start")
        }
        var summary = Summary()
        summary.stats = outcome.stats
        summary.source = outcome.source
        summary.failure = outcome.failure
        summary.segments = parts.segments.finalized
        summary.incidents = outcome.observed
        let parts = outcome.sinks.compactMap(\.exitSummary) + outcome.sources.compactMap(\.exitSummary)
        summary.urgent = parts.isEmpty ? nil : parts.joined(separator: "; ")
        return summary
    }

    /// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and in every thread it starts from now on; call it
    /// first thing in a command that runs a pipeline, before any thread is started.
    ///
    /// A blocked signal waits, pending, until libdispatch arms the signal source (on its manager thread, some time
    /// after `resume()`) and reads it from a signalfd. Two ways a stop signal used to be lost early in a run: with
    /// the default disposition it killed the process before the handlers existed; and a SIGTERM that was pending
    /// because the process was started with it blocked (a child spawned from a libdispatch worker thread inherits
    /// that mask: the test runner's case) was discarded by `signal(SIGTERM, SIG_IGN)` — POSIX discards a pending
    /// signal whose action becomes SIG_IGN — so the run never stopped. (A signal sent before this call still gets
    /// the default action: the process ends before it has read anything.)
    static func holdStopSignals() {
        var set = sigset_t()
        sigemptyset(&set)
        for sig in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&set, sig) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    private func installSignalHandlers() {
        Self.holdStopSignals() // idempotent; in case the command did not
        // No SIG_IGN on Linux: the signals are blocked, and setting SIG_IGN would discard one already pending.
        // (kqueue-based platforms need SIG_IGN for signal sources and have no signalfd.)
        for sig in [SIGINT, SIGTERM] {
            #if !os(Linux)
            signal(sig, SIG_IGN)
            #endif
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [stop = runner.stop] in stop.trigger() }
            source.resume()
            signalSources.append(source)
        }
        #if !os(Linux)
        signal(SIGHUP, SIG_IGN)
        #endif
        let hup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        hup.setEventHandler { [weak self] in
            guard let reloader = self?.reloader else {
                Diagnostics.logger.warning("SIGHUP: nothing to reload")
                return
            }
            reloader.reload(trigger: "SIGHUP")
        }
        hup.resume()
        signalSources.append(hup)
    }

    static func newSessionId() -> String {
        var ids = UUIDv7Generator()
        return ids.string(millis: nowMillis())
    }
}
