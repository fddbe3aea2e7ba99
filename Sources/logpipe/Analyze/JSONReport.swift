import Foundation
import Pipeline

/// `--format json`: the report as one JSON document (schema version 1; also in docs/analyze-json.md).
///
/// ```
/// {
///   "schemaVersion": 1,
///   "entries": Int,                        // entries analysed
///   "firstTimestamp": String|null,         // RFC 3339 UTC, milliseconds
///   "lastTimestamp": String|null,
///   "levels": {"DEBUG": Int, "INFO": Int, "WARN": Int, "ERROR": Int, "FATAL": Int},
///   "errors": {
///     "total": Int,                        // ERROR + FATAL entries
///     "patterns": [{                       // by count, most first
///       "template": String,                // message template, variables as <*>
///       "firstFrame": String,              // first stack frame ("" without a stack)
///       "count": Int, "firstTimestamp": String, "lastTimestamp": String,
///       "services": [String], "environments": [String], "sample": String }]},
///   "performance": [{                      // metadata.type "performance", by metric name
///     "metric": String, "count": Int, "min": Number, "max": Number, "mean": Number,
///     "p50": Number, "p95": Number, "p99": Number }],   // nearest-rank percentiles
///   "userActions": [{"action": String, "count": Int, "uniqueUsers": Int}],  // by count
///   "errorRate": [{"minute": String, "entries": Int, "errors": Int, "rate": Number}],  // per UTC minute, in order
///   "incidents": {
///     "windowMs": Int,
///     "items": [{                          // in the order raised
///       "kind": "ERROR_RATE"|"ERROR_THRESHOLD_EXCEEDED", "severity": "medium"|"high"|"critical",
///       "timestamp": String, "service": String, "windowMs": Int, "errors": Int, "entries": Int,
///       "rate": Number|null, "error": String|null }]}
/// }
/// ```
/// Fields are only ever added within a schema version; keys appear in the order above.
enum JSONReport {
    static func render(_ r: AnalysisReport) -> String {
        let time = { (ms: Int64) -> JSONValue in .string(AnalysisReport.time(ms)) }
        let counts = { (c: [NameCount]) -> JSONValue in .array(c.map { .object([("name", .string($0.name)), ("count", .int($0.count))]) }) }
        let rates = { (v: [Double?]) -> JSONValue in .array(v.map { $0.map(JSONValue.number) ?? .null }) }
        let sectionSchemaVersion: JSONValue = .int(1)
        let sectionEntries: JSONValue = .int(r.entries)
        let sectionFirstTimestamp: JSONValue = r.firstMillis.map(time) ?? .null
        let sectionLastTimestamp: JSONValue = r.lastMillis.map(time) ?? .null
        let sectionLevels: JSONValue = .object(r.levels.map { ($0.name, .int($0.count)) })
        let sectionTimeline: JSONValue = .object([
                ("start", time(r.timeline.startMillis)), ("bucketMs", .int(Int(r.timeline.bucketMillis))),
                ("buckets", .int(r.timeline.count)),
            ])
        let sectionServices: JSONValue = .array(r.services.map { s in .object([
                ("service", .string(s.name)), ("entries", .int(s.entries)), ("errors", .int(s.errors)),
                ("rate", .number(s.rate)), ("rateTrend", rates(r.timeline.rates(s.perMinute))),
            ]) })
        let sectionEnvironments: JSONValue = counts(r.environments)
        let sectionErrors: JSONValue = .object([
                ("total", .int(r.errorTotal)),
                ("patterns", .array(r.patterns.map { p in .object([
                    ("template", .string(p.template)), ("firstFrame", .string(p.firstFrame)), ("count", .int(p.count)),
                    ("firstTimestamp", time(p.firstMillis)), ("lastTimestamp", time(p.lastMillis)),
                    ("services", .array(p.services.map(JSONValue.string))),
                    ("environments", .array(p.environments.map(JSONValue.string))),
                    ("sample", .string(p.sample)),
                    ("serviceCounts", counts(p.serviceCounts)),
                ]) })),
                ("groups", .array(r.groups.map { g in .object([
                    ("template", .string(g.template)), ("count", .int(g.count)),
                    ("firstTimestamp", time(g.firstMillis)), ("lastTimestamp", time(g.lastMillis)),
                    ("services", counts(g.serviceCounts)), ("environments", counts(g.environmentCounts)),
                    ("trend", .array(r.timeline.sum(g.perMinute).map(JSONValue.int))),
                    ("variants", .array(g.variants.map { v in .object([
                        ("firstFrame", .string(v.firstFrame)), ("count", .int(v.count)), ("sample", .string(v.sample)),
                    ]) })),
                ]) })),
            ])
        let sectionPerformance: JSONValue = .array(r.metrics.map { m in .object([
                ("metric", .string(m.name)), ("count", .int(m.count)), ("min", .number(m.min)), ("max", .number(m.max)),
                ("mean", .number(m.mean)), ("p50", .number(m.p50)), ("p95", .number(m.p95)), ("p99", .number(m.p99)),
                ("overTime", .array(m.overTime.map { b in b.map { .object([
                    ("count", .int($0.count)), ("p50", .number($0.p50)), ("p95", .number($0.p95)), ("p99", .number($0.p99)),
                ]) } ?? .null })),
            ]) })
        let sectionUserActions: JSONValue = .array(r.actions.map { a in .object([
                ("action", .string(a.name)), ("count", .int(a.count)), ("uniqueUsers", .int(a.uniqueUsers)),
            ]) })
        let sectionFunnel: JSONValue = .array(r.funnel.map { .object([("action", .string($0.action)), ("users", .int($0.users))]) })
        let sectionErrorRate: JSONValue = .array(r.minutes.map { m in .object([
                ("minute", time(m.startMillis)), ("entries", .int(m.entries)),
                ("errors", .int(m.errors)), ("rate", .number(m.rate)),
            ]) })
        let sectionIncidents: JSONValue = .object([
                ("windowMs", .int(Int(r.windowMillis))),
                ("items", .array(r.incidents.map { i in .object([
                    ("kind", .string(i.kind.rawValue)), ("severity", .string(i.severity.rawValue)),
                    ("timestamp", time(i.timestampMillis)), ("service", .string(i.service)),
                    ("windowMs", .int(Int(i.windowMillis))), ("errors", .int(i.errors)), ("entries", .int(i.entries)),
                    ("rate", i.rate.map(JSONValue.number) ?? .null), ("error", i.errorKey.map(JSONValue.string) ?? .null),
                    ("id", .int(i.id)), ("state", .string(i.state.rawValue)),
                    ("start", time(i.startMillis)), ("end", i.endMillis.map(time) ?? .null),
                    ("peakTimestamp", time(i.peakMillis)), ("peakRate", .number(i.peakRate)),
                    ("baseline", i.baseline.map(JSONValue.number) ?? .null), ("openLevel", .number(i.openLevel)),
                    ("patterns", .array(i.patterns.map { .object([("pattern", .string($0.key)), ("count", .int($0.count))]) })),
                ]) })),
            ])
        let doc: JSONValue = .object([
            ("schemaVersion", sectionSchemaVersion),
            ("entries", sectionEntries),
            ("firstTimestamp", sectionFirstTimestamp),
            ("lastTimestamp", sectionLastTimestamp),
            ("levels", sectionLevels),
            ("timeline", sectionTimeline),
            ("services", sectionServices),
            ("environments", sectionEnvironments),
            ("errors", sectionErrors),
            ("performance", sectionPerformance),
            ("userActions", sectionUserActions),
            ("funnel", sectionFunnel),
            ("errorRate", sectionErrorRate),
            ("incidents", sectionIncidents),
        ])
        var out = ""
        doc.write(to: &out, indent: 0)
        return out + "\n"
    }
}

