import Foundation
import Ingest
import Pipeline
import SegmentFormat
import Sinks
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Every source of the project, as the compliance suite builds it. A new source joins this list.
enum SourceKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case stdin, udp, tail, replay, tcp, forward, http, otlp

    var testDescription: String { rawValue }

    /// Sources whose batches carry positions that are acknowledged: those that resume, and the network inputs
    /// (whose acknowledgement is the reply to the client).
    var hasPositions: Bool { resumes || self == .tcp || self == .forward || self == .http || self == .otlp }
    /// Sources that can resume from an acknowledged position; stdin, UDP and network clients cannot be asked for
    /// their input again.
    var resumes: Bool { self == .tail || self == .replay }
    /// Sources whose input ends by itself (the others run until stopped).
    var endsByItself: Bool { self == .stdin || self == .replay }

    static let framing = FramingOptions(batchMaxEntries: 100, batchTimeoutMillis: 50)
    static let networkLimits = {
        var l = NetworkLimits()
        l.batchLines = 100
        l.batchTimeoutMillis = 50
        return l
    }()
}

/// One source's input (lines 0..<n, written once) and state folder, shared by the runs of a test.
final class SourceFixture: @unchecked Sendable {
    let kind: SourceKind
    let n: Int
    let dir = TempDir()
    var state: String { dir.path + "/state" }
    private var segments: [String] = []
    private var udpPort = 0
    private var httpPort = 0
    private let initially: Int

    /// A tailed file: appends the lines not written at first.
    func appendRest() throws {
        guard kind == .tail, initially < n else { return }
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.path + "/app.log"))
        defer { try? h.close() }
        try h.seekToEnd()
        h.write(Data((initially..<n).map { entryLine($0) + "\n" }.joined().utf8))
    }

    /// `initially`: how many of the lines a tailed file holds at first (`appendRest` writes the others).
    init(_ kind: SourceKind, lines n: Int, initially: Int? = nil) throws {
        self.kind = kind
        self.n = n
        self.initially = kind == .tail ? (initially ?? n) : n
        let text = (0..<self.initially).map { entryLine($0) + "\n" }.joined()
        switch kind {
        case .stdin, .tail:
            try text.write(toFile: dir.path + "/app.log", atomically: false, encoding: .utf8)
        case .udp, .tcp, .forward, .http, .otlp:
            break
        case .replay:
            let out = dir.path + "/archive"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let sink = try SegmentSink(options: SegmentOptions(directory: out, maxEntries: n / 3 + 1))
            for start in stride(from: 0, to: n, by: 250) {
                let lines = ByteBuffer(capacity: 1 << 16)
                lines.append(Array((start..<min(n, start + 250)).map { entryLine($0) + "\n" }.joined().utf8))
                let batch = SegmentLine.batch(from: lines, origin: SourceOrigin(name: "fixture", sessionId: "s")).batch
                let frame = ByteBuffer(capacity: lines.count + 1024)
                SegmentCodec.lz4.makeCompressor(level: nil).compress(batch.output.bytes, into: frame)
                try sink.write(CompressedBatch(encoded: batch, frame: frame))
            }
            try sink.finish()
            segments = try SegmentFiles.expand([out])
        }
    }

    /// A new source over the same input and state (a restart).
    func make() throws -> Source {
        switch kind {
        case .stdin:
            let fd = open(dir.path + "/app.log", O_RDONLY | O_CLOEXEC)
            return StreamSource(fd: fd, origin: SourceOrigin(name: "stdin", sessionId: "s"), options: SourceKind.framing)
        case .udp:
            let source = try UDPSource(host: "127.0.0.1", port: 0, options: SourceKind.framing)
            udpPort = source.boundPort
            return source
        case .tcp:
            let source = try SyslogTCPInput.makeSource(host: "127.0.0.1", port: 0, limits: SourceKind.networkLimits)
            udpPort = source.server.boundPort
            return source
        case .forward:
            let source = try ForwardInput.makeSource(host: "127.0.0.1", port: 0, limits: SourceKind.networkLimits)
            udpPort = source.server.boundPort
            return source
        case .http:
            let source = try HTTPInput.ndjson(host: "127.0.0.1", port: 0, path: "/logs", options: HTTPInput.Options(limits: SourceKind.networkLimits))
            httpPort = source.server.boundPort
            return source
        case .otlp:
            let source = try HTTPInput.otlp(host: "127.0.0.1", port: 0, options: HTTPInput.Options(limits: SourceKind.networkLimits))
            httpPort = source.server.boundPort
            return source
        case .tail:
            return try FileTailSource(pattern: dir.path + "/app.log", options: SourceKind.framing,
                                      tail: TailOptions(partialLineTimeoutMillis: 200, stateDir: state), sessionId: "s",
                                      checkpoints: try CheckpointStore(directory: state))
        case .replay:
            return SegmentReplaySource(files: segments, options: SourceKind.framing, sessionId: "s",
                                       cursor: try ReplayCursor(directory: state, files: segments))
        }
    }

    /// Feeds the input of a source that does not read it from disk (UDP: one datagram per line; HTTP and OTLP:
    /// requests of 100 entries on one kept-alive connection, each sent once the one before was answered 200), on
    /// a thread.
    func feed() {
        if kind == .http || kind == .otlp {
            let port = httpPort, n = self.n, kind = self.kind
            Thread {
                let client = BlockingHTTPClient(port: port)
                for start in stride(from: 0, to: n, by: 100) {
                    let range = start..<min(n, start + 100)
                    let sent = kind == .http
                        ? client.post("/logs", contentType: "application/x-ndjson", body: range.map { entryLine($0) + "\n" }.joined())
                        : client.post("/v1/logs", contentType: "application/json", body: otlpJSON(range))
                    guard sent == 200 else { break } // the input stopped: the rest is not sent
                }
                client.close()
            }.start()
            return
        }
        if kind == .tcp || kind == .forward { feedStream(); return }
        guard kind == .udp else { return }
        let port = udpPort, n = self.n
        Thread {
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            for i in 0..<n {
                let bytes = Array(entryLine(i).utf8)
                _ = withUnsafePointer(to: &addr) { p in
                    p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
                if i % 200 == 199 { usleep(2000) } // well under the receive buffer
            }
            close(fd)
        }.start()
    }

    /// A network input's client on one connection: newline-framed lines (tcp) or forward Message-mode events, in
    /// pieces of 100 messages.
    private func feedStream() {
        let port = udpPort, n = self.n, kind = self.kind
        Thread {
            let fd = TCPTestClient.connect(port)
            guard fd >= 0 else { return }
            for start in stride(from: 0, to: n, by: 100) {
                var bytes: [UInt8] = []
                for i in start..<min(n, start + 100) {
                    bytes += kind == .tcp ? Array((entryLine(i) + "\n").utf8) : forwardMessage("seq \(i)")
                }
                guard TCPTestClient.send(fd, bytes) else { break }
                usleep(1000)
            }
            close(fd)
        }.start()
    }

    /// What the source could not take and counted (UDP: datagrams the kernel dropped).
    func counted(_ source: Source) -> Int {
        (source as? UDPSource)?.liveStats.kernelDrops ?? 0
    }
}

