import Foundation
import Pipeline
import SwiftProtobuf
import Testing
@testable import Ingest

/// OTLP logs requests to entry lines: the mapping field by field, both encodings, bad bodies, the answers.
@Suite struct OTLPLogsRequestTests {
    typealias KV = Opentelemetry_Proto_Common_V1_KeyValue

    static func kv(_ key: String, _ value: String) -> KV {
        var pair = KV()
        pair.key = key
        pair.value.stringValue = value
        return pair
    }

    static func sample() -> OTLPLogsRequest.Export {
        var record = Opentelemetry_Proto_Logs_V1_LogRecord()
        record.timeUnixNano = 1_764_000_000_123_456_789
        record.severityNumber = .warn2
        record.severityText = "Warning"
        record.body.stringValue = "disk \"almost\" full"
        var count = KV()
        count.key = "disk.free"
        count.value.intValue = 42
        var tags = KV()
        tags.key = "tags"
        tags.value.arrayValue.values = [{ var v = Opentelemetry_Proto_Common_V1_AnyValue(); v.boolValue = true; return v }()]
        record.attributes = [kv("user.id", "u-7"), count, tags, kv("exception.stacktrace", "at a\nat b"), kv("trace_id", "clash")]
        record.traceID = Data((1...16).map { UInt8($0) })
        record.spanID = Data((1...8).map { UInt8($0 * 16) })
        var scope = Opentelemetry_Proto_Logs_V1_ScopeLogs()
        scope.scope.name = "app.db"
        scope.scope.version = "2.0"
        var structured = Opentelemetry_Proto_Logs_V1_LogRecord()
        structured.observedTimeUnixNano = 1_764_000_001_000_000_000
        structured.body.kvlistValue.values = [kv("k", "v")]
        scope.logRecords = [record, structured]
        var resource = Opentelemetry_Proto_Logs_V1_ResourceLogs()
        resource.resource.attributes = [kv("service.name", "checkout"), kv("service.version", "1.4.2"),
                                        kv("deployment.environment.name", "prod"), kv("host.name", "web-1"),
                                        kv("os.type", "linux")]
        resource.scopeLogs = [scope]
        var export = OTLPLogsRequest.Export()
        export.resourceLogs = [resource]
        return export
    }

    private func lines(_ request: OTLPLogsRequest, max: Int = 1 << 20) -> ([String], OTLPLogsRequest.Taken) {
        let batch = PeerBatch(origin: SourceOrigin(name: "t", sessionId: "s"), pool: nil, initialCapacity: 64)
        let taken = request.lines(into: batch, maxLineBytes: max, now: 0)
        guard let raw = batch.take(close: .end) else { return ([], taken) }
        return (raw.lines.map { String(decoding: raw.buffer.bytes[Int($0.start)..<Int($0.start + $0.length)], as: UTF8.self) }, taken)
    }

