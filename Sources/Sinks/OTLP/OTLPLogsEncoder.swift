import Foundation

/// Entry lines (the segment line format) → an OTLP `ExportLogsServiceRequest` (opentelemetry-proto
/// `collector/logs/v1`), protobuf-encoded. docs/otlp.md has the mapping:
///
/// - one `ResourceLogs` per (service, version, environment, host), in order of first appearance, with resource
///   attributes `service.name`, `service.version`, `deployment.environment.name`, `host.name`;
/// - one `ScopeLogs` (scope `logpipe`) holding the entries' `LogRecord`s in input order;
/// - a `LogRecord`: `time_unix_nano` from `timestamp`, `observed_time_unix_nano` (when sent), `severity_number`
///   (DEBUG 5, INFO 9, WARN 13, ERROR 17, FATAL 21) and `severity_text`, `body` = the message (string), and
///   attributes `user.id`, `session.id`, `request.id`, `exception.stacktrace` (the stack) and `logpipe.metadata`
///   (the metadata object's JSON text) when present.
///
/// Lines that are not entries are left out and counted. Runs on the delivery thread (not the pipeline's hot
/// path): the line is read with Foundation's JSON parser, which unescapes the strings protobuf needs raw.
enum OTLPLogsEncoder {
    static let severity: [String: UInt64] = ["DEBUG": 5, "INFO": 9, "WARN": 13, "ERROR": 17, "FATAL": 21]

    struct Encoded {
        var body: [UInt8]
        var records: Int
        var skipped: Int
    }

    static func encode(lines: ArraySlice<UInt8>, observedNanos: UInt64) -> Encoded {
        struct Resource { var key: [String]; var records: [[UInt8]] }
        var resources: [Resource] = []
        var index: [[String]: Int] = [:]
        var skipped = 0
        var start = lines.startIndex
        while start < lines.endIndex {
            let end = lines[start...].firstIndex(of: 10) ?? lines.endIndex
            defer { start = end + 1 }
            guard end > start else { continue }
            guard let e = try? JSONSerialization.jsonObject(with: Data(lines[start..<end])) as? [String: Any],
                  let record = logRecord(e, observedNanos: observedNanos) else { skipped += 1; continue }
            let c = e["context"] as? [String: Any] ?? [:]
            let key = ["service", "version", "environment", "host"].map { c[$0] as? String ?? "" }
            if let i = index[key] { resources[i].records.append(record) } else {
                index[key] = resources.count
                resources.append(Resource(key: key, records: [record]))
            }
        }
        var request = ProtobufWriter()
        for r in resources {
            request.message(1) { rl in                                      // ResourceLogs
                rl.message(1) { res in                                     // Resource
                    for (name, value) in zip(["service.name", "service.version", "deployment.environment.name", "host.name"], r.key)
                    where !value.isEmpty { res.message(1) { attribute(&$0, name, value) } }
                }
                rl.message(2) { sl in                                      // ScopeLogs
                    sl.message(1) { $0.string(1, "logpipe") }              // InstrumentationScope.name
                    for rec in r.records { sl.bytes(2, rec) }              // LogRecord
                }
            }
        }
        return Encoded(body: request.bytes, records: resources.reduce(0) { $0 + $1.records.count }, skipped: skipped)
    }

    /// One `LogRecord`; nil when the line lacks the model's timestamp or level.
    static func logRecord(_ e: [String: Any], observedNanos: UInt64) -> [UInt8]? {
        guard let ts = e["timestamp"] as? String, let nanos = unixNanos(ts),
              let level = e["level"] as? String, let number = severity[level] else { return nil }
        let c = e["context"] as? [String: Any] ?? [:]
        var w = ProtobufWriter()
        w.fixed64(1, nanos)
        w.varint(2, number)
        w.string(3, level)
        w.message(5) { $0.string(1, e["message"] as? String ?? "") }   // body: AnyValue.string_value
        for (name, value) in [("user.id", c["userId"]), ("session.id", c["sessionId"]), ("request.id", c["requestId"]),
                              ("exception.stacktrace", e["stack"])] {
            if let v = value as? String, !v.isEmpty { w.message(6) { attribute(&$0, name, v) } }
        }
        if let m = e["metadata"], let json = try? JSONSerialization.data(withJSONObject: m, options: [.sortedKeys]) {
            w.message(6) { attribute(&$0, "logpipe.metadata", String(decoding: json, as: UTF8.self)) }
        }
        w.fixed64(11, observedNanos)
        return w.bytes
    }

    /// A `KeyValue` with a string `AnyValue`.
    static func attribute(_ kv: inout ProtobufWriter, _ key: String, _ value: String) {
        kv.string(1, key)
        kv.message(2) { $0.string(1, value) }
    }

    /// `2026-03-01T10:00:00.123Z` (the segment format: UTC, milliseconds) → nanoseconds since 1970.
    static func unixNanos(_ s: String) -> UInt64? {
        let b = Array(s.utf8)
        guard b.count == 24, b[4] == 45, b[7] == 45, b[10] == 84, b[13] == 58, b[16] == 58, b[19] == 46, b[23] == 90 else { return nil }
        func n(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r { guard (48...57).contains(b[i]) else { return nil }; v = v * 10 + Int(b[i] - 48) }
            return v
        }
        guard let y = n(0..<4), let mo = n(5..<7), let d = n(8..<10), let h = n(11..<13), let mi = n(14..<16),
              let sec = n(17..<19), let ms = n(20..<23), (1...12).contains(mo), (1...31).contains(d) else { return nil }
        // Days from civil (Howard Hinnant's algorithm).
        let yy = mo <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        let seconds = days * 86_400 + h * 3600 + mi * 60 + sec
        guard seconds >= 0 else { return nil }
        return UInt64(seconds) * 1_000_000_000 + UInt64(ms) * 1_000_000
    }
}
