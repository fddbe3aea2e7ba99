import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `logpipe run` with network inputs on 127.0.0.1 ports picked free: started, waited for until it accepts, stopped
/// with SIGTERM (or killed), its segments read back with the real `lz4 -dc`.
final class LiveNetworkRun {
    let dir: TempDir
    let out: String
    private(set) var process: RunningProcess

    /// `inputs(port)` names the inputs on a free port; `extra` are more flags.
    init(scheme: String, port: Int? = nil, extra: [String] = [], dir: TempDir = TempDir("logpipe-net")) throws {
        self.dir = dir
        out = dir.file("out")
        let port = try port ?? freeTCPPort()
        self.port = port
        metricsPort = try freeTCPPort()
        process = try Self.start(scheme: scheme, port: port, out: out,
                                 extra: extra + ["--metrics", "127.0.0.1:\(metricsPort)"], dir: dir)
        try waitUntilAccepting(port: port)
    }

    let port: Int
    let metricsPort: Int

    /// `logpipe_input_entries_total` of the input, read from its /metrics (0 while it cannot be read).
    func entriesReceived() -> Int {
        let r = try? runProgram("/usr/bin/env", ["python3", "-c", """
            import urllib.request
            print(urllib.request.urlopen("http://127.0.0.1:\(metricsPort)/metrics", timeout=5).read().decode())
            """], timeout: 10)
        let text = String(decoding: r?.stdout ?? Data(), as: UTF8.self)
        let line = text.split(separator: "\n").first { $0.hasPrefix("logpipe_input_entries_total{") } ?? ""
        return Int(line.split(separator: " ").last ?? "") ?? 0
    }

    /// Polls /metrics until the input has taken `n` entries (at most `seconds`).
    @discardableResult
    func waitForEntries(_ n: Int, seconds: Double = 20) -> Bool {
        netWaitUntil(seconds) { entriesReceived() >= n }
    }

    private static func start(scheme: String, port: Int, out: String, extra: [String], dir: TempDir) throws -> RunningProcess {
        try RunningProcess(executable: Harness.binary,
                           arguments: ["run", "--input", "\(scheme)://127.0.0.1:\(port)", "--out", out,
                                       "--batch-timeout", "100ms"] + extra,
                           environment: cleanEnvironment(), scratch: dir)
    }

    var pid: Int32 { process.process.processIdentifier }

    /// SIGTERM, wait; the run's result.
    func stop() -> ProcessResult {
        process.signal(SIGTERM)
        return process.wait(timeout: 30)
    }

    /// kill -9 (nothing gets to finish).
    func kill9() {
        process.signal(SIGKILL)
        _ = process.wait(timeout: 10)
    }

    /// Every entry of the finalized segments.
    func entries() throws -> [[String: Any]] {
        var all: [[String: Any]] = []
        for segment in segmentFiles(in: out) { all += try jsonObjects(decompressWithTool(segment)) }
        return all
    }

    /// Resident memory of the running logpipe, in KiB (from /proc).
    var rssKiB: Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }
}

/// The one entry whose message is `message` (throws when there are none or several).
func entry(_ entries: [[String: Any]], _ message: String) throws -> [String: Any] {
    let found = entries.filter { $0.string("message") == message }
    guard found.count == 1 else { throw NetTestError("\(found.count) entries with message \(message) in \(entries)") }
    return found[0]
}

struct NetTestError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// A TCP port free right now on 127.0.0.1.
func freeTCPPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var a = sockaddr_in()
    a.sin_family = sa_family_t(AF_INET)
    a.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &a) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
    }
    guard ok else { throw NetTestError("cannot bind a TCP port: \(String(cString: strerror(errno)))") }
    return Int(UInt16(bigEndian: a.sin_port))
}

func connectTCP(_ port: Int) -> Int32 { TCPTestClient.connect(port) }

/// Opens `count` connections to 127.0.0.1:`port` that send nothing (the open-file limit raised to its hard
/// limit first); as many as could be opened.
func openIdleConnections(_ port: Int, count: Int) -> [Int32] {
    var limit = rlimit()
    getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = limit.rlim_max
    setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
    var fds: [Int32] = []
    for _ in 0..<count {
        let fd = connectTCP(port)
        guard fd >= 0 else { break }
        fds.append(fd)
    }
    return fds
}

