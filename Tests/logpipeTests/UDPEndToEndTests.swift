import Foundation
@testable import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `logpipe run --input udp://…` fed by real syslog clients: util-linux `logger` (RFC 5424 and RFC 3164) and
/// Python's `logging.handlers.SysLogHandler`; segments read back with the real `lz4 -dc`, entries checked field
/// by field.
@Suite(.serialized) struct UDPEndToEndTests {
    @Test(.timeLimit(.minutes(TestTime.minutes(1)))) func realSyslogClientsFieldByField() throws {
        let live = try LiveUDPRun()
        let host = udpTestHostName()
        try udpRunTool("logger", ["-n", "127.0.0.1", "-P", "\(live.port)", "-d", "--rfc5424", "-t", "billing",
                                  "-p", "user.err", "invoice 7 failed: card declined"])
        try udpRunTool("logger", ["-n", "127.0.0.1", "-P", "\(live.port)", "-d", "--rfc3164", "-t", "cron",
                                  "-p", "daemon.warning", "job nightly took 93s"])
        try udpRunTool("logger", ["-n", "127.0.0.1", "-P", "\(live.port)", "-d", "--rfc5424", "-t", "auth",
                                  "-p", "auth.debug", "token refreshed"])
        try udpRunTool("python3", ["-c", """
            import logging, logging.handlers
            h = logging.handlers.SysLogHandler(address=("127.0.0.1", \(live.port)))
            h.setFormatter(logging.Formatter("%(name)s: %(message)s"))
            log = logging.getLogger("shop")
            log.addHandler(h)
            log.setLevel(logging.DEBUG)
            log.info("cart 12 checked out")
            log.warning("stock low for SKU-1")
            log.critical("database unreachable")
            try:
                {}["missing"]
            except KeyError:
                log.exception("lookup failed")
            """])
        let run = try live.stop()
        let entries = run.entries

        func entry(_ message: String) throws -> UDPEntry {
            let found = entries.filter { $0.message == message }
            guard found.count == 1 else { throw UDPTestError("\(found.count) entries with message \(message) in \(entries)") }
            return found[0]
        }
        let invoice = try entry("invoice 7 failed: card declined")
        #expect(invoice.level == "ERROR")
        #expect(invoice.service == "billing")
        #expect(invoice.host == host)
        let cron = try entry("job nightly took 93s")
        #expect(cron.level == "WARN")
        #expect(cron.service == "cron")
        #expect(cron.host == host)
        let token = try entry("token refreshed")
        #expect(token.level == "DEBUG")
        #expect(token.service == "auth")
        #expect(token.host == host)

        // SysLogHandler sends "<PRI>shop: text\0": no timestamp and no hostname, so host is this machine's.
        let expected: [(String, String)] = [("cart 12 checked out", "INFO"), ("stock low for SKU-1", "WARN"),
                                            ("database unreachable", "FATAL"), ("lookup failed", "ERROR")]
        for (message, level) in expected {
            let e = try entry(message)
            #expect(e.level == level, "\(message)")
            #expect(e.service == "shop", "\(message)")
            #expect(e.host == host, "\(message)")
        }
        let failed = try entry("lookup failed")
        #expect(failed.stack?.hasPrefix("Traceback (most recent call last):") == true, "\(failed.stack ?? "no stack")")

        // Session per peer: each logger run is a new sender port; Python's records share one socket.
        let sessions = Set([invoice, cron, token].map(\.sessionId))
        #expect(sessions.count == 3)
        let python = Set(expected.map { pair in entries.first { $0.message == pair.0 }?.sessionId })
        #expect(python.count == 1)
        #expect(!sessions.contains(python.first!!))
        #expect(entries.allSatisfy { $0.requestId?.isEmpty == false })

        #expect(run.status == 0)
        #expect(run.stderr.contains("udp 127.0.0.1:\(live.port): 7 datagrams received from 4 peer(s)"), "\(run.stderr)")
        #expect(run.stderr.contains("0 malformed"), "\(run.stderr)")
        #expect(run.stderr.contains("0 dropped by the kernel"), "\(run.stderr)")
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1)))) func syslogFieldsFromTheDatagramWinOverDefaults() throws {
        let live = try LiveUDPRun()
        try udpRunTool("python3", ["-c", """
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.sendto(b'<165>1 2026-11-27T10:00:00.123Z web-01 checkout 4242 ID47 [req@1 requestId="r-9" userId="u-3"] order 5 placed', ("127.0.0.1", \(live.port)))
            s.sendto(b'<34>Nov 27 10:00:01 db-02 postgres[77]: too many connections', ("127.0.0.1", \(live.port)))
            s.sendto(b'{"level":"warn","message":"json over udp","context":{"service":"api"}}\\nplain second line\\n', ("127.0.0.1", \(live.port)))
            """])
        let run = try live.stop()
        let byMessage = Dictionary(run.entries.map { ($0.message, $0) }, uniquingKeysWith: { a, _ in a })
        let order = byMessage["order 5 placed"]
        #expect(order?.host == "web-01")
        #expect(order?.service == "checkout")
        #expect(order?.level == "INFO")
        #expect(order?.requestId == "r-9")
        #expect(order?.timestamp == "2026-11-27T10:00:00.123Z")
        let pg = byMessage["too many connections"]
        #expect(pg?.host == "db-02")
        #expect(pg?.service == "postgres")
        #expect(pg?.level == "FATAL")
        #expect(byMessage["json over udp"]?.level == "WARN")
        #expect(byMessage["json over udp"]?.service == "api")
        #expect(byMessage["plain second line"]?.level == "INFO")
        #expect(run.entries.count == 4)
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1)))) func busyPortFailsAtStartWithAClearMessage() throws {
        // Hold the port with our own socket.
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        let port = try udpBind(fd, port: 0)
        let dir = TempDir("logpipe-udp-busy")
        let r = try logpipe(["run", "--input", "udp://127.0.0.1:\(port)", "--out", dir.file("out")],
                            environment: cleanEnvironment(), timeout: 20)
        #expect(r.status != 0)
        #expect(r.stderrText.contains("cannot bind udp://127.0.0.1:\(port): Address already in use"), "\(r.stderrText)")
        #expect(r.stdout.isEmpty)
    }
}

