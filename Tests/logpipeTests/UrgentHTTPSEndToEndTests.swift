import Foundation
@testable import TestSupport
import Testing

/// `logpipe run --urgent https://…` through the real binary against a real TLS receiver on 127.0.0.1 (Python's
/// `ssl`, a self-signed certificate for IP 127.0.0.1): trusted through `--urgent-ca-file`, refused without it
/// (entries wait in the spool), refused when it names another host, accepted by `--urgent-insecure`.
@Suite(.serialized, .enabled(if: UrgentWiring.present, "needs the --urgent wiring in logpipe run"))
struct UrgentHTTPSEndToEndTests {
    typealias E2E = UrgentEndToEndTests

    /// A TLS receiver on 127.0.0.1 with a fresh self-signed certificate (for `subjectAltName`), in its own folder.
    struct Peer {
        let dir = TempDir("logpipe-https")
        let cert: TestHTTPSReceiver.Certificate
        let receiver: TestHTTPSReceiver
        var url: String { "https://127.0.0.1:\(receiver.port)/hook" }

        init(subjectAltName: String = "IP:127.0.0.1", status: Int = 204) throws {
            cert = try TestHTTPSReceiver.Certificate.make(in: dir.path, subjectAltName: subjectAltName)
            receiver = try TestHTTPSReceiver(directory: dir.path, certificate: cert, status: status)
        }
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func urgentEntriesArriveInOrderOverHTTPSWithTheCAFile() throws {
        let peer = try Peer()
        let (dir, cert, receiver) = (peer.dir, peer.cert, peer.receiver)
        let r = try E2E.run(E2E.input(0..<5000), dir: dir, urls: [peer.url],
                            extra: ["--urgent-ca-file", cert.certFile])
        #expect(r.status == 0, "\(r.stderrText)")
        #expect(r.stderrText.contains("urgent: 500 delivered, 0 spooled, 0 refused"), "\(r.stderrText)")
        #expect(receiver.lines.map(E2E.requestId) == E2E.urgentIds(0..<5000).map { Optional($0) })
        // Kept alive: every request on one connection.
        #expect(Set(receiver.requestPorts).count == 1, "client ports \(receiver.requestPorts)")
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func anUntrustedCertificateKeepsTheEntriesSpooledUntilItIsTrusted() throws {
        let peer = try Peer()
        let (dir, cert, receiver) = (peer.dir, peer.cert, peer.receiver)
        let url = peer.url
        let first = try E2E.run(E2E.input(0..<3000), dir: dir, urls: [url], extra: ["--urgent-drain-timeout", "500ms"])
        #expect(first.status == 0, "\(first.stderrText)")
        #expect(first.stderrText.contains("TLS handshake with 127.0.0.1:\(receiver.port) failed: certificate verify failed (self-signed certificate)"),
                "\(first.stderrText)")
        #expect(first.stderrText.contains("urgent: 0 delivered, 300 spooled, 0 refused"), "\(first.stderrText)")
        #expect(receiver.lines.isEmpty)
        let second = try E2E.run(E2E.input(3000..<4000), dir: dir, urls: [url], extra: ["--urgent-ca-file", cert.certFile])
        #expect(second.status == 0, "\(second.stderrText)")
        #expect(second.stderrText.contains("urgent: 400 delivered, 0 spooled, 0 refused"), "\(second.stderrText)")
        #expect(E2E.deduplicated(receiver.lines) == E2E.urgentIds(0..<4000))
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func aTrustedCertificateForAnotherHostIsRefused() throws {
        let peer = try Peer(subjectAltName: "DNS:other.example")
        let (dir, cert, receiver) = (peer.dir, peer.cert, peer.receiver)
        let r = try E2E.run(E2E.input(0..<100), dir: dir, urls: [peer.url],
                            extra: ["--urgent-ca-file", cert.certFile, "--urgent-drain-timeout", "300ms"])
        #expect(r.status == 0, "\(r.stderrText)")
        #expect(r.stderrText.contains("certificate verify failed (IP address mismatch)"), "\(r.stderrText)")
        #expect(r.stderrText.contains("urgent: 0 delivered, 10 spooled, 0 refused"), "\(r.stderrText)")
        #expect(receiver.lines.isEmpty)
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func insecureDeliversWithoutTheCAAndWarns() throws {
        let peer = try Peer()
        let (dir, _, receiver) = (peer.dir, peer.cert, peer.receiver)
        let r = try E2E.run(E2E.input(0..<1000), dir: dir, urls: [peer.url],
                            extra: ["--urgent-insecure"])
        #expect(r.status == 0, "\(r.stderrText)")
        #expect(r.stderrText.contains("--urgent-insecure: the certificates of https:// destinations are NOT verified"), "\(r.stderrText)")
        #expect(r.stderrText.contains("urgent: 100 delivered, 0 spooled, 0 refused"), "\(r.stderrText)")
        #expect(receiver.lines.map(E2E.requestId) == E2E.urgentIds(0..<1000).map { Optional($0) })
    }

    /// ClickHouse's HTTP interface over TLS shares the client: inserts reach an https:// server trusted by the CA file.
    @Test(.timeLimit(.minutes(TestTime.minutes(1))), .enabled(if: ClickHouseWiring.present, "needs the --clickhouse wiring"))
    func clickhouseInsertsGoOverHTTPSWithTheCAFile() throws {
        let peer = try Peer(status: 200)
        let (dir, cert, receiver) = (peer.dir, peer.cert, peer.receiver)
        let r = try logpipe(["run", "--out", dir.file("out"), "--state-dir", dir.file("state"), "--incidents", "off",
                             "--clickhouse", "https://127.0.0.1:\(receiver.port)", "--clickhouse-ca-file", cert.certFile,
                             "--clickhouse-compression", "none", "--clickhouse-drain-timeout", "20s"],
                            stdin: Data(E2E.input(0..<1000).utf8), environment: cleanEnvironment(), timeout: 60)
        #expect(r.status == 0, "\(r.stderrText)")
        let ids = receiver.lines.compactMap { line -> Int? in
            guard let range = line.range(of: #""request_id":"r-"#) else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        #expect(ids == Array(0..<1000), "\(receiver.lines.prefix(2))")
    }

    @Test func theCAFileAndInsecureAreConfigKeys() throws {
        let peer = try Peer()
        let (dir, cert, receiver) = (peer.dir, peer.cert, peer.receiver)
        let yaml = "urgent:\n  urls: [\"https://127.0.0.1:\(receiver.port)/hook\"]\n  ca-file: \"\(cert.certFile)\"\n"
        let config = dir.write("c.yaml", Data(yaml.utf8))
        let r = try logpipe(["run", "--config", config, "--out", dir.file("out"), "--state-dir", dir.file("state"),
                             "--incidents", "off"],
                            stdin: Data(E2E.input(0..<100).utf8), environment: cleanEnvironment())
        #expect(r.status == 0, "\(r.stderrText)")
        #expect(r.stderrText.contains("urgent: 10 delivered, 0 spooled, 0 refused"), "\(r.stderrText)")
        let bad = dir.write("bad.yaml", Data("urgent:\n  urls: [\"https://127.0.0.1:9/\"]\n  insecure: maybe\n".utf8))
        let refused = try logpipe(["validate", "--config", bad])
        #expect(refused.status == 2, "\(refused.stderrText)")
        #expect(refused.stderrText.contains("urgent.insecure"), "\(refused.stderrText)")
    }
}
