extension ConfigKey {
    /// Every key of the config file, in the order the docs list them. Add a flag to `run`, add its key here.
    static let all: [ConfigKey] = [
        ConfigKey("inputs", "--input", .list, default: "[stdin]",
                  "Inputs: `stdin`, `udp://HOST:PORT` (syslog/lines over UDP), `file:GLOB` (tail). A non-empty list; not used by `replay`.",
                  appliesToReplay: false),
        ConfigKey("state-dir", "--state-dir", .string, default: "./logpipe-state",
                  "Directory for file-tail checkpoints and urgent spools."),
        ConfigKey("log-level", "--log-level", .string, default: "info",
                  "logpipe's own diagnostics on stderr from this level: trace, debug, info, notice, warning, error, critical."),

        ConfigKey("pipeline.format", "--format", .string, default: "auto",
                  "Input format: auto (per line), json, logfmt, syslog, plain. Not used by `replay` (segments are JSON lines).",
                  appliesToReplay: false),
        ConfigKey("pipeline.min-level", "--min-level", .level, default: "DEBUG",
                  "Drop entries below this level: DEBUG, INFO, WARN, ERROR, FATAL."),
        ConfigKey("pipeline.multiline", "--multiline", .onOff, default: "on",
                  "Join continuation lines (indented, `at `, `Caused by:`, `Traceback`, `...`) to the entry before them."),
        ConfigKey("pipeline.max-line-bytes", "--max-line-bytes", .size, default: "1M",
                  "Cut longer lines here and mark them `metadata.truncated`."),
        ConfigKey("pipeline.read-from", "--read-from", .string, default: "beginning",
                  "Where to start in files seen for the first time: beginning or end."),
        ConfigKey("pipeline.partial-line-timeout", "--partial-line-timeout", .duration, default: "5s",
                  "Emit an unfinished last line of a tailed file after it has waited this long."),
        ConfigKey("pipeline.batch.max-entries", "--batch-max-entries", .int, default: "1000",
                  "Close a batch at this many entries."),
        ConfigKey("pipeline.batch.max-bytes", "--batch-max-bytes", .size, default: "1M",
                  "Close a batch at this many bytes of input."),
        ConfigKey("pipeline.batch.timeout", "--batch-timeout", .duration, default: "1s",
                  "Close a batch this long after its first line."),

        ConfigKey("enrich.service", "--service", .string, default: "$LOGPIPE_SERVICE or unknown",
                  "`context.service` for entries without one."),
        ConfigKey("enrich.environment", "--environment", .string, default: "$LOGPIPE_ENVIRONMENT or unknown",
                  "`context.environment` for entries without one."),
        ConfigKey("enrich.app-version", "--app-version", .string, default: "$LOGPIPE_APP_VERSION or unknown",
                  "`context.version` for entries without one."),

        ConfigKey("segments.out", "--out", .string, default: "./logpipe-data",
                  "Directory for the finalized segments and their manifests."),
        ConfigKey("segments.codec", "--codec", .string, default: "lz4",
                  "Segment codec: lz4 or gzip."),
        ConfigKey("segments.codec-level", "--codec-level", .int, default: "the codec's fast setting",
                  "Codec level (lz4: 0 fast … 12; gzip: 1 fast … 12)."),
        ConfigKey("segments.max-bytes", "--segment-max-bytes", .size, default: "128M",
                  "Rotate a segment at this many uncompressed bytes."),
        ConfigKey("segments.max-entries", "--segment-max-entries", .int, default: "no limit",
                  "Rotate a segment at this many entries."),
        ConfigKey("segments.max-segments", "--max-segments", .int, default: "no limit",
                  "Retention: keep only the newest N finalized segments."),
        ConfigKey("segments.max-age", "--max-age", .duration, default: "no limit",
                  "Retention: delete finalized segments older than this (e.g. 7d, 12h)."),
        ConfigKey("segments.max-total-bytes", "--max-total-bytes", .size, default: "no limit",
                  "Retention: keep the finalized segments under this total size."),

        ConfigKey("urgent.urls", "--urgent", .list, default: "none",
                  "Send entries at or above `urgent.level` here at once: `http://HOST[:PORT]/PATH`, `syslog+udp://HOST:PORT`, `syslog+tcp://HOST:PORT`. Required (non-empty) when `urgent:` is present.",
                  requiredInSection: true),
        ConfigKey("urgent.level", "--urgent-level", .level, default: "ERROR",
                  "Lowest level that takes the urgent path."),
        ConfigKey("urgent.headers", "--urgent-header", .list, default: "none",
                  "Extra HTTP headers `Name: value` for the http:// URLs (e.g. a token)."),
        ConfigKey("urgent.spool-max", "--urgent-spool-max", .size, default: "1G",
                  "Bound of each destination's spool of undelivered entries (at least 4K); beyond it entries are refused, loudly."),
        ConfigKey("urgent.drain-timeout", "--urgent-drain-timeout", .duration, default: "10s",
                  "At end of input, wait this long for urgent delivery; the rest stays spooled for the next start."),
        ConfigKey("urgent.timeout", "--urgent-timeout", .duration, default: "5s",
                  "Per-request timeout of urgent delivery."),
        ConfigKey("urgent.incidents", "--incidents", .onOff, default: "on",
                  "Raise incidents (error rate per service, repeated errors) on the urgent path and in the segments."),
        ConfigKey("urgent.incident-window", "--incident-window", .duration, default: "60s",
                  "Window of the error-rate monitor; its incidents go to the urgent path and the segments."),

        ConfigKey("metrics.address", "--metrics", .string, default: "off",
                  "Serve `GET /health` and `GET /metrics` (Prometheus) on HOST:PORT, e.g. 127.0.0.1:9300."),
        ConfigKey("metrics.unhealthy-after", "--unhealthy-after", .duration, default: "30s",
                  "`/health` answers 503 once a sink has been failing this long."),
    ]

    static let byPath: [String: ConfigKey] = Dictionary(uniqueKeysWithValues: all.map { ($0.path, $0) })

    /// Every section path (`pipeline`, `pipeline.batch`, …): the proper prefixes of the key paths.
    static let sections: Set<String> = Set(all.flatMap { key -> [String] in
        let parts = key.path.split(separator: ".")
        return (1..<max(parts.count, 1)).map { parts[..<$0].joined(separator: ".") }
    })
}
