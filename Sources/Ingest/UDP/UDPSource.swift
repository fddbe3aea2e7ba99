import CSocket
import Foundation
import Pipeline

/// Receives log datagrams on a UDP socket (syslog RFC 5424/3164, JSON, logfmt or plain: the pipeline detects
/// the format per line); one entry per datagram, or one per line when it holds several. Each sender address gets
/// its own origin and session ID.
///
/// Binds in `init` (a bad address or busy port fails there), with an 8 MiB receive buffer by default. `run`
/// blocks the calling thread until `stop`: it reads up to 64 datagrams per recvmmsg call and only copies their
/// lines into per-peer batches, so the thread gets back to the socket quickly; parsing happens in the workers.
/// `emit` is called from a forwarding thread behind a bounded queue (`backlogBytes`, see `BatchHandoff`), since
/// UDP cannot pause its senders: when the pipeline pauses, the queue and then the kernel's receive buffer absorb
/// the wait, and what overflows is counted (`udpStats.kernelDrops`), never silent. A batch is cut when full, when
/// its oldest line has waited `batchTimeoutMillis`, and at stop, after the datagrams already queued at the socket
/// are read (for at most a second), everything pending is emitted. The socket closes when `run` returns.
public final class UDPSource {
    public static let defaultReceiveBufferBytes = 8 << 20
    public let host: String
    public let port: Int
    public let options: FramingOptions
    /// Where batch buffers come from; the pipeline gives them back after encoding.
    public var pool: BufferPool?
    public private(set) var stats = SourceStats()
    public private(set) var udpStats = UDPStats()
    /// Senders whose session IDs are remembered; the least recently heard is forgotten first.
    public var peerLimit = 4096
    /// Most per-peer batches waiting at once; past it, all are cut (bounds memory under many quiet senders).
    public var pendingLimit = 256
    /// Cut waiting batches whenever the socket is drained (low latency for the urgent path, smaller batches).
    public var cutWhenCaughtUp = false
    /// Batch bytes that may wait for the pipeline before the receiving thread blocks (and the kernel buffer fills).
    public var backlogBytes = 64 << 20
    /// Nice value asked for the receiving thread (negative: ahead of other work; needs CAP_SYS_NICE, else ignored).
    public var receiveThreadNice = -10
    private let socket: UDPSocket

    public init(host: String, port: Int, options: FramingOptions,
                receiveBufferBytes: Int = UDPSource.defaultReceiveBufferBytes) throws {
        self.host = host
        self.port = port
        self.options = options
        socket = try UDPSocket(host: host, port: port, receiveBufferBytes: receiveBufferBytes)
        udpStats.receiveBufferBytes = socket.receiveBufferBytes
        udpStats.requestedBufferBytes = receiveBufferBytes
    }

    /// The port actually bound (for port 0).
    public var boundPort: Int { socket.boundPort }

    /// One line for the run's exit summary (datagrams received, malformed, dropped by the kernel, buffer size).
    public var summary: String {
        udpStats.summary(address: "\(host.contains(":") ? "[\(host)]" : host):\(boundPort)")
    }

    public func run(stop: StopSignal, emit: (RawBatch) -> Void) throws {
        let (_, peak) = try BatchHandoff.forwarding(maxBytes: backlogBytes, to: emit) { handoff in
            try receive(stop: stop, emit: handoff.put)
        }
        udpStats.peakBacklogBytes = peak
    }

    private let liveLock = NSLock()
    private var liveSnapshot = UDPStats()

    /// A consistent copy of the counters while running (for /metrics); `udpStats` itself belongs to the
    /// receiving thread until `run` returns.
    public var liveStats: UDPStats {
        liveLock.lock()
        defer { liveLock.unlock() }
        return liveSnapshot
    }

    private func publish(kernelDrops: Int) {
        var s = udpStats
        s.kernelDrops = kernelDrops
        liveLock.lock()
        liveSnapshot = s
        liveLock.unlock()
    }