@discardableResult
func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool { TCPTestClient.send(fd, bytes) }

/// Polls until 127.0.0.1:`port` accepts a connection (at most 20 s).
func waitUntilAccepting(port: Int) throws {
    let deadline = Date().addingTimeInterval(20)
    while Date() < deadline {
        let fd = connectTCP(port)
        if fd >= 0 { close(fd); return }
        usleep(20_000)
    }
    throw NetTestError("nothing accepts on 127.0.0.1:\(port)")
}

/// Runs a client tool to completion (`/usr/bin/env TOOL ARGS`); throws when it does not exit 0.
@discardableResult
func runClient(_ tool: String, _ arguments: [String], timeout: Double = 30) throws -> ProcessResult {
    let r = try runProgram("/usr/bin/env", [tool] + arguments, timeout: timeout)
    guard r.status == 0, !r.signaled else {
        throw NetTestError("\(tool) failed (\(r.status)): \(r.stderrText) \(String(decoding: r.stdout, as: UTF8.self))")
    }
    return r
}

/// Test certificates made with the real `openssl`: a CA, a server certificate for 127.0.0.1 and a client
/// certificate it signed, and a client certificate of another CA (the wrong one).
struct TestCertificates {
    let dir: String
    var ca: String { dir + "/ca.pem" }
    var serverCert: String { dir + "/server.pem" }
    var serverKey: String { dir + "/server.key" }
    var clientCert: String { dir + "/client.pem" }
    var clientKey: String { dir + "/client.key" }
    var wrongCert: String { dir + "/wrong.pem" }
    var wrongKey: String { dir + "/wrong.key" }

    init(in dir: String) throws {
        self.dir = dir
        let script = """
        set -e
        cd '\(dir)'
        openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=logpipe-test-ca 2>/dev/null
        openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem -days 2 -subj /CN=other-ca 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth,clientAuth\\n' > ext.cnf
        for name in server client; do
          openssl req -newkey rsa:2048 -nodes -keyout $name.key -out $name.csr -subj /CN=$name 2>/dev/null
          openssl x509 -req -in $name.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $name.pem -days 2 -extfile ext.cnf 2>/dev/null
        done
        openssl req -newkey rsa:2048 -nodes -keyout wrong.key -out wrong.csr -subj /CN=wrong 2>/dev/null
        openssl x509 -req -in wrong.csr -CA other-ca.pem -CAkey other-ca.key -CAcreateserial -out wrong.pem -days 2 -extfile ext.cnf 2>/dev/null
        """
        try runClient("sh", ["-c", script], timeout: 60)
    }
}

/// An rsyslogd of the test's own (config, work dir and pid file in `dir`), started with `-n -f CONF -i PIDFILE`,
/// receiving on imtcp `inPort` and forwarding with `action` (an omfwd line); stopped by its PID.
final class TestRsyslog {
    let process: RunningProcess
    let pidFile: String
    let inPort: Int

    init(dir: TempDir, action: String, globals: String = "") throws {
        inPort = try freeTCPPort()
        let work = dir.file("rsyslog-work")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        pidFile = dir.file("rsyslog.pid")
        let conf = """
        global(workDirectory="\(work)" \(globals))
        module(load="imtcp")
        input(type="imtcp" address="127.0.0.1" port="\(inPort)" ruleset="relay")
        ruleset(name="relay") {
          \(action)
        }
        """
        let confPath = dir.write("rsyslog.conf", Data(conf.utf8))
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/rsyslogd") else {
            throw NetTestError("rsyslogd is not installed (make deps installs rsyslog and rsyslog-gnutls)")
        }
        process = try RunningProcess(executable: "/usr/sbin/rsyslogd", arguments: ["-n", "-f", confPath, "-i", pidFile],
                                     environment: cleanEnvironment(), scratch: dir)
        try waitUntilAccepting(port: inPort)
    }

    /// SIGTERM to its PID (it flushes its queues first), wait.
    func stop() {
        process.signal(SIGTERM)
        _ = process.wait(timeout: 20)
    }
}

@discardableResult
func netWaitUntil(_ seconds: Double, _ condition: () -> Bool) -> Bool { TCPTestClient.waitUntil(seconds, condition) }
