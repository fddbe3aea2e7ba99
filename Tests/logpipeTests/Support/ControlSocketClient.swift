import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The test's own client of a running logpipe's control socket (docs/control-socket.md): one request line, the
/// answer's lines until the server closes, within a deadline.
enum ControlSocketClient {
    struct Failure: Error, CustomStringConvertible { let description: String }

    /// The answer lines to `request` (a JSON line), or the `connect` errno as a failure.
    static func request(_ path: String, _ request: String, timeout: Double = 5, maxLines: Int = 100_000) throws -> [String] {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard ok == 0 else { throw Failure(description: "connect: \(String(cString: strerror(errno)))") }
        let line = Array((request + "\n").utf8)
        _ = line.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var data = [UInt8]()
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date() < deadline, data.filter({ $0 == 10 }).count < maxLines {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 100) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            data.append(contentsOf: buffer[..<n])
        }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// The first answer line to `request`, as a JSON object.
    static func object(_ path: String, _ request: String) throws -> [String: Any] {
        guard let first = try Self.request(path, request, maxLines: 1).first,
              let o = try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any] else {
            throw Failure(description: "no JSON answer to \(request)")
        }
        return o
    }

    /// Waits until a socket exists at `path` and answers `stats`.
    static func waitForSocket(_ path: String, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let o = try? object(path, #"{"command":"stats"}"#), o["ok"] as? Bool == true { return true }
            usleep(20_000)
        }
        return false
    }
}
