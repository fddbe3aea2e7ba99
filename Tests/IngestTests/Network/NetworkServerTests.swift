import Foundation
import Pipeline
import TestSupport
import Testing
@testable import Ingest
#if canImport(Glibc)
import Glibc
#endif

/// The server engine through a real `tcp://` input on 127.0.0.1, in process: back-pressure pauses reading and
/// loses nothing, the connection limit refuses at accept, idle connections are closed, all counted.
@Suite(.serialized) struct NetworkServerTests {
    /// Runs `source` on a thread, collecting each line; `slow` µs per batch stands in for a busy pipeline.
    final class Collector: @unchecked Sendable {
        let lock = NSLock()
        var lines: [String] = []
        let stop = StopSignal()
        let done = DispatchSemaphore(value: 0)

        init(_ source: NetworkSource, slowMicros: UInt32 = 0) {
            Thread { [self] in
                try? source.run(stop: stop) { batch in
                    if slowMicros > 0 { usleep(slowMicros) }
                    let text = batch.lines.map { l in
                        String(decoding: UnsafeBufferPointer(start: batch.buffer.base + Int(l.start), count: Int(l.length)), as: UTF8.self)
                    }
                    lock.lock(); lines += text; lock.unlock()
                }
                source.afterRun()
                done.signal()
            }.start()
        }

        var count: Int { lock.lock(); defer { lock.unlock() }; return lines.count }

        func finish() {
            stop.trigger()
            _ = done.wait(timeout: .now() + 20)
        }
    }

    private func connect(_ port: Int) -> Int32 { TCPTestClient.connect(port) }

    private func waitUntil(_ seconds: Double, _ condition: () -> Bool) -> Bool { TCPTestClient.waitUntil(seconds, condition) }

    /// True once the peer closed `fd` (a read returns 0 or fails), within `seconds`.
    private func closedByPeer(_ fd: Int32, seconds: Double) -> Bool {
        var t = timeval(tv_sec: Int(seconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &t, socklen_t(MemoryLayout<timeval>.size))
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, 0) <= 0 && errno != EAGAIN
    }

    @Test(.timeLimit(.minutes(2))) func aFullIntakePausesReadingAndLosesNothing() throws {
        var limits = NetworkLimits()
        limits.maxQueuedBytes = 4096
        limits.batchLines = 50
        let source = try SyslogTCPInput.makeSource(host: "127.0.0.1", port: 0, limits: limits)
        let run = Collector(source, slowMicros: 2000)
        let n = 20_000
        let fd = connect(source.server.boundPort)
        #expect(fd >= 0)
        #expect(TCPTestClient.send(fd, Array((0..<n).map { "<13>line \($0)\n" }.joined().utf8)))
        close(fd)
        #expect(waitUntil(60) { run.count >= n }, "\(run.count) of \(n) lines")
        #expect(source.intake.peakQueuedBytes <= limits.maxQueuedBytes + 64 << 10, "the queue stayed near its bound")
        run.finish()
        #expect(run.lines == (0..<n).map { "<13>line \($0)" }, "every line, in order")
        #expect(source.counters.snapshot.entries == n)
        #expect(source.counters.snapshot.rejects.isEmpty)
    }

    @Test(.timeLimit(.minutes(1))) func connectionsPastTheLimitAreRefusedAtAccept() throws {
        var limits = NetworkLimits()
        limits.maxConnections = 2
        let source = try SyslogTCPInput.makeSource(host: "127.0.0.1", port: 0, limits: limits)
        let run = Collector(source)
        let port = source.server.boundPort
        let a = connect(port), b = connect(port)
        #expect(waitUntil(5) { source.counters.snapshot.openConnections == 2 })
        let c = connect(port)
        #expect(closedByPeer(c, seconds: 5), "the third connection is closed")
        #expect(source.counters.snapshot.rejects["connections"] == 1)
        var byte: UInt8 = 0
        #expect(recv(a, &byte, 1, Int32(MSG_DONTWAIT)) < 0 && errno == EAGAIN, "the first ones stay open")
        [a, b, c].forEach { close($0) }
        run.finish()
    }

    @Test(.timeLimit(.minutes(1))) func idleConnectionsAreClosedAndCounted() throws {
        var limits = NetworkLimits()
        limits.idleTimeoutMillis = 200
        let source = try SyslogTCPInput.makeSource(host: "127.0.0.1", port: 0, limits: limits)
        let run = Collector(source)
        let fd = connect(source.server.boundPort)
        #expect(closedByPeer(fd, seconds: 5))
        #expect(waitUntil(2) { source.counters.snapshot.rejects["idle_timeout"] == 1 })
        close(fd)
        run.finish()
    }

    @Test func aBusyPortFailsAtBuild() throws {
        let first = try SyslogTCPInput.makeSource(host: "127.0.0.1", port: 0)
        #expect(throws: NetworkInputError.self) {
            _ = try SyslogTCPInput.makeSource(host: "127.0.0.1", port: first.server.boundPort)
        }
        first.afterRun()
    }
}
