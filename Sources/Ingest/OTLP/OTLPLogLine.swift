import Foundation
import Pipeline

/// One OTLP log record as one JSON line in the entry model's keys, so the pipeline's parse stage (JSON) takes it
/// like any other input (DESIGN.md §3):
///
/// - resource `service.name` → `service`, `service.version` → `version`, `deployment.environment(.name)` →
///   `environment`, `host.name` → `host`; the other resource attributes → `metadata.resource`;
/// - severity number → `level` by the OTLP ranges (1–8 DEBUG, 9–12 INFO, 13–16 WARN, 17–20 ERROR, 21–24 FATAL),
///   or the severity text when there is no number; both originals under `metadata`;
/// - `time_unix_nano` (else `observed_time_unix_nano`) → `timestamp` (epoch milliseconds);
/// - body → `message` (a string as it is; any other value as its JSON text);
/// - attribute `exception.stacktrace` → `stack`; the other record attributes → `metadata` (flat);
/// - `trace_id`/`span_id` (lower-case hex, when valid), `event_name`, `flags`, the scope → `metadata`.
///
/// An attribute whose key is one of those `metadata` names is kept as `attributes.<key>`.
struct OTLPLogLine {
    typealias Record = Opentelemetry_Proto_Logs_V1_LogRecord
    typealias KeyValue = Opentelemetry_Proto_Common_V1_KeyValue

    /// What a resource contributes to each of its records (worked out once per resource).
    struct ResourceContext {
        var service: String?, version: String?, environment: String?, host: String?
        var others: [KeyValue] = []

        init(_ resource: Opentelemetry_Proto_Resource_V1_Resource?) {
            for pair in resource?.attributes ?? [] {
                switch (pair.key, pair.value.value) {
                case let ("service.name", .stringValue(s)?) where service == nil: service = s
                case let ("service.version", .stringValue(s)?) where version == nil: version = s
                case let ("host.name", .stringValue(s)?) where host == nil: host = s
                case let ("deployment.environment.name", .stringValue(s)?),
                     let ("deployment.environment", .stringValue(s)?):
                    if environment == nil { environment = s } else { others.append(pair) }
                default: others.append(pair)
                }
            }
        }
    }

    static let reserved: Set<String> = ["trace_id", "span_id", "severity_text", "severity_number", "event_name",
                                        "flags", "scope", "resource", "dropped_attributes_count"]

    /// Level by the OTLP severity number ranges (TRACE counts as DEBUG), nil for 0 or out of range.
    static func level(severityNumber n: Int) -> String? {
        switch n {
        case 1...8: "DEBUG"
        case 9...12: "INFO"
        case 13...16: "WARN"
        case 17...20: "ERROR"
        case 21...24: "FATAL"
        default: nil
        }
    }

    /// Appends `record`'s line (no newline) to `out`.
    static func write(_ record: Record, resource: ResourceContext, scope: Opentelemetry_Proto_Common_V1_InstrumentationScope?,
                      to out: Pipeline.ByteBuffer) {
        typealias W = OTLPJSONWriter
        var members = OTLPJSONWriter.Members(out)
        func key(_ k: String) { members.key(k) }
        let nanos = record.timeUnixNano != 0 ? record.timeUnixNano : record.observedTimeUnixNano
        if nanos != 0 { key("timestamp"); out.appendDecimal(Int(nanos / 1_000_000)) }
        let number = record.severityNumber.rawValue
        if let level = level(severityNumber: number) {
            key("level"); W.string(level, to: out)
        } else if !record.severityText.isEmpty {
            key("level"); W.string(record.severityText, to: out)
        }
        if record.hasBody {
            key("message")
            if case let .stringValue(text)? = record.body.value { W.string(text, to: out) } else { W.string(record.body.textForm, to: out) }
        }
        if let s = resource.service { key("service"); W.string(s, to: out) }
        if let s = resource.version { key("version"); W.string(s, to: out) }
        if let s = resource.environment { key("environment"); W.string(s, to: out) }
        if let s = resource.host { key("host"); W.string(s, to: out) }
        if let stack = record.attributes.first(where: { $0.key == "exception.stacktrace" }),
           case let .stringValue(s)? = stack.value.value {
            key("stack"); W.string(s, to: out)
        }
        key("metadata")
        writeMetadata(record, number: number, resource: resource, scope: scope, to: out)
        out.append(UInt8(ascii: "}"))
    }

    private static func writeMetadata(_ record: Record, number: Int, resource: ResourceContext,
                                      scope: Opentelemetry_Proto_Common_V1_InstrumentationScope?, to out: Pipeline.ByteBuffer) {
        typealias W = OTLPJSONWriter
        var members = OTLPJSONWriter.Members(out)
        func key(_ k: String) { members.key(k) }
        let repeated = W.repeatedKeys(record.attributes)
        for (i, pair) in record.attributes.enumerated() where repeated?[i] != true {
            if pair.key == "exception.stacktrace", case .stringValue? = pair.value.value { continue }
            key(reserved.contains(pair.key) ? "attributes." + pair.key : pair.key)
            W.value(pair.value, to: out)
        }
        if isValidID(record.traceID, 16) { key("trace_id"); W.hex(record.traceID, to: out) }
        if isValidID(record.spanID, 8) { key("span_id"); W.hex(record.spanID, to: out) }
        if number != 0 { key("severity_number"); out.appendDecimal(number) }
        if !record.severityText.isEmpty, level(severityNumber: number) != nil {
            key("severity_text"); W.string(record.severityText, to: out)
        }
        if !record.eventName.isEmpty { key("event_name"); W.string(record.eventName, to: out) }
        if record.flags != 0 { key("flags"); out.append(string: String(record.flags)) }
        if record.droppedAttributesCount != 0 {
            key("dropped_attributes_count"); out.append(string: String(record.droppedAttributesCount))
        }
        if let scope, !scope.name.isEmpty || !scope.version.isEmpty || !scope.attributes.isEmpty {
            key("scope")
            var inner = W.Members(out)
            if !scope.name.isEmpty { inner.key("name"); W.string(scope.name, to: out) }
            if !scope.version.isEmpty { inner.key("version"); W.string(scope.version, to: out) }
            if !scope.attributes.isEmpty { inner.key("attributes"); W.object(scope.attributes, to: out) }
            out.append(UInt8(ascii: "}"))
        }
        if !resource.others.isEmpty { key("resource"); W.object(resource.others, to: out) }
        out.append(UInt8(ascii: "}"))
    }

    /// OTLP: an ID of the wrong length or all zeroes means "none".
    static func isValidID(_ id: Data, _ length: Int) -> Bool {
        id.count == length && id.withUnsafeBytes { $0.contains { $0 != 0 } }
    }
}