    /// The receiving loop: socket → per-peer batches → `emit` (the handoff's queue, so it rarely blocks).
    private func receive(stop: StopSignal, emit: (RawBatch) -> Void) throws {
        // On a busy machine this thread must not wait its turn behind compute work: its lateness is the one
        // that loses data. It only copies bytes, and blocks when the backlog is full, so it cannot hog a core
        // beyond what the traffic needs. Best effort: without CAP_SYS_NICE it keeps the default priority.
        let formerNice = csocket_thread_nice()
        udpStats.raisedPriority = receiveThreadNice < formerNice && csocket_set_thread_nice(Int32(receiveThreadNice)) == 0
        defer { if udpStats.raisedPriority { _ = csocket_set_thread_nice(formerNice) } }
        let receiver = try DatagramReceiver()
        var framer = DatagramFramer(options: options)
        var peers = PeerBatches(options: options, peerLimit: peerLimit, pendingLimit: pendingLimit, pool: pool)
        var drops = KernelDropCounter()
        func send(_ batch: RawBatch) {
            udpStats.entries += batch.lines.count
            emit(batch)
        }
        defer {
            peers.cutAll(close: .end, emit: send)
            drops.final(fd: socket.fd)
            socket.close()
            udpStats.kernelDrops = drops.drops
            udpStats.peers = peers.peersSeen
            stats.emptyLines = framer.emptyLines
            stats.discardedBytes = framer.discardedBytes
        }
        var fds = [pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: stop.wakeFD, events: Int16(POLLIN), revents: 0)]
        while !stop.isTriggered {
            let deadline = peers.nextDeadline
            let wait = deadline == .max ? -1 : Int32(clamping: max(0, deadline - nowMillis()))
            if poll(&fds, 2, wait) < 0 {
                if errno == EINTR { continue }
                throw IngestError.io(operation: "poll", path: "udp://\(host):\(boundPort)", errno: errno)
            }
            if fds[1].revents != 0 { break }
            if fds[0].revents != 0 {
                let caughtUp = try drain(receiver, &framer, &peers, &drops, emit: send)
                if caughtUp, cutWhenCaughtUp { peers.cutAll(close: .caughtUp, emit: send) }
                publish(kernelDrops: drops.drops)
            }
            peers.cutExpired(now: nowMillis(), emit: send)
        }
        // What the kernel already accepted belongs to this run: read it before closing (bounded, for a flood).
        let until = nowMillis() + Self.stopDrainMillis
        while nowMillis() < until, try !drain(receiver, &framer, &peers, &drops, emit: send) {}
    }

    /// How long the stop keeps reading datagrams that are already queued at the socket.
    static let stopDrainMillis: Int64 = 1000

    /// Reads what is waiting (at most 16 recvmmsg calls, then stop and timeouts get a look); true when the
    /// socket was emptied.
    private func drain(_ receiver: DatagramReceiver, _ framer: inout DatagramFramer, _ peers: inout PeerBatches,
                       _ drops: inout KernelDropCounter, emit: (RawBatch) -> Void) throws -> Bool {
        for _ in 0..<16 {
            guard let n = receiver.receive(from: socket.fd) else {
                if errno == EINTR { continue }
                throw IngestError.io(operation: "receive on", path: "udp://\(host):\(boundPort)", errno: errno)
            }
            let now = nowMillis()
            for i in 0..<n {
                let datagram = receiver.datagram(i)
                drops.observe(receiver.kernelDrops(i))
                udpStats.datagrams += 1
                stats.bytesRead += datagram.count
                let batch = peers.batch(for: receiver.peer(i), now: now, emit: emit)
                switch framer.frame(datagram, into: batch, now: now, emit: emit) {
                case .framed: break
                case .empty: udpStats.emptyDatagrams += 1
                case .truncated: udpStats.truncatedDatagrams += 1
                }
                peers.noteWaiting(batch, emit: emit)
            }
            if n < receiver.slots { return true }
        }
        return false
    }
}