/// A JSON value with ordered object keys, written with two-space indentation.
indirect enum JSONValue {
    case null, int(Int), number(Double), string(String), array([JSONValue]), object([(String, JSONValue)])

    func write(to out: inout String, indent: Int) {
        let pad = String(repeating: "  ", count: indent + 1)
        let close = String(repeating: "  ", count: indent)
        switch self {
        case .null: out += "null"
        case let .int(v): out += String(v)
        case let .number(v): out += v.isFinite ? (v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)) : "null"
        case let .string(s): Self.quote(s, to: &out)
        case let .array(items):
            if items.isEmpty { out += "[]"; return }
            out += "[\n"
            for (k, item) in items.enumerated() {
                out += pad
                item.write(to: &out, indent: indent + 1)
                out += k + 1 < items.count ? ",\n" : "\n"
            }
            out += close + "]"
        case let .object(fields):
            if fields.isEmpty { out += "{}"; return }
            out += "{\n"
            for (k, (key, value)) in fields.enumerated() {
                out += pad
                Self.quote(key, to: &out)
                out += ": "
                value.write(to: &out, indent: indent + 1)
                out += k + 1 < fields.count ? ",\n" : "\n"
            }
            out += close + "}"
        }
    }

    static func quote(_ s: String, to out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        out += "\""
    }
}
