import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One connection of the control channel, either end: lines in, lines out, over a connected Unix socket.
///
/// Owns the descriptor (closed on deinit). Not thread-safe: one thread at a time reads and writes it (the accept
/// thread hands it over to its connection thread).
final class ControlConnection: @unchecked Sendable {
    let fd: Int32
    private var pending: [UInt8] = []
    /// Longest line accepted (a request is a small JSON object; a tap entry is at most a max-length log line).
    static let maxLine = 8 << 20

    init(fd: Int32) { self.fd = fd }
    deinit { close(fd) }

    /// Sends `line` and a newline; false when the other end is gone.
    @discardableResult
    func send(_ line: [UInt8]) -> Bool {
        var bytes = line
        bytes.append(10)
        return bytes.withUnsafeBufferPointer { send(raw: $0) }
    }

    /// Sends `bytes` as they are (whole lines, each with its newline); false when the other end is gone.
    @discardableResult
    func send(raw bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count > 0 else { return true }
        var p = bytes.baseAddress!, left = bytes.count
        while left > 0 {
            let n = Glibc.send(fd, p, left, Int32(MSG_NOSIGNAL))
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return false }
            p += n; left -= n
        }
        return true
    }

    /// Sends a JSON object as one line.
    @discardableResult
    func send(json object: [String: Any]) -> Bool {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return false }
        return send(Array(data))
    }

    /// The next line (without its newline); nil at end of stream, on error, or when nothing came within
    /// `timeoutMillis` (-1: wait as long as it takes).
    func readLine(timeoutMillis: Int32 = -1) -> [UInt8]? {
        while true {
            if let nl = pending.firstIndex(of: 10) {
                let line = Array(pending[..<nl])
                pending.removeSubrange(...nl)
                return line
            }
            guard pending.count < Self.maxLine, wait(POLLIN, timeoutMillis: timeoutMillis) else { return nil }
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return nil }
            pending.append(contentsOf: buffer[..<n])
        }
    }

    /// True once the other end has closed (or reset) its side: a zero-byte peek.
    var peerClosed: Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, 0) > 0 else { return false }
        if pfd.revents & Int16(POLLHUP | POLLERR) != 0 { return true }
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) == 0
    }

    private func wait(_ events: Int32, timeoutMillis: Int32) -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(events), revents: 0)
        while true {
            let r = poll(&pfd, 1, timeoutMillis)
            if r < 0, errno == EINTR { continue }
            return r > 0
        }
    }
}
