import Foundation
import Testing
@testable import Ingest
@testable import TestSupport
import Pipeline

/// `UDPSource` in process: a source on 127.0.0.1 port 0 on its own thread, datagrams from real POSIX sockets.
/// Loopback queues a datagram at the receiver before `sendto` returns, and the source reads what is queued before
/// it stops, so "send, then stop" sees every datagram without sleeping.
@Suite struct UDPSourceTests {
    static func options(maxLine: Int = 1 << 20, entries: Int = 1000, bytes: Int = 1 << 20, timeoutMillis: Int = 60_000,
                        multiline: Bool = true) -> FramingOptions {
        FramingOptions(maxLineBytes: maxLine, batchMaxEntries: entries, batchMaxBytes: bytes,
                       batchTimeoutMillis: timeoutMillis, multiline: multiline)
    }

    @Test func oneEntryPerDatagramInOrder() throws {
        let running = try RunningUDPSource(options: Self.options())
        let sender = try DatagramSender()
        for text in ["<11>1 2026-11-27T10:00:00Z h app - - - first", "second", "{\"msg\":\"third\"}"] {
            try sender.send(text, to: running.port)
        }
        let batches = try running.finish()
        #expect(batches.flatMap(\.texts) == ["<11>1 2026-11-27T10:00:00Z h app - - - first", "second", "{\"msg\":\"third\"}"])
        #expect(batches.allSatisfy { $0.origin.name == "udp://127.0.0.1:\(sender.localPort)" })
        #expect(running.source.udpStats.datagrams == 3)
        #expect(running.source.udpStats.entries == 3)
        #expect(running.source.udpStats.malformed == 0)
    }

    @Test func datagramWithSeveralLinesGivesSeveralEntries() throws {
        let running = try RunningUDPSource(options: Self.options())
        let sender = try DatagramSender()
        try sender.send("alpha\nbeta\r\n\ngamma\n", to: running.port)
        try sender.send("python\u{0}", to: running.port) // SysLogHandler's trailing NUL
        let batches = try running.finish()
        #expect(batches.flatMap(\.texts) == ["alpha", "beta", "gamma", "python"])
        #expect(running.source.stats.emptyLines == 1)
        #expect(running.source.udpStats.datagrams == 2)
    }

