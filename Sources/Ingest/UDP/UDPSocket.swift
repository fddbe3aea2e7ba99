import Foundation

/// A bound, non-blocking UDP socket with a large receive buffer and the kernel's drop counter switched on.
///
/// Binding happens in `init`, so a bad address or a busy port fails at start with the address in the message.
/// The receive buffer is the only queue UDP has while the reader is busy: it asks for `receiveBufferBytes`
/// (with `SO_RCVBUFFORCE` when privileged, which ignores `net.core.rmem_max`; else `SO_RCVBUF`, which is capped
/// by it) and records what the kernel granted. Owns the descriptor: `close()` once, or it closes on deinit.
final class UDPSocket {
    let fd: Int32
    /// The port actually bound (differs from the requested one for port 0).
    let boundPort: Int
    /// The receive buffer the kernel reports (Linux reports twice the bytes asked: it counts its bookkeeping).
    let receiveBufferBytes: Int
    /// Whether datagrams carry the socket's drop counter (SO_RXQ_OVFL).
    let carriesDropCounter: Bool
    private var closed = false

    init(host: String, port: Int, receiveBufferBytes asked: Int) throws {
        let spec = "udp://\(host.contains(":") ? "[\(host)]" : host):\(port)"
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw IngestError.invalid("cannot resolve the host of \(spec): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var candidates: [UnsafeMutablePointer<addrinfo>] = []
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let ai = next { candidates.append(ai); next = ai.pointee.ai_next }
        // A name with both kinds of address (localhost) binds IPv4, which is what senders use most.
        candidates = candidates.filter { $0.pointee.ai_family == AF_INET } + candidates.filter { $0.pointee.ai_family != AF_INET }
        var lastErrno: Int32 = EADDRNOTAVAIL
        var bound: Int32 = -1
        for ai in candidates where bound < 0 {
            let s = socket(ai.pointee.ai_family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard s >= 0 else { lastErrno = errno; continue }
            if Glibc.bind(s, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 {
                bound = s
            } else {
                lastErrno = errno
                Glibc.close(s)
            }
        }
        guard bound >= 0 else { throw IngestError.io(operation: "bind", path: spec, errno: lastErrno) }
        fd = bound
        boundPort = Self.localPort(fd)
        receiveBufferBytes = Self.growReceiveBuffer(fd, to: asked)
        var on: Int32 = 1
        carriesDropCounter = setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &on, socklen_t(MemoryLayout<Int32>.size)) == 0
    }

    deinit { close() }

    func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }

    /// Asks for `bytes` (forced past rmem_max when privileged) and returns what the kernel reports.
    private static func growReceiveBuffer(_ fd: Int32, to bytes: Int) -> Int {
        var size = Int32(clamping: bytes)
        let len = socklen_t(MemoryLayout<Int32>.size)
        if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, len) != 0 {
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, len)
        }
        var got: Int32 = 0
        var gotLen = len
        _ = getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &gotLen)
        return Int(got)
    }

    private static func localPort(_ fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { return 0 }
        return withUnsafeBytes(of: &storage) { Int(UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self))) }
    }
}
