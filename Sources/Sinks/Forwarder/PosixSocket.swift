import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP or UDP socket with deadlines, for the urgent transports (each used by one delivery thread).
///
/// Every operation takes an absolute deadline (monotonic milliseconds) and fails with `TransportError.timeout`
/// past it, so a hanging receiver never holds a delivery thread longer than the per-request timeout.
final class PosixSocket: ByteStream {
    private(set) var fd: Int32

    private init(fd: Int32) { self.fd = fd }
    deinit { close() }

    func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    /// Connects to `host:port` (TCP or UDP), trying each address until one answers before `deadline`.
    static func connect(host: String, port: Int, udp: Bool, deadline: Int64) throws -> PosixSocket {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(udp ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw TransportError.failed("cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = TransportError.failed("no address for \(host)")
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            ai = a.pointee.ai_next
            let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), a.pointee.ai_protocol)
            guard fd >= 0 else { lastError = .system("socket", errno); continue }
            let s = PosixSocket(fd: fd)
            do {
                try s.connect(a.pointee.ai_addr, a.pointee.ai_addrlen, deadline: deadline)
                if !udp {
                    var one: Int32 = 1
                    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                }
                return s
            } catch let e as TransportError {
                lastError = e
            }
        }
        throw lastError
    }

    private func connect(_ addr: UnsafeMutablePointer<sockaddr>, _ len: socklen_t, deadline: Int64) throws {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        if Glibc.connect(fd, addr, len) != 0 {
            guard errno == EINPROGRESS else { throw TransportError.system("connect", errno) }
            try wait(for: Int16(POLLOUT), deadline: deadline)
            var err: Int32 = 0
            var errLen = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errLen)
            if err != 0 { throw TransportError.system("connect", err) }
        }
    }

    /// Waits until the socket is ready for `events` or the deadline passes (``TLSStream`` waits through it too).
    func wait(for events: Int16, deadline: Int64) throws {
        while true {
            let left = deadline - monotonicMillis()
            guard left > 0 else { throw TransportError.timeout }
            var p = pollfd(fd: fd, events: events, revents: 0)
            let n = poll(&p, 1, Int32(min(left, Int64(Int32.max))))
            if n > 0 { return }
            if n == 0 { throw TransportError.timeout }
            if errno != EINTR { throw TransportError.system("poll", errno) }
        }
    }

    /// Sends every byte (a stream) or one datagram (UDP).
    func send(_ bytes: UnsafeRawBufferPointer, deadline: Int64) throws {
        var off = 0
        while off < bytes.count {
            let n = Glibc.send(fd, bytes.baseAddress! + off, bytes.count - off, Int32(MSG_NOSIGNAL))
            if n > 0 { off += n; continue }
            if n < 0, errno == EAGAIN || errno == EWOULDBLOCK { try wait(for: Int16(POLLOUT), deadline: deadline); continue }
            if n < 0, errno == EINTR { continue }
            throw TransportError.system("send", n < 0 ? errno : EPIPE)
        }
    }

    /// Reads what is available (at least one byte) into `buffer`; 0 means the peer closed.
    func receive(into buffer: UnsafeMutableRawBufferPointer, deadline: Int64) throws -> Int {
        while true {
            let n = recv(fd, buffer.baseAddress!, buffer.count, 0)
            if n >= 0 { return n }
            if errno == EAGAIN || errno == EWOULDBLOCK { try wait(for: Int16(POLLIN), deadline: deadline); continue }
            if errno == EINTR { continue }
            throw TransportError.system("recv", errno)
        }
    }

    /// True when the peer has closed or sent something unasked (a kept-alive connection not worth reusing).
    var isStale: Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) != 0
    }
}

/// Why a delivery attempt failed; the attempt is retried with backoff.
enum TransportError: Error, CustomStringConvertible, Equatable {
    case timeout
    case system(String, Int32)
    case closedWithoutAnswer
    case failed(String)

    /// The connection broke before any answer: on a kept-alive connection, the server had closed it.
    var isConnectionLoss: Bool {
        switch self {
        case .closedWithoutAnswer: true
        case let .system(op, _): op == "send" || op == "recv"
        default: false
        }
    }

    var description: String {
        switch self {
        case .timeout: "no answer within the request timeout"
        case .closedWithoutAnswer: "connection closed without an answer"
        case let .system(op, code): "\(op): \(String(cString: strerror(code)))"
        case let .failed(message): message
        }
    }
}

/// Milliseconds on the monotonic clock (deadlines; immune to wall-clock steps).
func monotonicMillis() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}
