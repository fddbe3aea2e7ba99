import Foundation
@testable import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A real ClickHouse server for the tests, through scripts/clickhouse_server.sh: installed when missing (apt),
/// its own config and data under a temp directory, loopback ports, stopped by its recorded PID.
final class ClickHouseTestServer: @unchecked Sendable {
    /// True when clickhouse-server is installed or can be installed here (the suites skip otherwise).
    static let available: Bool = {
        guard let r = try? runProgram("/bin/bash", [script, "install"], timeout: 600) else { return false }
        return r.status == 0
    }()

    static let script = Harness.packageRoot + "/scripts/clickhouse_server.sh"

    let dir: TempDir
    /// HTTP interface; the native TCP port is `httpPort + 1`.
    let httpPort: Int
    var tcpPort: Int { httpPort + 1 }
    let shardTCPPorts: [Int]
    var url: String { "http://127.0.0.1:\(httpPort)" }

    /// Two free consecutive ports (HTTP, native TCP).
    static func freePortPair() -> Int {
        for _ in 0..<50 {
            let p = TestHTTPReceiver.freePort()
            guard p < 65535, let fd = try? TestHTTPReceiver.listenSocket(port: p + 1, udp: false) else { continue }
            close(fd)
            return p
        }
        return 29123
    }

    init(httpPort: Int = ClickHouseTestServer.freePortPair(), shardTCPPorts: [Int] = [], start: Bool = true) throws {
        dir = TempDir("logpipe-clickhouse")
        self.httpPort = httpPort
        self.shardTCPPorts = shardTCPPorts
        if start { try self.start() }
    }

    deinit { stop() }

    func start() throws {
        let r = try runProgram("/bin/bash", [Self.script, "start", dir.path, "\(httpPort)"] + shardTCPPorts.map(String.init), timeout: 120)
        guard r.status == 0 else { throw ToolError.failed("clickhouse-server did not start: \(r.stderrText)") }
    }

    func stop() {
        _ = try? runProgram("/bin/bash", [Self.script, "stop", dir.path], timeout: 60)
    }

    /// Runs `sql` through the HTTP interface; the answer's text. Throws on a non-200 answer.
    @discardableResult
    func query(_ sql: String) throws -> String {
        let r = try runProgram("/usr/bin/curl", ["-sS", "--fail-with-body", "--max-time", "60", "--data-binary", "@-", url + "/"],
                               stdin: Data(sql.utf8), timeout: 90)
        guard r.status == 0 else { throw ToolError.failed("query failed: \(sql): \(r.stdoutText) \(r.stderrText)") }
        return r.stdoutText
    }

    /// `SELECT … FORMAT JSONEachRow` as objects.
    func rows(_ sql: String) throws -> [[String: Any]] {
        try query(sql + " FORMAT JSONEachRow").split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
        }
    }

    /// One number from a `SELECT count()`-like query.
    func number(_ sql: String) throws -> Int {
        Int(try query(sql).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }
}
