import Foundation
@testable import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `logpipe run --output otlp+http://…/v1/logs` (issue 21) against a receiver that decodes every request with the
/// OpenTelemetry protobuf definitions (PyPI opentelemetry-proto, scripts/otlp_receiver.py): every entry is a
/// LogRecord with every field right, under its resource; a receiver that answers 503 (Retry-After) then 200
/// loses nothing and is not asked again sooner than it said.
@Suite(.serialized, .enabled(if: OTLPReceiver.available, "needs python3 with opentelemetry-proto (pip install opentelemetry-proto)"))
struct OTLPOutputEndToEndTests {
    @Test(.timeLimit(.minutes(TestTime.minutes(2))))
    func everyEntryArrivesAsALogRecordWithEveryFieldRight() throws {
        let dir = TempDir("logpipe-otlp")
        let receiver = try OTLPReceiver(dir: dir)
        let input = (0..<400).map(ClickHouseEndToEndTests.inputLine).joined(separator: "\n") + "\n"
        let started = UInt64(Date().timeIntervalSince1970 * 1e9)
        let r = try logpipe(["run", "--out", dir.file("out"), "--state-dir", dir.file("state"),
                             "--output", "otlp+http://127.0.0.1:\(receiver.port)/v1/logs", "--output-batch-max", "32K"],
                            stdin: Data(input.utf8), environment: cleanEnvironment(), timeout: 60)
        #expect(r.status == 0, "\(r.stderrText)")
        #expect(r.stderrText.contains("http: 400 sent, 0 spooled, 0 refused"), "\(r.stderrText)")
        let entries = try jsonObjects(try logpipe(["cat", dir.file("out")]).stdout)
        try #require(entries.count == 400)
        let records = try receiver.records()
        let stats = try receiver.stats()
        try #require(records.count == 400, "\(stats)")
        #expect(stats["undecodable"] as? Int == 0)
        #expect((stats["content_types"] as? [String])?.allSatisfy { $0 == "application/x-protobuf" } == true)
        #expect((stats["encodings"] as? [String])?.allSatisfy { $0 == "gzip" } == true)
        #expect((stats["requests"] as? Int ?? 0) > 1, "batches of at most 32K")

        let byRequest = Dictionary(uniqueKeysWithValues: records.map { (($0["attributes"] as? [String: Any])?["request.id"] as? String ?? "", $0) })
        let severity = ["DEBUG": 5, "INFO": 9, "WARN": 13, "ERROR": 17, "FATAL": 21]
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for e in entries {
            let requestId = try #require(e.string("context.requestId"))
            let rec = try #require(byRequest[requestId], "no record for \(requestId)")
            let date = try #require(f.date(from: e.string("timestamp") ?? ""))
            #expect(rec["time_unix_nano"] as? Int == Int((date.timeIntervalSince1970 * 1000).rounded()) * 1_000_000, "\(requestId)")
            #expect((rec["observed_time_unix_nano"] as? Int ?? 0) >= Int(started))
            #expect(rec["severity_text"] as? String == e.string("level"))
            #expect(rec["severity_number"] as? Int == severity[e.string("level") ?? ""])
            #expect(rec["body_kind"] as? String == "string_value")
            #expect(rec["body"] as? String == e.string("message"), "\(requestId)")
            #expect(rec["scope"] as? String == "logpipe")
            let resource = try #require(rec["resource"] as? [String: String])
            #expect(resource == ["service.name": e.string("context.service")!, "service.version": e.string("context.version")!,
                                 "deployment.environment.name": e.string("context.environment")!,
                                 "host.name": e.string("context.host")!], "\(requestId)")
            let a = try #require(rec["attributes"] as? [String: String])
            var expected = ["request.id": requestId, "session.id": e.string("context.sessionId")!]
            if let u = e.string("context.userId") { expected["user.id"] = u }
            if let s = e.string("stack") { expected["exception.stacktrace"] = s }
            #expect(a.filter { $0.key != "logpipe.metadata" } == expected, "\(requestId)")
            if let m = e["metadata"] as? NSDictionary {
                let got = try JSONSerialization.jsonObject(with: Data((a["logpipe.metadata"] ?? "").utf8)) as? NSDictionary
                #expect(got == m, "\(requestId)")
            } else {
                #expect(a["logpipe.metadata"] == nil)
            }
        }
        // Within a resource, records keep the input order.
        var last: [String: Int] = [:]
        for rec in records {
            let key = "\(rec["resource"] ?? "")"
            let n = Int(((rec["attributes"] as? [String: Any])?["request.id"] as? String ?? "r-0").dropFirst(2)) ?? 0
            #expect(n > last[key, default: -1])
            last[key] = n
        }
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(2))))
    func unavailableThenOKLosesNothingAndHonoursRetryAfter() throws {
        let dir = TempDir("logpipe-otlp-503")
        let receiver = try OTLPReceiver(dir: dir, unavailable: 2)
        let input = (0..<300).map(ClickHouseEndToEndTests.inputLine).joined(separator: "\n") + "\n"
        let started = Date()
        let r = try logpipe(["run", "--out", dir.file("out"), "--state-dir", dir.file("state"),
                             "--output", "otlp+http://127.0.0.1:\(receiver.port)/v1/logs"],
                            stdin: Data(input.utf8), environment: cleanEnvironment(), timeout: 60)
        let took = Date().timeIntervalSince(started)
        #expect(r.status == 0, "\(r.stderrText)")
        #expect(r.stderrText.contains("http: 300 sent, 0 spooled, 0 refused"), "\(r.stderrText)")
        let records = try receiver.records()
        let ids = records.compactMap { ($0["attributes"] as? [String: Any])?["request.id"] as? String }
        #expect(ids.count == 300)
        #expect(Set(ids) == Set((0..<300).map { "r-\($0)" }))
        #expect(try receiver.stats()["unavailable"] as? Int == 2)
        // Two answers of `503, Retry-After: 1`: at least two seconds of waiting (the backoff alone starts at 100 ms).
        #expect(took >= 1.9, "took \(took) s")
    }
}

/// scripts/otlp_receiver.py, started for one test (stopped when released).
final class OTLPReceiver {
    static let available: Bool = {
        guard let r = try? runProgram("/usr/bin/env", ["python3", "-c", "import opentelemetry.proto.collector.logs.v1.logs_service_pb2"],
                                      timeout: 30) else { return false }
        return r.status == 0
    }()

    let out: String
    let port: Int
    private let process: RunningProcess

    init(dir: TempDir, unavailable: Int = 0) throws {
        out = dir.file("otlp-records.jsonl")
        process = try RunningProcess(executable: "/usr/bin/env",
                                     arguments: ["python3", Harness.packageRoot + "/scripts/otlp_receiver.py", out,
                                                 "--unavailable", "\(unavailable)"], scratch: dir)
        let deadline = Date().addingTimeInterval(20)
        var found: Int?
        while found == nil, Date() < deadline {
            found = (try? String(contentsOfFile: out + ".port", encoding: .utf8)).flatMap { Int($0) }
            if found == nil { usleep(50_000) }
        }
        guard let found else { throw ToolError.failed("otlp_receiver.py did not start") }
        port = found
    }

    deinit { process.signal(SIGTERM); _ = process.wait(timeout: 5) }

    func records() throws -> [[String: Any]] { try jsonObjects(Data(contentsOf: URL(fileURLWithPath: out))) }

    func stats() throws -> [String: Any] { try readJSONObject(out + ".stats") }
}