// MARK: - helpers (private to this file)

/// One decoded segment line, the fields these tests look at.
private struct UDPEntry {
    var timestamp: String?
    var level: String?
    var message: String?
    var service: String?
    var host: String?
    var sessionId: String?
    var requestId: String?
    var stack: String?

    init(_ o: [String: Any]) {
        let c = o["context"] as? [String: Any] ?? [:]
        timestamp = o["timestamp"] as? String
        level = o["level"] as? String
        message = o["message"] as? String
        stack = o["stack"] as? String
        service = c["service"] as? String
        host = c["host"] as? String
        sessionId = c["sessionId"] as? String
        requestId = c["requestId"] as? String
    }
}

private struct UDPTestError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// `logpipe run --input udp://127.0.0.1:PORT --batch-timeout 100ms` on a free port, until `stop()` (SIGTERM).
private final class LiveUDPRun {
    let dir = TempDir("logpipe-udp")
    let port: Int
    private let process: RunningProcess

    init() throws {
        port = try udpFreePort()
        process = try RunningProcess(executable: Harness.binary,
                                     arguments: ["run", "--input", "udp://127.0.0.1:\(port)", "--out", dir.file("out"),
                                                 "--batch-timeout", "100ms"],
                                     environment: cleanEnvironment(), scratch: dir)
        try udpWaitUntilBound(port)
    }

    struct Result {
        var status: Int32
        var stderr: String
        var entries: [UDPEntry]
    }

    /// SIGTERM, wait, and read every finalized segment back with `lz4 -dc`.
    func stop() throws -> Result {
        usleep(200_000) // loopback has queued everything; give the reader a moment before the signal
        process.signal(SIGTERM)
        let r = process.wait(timeout: 20)
        #expect(!r.timedOut)
        var entries: [UDPEntry] = []
        for segment in segmentFiles(in: dir.file("out")) {
            entries += try jsonObjects(decompressWithTool(segment)).map(UDPEntry.init)
        }
        return Result(status: r.status, stderr: r.stderrText, entries: entries)
    }
}

/// Runs a client tool to completion; fails when it does not exit 0.
private func udpRunTool(_ tool: String, _ arguments: [String]) throws {
    let r = try runProgram("/usr/bin/env", [tool] + arguments, timeout: 20)
    guard r.status == 0, !r.signaled else {
        throw UDPTestError("\(tool) failed (\(r.status)): \(r.stderrText)")
    }
}

/// A UDP port free right now on 127.0.0.1: bind port 0, read it, close.
private func udpFreePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    defer { close(fd) }
    return try udpBind(fd, port: 0)
}

/// Binds `fd` to 127.0.0.1:`port` and returns the bound port.
private func udpBind(_ fd: Int32, port: Int) throws -> Int {
    var a = sockaddr_in()
    a.sin_family = sa_family_t(AF_INET)
    a.sin_port = UInt16(port).bigEndian
    a.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &a) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
    }
    guard ok else { throw UDPTestError("cannot bind 127.0.0.1:\(port): \(String(cString: strerror(errno)))") }
    return Int(UInt16(bigEndian: a.sin_port))
}

/// Waits (up to 10 s) until some process has bound 127.0.0.1:`port` (it shows in /proc/net/udp).
private func udpWaitUntilBound(_ port: Int) throws {
    let needle = String(format: "0100007F:%04X ", port)
    let deadline = Date().addingTimeInterval(TestTime.seconds(10))
    while Date() < deadline {
        if let table = try? String(contentsOfFile: "/proc/net/udp", encoding: .utf8), table.contains(needle) { return }
        usleep(20_000)
    }
    throw UDPTestError("logpipe did not bind udp port \(port) within 10 s")
}

/// This machine's host name as syslog clients and logpipe's enrichment see it.
private func udpTestHostName() -> String {
    var buf = [UInt8](repeating: 0, count: 256)
    gethostname(&buf, buf.count)
    return String(decoding: buf.prefix { $0 != 0 }, as: UTF8.self)
}