    @Test func continuationLinesJoinTheEntryInTheSameDatagram() throws {
        let running = try RunningUDPSource(options: Self.options())
        let sender = try DatagramSender()
        try sender.send("boom\n  at A.b(A.java:1)\nCaused by: x\nnext entry", to: running.port)
        try sender.send("  indented first line of a datagram", to: running.port)
        let lines = try running.finish().flatMap(\.refsAndTexts)
        #expect(lines.map(\.text) == ["boom\n  at A.b(A.java:1)\nCaused by: x", "next entry",
                                      "  indented first line of a datagram"])
        #expect(lines.map(\.ref.joined) == [true, false, false])
    }

    @Test func multilineOffKeepsEveryLine() throws {
        let running = try RunningUDPSource(options: Self.options(multiline: false))
        let sender = try DatagramSender()
        try sender.send("boom\n  at A.b(A.java:1)", to: running.port)
        #expect(try running.finish().flatMap(\.texts) == ["boom", "  at A.b(A.java:1)"])
    }

    @Test func eachPeerGetsItsOwnOriginAndSession() throws {
        let running = try RunningUDPSource(options: Self.options(timeoutMillis: 20))
        let a = try DatagramSender(), b = try DatagramSender()
        try a.send("a1", to: running.port)
        try b.send("b1", to: running.port)
        // After a's first batch went out on its timeout, a's next lines keep its session.
        #expect(running.waitFor { $0.flatMap(\.texts).contains("a1") })
        try a.send("a2", to: running.port)
        let batches = try running.finish()
        #expect(batches.allSatisfy { Set($0.texts.map { $0.prefix(1) }).count == 1 }, "a batch mixes peers")
        let byPeer = Dictionary(grouping: batches, by: \.origin.name)
        #expect(Set(byPeer.keys) == ["udp://127.0.0.1:\(a.localPort)", "udp://127.0.0.1:\(b.localPort)"])
        let aSessions = Set(byPeer["udp://127.0.0.1:\(a.localPort)"]!.map(\.origin.sessionId))
        let bSessions = Set(byPeer["udp://127.0.0.1:\(b.localPort)"]!.map(\.origin.sessionId))
        #expect(aSessions.count == 1)
        #expect(bSessions.count == 1)
        #expect(aSessions != bSessions)
        #expect(aSessions.first.map(Self.isUUIDv7) == true)
        #expect(byPeer["udp://127.0.0.1:\(a.localPort)"]!.flatMap(\.texts) == ["a1", "a2"])
        #expect(running.source.udpStats.peers == 2)
    }

    @Test func overlongLineIsTruncatedAndCounted() throws {
        let running = try RunningUDPSource(options: Self.options(maxLine: 32))
        let sender = try DatagramSender()
        let long = String(repeating: "x", count: 100)
        try sender.send(long, to: running.port)
        try sender.send("short", to: running.port)
        let lines = try running.finish().flatMap(\.refsAndTexts)
        #expect(lines.map(\.text) == [String(repeating: "x", count: 32), "short"])
        #expect(lines.map(\.ref.truncated) == [true, false])
        #expect(running.source.udpStats.truncatedDatagrams == 1)
        #expect(running.source.udpStats.malformed == 1)
        #expect(running.source.stats.discardedBytes == 68)
    }

    @Test func emptyDatagramsAreCountedNotEmitted() throws {
        let running = try RunningUDPSource(options: Self.options())
        let sender = try DatagramSender()
        try sender.send("", to: running.port)
        try sender.send("\n", to: running.port)
        try sender.send("\r\n\u{0}", to: running.port)
        try sender.send("real", to: running.port)
        #expect(try running.finish().flatMap(\.texts) == ["real"])
        #expect(running.source.udpStats.datagrams == 4)
        #expect(running.source.udpStats.emptyDatagrams == 3)
        #expect(running.source.udpStats.entries == 1)
    }

    @Test func stopEmitsWhatIsPending() throws {
        let running = try RunningUDPSource(options: Self.options(timeoutMillis: 60_000))
        let sender = try DatagramSender()
        for i in 0..<5 { try sender.send("pending \(i)", to: running.port) }
        let batches = try running.finish()
        #expect(batches.count == 1)
        #expect(batches.first?.close == .end)
        #expect(batches.first?.texts == (0..<5).map { "pending \($0)" })
    }

    @Test func fullBatchesAreCutByEntries() throws {
        let running = try RunningUDPSource(options: Self.options(entries: 2))
        let sender = try DatagramSender()
        for i in 0..<5 { try sender.send("n\(i)", to: running.port) }
        try sender.send("m0\nm1\nm2", to: running.port) // a cut inside one datagram
        let batches = try running.finish()
        #expect(batches.map(\.texts) == [["n0", "n1"], ["n2", "n3"], ["n4", "m0"], ["m1", "m2"]])
        #expect(batches.map(\.close) == [.full, .full, .full, .full])
    }

    @Test func fullBatchesAreCutByBytes() throws {
        let running = try RunningUDPSource(options: Self.options(bytes: 10))
        let sender = try DatagramSender()
        for text in ["aaaa", "bbbb", "cccc", "dddddddddddd", "e"] { try sender.send(text, to: running.port) }
        let batches = try running.finish()
        #expect(batches.map(\.texts) == [["aaaa", "bbbb"], ["cccc"], ["dddddddddddd"], ["e"]])
        #expect(batches.allSatisfy { $0.buffer.count <= 12 })
    }

    @Test func batchIsCutWhenItsOldestLineTimesOut() throws {
        let running = try RunningUDPSource(options: Self.options(timeoutMillis: 30))
        let sender = try DatagramSender()
        let sent = nowMillis()
        try sender.send("soon", to: running.port)
        #expect(running.waitFor { !$0.isEmpty })
        let waited = nowMillis() - sent
        let batches = try running.finish()
        #expect(batches.first?.close == .timeout)
        #expect(batches.first?.texts == ["soon"])
        #expect(waited >= 25 && Double(waited) < TestTime.millis(2000))
    }

    @Test func forgottenPeersHandTheirLinesOnAndComeBackWithANewSession() throws {
        let running = try RunningUDPSource(options: Self.options()) { $0.peerLimit = 2 }
        let senders = try (0..<3).map { _ in try DatagramSender() }
        for (i, s) in senders.enumerated() { try s.send("p\(i)", to: running.port) }
        try senders[0].send("p0 again", to: running.port)
        let batches = try running.finish()
        #expect(batches.flatMap(\.texts).sorted() == ["p0", "p0 again", "p1", "p2"])
        let first = batches.first { $0.texts == ["p0"] }
        let again = batches.first { $0.texts == ["p0 again"] }
        #expect(first?.close == .timeout, "evicted peer's lines go out at once")
        #expect(first?.origin.name == again?.origin.name)
        #expect(first?.origin.sessionId != again?.origin.sessionId)
        #expect(running.source.udpStats.peers == 4)
    }

    @Test func manyPeersWaitingAreCutTogether() throws {
        let running = try RunningUDPSource(options: Self.options()) { $0.pendingLimit = 2 }
        let senders = try (0..<3).map { _ in try DatagramSender() }
        for (i, s) in senders.enumerated() { try s.send("p\(i)", to: running.port) }
        let batches = try running.finish()
        #expect(batches.map(\.texts) == [["p0"], ["p1"], ["p2"]])
        #expect(batches.map(\.close) == [.full, .full, .end])
    }

    @Test func batchBuffersComeFromThePool() throws {
        let pool = BufferPool()
        let recycled = ByteBuffer(capacity: 4 << 20)
        pool.give(recycled)
        let running = try RunningUDPSource(options: Self.options()) { $0.pool = pool }
        try DatagramSender().send("pooled", to: running.port)
        let batches = try running.finish()
        #expect(batches.first?.buffer === recycled)
    }

    @Test func ipv6LiteralAndPeerName() throws {
        let running = try RunningUDPSource(host: "::1", options: Self.options())
        let sender = try DatagramSender(family: AF_INET6)
        try sender.send("over v6", to: running.port, host: "::1")
        let batches = try running.finish()
        #expect(batches.flatMap(\.texts) == ["over v6"])
        #expect(batches.first?.origin.name == "udp://[::1]:\(sender.localPort)")
    }

    @Test func hostNameIsResolved() throws {
        let running = try RunningUDPSource(host: "localhost", options: Self.options())
        try DatagramSender().send("by name", to: running.port)
        #expect(try running.finish().flatMap(\.texts) == ["by name"])
    }

    @Test func busyPortFailsAtStartNamingTheAddress() throws {
        let first = try UDPSource(host: "127.0.0.1", port: 0, options: Self.options())
        do {
            _ = try UDPSource(host: "127.0.0.1", port: first.boundPort, options: Self.options())
            Issue.record("binding a busy port succeeded")
        } catch {
            #expect("\(error)" == "cannot bind udp://127.0.0.1:\(first.boundPort): Address already in use")
        }
    }

    @Test func unknownHostFailsAtStart() throws {
        do {
            _ = try UDPSource(host: "no-such-host.invalid", port: 5514, options: Self.options())
            Issue.record("an unknown host was accepted")
        } catch {
            #expect("\(error)".hasPrefix("cannot resolve the host of udp://no-such-host.invalid:5514"))
        }
        do {
            _ = try UDPSource(host: "192.0.2.1", port: 5514, options: Self.options())
            Issue.record("an address not on this machine was accepted")
        } catch {
            #expect("\(error)" == "cannot bind udp://192.0.2.1:5514: Cannot assign requested address")
        }
    }

    @Test func summaryNamesCountsAndTheReceiveBuffer() throws {
        let running = try RunningUDPSource(options: Self.options(maxLine: 16))
        let sender = try DatagramSender()
        try sender.send("one", to: running.port)
        try sender.send("", to: running.port)
        try sender.send(String(repeating: "y", count: 40), to: running.port)
        _ = try running.finish()
        let s = running.source.summary
        #expect(s.hasPrefix("udp 127.0.0.1:\(running.port): 3 datagrams received from 1 peer(s), 2 entries, " +
                            "2 malformed (1 empty, 1 truncated), 0 dropped by the kernel, receive buffer "))
        #expect(s.contains("(asked 8 MiB; SO_RCVBUF reports double)"))
        #expect(s.contains(", peak backlog "))
        #expect(running.source.udpStats.receiveBufferBytes > 0)
        #expect(running.source.udpStats.requestedBufferBytes == 8 << 20)
    }

    @Test func kernelDropsAreCounted() throws {
        // A tiny receive buffer and a reader that is not reading: the kernel drops, and the source says so.
        let source = try UDPSource(host: "127.0.0.1", port: 0, options: Self.options(), receiveBufferBytes: 4096)
        let sender = try DatagramSender()
        let payload = String(repeating: "z", count: 1000)
        for _ in 0..<200 { try sender.send(payload, to: source.boundPort) }
        let stop = StopSignal()
        stop.trigger()
        var received = 0
        try source.run(stop: stop) { received += $0.lines.count }
        #expect(received > 0)
        #expect(source.udpStats.kernelDrops > 0)
        #expect(received + source.udpStats.kernelDrops == 200)
    }

    static func isUUIDv7(_ s: String) -> Bool {
        let b = Array(s.utf8)
        return b.count == 36 && b[14] == UInt8(ascii: "7") && [8, 13, 18, 23].allSatisfy { b[$0] == UInt8(ascii: "-") }
    }
}

