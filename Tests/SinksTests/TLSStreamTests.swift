import Foundation
@testable import TestSupport
import Testing
@testable import Sinks

/// The TLS client against real peers on 127.0.0.1: deadlines hold through the handshake, keep-alive over TLS,
/// and the CA file is checked up front.
@Suite(.serialized) struct TLSStreamTests {
    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func aPeerThatNeverAnswersTheHandshakeTimesOutAtTheDeadline() throws {
        let receiver = try TestHTTPReceiver(mode: .hang) // plain TCP: reads the ClientHello, answers nothing
        let connection = HTTPConnection(host: "127.0.0.1", port: receiver.port, tls: TLSOptions())
        let started = Date()
        #expect(throws: TransportError.timeout) {
            try [UInt8]("{}\n".utf8).withUnsafeBytes { _ = try connection.post("/", body: $0, timeoutMillis: 300) }
        }
        #expect(Date().timeIntervalSince(started) < 2)
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func postsReuseOneTLSConnection() throws {
        let dir = NSTemporaryDirectory() + "logpipe-tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cert = try TestHTTPSReceiver.Certificate.make(in: dir)
        let receiver = try TestHTTPSReceiver(directory: dir, certificate: cert)
        let connection = HTTPConnection(host: "127.0.0.1", port: receiver.port, tls: TLSOptions(caFile: cert.certFile))
        for n in 0..<5 {
            let answer = try Array("line \(n)\n".utf8).withUnsafeBytes { try connection.post("/", body: $0, timeoutMillis: 5000) }
            #expect(answer.status == 204)
            usleep(50_000) // time for TLS 1.3 session tickets to arrive between requests: not a stale connection
        }
        connection.close()
        #expect(receiver.lines == (0..<5).map { "line \($0)" })
        #expect(Set(receiver.requestPorts).count == 1, "client ports \(receiver.requestPorts)")
    }

    @Test func aMissingOrEmptyCAFileIsAConfigError() throws {
        do { try UrgentConfiguration.checkTLS(TLSOptions(caFile: "/nonexistent/ca.pem")); Issue.record("accepted") } catch {
            #expect("\(error)" == #"invalid --urgent-ca-file "/nonexistent/ca.pem": No such file or directory"#)
        }
        let empty = NSTemporaryDirectory() + "logpipe-empty-\(UUID().uuidString).pem"
        _ = FileManager.default.createFile(atPath: empty, contents: Data("not a certificate\n".utf8))
        defer { try? FileManager.default.removeItem(atPath: empty) }
        #expect(throws: UrgentConfigError.self) { try UrgentConfiguration.checkTLS(TLSOptions(caFile: empty)) }
        try UrgentConfiguration.checkTLS(TLSOptions())
    }
}