/// An OTLP/JSON logs request whose record `i` has the body "seq i" and level ERROR (as `entryLine`).
func otlpJSON(_ range: Range<Int>) -> String {
    let records = range.map { #"{"severityNumber":17,"body":{"stringValue":"seq \#($0)"}}"# }.joined(separator: ",")
    return #"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"compliance"}}]},"scopeLogs":[{"logRecords":["# + records + "]}]}]}"
}

/// HTTP/1.1 POSTs on one kept-alive connection to 127.0.0.1, blocking: the status of each answer (0 when the
/// connection failed).
final class BlockingHTTPClient {
    private var fd: Int32 = -1
    private let port: Int

    init(port: Int) { self.port = port }

    func post(_ path: String, contentType: String, body: String) -> Int {
        if fd < 0 {
            fd = TCPTestClient.connect(port)
            var timeout = timeval(tv_sec: 30, tv_usec: 0) // an answer that never comes fails the test, not hangs it
            if fd >= 0 { setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size)) }
        }
        guard fd >= 0 else { return 0 }
        let bytes = Array(body.utf8)
        let head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: \(contentType)\r\nContent-Length: \(bytes.count)\r\n\r\n"
        let request = Array(head.utf8) + bytes
        guard TCPTestClient.send(fd, request) else { close(); return 0 }
        // The answer: header up to the blank line, then Content-Length bytes.
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if let end = received.firstRange(of: Array("\r\n\r\n".utf8)) {
                let header = String(decoding: received[..<end.lowerBound], as: UTF8.self).lowercased()
                let length = header.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) } ?? 0
                if received.count >= end.upperBound + length {
                    let status = header.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
                    if header.contains("connection: close") { close() }
                    return status
                }
            }
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { close(); return 0 }
            received += buffer[0..<n]
        }
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
}


/// Runs a topology on a thread of its own; `stop` ends it; `wait` returns its outcome.
final class BackgroundRun<Worker>: @unchecked Sendable {
    let runner: TopologyRunner<Worker>
    private let done = DispatchSemaphore(value: 0)
    private var result: TopologyRunner<Worker>.Outcome?

    init(_ topology: Topology<Worker>) {
        runner = TopologyRunner(topology)
        Thread { [self] in
            result = runner.run()
            lock.lock(); ended = true; lock.unlock()
            done.signal()
        }.start()
    }

    func stop() { runner.stop.trigger() }

    var isFinished: Bool { lock.lock(); defer { lock.unlock() }; return ended }
    private let lock = NSLock()
    private var ended = false

    func wait(seconds: Double = 30) -> TopologyRunner<Worker>.Outcome? {
        guard done.wait(timeout: .now() + seconds) == .success else { return nil }
        return result
    }
}