@Suite struct LRUCacheTests {
    @Test func evictsTheLeastRecentlyUsed() {
        var cache = LRUCache<String, Int>(capacity: 3)
        #expect(cache.insert("a", 1) == nil)
        #expect(cache.insert("b", 2) == nil)
        #expect(cache.insert("c", 3) == nil)
        #expect(cache.get("a") == 1) // a is now the most recent; b the least
        let evicted = cache.insert("d", 4)
        #expect(evicted?.key == "b")
        #expect(evicted?.value == 2)
        #expect(cache.get("b") == nil)
        #expect(cache.values == [4, 1, 3])
        #expect(cache.insert("e", 5)?.key == "c")
        #expect(cache.count == 3)
    }

    @Test func capacityOneKeepsTheLatest() {
        var cache = LRUCache<Int, String>(capacity: 1)
        cache.insert(1, "one")
        #expect(cache.insert(2, "two")?.value == "one")
        #expect(cache.get(2) == "two")
        #expect(cache.values == ["two"])
    }

    @Test func survivesManyOperations() {
        var cache = LRUCache<Int, Int>(capacity: 64)
        var reference: [Int] = [] // most recent last
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let k = Int.random(in: 0..<100, using: &rng)
            if cache.get(k) != nil {
                reference.removeAll { $0 == k }
            } else {
                let evicted = cache.insert(k, k * 10)
                if reference.count == 64 { #expect(evicted?.key == reference.removeFirst()) } else { #expect(evicted == nil) }
            }
            reference.append(k)
        }
        #expect(cache.values == reference.reversed().map { $0 * 10 })
    }
}

