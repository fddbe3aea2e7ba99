import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The Unix domain socket of the control channel: binding it with no moment at which another user could reach it,
/// connecting to it, and who is on the other end (`SO_PEERCRED`).
///
/// Why bind in a private directory: `umask` is per process, so setting it around `bind` would also apply to any
/// file another thread creates meanwhile (a segment, a spool), and `fchmod` on a socket does not reach the file
/// `bind` creates. Instead the socket is bound inside a fresh directory of mode 0700, made 0600 there, then
/// renamed into place: the rename is atomic and also replaces a stale socket left by a killed run.
enum ControlSocket {
    /// The socket's path for a state directory.
    static func path(stateDir: String) -> String { stateDir + "/control.sock" }

    /// What went wrong, with the path in the message.
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    /// `struct ucred` of `<sys/socket.h>` (Swift's Glibc module hides it behind `_GNU_SOURCE`): pid, uid, gid.
    private struct PeerCredentials { var pid: Int32 = 0; var uid: UInt32 = 0; var gid: UInt32 = 0 }

    /// The uid of the process on the other end of a connected Unix socket, nil when the kernel does not say.
    static func peerUID(_ fd: Int32) -> uid_t? {
        var cred = PeerCredentials()
        var length = socklen_t(MemoryLayout<PeerCredentials>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) == 0,
              Int(length) == MemoryLayout<PeerCredentials>.size else { return nil }
        return cred.uid
    }

    /// A listening socket at `path`, mode 0600, owned by this process's user. Refuses to replace anything that is
    /// not a socket, or a socket another running instance still answers on.
    static func listen(at path: String) throws -> (fd: Int32, inode: UInt64) {
        let dir = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        var st = stat()
        if lstat(path, &st) == 0 {
            guard st.st_mode & S_IFMT == S_IFSOCK else {
                throw Failure("\(path) exists and is not a socket; not replacing it")
            }
            if let fd = try? connect(to: path) {
                close(fd)
                throw Failure("\(path) is in use by another running logpipe (same --state-dir)")
            }
        }
        var template = Array((dir + "/.control-XXXXXX").utf8CString)
        guard let privateDir = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw Failure("cannot create a private directory in \(dir): \(String(cString: strerror(errno)))")
        }
        let staging = String(cString: privateDir) + "/s"
        defer { unlink(staging); rmdir(String(cString: privateDir)) }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket: \(String(cString: strerror(errno)))") }
        do {
            try withAddress(staging) { addr, len in
                guard bind(fd, addr, len) == 0 else { throw Failure("cannot bind \(staging): \(String(cString: strerror(errno)))") }
            }
            guard chmod(staging, 0o600) == 0, Glibc.listen(fd, 16) == 0 else {
                throw Failure("cannot listen on \(staging): \(String(cString: strerror(errno)))")
            }
            guard rename(staging, path) == 0, lstat(path, &st) == 0 else {
                throw Failure("cannot move the control socket to \(path): \(String(cString: strerror(errno)))")
            }
            return (fd, UInt64(st.st_ino))
        } catch {
            close(fd)
            throw error
        }
    }

    /// A connected socket to `path`.
    static func connect(to path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket: \(String(cString: strerror(errno)))") }
        do {
            try withAddress(path) { addr, len in
                guard Glibc.connect(fd, addr, len) == 0 else {
                    throw Failure("cannot connect to \(path): \(String(cString: strerror(errno)))")
                }
            }
            return fd
        } catch {
            close(fd)
            throw error
        }
    }

    /// Removes the socket at `path` if it is still the one this process bound (`inode`), not a later run's.
    static func remove(_ path: String, inode: UInt64) {
        var st = stat()
        if lstat(path, &st) == 0, UInt64(st.st_ino) == inode { unlink(path) }
    }

    private static func withAddress(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) throws -> Void) throws {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard bytes.count < capacity else {
            throw Failure("socket path \(path) is \(bytes.count) bytes; the limit is \(capacity - 1) (use a shorter --state-dir)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        try withUnsafePointer(to: &addr) {
            try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                try body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }
}
