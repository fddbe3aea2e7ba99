import Foundation
@testable import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Syslog readers on 127.0.0.1 for the urgent-path tests (the HTTP receiver is TestSupport's `TestHTTPReceiver`).
/// A syslog reader: UDP datagrams, or TCP with octet-counting framing (`LEN SP MSG`), each message parsed as
/// RFC 5424.
final class TestSyslogReceiver: @unchecked Sendable {
    struct Message: Equatable {
        var pri: Int, version: Int, timestamp: String, host: String, app: String, procid: String, msgid: String
        var structuredData: String, message: String
    }

    let port: Int
    let udp: Bool
    private let lock = NSLock()
    private var _raw: [String] = []
    private var _framingErrors = 0
    private let fd: Int32

    init(udp: Bool) throws {
        self.udp = udp
        fd = try TestHTTPReceiver.listenSocket(port: 0, udp: udp)
        port = TestHTTPReceiver.boundPort(fd)
        Thread { [self] in udp ? readDatagrams() : acceptLoop() }.start()
    }

    deinit { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }

    var raw: [String] { lock.withLock { _raw } }
    var framingErrors: Int { lock.withLock { _framingErrors } }
    var messages: [Message] { raw.compactMap(Self.parse) }

    func waitFor(_ n: Int, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(TestTime.seconds(timeout))
        while Date() < deadline, raw.count < n { usleep(5000) }
        return raw.count >= n
    }

    private func readDatagrams() {
        var buf = [UInt8](repeating: 0, count: 70_000)
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { return }
            let text = String(decoding: buf[0..<n], as: UTF8.self)
            lock.withLock { _raw.append(text) }
        }
    }

    private func acceptLoop() {
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 { return }
            Thread { [self] in readFrames(c) }.start()
        }
    }

    /// Octet counting: digits, a space, then exactly that many bytes.
    private func readFrames(_ c: Int32) {
        defer { close(c) }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            while let space = buffer.firstIndex(of: 32) {
                guard let len = Int(String(decoding: buffer[0..<space], as: UTF8.self)), len > 0 else {
                    lock.withLock { _framingErrors += 1 }; return
                }
                guard buffer.count - space - 1 >= len else { break }
                let msg = String(decoding: buffer[(space + 1)..<(space + 1 + len)], as: UTF8.self)
                lock.withLock { _raw.append(msg) }
                buffer.removeFirst(space + 1 + len)
            }
            let n = recv(c, &chunk, chunk.count, 0)
            if n <= 0 { return }
            buffer += chunk[0..<n]
        }
    }

    /// `<PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP STRUCTURED-DATA [SP MSG]`.
    static func parse(_ s: String) -> Message? {
        guard s.hasPrefix("<"), let close = s.firstIndex(of: ">"), let pri = Int(s[s.index(after: s.startIndex)..<close]) else { return nil }
        var rest = s[s.index(after: close)...]
        var fields: [String] = []
        for _ in 0..<6 {
            guard let sp = rest.firstIndex(of: " ") else { return nil }
            fields.append(String(rest[..<sp]))
            rest = rest[rest.index(after: sp)...]
        }
        guard let version = Int(fields[0]) else { return nil }
        // Structured data: "-" or [..] elements, with \" \] \\ escapes inside values.
        var sd = ""
        if rest.hasPrefix("-") {
            sd = "-"; rest = rest.dropFirst()
        } else {
            var inQuote = false, escaped = false
            var i = rest.startIndex
            while i < rest.endIndex {
                let ch = rest[i]
                sd.append(ch)
                if escaped { escaped = false } else if ch == "\\" { escaped = true } else if ch == "\"" { inQuote.toggle() } else if ch == "]", !inQuote {
                    let next = rest.index(after: i)
                    if next == rest.endIndex || rest[next] != "[" { i = next; break }
                }
                i = rest.index(after: i)
            }
            rest = rest[i...]
        }
        if rest.hasPrefix(" ") { rest = rest.dropFirst() }
        return Message(pri: pri, version: version, timestamp: fields[1], host: fields[2], app: fields[3], procid: fields[4],
                       msgid: fields[5], structuredData: sd, message: String(rest))
    }
}

/// Diagnostics captured from the forwarder.
final class LogCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var _lines: [String] = []
    var lines: [String] { lock.withLock { _lines } }
    var sink: @Sendable (String) -> Void { { [self] line in lock.withLock { _lines.append(line) } } }
    func contains(_ text: String) -> Bool { lines.contains { $0.contains(text) } }
}
