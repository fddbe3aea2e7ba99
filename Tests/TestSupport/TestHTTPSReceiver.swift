import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real HTTPS receiver on 127.0.0.1: Python's `http.server` behind `ssl`, with a self-signed certificate made
/// by the `openssl` CLI. Records POST bodies and the client port of each request (one port = one connection).
///
/// The child process is this object's: `stop()` (or deinit) ends it by its pid.
final class TestHTTPSReceiver: @unchecked Sendable {
    /// A self-signed certificate and its key (PEM files); trusting `certFile` trusts the receiver.
    struct Certificate {
        let certFile: String
        let keyFile: String

        /// `subjectAltName`, e.g. `IP:127.0.0.1` or `DNS:other.example`.
        static func make(in directory: String, name: String = "server", subjectAltName: String = "IP:127.0.0.1") throws -> Certificate {
            let c = Certificate(certFile: "\(directory)/\(name)-cert.pem", keyFile: "\(directory)/\(name)-key.pem")
            let cn = subjectAltName.split(separator: ":").last.map(String.init) ?? "localhost"
            try TestHTTPSReceiver.runTool("/usr/bin/env", ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                                                            "-days", "2", "-subj", "/CN=\(cn)", "-addext", "subjectAltName=\(subjectAltName)",
                                                            "-keyout", c.keyFile, "-out", c.certFile])
            return c
        }
    }

    let port: Int
    let certificate: Certificate
    private let directory: String
    private let process = Process()

    /// Starts the server on `port` (0: an ephemeral one) with `certificate`, answering every POST with `status`
    /// (ClickHouse's 200, or 204); waits (≤ 10 s) until it listens.
    init(directory: String, certificate: Certificate, port: Int = 0, status: Int = 204) throws {
        self.directory = directory
        self.certificate = certificate
        let script = directory + "/https_receiver.py"
        try Self.script.write(toFile: script, atomically: true, encoding: .utf8)
        let portFile = directory + "/port"
        try? FileManager.default.removeItem(atPath: portFile)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, String(port), certificate.certFile, certificate.keyFile, directory, String(status)]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        var bound: Int?
        while bound == nil, Date() < deadline, process.isRunning {
            bound = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0) }
            if bound == nil { usleep(20_000) }
        }
        guard let bound else {
            if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
            throw TestHTTPSReceiverError("the HTTPS receiver did not start")
        }
        self.port = bound
    }

    deinit { stop() }

    /// SIGKILL: every body is on disk before its answer, and a child of the test runner may inherit blocked signals.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Every entry line received, in arrival order.
    var lines: [String] {
        let data = FileManager.default.contents(atPath: directory + "/bodies") ?? Data()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// The client port of each request, in order.
    var requestPorts: [Int] {
        let text = (try? String(contentsOfFile: directory + "/requests", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { Int($0) }
    }

    static func runTool(_ executable: String, _ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw TestHTTPSReceiverError("\(arguments.joined(separator: " ")) failed") }
    }

    private static let script = #"""
    import http.server, os, ssl, sys, threading
    port, certfile, keyfile, outdir, status = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def log_message(self, *a): pass
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                with open(os.path.join(outdir, "bodies"), "ab") as f: f.write(body)
                with open(os.path.join(outdir, "requests"), "a") as f: f.write(f"{self.client_address[1]}\n")
            self.send_response(status); self.send_header("Content-Length", "0"); self.end_headers()

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    srv = Server(("127.0.0.1", port), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certfile, keyfile)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(os.path.join(outdir, "port.tmp"), "w") as f: f.write(str(srv.server_address[1]))
    os.rename(os.path.join(outdir, "port.tmp"), os.path.join(outdir, "port"))
    srv.serve_forever()
    """#
}

struct TestHTTPSReceiverError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
