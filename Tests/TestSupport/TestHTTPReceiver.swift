import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real HTTP/1.1 receiver on 127.0.0.1, shared by the test targets (SinksTests, logpipeTests): records POST
/// bodies, their heads and arrival times; can answer 500, hang, close without answer, or be down.
final class TestHTTPReceiver: @unchecked Sendable {
    /// `error500On(text)`: 500 to requests whose head contains `text`, 200 to the others.
    enum Mode: Equatable { case ok, okChunked, error500, hang, closeWithoutAnswer, error500On(String) }

    let port: Int
    private let lock = NSCondition()
    private var _mode: Mode
    private var _bodies: [[UInt8]] = []
    private var _heads: [String] = []
    private var _arrivals: [Double] = []
    private var _requests = 0
    private var _answers: [String: String] = [:]
    private var _decoded: [[UInt8]] = []
    private var _refuse: String?
    private var listenFD: Int32
    private var stopped = false
    private var connections: [Int32] = []

    /// Listens on `port` (0: an ephemeral one).
    init(port: Int = 0, mode: Mode = .ok) throws {
        _mode = mode
        listenFD = try Self.listenSocket(port: port, udp: false)
        self.port = Self.boundPort(listenFD)
        let t = Thread { [self] in acceptLoop() }
        t.start()
    }

    deinit { stop() }

    var mode: Mode {
        get { lock.withLock { _mode } }
        set { lock.withLock { _mode = newValue; lock.broadcast() } }
    }
    var bodies: [[UInt8]] { lock.withLock { _bodies } }
    var heads: [String] { lock.withLock { _heads } }
    /// Wall-clock arrival (seconds since 1970) of each recorded body.
    var arrivals: [Double] { lock.withLock { _arrivals } }
    var requests: Int { lock.withLock { _requests } }
    /// Bodies to answer (200) to requests whose body contains the key (e.g. a ClickHouse `system.columns` query);
    /// such requests are not recorded.
    var answers: [String: String] {
        get { lock.withLock { _answers } }
        set { lock.withLock { _answers = newValue } }
    }
    /// The bodies recorded, gzip ones decoded.
    var decodedBodies: [[UInt8]] { lock.withLock { _decoded } }
    /// Every entry line received, in arrival order (gzip bodies decoded).
    var lines: [String] {
        lock.withLock { _decoded }.flatMap { String(decoding: $0, as: UTF8.self).split(separator: "\n").map(String.init) }
    }
    /// Answer 400 (`refused: …`, not recorded) to requests whose decoded body contains this text.
    var refuseBodiesContaining: String? {
        get { lock.withLock { _refuse } }
        set { lock.withLock { _refuse = newValue } }
    }

    /// A gzip body through the real `gzip -dc`.
    static func gunzip(_ body: [UInt8]) -> [UInt8] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-dc"]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        guard (try? p.run()) != nil else { return [] }
        let writer = Thread { input.fileHandleForWriting.write(Data(body)); try? input.fileHandleForWriting.close() }
        writer.start()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return [UInt8](data)
    }

    /// Waits until `lines.count >= n` or the timeout.
    func waitForLines(_ n: Int, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(TestTime.seconds(timeout))
        while Date() < deadline {
            if lines.count >= n { return true }
            usleep(5000)
        }
        return lines.count >= n
    }

    func stop() {
        lock.lock()
        guard !stopped else { lock.unlock(); return }
        stopped = true
        let fds = connections
        lock.broadcast()
        lock.unlock()
        shutdown(listenFD, Int32(SHUT_RDWR))
        close(listenFD)
        for fd in fds { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    private func acceptLoop() {
        while true {
            let fd = accept(listenFD, nil, nil)
            if fd < 0 { if errno == EINTR { continue }; return }
            lock.lock()
            if stopped { lock.unlock(); close(fd); return }
            connections.append(fd)
            lock.unlock()
            Thread { [self] in serve(fd) }.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            // Head
            var headEnd: Int?
            while headEnd == nil {
                headEnd = Self.find(buffer, Array("\r\n\r\n".utf8))
                if headEnd != nil { break }
                let n = recv(fd, &chunk, chunk.count, 0)
                if n <= 0 { return }
                buffer += chunk[0..<n]
            }
            let head = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
            let length = head.split(separator: "\r\n").compactMap { line -> Int? in
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                return Int(parts[1].trimmingCharacters(in: .whitespaces))
            }.first ?? 0
            let bodyStart = headEnd! + 4
            while buffer.count - bodyStart < length {
                let n = recv(fd, &chunk, chunk.count, 0)
                if n <= 0 { return }
                buffer += chunk[0..<n]
            }
            let body = Array(buffer[bodyStart..<(bodyStart + length)])
            buffer.removeFirst(bodyStart + length)
            let decoded = head.lowercased().contains("content-encoding: gzip") ? Self.gunzip(body) : body
            lock.lock()
            _requests += 1
            var mode = _mode
            while mode == .hang, !stopped { lock.wait(); mode = _mode }
            if stopped { lock.unlock(); return }
            if case let .error500On(text) = mode { mode = head.contains(text) ? .error500 : .ok }
            let text = String(decoding: decoded, as: UTF8.self)
            if let refuse = _refuse, text.contains(refuse) {
                lock.unlock()
                let why = "refused: \(refuse)"
                guard Self.sendAll(fd, Array("HTTP/1.1 400 Bad Request\r\nContent-Length: \(why.utf8.count)\r\n\r\n\(why)".utf8)) else { return }
                continue
            }
            if let answer = _answers.first(where: { text.contains($0.key) })?.value {
                lock.unlock()
                guard Self.sendAll(fd, Array("HTTP/1.1 200 OK\r\nContent-Length: \(answer.utf8.count)\r\n\r\n\(answer)".utf8)) else { return }
                continue
            }
            if mode == .ok || mode == .okChunked { _bodies.append(body); _decoded.append(decoded); _heads.append(head); _arrivals.append(Date().timeIntervalSince1970) }
            lock.unlock()
            let answer: String
            switch mode {
            case .ok: answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
            case .okChunked: answer = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
            case .error500: answer = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nboom"
            case .closeWithoutAnswer, .hang, .error500On: return
            }
            guard Self.sendAll(fd, Array(answer.utf8)) else { return }
        }
    }

    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + off, bytes.count - off, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            off += n
        }
        return true
    }

    static func find(_ b: [UInt8], _ needle: [UInt8]) -> Int? {
        guard b.count >= needle.count else { return nil }
        for i in 0...(b.count - needle.count) where b[i..<(i + needle.count)].elementsEqual(needle) { return i }
        return nil
    }

    static func listenSocket(port: Int, udp: Bool) throws -> Int32 {
        let fd = socket(AF_INET, Int32(udp ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard ok == 0, udp || listen(fd, 64) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        return fd
    }

    static func boundPort(_ fd: Int32) -> Int {
        var addr = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// A port nothing listens on (bound, then closed).
    static func freePort() -> Int {
        let fd = try! listenSocket(port: 0, udp: false)
        let p = boundPort(fd)
        close(fd)
        return p
    }
}
