import ArgumentParser
import Foundation
import Ingest
import Pipeline
import SegmentFormat
import Sinks

/// The pipeline flags shared by `run` and `replay` (DESIGN.md §3).
struct RunOptions: ParsableArguments {
    @Option(help: "Read flags from this YAML file (docs/config.md); flags given on the command line win.")
    var config: String?
    @Option(name: .customLong("input"), help: "Input: stdin (default), udp://HOST:PORT, file:GLOB, tcp://HOST:PORT, tls://HOST:PORT, forward://HOST:PORT. Repeatable.")
    var inputs: [String] = []
    @Option(help: "Directory for segments.")
    var out = ConfigKey.defaultValue(of: "--out")
    @Option(help: "Segment codec: lz4, gzip or zstd.")
    var codec = ConfigKey.defaultValue(of: "--codec")
    @Option(help: "Codec level (lz4: 0 fast … 12; gzip: 1 fast … 12; zstd: 1 fast … 19, negative faster). Default: the codec's fast setting (zstd: 1).")
    var codecLevel: Int?
    @Option(help: "Drop entries below this level: DEBUG, INFO, WARN, ERROR, FATAL.")
    var minLevel = ConfigKey.defaultValue(of: "--min-level")
    @Option(help: "Input format: auto (per line), json, logfmt, syslog, plain.")
    var format: InputFormat = .auto
    @Option(help: "Rotate a segment at this many uncompressed bytes (K/M/G).")
    var segmentMaxBytes = ConfigKey.defaultValue(of: "--segment-max-bytes")
    @Option(help: "Rotate a segment at this many entries.")
    var segmentMaxEntries: Int?
    @Option(help: "Keep only the newest N finalized segments.")
    var maxSegments: Int?
    @Option(help: "Delete finalized segments older than this (e.g. 7d, 12h).")
    var maxAge: String?
    @Option(help: "Keep the finalized segments under this total size (K/M/G).")
    var maxTotalBytes: String?
    @Option(help: "Close a batch at this many entries.")
    var batchMaxEntries = Int(ConfigKey.defaultValue(of: "--batch-max-entries"))!
    @Option(help: "Close a batch at this many bytes of input (K/M/G).")
    var batchMaxBytes = ConfigKey.defaultValue(of: "--batch-max-bytes")
    @Option(help: "Close a batch this long after its first line (ms/s/m); a tailed file that goes quiet after a burst is cut sooner.")
    var batchTimeout = ConfigKey.defaultValue(of: "--batch-timeout")
    @Option(help: "Collapse identical consecutive messages of one source within this window (e.g. 10s) into the first and one entry with metadata.repeated = N.")
    var dedup: String?
    @Option(help: "Cut longer lines here and mark them metadata.truncated (K/M/G).")
    var maxLineBytes = ConfigKey.defaultValue(of: "--max-line-bytes")
    @Option(help: "Join continuation lines (leading whitespace, 'at ', 'Caused by:', 'Traceback', '...') to the entry before them: on or off.")
    var multiline = ConfigKey.defaultValue(of: "--multiline")
    @Option(help: "Where to start in files seen for the first time: beginning or end.")
    var readFrom = ConfigKey.defaultValue(of: "--read-from")
    @Option(help: "Emit an unfinished last line of a tailed file after it has waited this long.")
    var partialLineTimeout = ConfigKey.defaultValue(of: "--partial-line-timeout")
    @Option(help: "Directory for checkpoints and spools.")
    var stateDir = ConfigKey.defaultValue(of: "--state-dir")
    @Option(help: "Raise incidents (error rate, repeated errors) on the urgent path and in the segments: on or off.")
    var incidents = ConfigKey.defaultValue(of: "--incidents")
    @Option(help: "Window of the error-rate monitor (incidents on the urgent path and in the segments, with --urgent).")
    var incidentWindow = ConfigKey.defaultValue(of: "--incident-window")
    @Option(help: "Serve GET /health and GET /metrics (Prometheus) on HOST:PORT, e.g. 127.0.0.1:9300.")
    var metrics: String?
    @Option(help: "/health answers 503 once a sink has been failing this long.")
    var unhealthyAfter = ConfigKey.defaultValue(of: "--unhealthy-after")
    @Option(help: "logpipe's own diagnostics on stderr from this level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = ConfigKey.defaultValue(of: "--log-level")
    @OptionGroup(title: "Network inputs") var network: NetworkInputOptions
    @Option(help: "context.service for entries without one (default: $LOGPIPE_SERVICE or \"unknown\").")
    var service: String?
    @Option(help: "context.environment for entries without one (default: $LOGPIPE_ENVIRONMENT or \"unknown\").")
    var environment: String?
    @Option(help: "context.version for entries without one (default: $LOGPIPE_APP_VERSION or \"unknown\").")
    var appVersion: String?

    /// The validated, typed settings.
    struct Resolved {
        var inputs: [InputSpec]
        var segments: SegmentOptions
        var encoder: EncoderOptions
        var framing: FramingOptions
        var tail: TailOptions
        var stateDir: String
        var metricsAddress: String?
        var incidentWindowMillis: Int64
        var logLevel: String
        var incidents: Bool
        var unhealthyAfterMillis: Int
        var network: NetworkInputOptions.Resolved
    }

    func resolve() throws -> Resolved {
        guard let codecValue = SegmentCodec(rawValue: codec.lowercased()) else {
            throw ValidationError("invalid --codec \"\(codec)\": expected lz4, gzip or zstd")
        }
        if codecValue == .zstd, let level = codecLevel, !(-7...19).contains(level) {
            throw ValidationError("invalid --codec-level \(level) for zstd: expected -7 … 19")
        }
        let inputs = try (self.inputs.isEmpty ? ["stdin"] : self.inputs).map(InputSpec.init)
        if inputs.filter({ $0 == .stdin }).count > 1 { throw ValidationError("invalid --input: stdin given twice") }
        let env = ProcessInfo.processInfo.environment
        let enrichment = Enrichment(
            service: service ?? env["LOGPIPE_SERVICE"] ?? "unknown",
            version: appVersion ?? env["LOGPIPE_APP_VERSION"] ?? "unknown",
            environment: environment ?? env["LOGPIPE_ENVIRONMENT"] ?? "unknown",
            host: ProcessInfo.processInfo.hostName)
        let segments = SegmentOptions(
            directory: out, codec: codecValue, codecLevel: codecLevel,
            maxBytes: try ArgumentValues.size(segmentMaxBytes, flag: "--segment-max-bytes"),
            maxEntries: try segmentMaxEntries.map { try ArgumentValues.positive($0, flag: "--segment-max-entries") } ?? .max,
            maxSegments: try maxSegments.map { try ArgumentValues.positive($0, flag: "--max-segments") },
            maxAgeMillis: try maxAge.map { Int64(try ArgumentValues.duration($0, flag: "--max-age")) },
            maxTotalBytes: try maxTotalBytes.map { try ArgumentValues.size($0, flag: "--max-total-bytes") })
        let framing = FramingOptions(
            maxLineBytes: try ArgumentValues.size(maxLineBytes, flag: "--max-line-bytes"),
            batchMaxEntries: try ArgumentValues.positive(batchMaxEntries, flag: "--batch-max-entries"),
            batchMaxBytes: try ArgumentValues.size(batchMaxBytes, flag: "--batch-max-bytes"),
            batchTimeoutMillis: try ArgumentValues.duration(batchTimeout, flag: "--batch-timeout"),
            multiline: try Self.onOff(multiline, flag: "--multiline"))
        guard readFrom == "beginning" || readFrom == "end" else {
            throw ValidationError("invalid --read-from \"\(readFrom)\": expected beginning or end")
        }
        let tail = TailOptions(readFromEnd: readFrom == "end",
                               partialLineTimeoutMillis: try ArgumentValues.duration(partialLineTimeout, flag: "--partial-line-timeout"),
                               stateDir: stateDir)
        let encoder = EncoderOptions(format: format, minLevel: try ArgumentValues.level(minLevel, flag: "--min-level"),
                                     enrichment: enrichment,
                                     dedupWindowMillis: try dedup.map { Int64(try ArgumentValues.positive(try ArgumentValues.duration($0, flag: "--dedup"), flag: "--dedup")) })
        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel.lowercased()) else {
            throw ValidationError("invalid --log-level \"\(logLevel)\": expected trace, debug, info, notice, warning, error or critical")
        }
        if let m = metrics, m.lastIndex(of: ":").flatMap({ Int(m[m.index(after: $0)...]) }) == nil {
            throw ValidationError("invalid --metrics \"\(m)\": expected HOST:PORT, e.g. 127.0.0.1:9300")
        }
        let network = try self.network.resolve()
        if network.tls == nil, let tls = inputs.first(where: {
            switch $0 {
            case .tcp(_, _, true), .http(_, _, _, true): true
            default: false
            }
        }) {
            throw ValidationError("--input \(tls) needs --tls-cert and --tls-key")
        }
        return Resolved(inputs: inputs, segments: segments, encoder: encoder, framing: framing, tail: tail,
                        stateDir: stateDir, metricsAddress: metrics,
                        incidentWindowMillis: Int64(try ArgumentValues.duration(incidentWindow, flag: "--incident-window")),
                        logLevel: logLevel, incidents: try Self.onOff(incidents, flag: "--incidents"),
                        unhealthyAfterMillis: try ArgumentValues.duration(unhealthyAfter, flag: "--unhealthy-after"),
                        network: network)
    }

    private static func onOff(_ v: String, flag: String) throws -> Bool {
        switch v.lowercased() {
        case "on", "true", "yes": return true
        case "off", "false", "no": return false
        default: throw ValidationError("invalid \(flag) \"\(v)\": expected on or off")
        }
    }
}
