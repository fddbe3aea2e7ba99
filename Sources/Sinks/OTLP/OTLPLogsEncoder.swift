
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
/// Lines that are not entries are left out and counted. Lines are read by ``OTLPEntryFields`` (bytes, no JSON
/// parser); `metadata` goes as the object's JSON text exactly as the segment line holds it.
enum OTLPLogsEncoder {
    static let severity: [String: UInt64] = ["DEBUG": 5, "INFO": 9, "WARN": 13, "ERROR": 17, "FATAL": 21]

    struct Encoded {
        var body: [UInt8]
        var records: Int
        var skipped: Int
    }

    static func encode(lines: ArraySlice<UInt8>, observedNanos: UInt64) -> Encoded {
        struct Resource { var key: [[UInt8]]; var records: ProtobufWriter }
        var resources: [Resource] = []
        var index: [[[UInt8]]: Int] = [:]
        var skipped = 0, records = 0
        lines.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress else { return }
            var s = 0
            while s < b.count {
                let e = b[s...].firstIndex(of: 10) ?? b.count
                defer { s = e + 1 }
                guard e > s else { continue }
                guard let f = OTLPEntryFields(base + s, e - s), let rec = logRecord(f, observedNanos: observedNanos) else {
                    skipped += 1
                    continue
                }
                records += 1
                let key = [f.service, f.version, f.environment, f.host]
                if let i = index[key] { resources[i].records.bytes(2, rec) } else {
                    index[key] = resources.count
                    var w = ProtobufWriter()
                    w.bytes(2, rec)
                    resources.append(Resource(key: key, records: w))
                }
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
                    sl.append(r.records)                                   // LogRecords (field 2 each)
                }
            }
        }
        return Encoded(body: request.bytes, records: records, skipped: skipped)
    }

    /// One `LogRecord`; nil when the line lacks the model's timestamp or level.
    static func logRecord(_ f: OTLPEntryFields, observedNanos: UInt64) -> [UInt8]? {
        guard let nanos = unixNanos(f.timestamp), let number = severity[String(decoding: f.level, as: UTF8.self)] else { return nil }
        var w = ProtobufWriter()
        w.fixed64(1, nanos)
        w.varint(2, number)
        w.bytes(3, f.level)
        w.message(5) { $0.bytes(1, f.message) }                          // body: AnyValue.string_value
        for (name, value) in [("user.id", f.userId), ("session.id", f.sessionId), ("request.id", f.requestId),
                              ("exception.stacktrace", f.stack), ("logpipe.metadata", f.metadata)] {
            if let v = value, !v.isEmpty { w.message(6) { attribute(&$0, name, v) } }
        }
        w.fixed64(11, observedNanos)
        return w.bytes
    }

    /// A `KeyValue` with a string `AnyValue`.
    static func attribute(_ kv: inout ProtobufWriter, _ key: String, _ value: [UInt8]) {
        kv.string(1, key)
        kv.message(2) { $0.bytes(1, value) }
    }

    static func attribute(_ kv: inout ProtobufWriter, _ key: String, _ value: String) {
        attribute(&kv, key, Array(value.utf8))
    }

    /// `2026-03-01T10:00:00.123Z` (the segment format: UTC, milliseconds) → nanoseconds since 1970.
    static func unixNanos(_ s: String) -> UInt64? { unixNanos(Array(s.utf8)) }

    static func unixNanos(_ b: [UInt8]) -> UInt64? {
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
