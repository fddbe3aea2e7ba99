import Foundation
@testable import TestSupport
import Testing

/// `logpipe run --output http://…` (issue 21) through the real binary and real receivers on 127.0.0.1: every
/// entry arrives at every destination in order, gzip-compressed, in several batches, with the headers and the
/// bearer token; entries a receiver refuses for good (400) go to the dead-letter folder and `logpipe replay`
/// delivers them once the receiver accepts them.
@Suite(.serialized) struct HTTPOutputEndToEndTests {
    static func input(_ range: Range<Int>, poison: Set<Int> = []) -> String {
        range.map { n in
            #"{"timestamp":"2026-03-01T10:00:00.000Z","level":"INFO","message":"event \#(n)\#(poison.contains(n) ? " poison" : "")","service":"shop","requestId":"r-\#(n)"}"#
        }.joined(separator: "\n") + "\n"
    }

    static func requestId(_ line: String) -> Int? {
        guard let r = line.range(of: #""requestId":"r-"#) else { return nil }
        return Int(line[r.upperBound...].prefix { $0.isNumber })
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(2))))
    func everyEntryReachesEveryDestinationInBatchesWithHeadersAndToken() throws {
        let a = try TestHTTPReceiver(), b = try TestHTTPReceiver()
        let dir = TempDir("logpipe-http-out")
        let token = dir.write("token", Data("s3cret-token\n".utf8))
        let r = try logpipe(["run", "--out", dir.file("out"), "--state-dir", dir.file("state"),
                             "--output", "http://127.0.0.1:\(a.port)/ingest?x=1", "--output", "http://127.0.0.1:\(b.port)/other",
                             "--output-header", "X-Tenant: t1", "--output-bearer-token-file", token,
                             "--output-batch-max", "16K"],
                            stdinFile: dir.write("input", Data(Self.input(0..<3000).utf8)), environment: cleanEnvironment(), timeout: 60)
        #expect(r.status == 0, "\(r.stderrText)")
        #expect(r.stderrText.contains("http: 6000 sent, 0 spooled, 0 refused"), "\(r.stderrText)")
        // The same lines as the segments, in order, at both destinations.
        let segments = splitLines(try logpipe(["cat", dir.file("out")]).stdout).map { String(decoding: $0, as: UTF8.self) }
        #expect(segments.count == 3000)
        #expect(a.lines == segments)
        #expect(b.lines == segments)
        for (receiver, path) in [(a, "/ingest?x=1"), (b, "/other")] {
            #expect(receiver.heads.count > 10, "batches of at most 16K: \(receiver.heads.count) request(s)")
            #expect(receiver.heads.allSatisfy {
                $0.hasPrefix("POST \(path) HTTP/1.1") && $0.contains("Content-Type: application/x-ndjson") &&
                    $0.contains("Content-Encoding: gzip") && $0.contains("X-Tenant: t1") &&
                    $0.contains("Authorization: Bearer s3cret-token")
            }, "\(receiver.heads.first ?? "")")
            // gzip members that the real gzip reads, each well under the uncompressed batch.
            #expect(receiver.bodies.allSatisfy { $0.starts(with: [0x1f, 0x8b]) && $0.count < 16 << 10 })
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("state") + "/dead-letter"))
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(2))))
    func refusedEntriesAreDeadLetteredAndReplayDeliversThem() throws {
        let receiver = try TestHTTPReceiver()
        receiver.refuseBodiesContaining = "poison"
        let dir = TempDir("logpipe-http-dead")
        let poison: Set<Int> = [0, 17, 18, 250, 499]
        let url = "http://127.0.0.1:\(receiver.port)/ingest"
        let r = try logpipe(["run", "--out", dir.file("out"), "--state-dir", dir.file("state"), "--output", url],
                            stdinFile: dir.write("input", Data(Self.input(0..<500, poison: poison).utf8)),
                            environment: cleanEnvironment(), timeout: 60)
        #expect(r.status == 0, "\(r.stderrText)")
        let deadDir = dir.file("state") + "/dead-letter/http"
        #expect(r.stderrText.contains("http: 495 sent, 0 spooled, 0 refused, 5 dead-lettered (in \(deadDir))"), "\(r.stderrText)")
        // Nothing behind a refused entry was held back; nothing refused arrived.
        #expect(receiver.lines.compactMap(Self.requestId) == (0..<500).filter { !poison.contains($0) })
        let files = directoryListing(deadDir)
        try #require(files.count == 2, "\(files)")
        let dead = splitLines(try Data(contentsOf: URL(fileURLWithPath: deadDir + "/" + files[0])))
            .map { String(decoding: $0, as: UTF8.self) }
        #expect(dead.compactMap(Self.requestId) == poison.sorted())
        let reasons = try jsonObjects(Data(contentsOf: URL(fileURLWithPath: deadDir + "/" + files[1])))
        #expect(files[1].hasSuffix(".reasons.jsonl"))
        #expect(reasons.count == 5)
        #expect(reasons.allSatisfy {
            $0.string("reason") == "HTTP status 400" && $0["status"] as? Int == 400 && $0.string("answer") == "refused: poison"
                && $0.string("destination") == url && $0.string("sink") == "http"
        }, "\(reasons)")

        // The receiver takes them now: replaying the dead letters delivers all five.
        receiver.refuseBodiesContaining = nil
        let replay = try logpipe(["replay", deadDir, "--out", dir.file("replayed"), "--state-dir", dir.file("state2"),
                                  "--output", url], environment: cleanEnvironment(), timeout: 60)
        #expect(replay.status == 0, "\(replay.stderrText)")
        #expect(replay.stderrText.contains("http: 5 sent, 0 spooled, 0 refused"), "\(replay.stderrText)")
        #expect(Set(receiver.lines.compactMap(Self.requestId)) == Set(0..<500))
        #expect(receiver.lines.count == 500)
    }

    @Test func badOutputFlagsAreUsageErrors() throws {
        let dir = TempDir("logpipe-http-flags")
        for (args, flag) in [(["--output", "ftp://x/y"], "ftp://x/y"), (["--output-header", "X: y"], "--output-header"),
                             (["--output", "http://127.0.0.1:9/", "--output-bearer-token-file", "/nonexistent"], "--output-bearer-token-file"),
                             (["--output", "http://127.0.0.1:9/", "--output-compression", "br"], "--output-compression")] {
            let r = try logpipe(["run", "--out", dir.file("out")] + args, stdin: Data("x\n".utf8), environment: cleanEnvironment())
            #expect(r.status == 2, "\(args): \(r.stderrText)")
            #expect(r.stderrText.contains(flag), "\(args): \(r.stderrText)")
        }
    }
}