@Suite struct BatchHandoffTests {
    static func batch(_ n: Int, bytes: Int) -> RawBatch {
        let buffer = ByteBuffer(capacity: bytes)
        buffer.count = bytes
        return RawBatch(buffer: buffer, lines: [LineRef(start: 0, length: n, readMillis: 0)],
                        origin: SourceOrigin(name: "t", sessionId: "s"), close: .full, inputBytes: bytes)
    }

    @Test func forwardsEveryBatchInOrderBeforeReturning() {
        var seen: [Int] = []
        let (_, peak) = BatchHandoff.forwarding(maxBytes: 1000, to: { b in
            if b.lines[0].length % 7 == 0 { usleep(1000) } // a slow consumer now and then
            seen.append(Int(b.lines[0].length))
        }) { handoff in
            for i in 1...500 { handoff.put(Self.batch(i, bytes: 100)) }
        }
        #expect(seen == Array(1...500))
        #expect(peak <= 1100, "the queue holds at most maxBytes plus one batch")
    }

    @Test func putWaitsWhileTheBacklogIsFull() {
        let started = nowMillis()
        var blockedFor: Int64 = 0
        _ = BatchHandoff.forwarding(maxBytes: 100, to: { _ in usleep(50_000) }) { handoff in
            handoff.put(Self.batch(1, bytes: 100)) // taken by the forwarder, which then sleeps
            usleep(10_000)
            handoff.put(Self.batch(2, bytes: 100)) // fills the queue
            let t = nowMillis()
            handoff.put(Self.batch(3, bytes: 100)) // waits until the forwarder takes batch 2
            blockedFor = nowMillis() - t
        }
        #expect(blockedFor >= 20)
        #expect(nowMillis() - started >= 150, "all three were forwarded before returning")
    }
}

