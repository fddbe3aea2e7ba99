import Foundation
@testable import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `logpipe run --input http://… | otlp://…` fed by real clients started here on 127.0.0.1: `curl` (NDJSON, JSON
/// arrays, plain lines, gzip and zstd bodies, the bearer token, 413, 404), the OpenTelemetry Python SDK's OTLP/HTTP
/// log exporter (protobuf, plain and gzip) and OTLP/JSON by curl; segments read back with `lz4 -dc` and checked
/// field by field; bad input counted by reason; 5,000 idle connections; kill -9 with acknowledgements.
@Suite(.serialized) struct HTTPInputEndToEndTests {
    /// A member of `metadata` by its (dotted) OTLP attribute name.
    private func meta(_ e: [String: Any], _ key: String) -> Any? { (e["metadata"] as? [String: Any])?[key] }

    /// `curl -X POST` of the file `body` to `url`: the status and the answer's body.
    private func post(_ url: String, _ body: String, _ headers: [String], dir: TempDir) throws -> (status: Int, body: String) {
        var args = ["-s", "-X", "POST", "--data-binary", "@" + body, "-w", "\n%{http_code}", url]
        for h in headers { args += ["-H", h] }
        let r = try runClient("curl", args)
        let text = String(decoding: r.stdout, as: UTF8.self)
        let status = Int(text.split(separator: "\n").last ?? "") ?? 0
        return (status, String(text.dropLast(String(status).count + 1)))
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(2)))) func curlBodiesFieldByField() throws {
        let dir = TempDir("logpipe-http")
        let token = dir.write("token", Data("s3cret-token\n".utf8))
        let other = try freeTCPPort()
        let live = try LiveNetworkRun(scheme: "http", extra: ["--input", "http://127.0.0.1:\(other)/ingest",
                                                              "--http-token-file", token, "--net-max-body-bytes", "64K"], dir: dir)
        let url = "http://127.0.0.1:\(live.port)/any/path"
        let auth = "Authorization: Bearer s3cret-token"
        let ndjson = dir.write("a.ndjson", Data(#"""
            {"level":"error","message":"payment declined","service":"billing","order":{"id":7}}
            {"msg":"second line","lvl":"warn","user_id":"u-9"}
            """#.utf8))
        #expect(try post(url, ndjson, [auth, "Content-Type: application/x-ndjson"], dir: dir) == (200, "{\"accepted\":2}\n"))
        let array = dir.write("b.json", Data(#"[{"message":"from an array","level":"debug"},\#n {"message":"pretty",\#n "n": [1, 2]}]"#.utf8))
        #expect(try post(url, array, [auth, "Content-Type: application/json"], dir: dir).status == 200)
        let plain = dir.write("c.txt", Data("plain text line\r\nlevel=info msg=\"logfmt line\"\n".utf8))
        #expect(try post(url, plain, [auth, "Content-Type: text/plain"], dir: dir).status == 200)
        let gz = dir.file("d.ndjson.gz"), zst = dir.file("e.ndjson.zst")
        try runClient("sh", ["-c", "printf '{\"message\":\"gzip body\"}\\n' | gzip -c > '\(gz)'; printf '{\"message\":\"zstd body\"}\\n' | zstd -q -c > '\(zst)'"])
        #expect(try post(url, gz, [auth, "Content-Type: application/x-ndjson", "Content-Encoding: gzip"], dir: dir).status == 200)
        #expect(try post(url, zst, [auth, "Content-Type: application/x-ndjson", "Content-Encoding: zstd"], dir: dir).status == 200)
        // Refusals: no token, a wrong one, a body over 64K (by Content-Length and once decoded), another path.
        #expect(try post(url, ndjson, ["Content-Type: application/x-ndjson"], dir: dir).status == 401)
        #expect(try post(url, ndjson, ["Authorization: Bearer nope"], dir: dir).status == 401)
        let big = dir.write("big.txt", Data(String(repeating: "x", count: 70_000).utf8))
        #expect(try post(url, big, [auth, "Content-Type: text/plain"], dir: dir).status == 413)
        let bomb = dir.file("bomb.gz")
        try runClient("sh", ["-c", "head -c 10000000 /dev/zero | gzip -c > '\(bomb)'"])
        #expect(try post(url, bomb, [auth, "Content-Type: text/plain", "Content-Encoding: gzip"], dir: dir).status == 413)
        let wrong = try post("http://127.0.0.1:\(other)/elsewhere", ndjson, [auth], dir: dir)
        #expect(wrong.status == 404)
        #expect(wrong.body.contains("POST to /ingest"))
        let third = dir.write("f.ndjson", Data(#"{"message":"on the other input"}"#.utf8))
        #expect(try post("http://127.0.0.1:\(other)/ingest", third, [auth, "Content-Type: application/x-ndjson"], dir: dir).status == 200)

        let r = live.stop()
        #expect(r.status == 0, "\(r.stderrText)")
        let entries = try live.entries()
        #expect(entries.count == 9, "\(entries.map { $0.string("message") ?? "" })")
        let declined = try entry(entries, "payment declined")
        #expect(declined.string("level") == "ERROR")
        #expect(declined.string("context.service") == "billing")
        #expect(declined[path: "metadata.order.id"] as? Int == 7)
        let second = try entry(entries, "second line")
        #expect(second.string("level") == "WARN")
        #expect(second.string("context.userId") == "u-9")
        #expect(try entry(entries, "from an array").string("level") == "DEBUG")
        #expect(try entry(entries, "pretty")[path: "metadata.n"] as? [Int] == [1, 2])
        #expect(try entry(entries, "plain text line").string("level") == "INFO")
        #expect(try entry(entries, "logfmt line").string("level") == "INFO")
        _ = try entry(entries, "gzip body")
        _ = try entry(entries, "zstd body")
        _ = try entry(entries, "on the other input")
        // One session per connection: curl opens one per request.
        #expect(Set(entries.compactMap { $0.string("context.sessionId") }).count == 6)
        for reason in ["2 unauthorized", "2 body_too_large", "1 not_found"] {
            #expect(r.stderrText.contains(reason), "\(reason) in \(r.stderrText)")
        }
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(2)))) func httpsOnTheSharedTLSEngine() throws {
        let dir = TempDir("logpipe-https")
        let certs = try TestCertificates(in: dir.path)
        let live = try LiveNetworkRun(scheme: "https", extra: ["--tls-cert", certs.serverCert, "--tls-key", certs.serverKey], dir: dir)
        let body = dir.write("tls.ndjson", Data(#"{"message":"over tls","level":"warn"}"#.utf8))
        let r = try runClient("curl", ["-s", "--cacert", certs.ca, "-X", "POST", "--data-binary", "@" + body, "-H",
                                       "Content-Type: application/x-ndjson", "-w", "%{http_code}", "https://127.0.0.1:\(live.port)/"])
        #expect(String(decoding: r.stdout, as: UTF8.self).hasSuffix("200"))
        let stopped = live.stop()
        #expect(stopped.status == 0, "\(stopped.stderrText)")
        #expect(try entry(try live.entries(), "over tls").string("level") == "WARN")
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(2)))) func openTelemetrySDKAndOTLPJSONFieldByField() throws {
        let live = try LiveNetworkRun(scheme: "otlp")
        let url = "http://127.0.0.1:\(live.port)/v1/logs"
        let sdk = Harness.packageRoot + "/scripts/otlp_sdk_send.py"
        try runClient("python3", [sdk, url, "--count", "5"], timeout: 60)
        try runClient("python3", [sdk, url, "--count", "2", "--compression", "gzip"], timeout: 60)
        let json = live.dir.write("otlp.json", Data(#"""
            {"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"pay"}},
              {"key":"deployment.environment","value":{"stringValue":"staging"}}]},
             "scopeLogs":[{"scope":{"name":"pay.api","version":"3"},"logRecords":[{"timeUnixNano":"1764000000250000000",
              "severityNumber":18,"severityText":"ERROR2","body":{"kvlistValue":{"values":[{"key":"code","value":{"intValue":"502"}}]}},
              "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
              "attributes":[{"key":"http.route","value":{"stringValue":"/charge"}}],"unknownField":true}]}]}]}
            """#.utf8))
        let answer = try post(url, json, ["Content-Type: application/json"], dir: live.dir)
        #expect(answer.status == 200)
        #expect(answer.body == "{}", "no partial_success when every record was taken")
        let r = live.stop()
        #expect(r.status == 0, "\(r.stderrText)")
        let entries = try live.entries()
        #expect(entries.count == 6 + 3 + 1)
        let levels = ["DEBUG", "INFO", "WARN", "ERROR", "FATAL"]
        for i in 0..<5 {
            let e = try entry(entries.filter { meta($0, "order.id") as? Int == i }.prefix(1).map { $0 }, "order \(i) placed")
            #expect(meta(e, "seq") as? Int == i)
            #expect(e.string("level") == levels[i])
            #expect(e.string("context.service") == "checkout")
            #expect(e.string("context.version") == "1.4.2")
            #expect(e.string("context.environment") == "test")
            #expect(e.string("context.host") == "web-1")
            #expect(meta(e, "user.id") as? String == "u-\(i)")
            #expect(e.string("metadata.scope.name") == "app.orders")
            #expect((meta(e, "resource") as? [String: Any])?["telemetry.sdk.language"] as? String == "python")
        }
        let failed = entries.filter { $0.string("message") == "payment failed" }
        #expect(failed.count == 2, "the exception record of each SDK run")
        #expect(failed.allSatisfy { $0.string("level") == "ERROR" && ($0.string("stack") ?? "").contains("ValueError: card declined") })
        #expect(failed.allSatisfy { meta($0, "exception.type") as? String == "ValueError" })
        let structured = try entry(entries, "{\"code\":502}")
        #expect(structured.string("level") == "ERROR")
        #expect(structured.string("timestamp") == "2025-11-24T16:00:00.250Z")
        #expect(structured.string("context.service") == "pay")
        #expect(structured.string("context.environment") == "staging")
        #expect(structured.string("metadata.trace_id") == "5b8efff798038103d269b633813fc60c")
        #expect(structured.string("metadata.span_id") == "eee19b7ec3c1b174")
        #expect(structured.string("metadata.severity_text") == "ERROR2")
        #expect(meta(structured, "http.route") as? String == "/charge")
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(2)))) func badInputIsCountedAndOthersCarryOn() throws {
        let live = try LiveNetworkRun(scheme: "otlp", extra: ["--input", "http://127.0.0.1:\(try freeTCPPort())/"])
        let url = "http://127.0.0.1:\(live.port)/v1/logs"
        let dir = live.dir
        let garbage = dir.write("garbage.bin", Data([0xff, 0xff, 0xff, 0x01, 0x02]))
        let bad = try post(url, garbage, ["Content-Type: application/x-protobuf"], dir: dir)
        #expect(bad.status == 400)
        // resource_logs[0].scope_logs[0].log_records[0].severity_text = "a\xffb"
        let utf8 = dir.write("utf8.bin", Data([0x0a, 0x09, 0x12, 0x07, 0x12, 0x05, 0x1a, 0x03, 0x61, 0xff, 0x62]))
        #expect(try post(url, utf8, ["Content-Type: application/x-protobuf"], dir: dir).status == 400)
        let cut = dir.write("cut.json", Data("{\"resourceLogs\":[{\"scopeLogs\":".utf8))
        let badJSON = try post(url, cut, ["Content-Type: application/json"], dir: dir)
        #expect(badJSON.status == 400)
        #expect(badJSON.body.contains("\"code\":3"), "a google.rpc.Status in JSON: \(badJSON.body)")
        let image = dir.write("x.png", Data([0x89, 0x50]))
        #expect(try post(url, image, ["Content-Type: image/png"], dir: dir).status == 415)
        // A half-sent request, then close; garbage that is not HTTP; an idle connection that never sends a header.
        let half = connectTCP(live.port)
        sendAll(half, Array("POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"resourceLogs\"".utf8))
        close(half)
        let noise = connectTCP(live.port)
        sendAll(noise, [0x16, 0x03, 0x01, 0x00, 0x00, 0xff, 0x0a, 0x0d, 0x0a, 0x0d, 0x0a])
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = recv(noise, &buffer, buffer.count, 0)
        #expect(String(decoding: buffer.prefix(max(n, 0)), as: UTF8.self).hasPrefix("HTTP/1.1 400"), "garbage gets 400 and a close")
        close(noise)
        // Meanwhile a good client is served.
        let good = dir.write("good.json", Data(#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"still delivered"}}]}]}]}"#.utf8))
        #expect(try post(url, good, ["Content-Type: application/json"], dir: dir).status == 200)
        let r = live.stop()
        #expect(r.status == 0, "\(r.stderrText)")
        let entries = try live.entries()
        #expect(entries.map { $0.string("message") } == ["still delivered"], "nothing of the bad requests was kept")
        for reason in ["1 invalid_protobuf", "1 invalid_utf8", "1 invalid_json", "1 unsupported_media_type"] {
            #expect(r.stderrText.contains(reason), "\(reason) in \(r.stderrText)")
        }
        #expect(r.stderrText.contains("invalid_protobuf from"), "a log line names the reason: \(r.stderrText)")
        #expect(r.stderrText.contains("answered 400: the body is not an OTLP ExportLogsServiceRequest in protobuf"))
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(3)))) func fiveThousandIdleConnectionsStayBounded() throws {
        let live = try LiveNetworkRun(scheme: "otlp")
        let before = live.rssKiB
        let fds = openIdleConnections(live.port, count: 5000)
        defer { fds.forEach { close($0) } }
        #expect(fds.count == 5000, "the test could open \(fds.count) connections")
        let body = live.dir.write("one.json", Data(#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"busy but fine"}}]}]}]}"#.utf8))
        #expect(try post("http://127.0.0.1:\(live.port)/v1/logs", body, ["Content-Type: application/json"], dir: live.dir).status == 200,
                "a client among 5,000 idle connections is answered")
        let during = live.rssKiB
        // Stated bound: 5,000 idle HTTP connections cost logpipe under 150 MiB of resident memory beyond its start.
        #expect(during - before < 150 * 1024, "RSS grew from \(before) KiB to \(during) KiB")
        let r = live.stop()
        #expect(r.status == 0, "\(r.stderrText)")
        #expect(try live.entries().map { $0.string("message") } == ["busy but fine"])
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(3)))) func killNineLosesNothingThatWasAcknowledged() throws {
        let dir = TempDir("logpipe-otlp-kill")
        let port = try freeTCPPort()
        let live = try LiveNetworkRun(scheme: "otlp", port: port, dir: dir)
        let acked = dir.file("acked.txt")
        let client = try RunningProcess(executable: "/usr/bin/env",
                                        arguments: ["python3", Harness.packageRoot + "/scripts/http_input_load.py",
                                                    "http://127.0.0.1:\(port)/v1/logs", "--kind", "otlp", "--connections", "3",
                                                    "--records", "50", "--seconds", "60", "--acked", acked, "--stop-on-error"],
                                        environment: cleanEnvironment(), scratch: dir)
        func ackedRequests() -> [(Int, Int)] {
            ((try? String(contentsOfFile: acked, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
                let f = $0.split(separator: " ").compactMap { Int($0) }
                return f.count == 2 ? (f[0], f[1]) : nil
            }
        }
        _ = netWaitUntil(60) { ackedRequests().count >= 40 }
        live.kill9()
        _ = client.wait(timeout: 30)
        let requests = ackedRequests()
        #expect(requests.count >= 40)
        let again = try LiveNetworkRun(scheme: "otlp", port: port, dir: dir) // recovers the archive
        let r = again.stop()
        #expect(r.status == 0, "\(r.stderrText)")
        let kept = Set(try again.entries().compactMap { $0[path: "metadata.seq"] as? Int })
        let missing = requests.flatMap { first, count in (first..<(first + count)).filter { !kept.contains($0) } }
        #expect(missing.isEmpty, "\(missing.count) acknowledged records missing, e.g. \(missing.prefix(5))")
    }
}
