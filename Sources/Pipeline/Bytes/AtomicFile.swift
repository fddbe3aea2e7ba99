#if canImport(Glibc)
import Glibc
#endif

/// Replaces a small file atomically: the bytes go to `<path>.tmp` (whole: interrupted and short writes are
/// retried), optionally fsynced, then renamed over `path`; with a directory descriptor, the directory is fsynced
/// after the rename. Used for manifests, checkpoints, the spool's committed offset and replay progress.
public enum AtomicFile {
    /// What failed: the system call, the path it was on, errno.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let operation: String
        public let path: String
        public let errno: Int32
        public var description: String { "cannot \(operation) \(path): \(String(cString: strerror(errno)))" }
    }

    public static func write(_ bytes: UnsafeRawBufferPointer, to path: String, mode: mode_t, fsync sync: Bool,
                             directoryFD: Int32 = -1) throws(Failure) {
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure(operation: "create", path: tmp, errno: errno) }
        var p = bytes.baseAddress, left = bytes.count
        while left > 0, let q = p {
            let n = Glibc.write(fd, q, left)
            if n < 0 {
                if errno == EINTR { continue }
                let code = errno
                close(fd); unlink(tmp)
                throw Failure(operation: "write", path: tmp, errno: code)
            }
            p = q + n
            left -= n
        }
        if sync, fsync(fd) != 0 {
            let code = errno
            close(fd); unlink(tmp)
            throw Failure(operation: "fsync", path: tmp, errno: code)
        }
        close(fd)
        guard rename(tmp, path) == 0 else { throw Failure(operation: "rename", path: tmp, errno: errno) }
        if directoryFD >= 0 { fsync(directoryFD) }
    }
}