// MARK: - helpers

/// A `UDPSource` on 127.0.0.1 (or `host`) port 0, run on its own thread; collects the batches it emits.
private final class RunningUDPSource: @unchecked Sendable {
    let source: UDPSource
    private let stop = StopSignal()
    private let lock = NSLock()
    private var emitted: [RawBatch] = []
    private var failure: Error?
    private let done = DispatchSemaphore(value: 0)

    init(host: String = "127.0.0.1", options: FramingOptions, configure: (UDPSource) -> Void = { _ in }) throws {
        source = try UDPSource(host: host, port: 0, options: options)
        configure(source)
        Thread { [self] in
            do {
                try source.run(stop: stop) { batch in lock.withLock { emitted.append(batch) } }
            } catch {
                lock.withLock { failure = error }
            }
            done.signal()
        }.start()
    }

    var port: Int { source.boundPort }

    /// Waits up to `seconds` until `condition` holds for what was emitted so far.
    func waitFor(seconds: Double = 5, _ condition: ([RawBatch]) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(TestTime.seconds(seconds))
        while Date() < deadline {
            if lock.withLock({ condition(emitted) }) { return true }
            usleep(2_000)
        }
        return false
    }

    /// Stops the source and returns everything it emitted.
    func finish() throws -> [RawBatch] {
        stop.trigger()
        guard done.wait(timeout: .now() + TestTime.seconds(10)) == .success else { throw POSIXError(.ETIMEDOUT) }
        return try lock.withLock {
            if let failure { throw failure }
            return emitted
        }
    }
}

/// A plain POSIX UDP socket bound to an ephemeral loopback port.
private final class DatagramSender {
    let fd: Int32
    let family: Int32
    let localPort: Int

    init(family: Int32 = AF_INET) throws {
        self.family = family
        let s = socket(family, Int32(SOCK_DGRAM.rawValue), 0)
        guard s >= 0 else { throw POSIXError(.EIO) }
        guard Self.withAddress(family == AF_INET ? "127.0.0.1" : "::1", port: 0, family: family, {
            bind(s, $0, $1) == 0
        }) else { close(s); throw POSIXError(.EADDRINUSE) }
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) } }
        fd = s
        localPort = withUnsafeBytes(of: &storage) { Int(UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self))) }
    }

    deinit { close(fd) }

    func send(_ text: String, to port: Int, host: String? = nil) throws {
        let bytes = Array(text.utf8)
        let host = host ?? (family == AF_INET ? "127.0.0.1" : "::1")
        let ok = Self.withAddress(host, port: port, family: family) { addr, len in
            bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, addr, len) == bytes.count }
        }
        guard ok else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    private static func withAddress<T>(_ host: String, port: Int, family: Int32,
                                       _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        if family == AF_INET {
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = UInt16(port).bigEndian
            inet_pton(AF_INET, host, &a.sin_addr)
            return withUnsafePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        var a = sockaddr_in6()
        a.sin6_family = sa_family_t(AF_INET6)
        a.sin6_port = UInt16(port).bigEndian
        inet_pton(AF_INET6, host, &a.sin6_addr)
        return withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        }
    }
}

private extension RawBatch {
    var texts: [String] { refsAndTexts.map(\.text) }

    var refsAndTexts: [(ref: LineRef, text: String)] {
        lines.map { ref in
            (ref, String(decoding: UnsafeBufferPointer(start: buffer.base + Int(ref.start), count: Int(ref.length)),
                         as: UTF8.self))
        }
    }
}
