import Foundation
import Ingest
import Pipeline
import SegmentFormat
import Sinks

/// Builds a run's topology from the resolved configuration: the sources its inputs name, the sinks (urgent
/// forwarder, ClickHouse, segment files — in that order, so urgent entries leave first), the worker stages, the
/// incident monitor and the metrics around them. Nothing is configured after construction.
enum RunTopologyBuilder {
    /// The topology and the pieces of it the process needs to reach (reload, metrics, the exit line).
    struct Parts {
        let settings: RunOptions.Resolved
        let topology: Topology<RunWorker>
        let segments: SegmentSink?
        let live: LiveSettings
        let metrics: PipelineMetrics?
        let health: HealthState
        let rawPool: BufferPool
        /// Taps of the control socket, and the per-input and per-sink totals its `stats` command reports.
        let taps: TapHub
        let stats: RunStats
    }

    /// The sinks a command asked for besides segment files.
    struct Outputs {
        var urgent: UrgentForwarder?
        var clickhouse: ClickHouseSink?
        /// `--output http://…` (every entry, NDJSON).
        var http: HTTPOutputSink?
        /// False with `--clickhouse-only`: no segment files; file-tail checkpoints follow the ClickHouse spool.
        var segments = true
    }

    /// A topology over the configured `--input`s.
    static func build(settings: RunOptions.Resolved, outputs: Outputs) throws -> Parts {
        try build(settings: settings, outputs: outputs) { rawPool in
            var store: CheckpointStore?
            func checkpoints() throws -> CheckpointStore {
                if let store { return store }
                let s: CheckpointStore
                do { s = try CheckpointStore(directory: settings.stateDir) } catch {
                    throw RuntimeFailure("cannot use --state-dir \(settings.stateDir): \(error)")
                }
                if let w = s.warning { Diagnostics.logger.warning("\(w)") }
                store = s
                return s
            }
            return try settings.inputs.map {
                try $0.makeSource(settings: settings, pool: rawPool, lowLatency: outputs.urgent != nil, checkpoints: checkpoints)
            }
        }
    }

    /// A topology over the sources `makeSources` builds (replay gives its own), made once the archive is recovered;
    /// `delivered` sees each batch once every sink has it.
    static func build(settings: RunOptions.Resolved, outputs: Outputs, delivered: ((EncodedBatch) -> Void)? = nil,
                      makeSources: (BufferPool) throws -> [Source]) throws -> Parts {
        let rawPool = BufferPool()
        let (segments, archive) = outputs.segments ? try openSegments(settings.segments) : (nil, [:])
        let sources = try makeSources(rawPool)
        do {
            for source in sources { try source.resume(fromArchive: archive) }
        } catch {
            throw RuntimeFailure("cannot resume from the archive's positions: \(error)")
        }
        let sinks: [Sink] = [outputs.urgent as Sink?, outputs.clickhouse, outputs.http, segments].compactMap { $0 }
        let live = LiveSettings(settings.encoder)
        let metrics = settings.metricsAddress != nil ? PipelineMetrics() : nil
        let health = HealthState(unhealthyAfterMillis: Int64(settings.unhealthyAfterMillis))
        let outPool = BufferPool()
        let codec = settings.segments
        let compress = sinks.contains { $0.needsFrame }
        let taps = TapHub()
        let stats = RunStats(sources: sources, sinks: sinks)
        var topology = Topology<RunWorker>(
            sources: sources, sinks: sinks,
            makeWorker: { RunWorker(live: live, compressor: compress ? codec.codec.makeCompressor(level: codec.codecLevel) : nil, taps: taps) },
            process: { worker, raw in worker.process(raw, rawPool: rawPool, outPool: outPool) },
            flushIntervalMillis: settings.framing.batchTimeoutMillis)
        if outputs.urgent != nil, settings.incidents {
            let monitor = IncidentMonitor(windowMillis: settings.incidentWindowMillis,
                                          enrichment: settings.encoder.enrichment, sessionId: RunPipeline.newSessionId())
            let compressor = codec.codec.makeCompressor(level: codec.codecLevel)
            topology.observe = { batch in
                guard let (lines, _) = monitor.observe(batch.encoded) else { return nil }
                // Incidents: entries of their own, on the urgent path and in the segments.
                let incidents = SegmentLine.batch(from: lines, origin: batch.encoded.origin).batch
                let frame = ByteBuffer(capacity: compress ? lines.count + 1024 : 0)
                if compress { compressor.compress(incidents.output.bytes, into: frame) }
                if taps.attached { taps.delivered(incidents) }
                return CompressedBatch(encoded: incidents, frame: frame)
            }
        }
        topology.delivered = { batch in
            metrics?.delivered(batch.encoded, compressedBytes: batch.frame.count, readMillis: batch.encoded.firstReadMillis)
            stats.delivered(batch.encoded)
            if taps.attached { taps.delivered(batch.encoded) }
            delivered?(batch.encoded)
        }
        topology.recycle = { batch in
            outPool.give(batch.encoded.output)
            outPool.give(batch.frame)
        }
        topology.failed = { message in
            health.sink("segments", error: message)
            Diagnostics.logger.error("segment sink failed: \(message); stopping input")
        }
        if let metrics {
            topology.tick = { [sinks, sources] inFlight in
                metrics.inFlight.record(inFlight)
                for source in sources {
                    for g in source.gauges {
                        switch g.kind {
                        case .counter: metrics.count(g.name, labels: g.labels, Int(g.value))
                        case .gauge: metrics.set(g.name, labels: g.labels, g.value)
                        }
                    }
                }
                metrics.segments.record(segments?.segmentsFinalized ?? 0)
                for sink in sinks where sink !== segments {
                    let h = sink.health
                    for (name, value) in h.counters { metrics.count("logpipe_\(sink.name)_\(name)_total", value) }
                    for (name, value) in h.gauges { metrics.set("logpipe_\(sink.name)_\(name)_entries", Double(value)) }
                    health.sink(sink.name, error: h.failingSinceMillis == nil ? nil : h.lastError)
                }
            }
        } else {
            topology.tick = { [sinks] _ in
                for sink in sinks where sink !== segments {
                    let h = sink.health
                    health.sink(sink.name, error: h.failingSinceMillis == nil ? nil : h.lastError)
                }
            }
        }
        return Parts(settings: settings, topology: topology, segments: segments, live: live, metrics: metrics,
                     health: health, rawPool: rawPool, taps: taps, stats: stats)
    }

    /// Recovers what an earlier run left open, then opens the segment sink; returns it with the source positions
    /// the archive holds.
    private static func openSegments(_ options: SegmentOptions) throws -> (SegmentSink, [String: Int64]) {
        do {
            let recovered = try SegmentRecovery.recoverOpenSegments(options: options)
            if recovered.files > 0 {
                let quarantined = recovered.quarantined > 0 ? ", \(recovered.quarantined) damaged file(s) moved to quarantine/" : ""
                Diagnostics.logger.notice("recovered \(recovered.entries) entries from \(recovered.files) unfinished segment(s)\(quarantined)")
            }
            return (try SegmentSink(options: options), recovered.positions)
        } catch {
            throw RuntimeFailure("\(error)")
        }
    }
}
