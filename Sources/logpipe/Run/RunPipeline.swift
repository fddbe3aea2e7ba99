import Dispatch
import Foundation
import Ingest
import Pipeline
import Sinks

/// Wires one run: source thread → ordered worker pool (parse, filter, enrich, compress) → segment sink.
///
/// Signals: the first SIGINT/SIGTERM stops the sources; everything read is drained and finalized. The sink's
/// first failure (e.g. disk full) stops the sources too; what was not written is reported, and the run fails.
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
                "\(segments) segments finalized" + (incidents > 0 ? ", \(incidents) incidents raised" : "") +
                (urgent.map { "; " + $0 } ?? "")
        }
    }

    /// One worker's private state.
    final class Worker {
        var encoder: BatchEncoder
        var generation = 0
        /// nil without segment files (`--clickhouse-only`): nothing to compress.
        let compressor: SegmentCompressor?
        init(settings: RunOptions.Resolved, compress: Bool) {
            encoder = BatchEncoder(options: settings.encoder)
            compressor = compress ? settings.segments.codec.makeCompressor(level: settings.segments.codecLevel) : nil
        }

        /// Takes up settings changed by a reload.
        func refresh(_ live: LiveSettings) {
            let (options, generation) = live.encoder
            guard generation != self.generation else { return }
            encoder = BatchEncoder(options: options)
            self.generation = generation
        }
    }

    let settings: RunOptions.Resolved
    let live: LiveSettings
    /// Re-reads the configuration for SIGHUP (nil: reload not available).
    var reloadSettings: (() throws -> RunOptions.Resolved)?
    private var pool: OrderedWorkPool<Worker, CompressedBatch>?
    private var sink: SegmentSink?
    let metrics: PipelineMetrics?
    let health: HealthState
    /// The urgent path (nil without --urgent) and the level at which entries take it.
    var urgent: UrgentSink?
    var urgentLevel: Level = .error
    var urgentDrainMillis = 10_000
    /// The ClickHouse sink (nil without --clickhouse): every entry, in order, spooled before acknowledgement.
    var clickhouse: UrgentSink?
    /// False with `--clickhouse-only`: no segment files; file-tail checkpoints follow the ClickHouse spool.
    var writeSegments = true
    var clickhouseDrainMillis = 10_000
    /// The error-rate monitor's window; incidents are raised when the urgent path is on.
    var incidentWindowMillis: Int64 = 60_000
    /// Batch buffers: raw input (given back after encoding) and encoded/compressed (given back after the sink).
    let rawPool = BufferPool()
    private let outPool = BufferPool()
    private let stop = StopSignal()
    private var signalSources: [DispatchSourceSignal] = []

    /// What feeds the pipeline: runs on the calling thread until its input ends or `stop` fires.
    typealias SourceRunner = (StopSignal, (RawBatch) -> Void) throws -> SourceStats

    init(settings: RunOptions.Resolved) {
        self.settings = settings
        live = LiveSettings(settings.encoder)
        metrics = settings.metricsAddress != nil ? PipelineMetrics() : nil
        health = HealthState(unhealthyAfterMillis: Int64(settings.unhealthyAfterMillis))
    }

    /// Runs the configured inputs, each on its own thread, into one pipeline. With only stdin it ends at end of
    /// input; with any other input it runs until SIGINT/SIGTERM.
    func run() throws -> Summary {
        var runners: [SourceRunner] = []
        var summaries: [() -> String?] = []
        for spec in settings.inputs {
            switch spec {
            case .stdin:
                let source = StreamSource(fd: 0, origin: SourceOrigin(name: "stdin", sessionId: newSessionId()),
                                          options: settings.framing)
                source.pool = rawPool
                source.cutWhenCaughtUp = urgent != nil
                runners.append { stop, emit in try source.run(stop: stop, emit: emit); return source.stats }
            case let .udp(host, port):
                let source: UDPSource
                do { source = try UDPSource(host: host, port: port, options: settings.framing) } catch {
                    throw RuntimeFailure("\(error)") // a busy port or unknown host is a runtime failure (exit 1)
                }
                source.pool = rawPool
                source.cutWhenCaughtUp = urgent != nil
                runners.append { stop, emit in try source.run(stop: stop, emit: emit); return source.stats }
                summaries.append { source.summary }
                udpSources.append(source)
            case let .file(pattern):
                let store = try checkpointStore()
                let source = try FileTailSource(pattern: pattern, options: settings.framing, tail: settings.tail,
                                                sessionId: newSessionId(), checkpoints: store)
                source.pool = rawPool
                tailSources.append(source)
                runners.append { stop, emit in try source.run(stop: stop, emit: emit); return source.stats }
                summaries.append { source.summary }
            }
        }
        var summary = try run(source: Self.together(runners))
        let extra = summaries.compactMap { $0() }
        if !extra.isEmpty { summary.urgent = ([summary.urgent].compactMap { $0 } + extra).joined(separator: "; ") }
        return summary
    }

    /// The checkpoint store of the file sources (one per run, in --state-dir); positions are committed to it only
    /// once the batches before them are durable in a segment.
    private var checkpoints: CheckpointStore?
    private var tailSources: [FileTailSource] = []
    /// How far each source with positions is in the archive (`--out`) at start, after recovery (issue 17).
    private(set) var archivePositions: [String: Int64] = [:]
    private var udpSources: [UDPSource] = []

    private func checkpointStore() throws -> CheckpointStore {
        if let checkpoints { return checkpoints }
        let store: CheckpointStore
        do { store = try CheckpointStore(directory: settings.stateDir) } catch {
            throw RuntimeFailure("cannot use --state-dir \(settings.stateDir): \(error)")
        }
        if let w = store.warning { Diagnostics.logger.warning("\(w)") }
        checkpoints = store
        return store
    }

    /// A failure reported from another queue, picked up on the delivery queue.
    final class FailureBox: @unchecked Sendable {
        private let lock = NSLock()
        private var message: String?
        func set(_ m: String) { lock.lock(); if message == nil { message = m }; lock.unlock() }
        func take() -> String? { lock.lock(); defer { lock.unlock() }; return message }
    }

    /// Runs several sources on their own threads; returns when all have ended (the first error is rethrown).
    static func together(_ runners: [SourceRunner]) -> SourceRunner {
        if runners.count == 1 { return runners[0] }
        return { stop, emit in
            try withoutActuallyEscaping(emit) { emit in
                let joint = Joint(emit: emit)
                let group = DispatchGroup()
                for runner in runners {
                    group.enter()
                    let task = Joint.Task(runner: runner)
                    let thread = Thread {
                        joint.run(task.runner, stop: stop)
                        group.leave()
                    }
                    thread.stackSize = 1 << 20
                    thread.start()
                }
                group.wait()
                return try joint.result()
            }
        }
    }

    /// Shared state of sources running together; `emit` is thread-safe (the pool's submit).
    private final class Joint: @unchecked Sendable {
        struct Task: @unchecked Sendable { let runner: SourceRunner }
        private let lock = NSLock()
        private var total = SourceStats()
        private var firstError: Error?
        let emit: (RawBatch) -> Void

        init(emit: @escaping (RawBatch) -> Void) { self.emit = emit }

        func run(_ runner: SourceRunner, stop: StopSignal) {
            do {
                let s = try runner(stop, emit)
                lock.lock(); total.bytesRead += s.bytesRead; total.emptyLines += s.emptyLines; lock.unlock()
            } catch {
                lock.lock(); if firstError == nil { firstError = error }; lock.unlock()
                stop.trigger()
            }
        }

        func result() throws -> SourceStats {
            lock.lock()
            defer { lock.unlock() }
            if let firstError { throw firstError }
            return total
        }
    }

    /// Runs with `source` as the input; `delivered` sees each batch after the sink has it.
    func run(source runSource: SourceRunner, delivered: ((EncodedBatch) -> Void)? = nil) throws -> Summary {
        let sink: SegmentSink?
        do {
            if writeSegments {
                let recovered = try SegmentRecovery.recoverOpenSegments(options: settings.segments)
                archivePositions = recovered.positions
                try checkpoints?.adopt(recovered.positions) // the archive is ahead of a commit a kill cut off
                if recovered.files > 0 {
                    let quarantined = recovered.quarantined > 0 ? ", \(recovered.quarantined) damaged file(s) moved to quarantine/" : ""
                    Diagnostics.logger.notice("recovered \(recovered.entries) entries from \(recovered.files) unfinished segment(s)\(quarantined)")
                }
                sink = try SegmentSink(options: settings.segments)
            } else {
                sink = nil
            }
        } catch {
            throw RuntimeFailure("\(error)")
        }
        installSignalHandlers()
        var server: MetricsServer?
        if let address = settings.metricsAddress, let metrics {
            server = try MetricsServer(address: address, health: health, metrics: metrics)
            server?.start()
            Diagnostics.logger.notice("serving /health and /metrics on \(server!.host):\(server!.port)")
        }
        defer { server?.shutdown() }
        for spec in settings.inputs { health.input("\(spec)") }
        if sink != nil { health.sink("segments", error: nil) }
        var summary = Summary()
        let settings = self.settings
        let live = self.live
        let metrics = self.metrics
        let health = self.health
        let stop = self.stop
        let urgent = self.urgent
        let clickhouse = self.clickhouse
        let router = UrgentRouter(level: urgentLevel)
        let monitor = urgent == nil || !settings.incidents ? nil : IncidentMonitor(windowMillis: incidentWindowMillis,
                                                            enrichment: settings.encoder.enrichment,
                                                            sessionId: newSessionId())
        let incidentCompressor = settings.segments.codec.makeCompressor(level: settings.segments.codecLevel)
        var syncClickhouse: (@Sendable () throws -> Void)?
        if let clickhouse { syncClickhouse = { try clickhouse.sync() } }
        let acks = AckTracker(store: checkpoints, sources: tailSources, beforeCommit: syncClickhouse)
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let pool = OrderedWorkPool<Worker, CompressedBatch>(
            workers: workers, maxInFlight: workers * 2 + 1,
            makeWorker: { [writeSegments] in Worker(settings: settings, compress: writeSegments) },
            process: { [rawPool, outPool] worker, raw in
                worker.refresh(live)
                let encoded = worker.encoder.encode(raw, into: outPool.take(capacity: raw.buffer.count + raw.lines.count * 160))
                rawPool.give(raw.buffer)
                // --clickhouse-only compresses nothing: an empty frame, not a pooled buffer (the pool drops it).
                guard let compressor = worker.compressor else { return CompressedBatch(encoded: encoded, frame: ByteBuffer(capacity: 0)) }
                let frame = outPool.take(capacity: encoded.output.count / 2 + 4096)
                compressor.compress(encoded.output.bytes, into: frame)
                return CompressedBatch(encoded: encoded, frame: frame)
            },
            deliver: { [outPool] batch in
                guard summary.failure == nil else { return }
                if let urgent { router.route(batch.encoded, to: urgent) }
                clickhouse?.submit(batch.encoded.output.bytes, count: batch.encoded.entries.count)
                do {
                    try sink?.write(batch)
                    acks.written(batch.encoded)
                    if batch.encoded.close == .timeout || batch.encoded.close == .end { try acks.durable() }
                    summary.stats.add(batch.encoded.stats)
                    if let monitor, let (lines, count) = monitor.observe(batch.encoded) {
                        // Incidents: an entry of their own, on the urgent path and in the segments.
                        urgent?.submit(lines.bytes, count: count)
                        clickhouse?.submit(lines.bytes, count: count)
                        if let sink {
                            let incidents = SegmentLine.batch(from: lines, origin: batch.encoded.origin).batch
                            let frame = ByteBuffer(capacity: lines.count + 1024)
                            incidentCompressor.compress(incidents.output.bytes, into: frame)
                            try sink.write(CompressedBatch(encoded: incidents, frame: frame))
                        }
                        summary.incidents += count
                    }
                    metrics?.delivered(batch.encoded, compressedBytes: batch.frame.count,
                                       readMillis: batch.encoded.firstReadMillis)
                    delivered?(batch.encoded)
                    outPool.give(batch.encoded.output)
                    outPool.give(batch.frame)
                } catch {
                    summary.failure = "\(error)"
                    health.sink("segments", error: "\(error)")
                    Diagnostics.logger.error("segment sink failed: \(error); stopping input")
                    stop.trigger()
                }
            })
        self.pool = pool
        self.sink = sink
        // Periodic durability without stalling delivery: the fsync runs on the sink's finalizer queue; the
        // positions written before it started are committed once it is done.
        let syncFailure = FailureBox()
        pool.every(intervalMillis: max(settings.framing.batchTimeoutMillis, 10)) {
            guard summary.failure == nil else { return }
            if let failed = syncFailure.take() { summary.failure = failed; stop.trigger(); return }
            let written = acks.takePending()
            let commit: @Sendable (Error?) -> Void = { error in
                if let error { syncFailure.set("\(error)"); return }
                do { try acks.commit(written) } catch { syncFailure.set("\(error)") }
            }
            // --clickhouse-only: no segments; the ClickHouse spool is the durable copy (AckTracker syncs it first),
            // off the delivery queue too.
            if let sink { sink.syncInBackground(commit) } else { DispatchQueue.global().async { commit(nil) } }
        }
        let tails = tailSources
        let udps = udpSources
        pool.every(intervalMillis: 500) {
            for source in udps {
                let u = source.liveStats
                let address = [("address", "\(source.host):\(source.boundPort)")]
                metrics?.count("logpipe_udp_datagrams_total", labels: address, u.datagrams)
                metrics?.count("logpipe_udp_malformed_datagrams_total", labels: address, u.malformed)
                metrics?.count("logpipe_udp_kernel_drops_total", labels: address, u.kernelDrops)
            }
            metrics?.inFlight.record(pool.pending)
            metrics?.segments.record(sink?.segmentsFinalized ?? 0)
            if let urgent {
                for (name, value) in urgent.counters {
                    if name == "spooled" {
                        metrics?.set("logpipe_urgent_spooled_entries", Double(value)) // the backlog: goes up and down
                    } else {
                        metrics?.count("logpipe_urgent_\(name)_total", value)
                    }
                }
                health.sink("urgent", error: urgent.failingSinceMillis == nil ? nil : (urgent.lastError ?? "delivery failing"))
            }
            if let clickhouse {
                for (name, value) in clickhouse.counters {
                    if name == "spooled" { metrics?.set("logpipe_clickhouse_spooled_entries", Double(value)) }
                    else { metrics?.count("logpipe_clickhouse_\(name)_total", value) }
                }
                health.sink("clickhouse", error: clickhouse.failingSinceMillis == nil ? nil : (clickhouse.lastError ?? "insert failing"))
            }
            for source in tails {
                for (path, lag) in source.checkpointLag() { metrics?.set("logpipe_checkpoint_lag_bytes", labels: [("file", path)], Double(lag)) }
                metrics?.count("logpipe_tail_truncated_unread_bytes_total", labels: [("glob", source.matcher.pattern)],
                               Int(source.truncatedUnreadBytes))
            }
        }
        var sourceError: Error?
        var sourceStats = SourceStats()
        do { sourceStats = try runSource(stop) { pool.submit($0) } } catch { sourceError = error }
        pool.drain()
        summary.source = sourceStats
        do {
            try sink?.finish()
            if summary.failure == nil { try acks.durable() }
        } catch { summary.failure = summary.failure ?? "\(error)" }
        summary.segments = sink?.segmentsFinalized ?? 0
        if let urgent {
            if !urgent.drain(timeoutMillis: urgentDrainMillis) {
                Diagnostics.logger.warning("urgent entries not yet delivered stay in the spool for the next start")
            }
            summary.urgent = urgent.summary
        }
        if let clickhouse {
            if !clickhouse.drain(timeoutMillis: clickhouseDrainMillis) {
                Diagnostics.logger.warning("entries not yet inserted into ClickHouse stay in the spool for the next start")
            }
            summary.urgent = [summary.urgent, clickhouse.summary].compactMap { $0 }.joined(separator: "; ")
        }
        if let sourceError, summary.failure == nil { summary.failure = "\(sourceError)" }
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
            source.setEventHandler { [stop] in stop.trigger() }
            source.resume()
            signalSources.append(source)
        }
        #if !os(Linux)
        signal(SIGHUP, SIG_IGN)
        #endif
        let hup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        hup.setEventHandler { [weak self] in self?.reload() }
        hup.resume()
        signalSources.append(hup)
    }

    /// SIGHUP: re-read the configuration; apply what can change live (format, min level, enrichment), finalize the
    /// open segment (reopen outputs). A configuration that does not validate is refused and the running one kept.
    private func reload() {
        guard let reloadSettings else {
            Diagnostics.logger.warning("SIGHUP: nothing to reload")
            return
        }
        let new: RunOptions.Resolved
        do { new = try reloadSettings() } catch {
            Diagnostics.logger.error("SIGHUP: new configuration refused, the running one is kept: \(error)")
            return
        }
        var needRestart: [String] = []
        if new.inputs != settings.inputs { needRestart.append("inputs") }
        if new.segments.directory != settings.segments.directory || new.segments.codec != settings.segments.codec {
            needRestart.append("segment directory/codec")
        }
        if new.stateDir != settings.stateDir { needRestart.append("state dir") }
        if new.metricsAddress != settings.metricsAddress { needRestart.append("metrics address") }
        let (a, b) = (new.framing, settings.framing)
        if a.batchMaxEntries != b.batchMaxEntries || a.batchMaxBytes != b.batchMaxBytes || a.batchTimeoutMillis != b.batchTimeoutMillis ||
            a.maxLineBytes != b.maxLineBytes || a.multiline != b.multiline {
            needRestart.append("batching and framing")
        }
        Diagnostics.configure(level: new.logLevel)
        live.update(new.encoder)
        if let pool, let sink {
            pool.onDeliveryQueue {
                do { try sink.rotate() } catch { Diagnostics.logger.error("SIGHUP: cannot reopen the segment: \(error)") }
            }
        }
        let restart = (needRestart.isEmpty ? "" : "; changes to \(needRestart.joined(separator: ", ")) need a restart") +
            " (urgent destinations are read at start only)"
        Diagnostics.logger.notice("SIGHUP: configuration reloaded (min level \(new.encoder.minLevel.name), format \(new.encoder.format.rawValue))\(restart)")
    }

    func newSessionId() -> String {
        var ids = UUIDv7Generator()
        return ids.string(millis: nowMillis())
    }
}