    private func object(_ line: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func protobufRecordsMapFieldByField() throws {
        let request = try OTLPLogsRequest(body: try Self.sample().serializedBytes(), encoding: .protobuf)
        let (out, taken) = lines(request)
        #expect(taken == OTLPLogsRequest.Taken(accepted: 2, rejected: 0))
        let first = try object(out[0])
        #expect(first["timestamp"] as? Int == 1_764_000_000_123)
        #expect(first["level"] as? String == "WARN")
        #expect(first["message"] as? String == "disk \"almost\" full")
        #expect(first["service"] as? String == "checkout")
        #expect(first["version"] as? String == "1.4.2")
        #expect(first["environment"] as? String == "prod")
        #expect(first["stack"] as? String == "at a\nat b")
        let meta = try #require(first["metadata"] as? [String: Any])
        #expect(meta["user.id"] as? String == "u-7")
        #expect(meta["disk.free"] as? Int == 42)
        #expect(meta["tags"] as? [Bool] == [true])
        #expect(meta["attributes.trace_id"] as? String == "clash")
        #expect(meta["trace_id"] as? String == "0102030405060708090a0b0c0d0e0f10")
        #expect(meta["span_id"] as? String == "1020304050607080")
        #expect(meta["severity_number"] as? Int == 14)
        #expect(meta["severity_text"] as? String == "Warning")
        #expect((meta["scope"] as? [String: String]) == ["name": "app.db", "version": "2.0"])
        #expect(first["host"] as? String == "web-1")
        #expect((meta["resource"] as? [String: String]) == ["os.type": "linux"])
        #expect(meta["exception.stacktrace"] == nil)
        let second = try object(out[1])
        #expect(second["timestamp"] as? Int == 1_764_000_001_000, "observed time when the event time is 0")
        #expect(second["message"] as? String == "{\"k\":\"v\"}", "a structured body is its JSON text")
        #expect(second["level"] == nil)
    }

    @Test func severityRanges() {
        let expected: [(Int, String?)] = [(0, nil), (1, "DEBUG"), (4, "DEBUG"), (5, "DEBUG"), (9, "INFO"), (12, "INFO"),
                                          (13, "WARN"), (17, "ERROR"), (20, "ERROR"), (21, "FATAL"), (24, "FATAL"), (25, nil)]
        for (n, level) in expected { #expect(OTLPLogLine.level(severityNumber: n) == level, "severity \(n)") }
    }

    @Test func otlpJSONWithHexIDsAndNumericEnumsAndUnknownFields() throws {
        let json = """
        {"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"pay"}}]},
         "scopeLogs":[{"scope":{"name":"s"},"logRecords":[{"timeUnixNano":"1764000000500000000","severityNumber":17,
         "severityText":"ERROR","body":{"stringValue":"boom"},"traceId":"5b8efff798038103d269b633813fc60c",
         "spanId":"eee19b7ec3c1b174","attributes":[{"key":"n","value":{"intValue":"7"}}],"futureField":1}]}]}]}
        """
        let request = try OTLPLogsRequest(body: Array(json.utf8), encoding: .json)
        let (out, _) = lines(request)
        let entry = try object(out[0])
        #expect(entry["level"] as? String == "ERROR")
        #expect(entry["timestamp"] as? Int == 1_764_000_000_500)
        #expect(entry["service"] as? String == "pay")
        let meta = try #require(entry["metadata"] as? [String: Any])
        #expect(meta["trace_id"] as? String == "5b8efff798038103d269b633813fc60c")
        #expect(meta["span_id"] as? String == "eee19b7ec3c1b174")
        #expect(meta["n"] as? Int == 7)
    }

    @Test func badBodiesAreNamedByReason() {
        #expect(throws: OTLPLogsRequest.Failure.self) { _ = try OTLPLogsRequest(body: [0xff, 0xff, 0xff, 0x01], encoding: .protobuf) }
        do {
            _ = try OTLPLogsRequest(body: [0xff, 0xff, 0xff, 0x01], encoding: .protobuf)
        } catch { #expect(error.reason == "invalid_protobuf") }
        // resource_logs[0].scope_logs[0].log_records[0].severity_text = "\xff" (invalid UTF-8 in a string field)
        let badUTF8: [UInt8] = [0x0a, 0x09, 0x12, 0x07, 0x12, 0x05, 0x1a, 0x03, 0x61, 0xff, 0x62]
        do {
            _ = try OTLPLogsRequest(body: badUTF8, encoding: .protobuf)
            Issue.record("invalid UTF-8 decoded")
        } catch { #expect(error.reason == "invalid_utf8") }
        do {
            _ = try OTLPLogsRequest(body: Array("{\"resourceLogs\": [".utf8), encoding: .json)
            Issue.record("cut JSON decoded")
        } catch { #expect(error.reason == "invalid_json") }
    }

    @Test func recordsOverTheLineLimitArePartialSuccess() throws {
        let request = try OTLPLogsRequest(body: try Self.sample().serializedBytes(), encoding: .protobuf)
        let (out, taken) = lines(request, max: 300)
        #expect(taken == OTLPLogsRequest.Taken(accepted: 1, rejected: 1))
        #expect(out.count == 1)
        let answer = try Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceResponse(
            serializedBytes: OTLPLogsRequest.response(rejected: 1, message: "too large", encoding: .protobuf))
        #expect(answer.partialSuccess.rejectedLogRecords == 1)
        #expect(answer.partialSuccess.errorMessage == "too large")
        let full = try Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceResponse(
            serializedBytes: OTLPLogsRequest.response(rejected: 0, message: "", encoding: .protobuf))
        #expect(!full.hasPartialSuccess)
        let status = try Google_Rpc_Status(jsonUTF8Bytes: OTLPLogsRequest.status(code: 3, message: "bad", encoding: .json))
        #expect(status.code == 3 && status.message == "bad")
    }

    @Test func extremeIntegersAndRepeatedKeysWriteValidJSON() throws {
        var low = KV(), high = KV()
        low.key = "n"
        low.value.intValue = .min
        high.key = "n"
        high.value.intValue = .max
        let many = (0..<40).map { Self.kv("k\($0 % 20)", "v\($0)") }
        var outer = Opentelemetry_Proto_Common_V1_AnyValue()
        outer.kvlistValue.values = [low, high] + many
        let out = Pipeline.ByteBuffer(capacity: 1024)
        OTLPJSONWriter.value(outer, to: out)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(out.bytes)) as? [String: Any])
        #expect(object["n"] as? Int == Int(Int64.min), "the first of a repeated key is kept")
        #expect(object.count == 21)
        #expect(object["k3"] as? String == "v3")
    }

    @Test func deepValuesStayWholeAsText() throws {
        var value = Opentelemetry_Proto_Common_V1_AnyValue()
        value.stringValue = "leaf"
        for _ in 0..<40 {
            var outer = Opentelemetry_Proto_Common_V1_AnyValue()
            outer.arrayValue.values = [value]
            value = outer
        }
        let out = Pipeline.ByteBuffer(capacity: 1024)
        OTLPJSONWriter.value(value, to: out)
        let text = String(decoding: out.bytes, as: UTF8.self)
        #expect(try JSONSerialization.jsonObject(with: Data(text.utf8)) is [Any])
        #expect(text.contains("leaf"))
    }
}
