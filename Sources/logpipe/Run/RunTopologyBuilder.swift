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
        let live: LiveSettings
        let metrics: PipelineMetrics?
        let health: HealthState
        /// Makes the sources of `--input`s (at start and on reload: one buffer pool, one checkpoint store).
        let inputs: InputFactory
        /// Segments finalized by this run's segment sinks (a reload may replace the sink).
        let segments: SegmentTally
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
        try build(settings: settings, outputs: outputs) { factory in
            try settings.inputs.map { try factory.make($0, settings: settings, lowLatency: outputs.urgent != nil) }
        }
    }

    /// A topology over the sources `makeSources` builds (replay gives its own), made once the archive is recovered;
    /// `delivered` sees each batch once every sink has it.
    static func build(settings: RunOptions.Resolved, outputs: Outputs, delivered: ((EncodedBatch) -> Void)? = nil,
                      makeSources: (InputFactory) throws -> [Source]) throws -> Parts {
        let inputs = InputFactory(stateDir: settings.stateDir)
        let rawPool = inputs.pool
        let (segments, archive) = outputs.segments ? try openSegments(settings.segments) : (nil, [:])
        let sources = try makeSources(inputs)
        do {
            for source in sources { try source.resume(fromArchive: archive) }
        } catch {
            throw RuntimeFailure("cannot resume from the archive's positions: \(error)")
        }
        let sinks: [Sink] = [outputs.urgent as Sink?, outputs.clickhouse, outputs.http, segments].compactMap { $0 }
        let live = LiveSettings(settings.encoder)
        let metrics = settings.metricsAddress != nil ? PipelineMetrics() : nil
        let health = HealthState(unhealthyAfterMillis: Int64(settings.unhealthyAfterMillis))
        let tally = SegmentTally()
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
        if settings.incidents {
            let monitor = IncidentMonitor(windowMillis: settings.incidentWindowMillis,
                                          enrichment: settings.encoder.enrichment, sessionId: RunPipeline.newSessionId())
            let compressor = codec.codec.makeCompressor(level: codec.codecLevel)
            topology.observe = { batch in
                // Incidents go out on the urgent path: only while there is one (a reload may add or remove it).
                guard live.urgent, let (lines, _) = monitor.observe(batch.encoded) else { return nil }
                // Incidents: entries of their own, on the urgent path and in the segments.
                let incidents = SegmentLine.batch(from: lines, origin: batch.encoded.origin).batch
                let frame = ByteBuffer(capacity: compress ? lines.count + 1024 : 0)
                if compress { compressor.compress(incidents.output.bytes, into: frame) }
                if taps.attached { taps.delivered(incidents) }
                return CompressedBatch(encoded: incidents, frame: frame)
            }
        }
        live.urgent = outputs.urgent != nil
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
        topology.tick = { inFlight, sources, sinks in
            tally.current = sinks.lazy.compactMap { $0 as? SegmentSink }.first
            if let metrics { report(to: metrics, inFlight: inFlight, sources: sources, sinks: sinks, segments: tally.finalized) }
            for sink in sinks where !(sink is SegmentSink) {
                let h = sink.health
                health.sink(sink.name, error: h.failingSinceMillis == nil ? nil : h.lastError)
            }
        }
        tally.current = segments
        return Parts(settings: settings, topology: topology, live: live, metrics: metrics, health: health,
                     inputs: inputs, segments: tally, taps: taps, stats: stats)
    }

    /// The sources' and sinks' figures for /metrics, every half second.
    private static func report(to metrics: PipelineMetrics, inFlight: Int, sources: [Source], sinks: [Sink], segments: Int) {
        metrics.inFlight.record(inFlight)
        for source in sources {
            for g in source.gauges {
                switch g.kind {
                case .counter: metrics.count(g.name, labels: g.labels, Int(g.value))
                case .gauge: metrics.set(g.name, labels: g.labels, g.value)
                }
            }
        }
        metrics.segments.record(segments)
        for sink in sinks where !(sink is SegmentSink) {
            let h = sink.health
            for (name, value) in h.counters { metrics.count("logpipe_\(sink.name)_\(name)_total", value) }
            for (name, value) in h.gauges { metrics.set("logpipe_\(sink.name)_\(name)_entries", Double(value)) }
        }
    }

    /// Recovers what an earlier run left open, then opens the segment sink; returns it with the source positions
    /// the archive holds.
    static func openSegments(_ options: SegmentOptions) throws -> (SegmentSink, [String: Int64]) {
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
