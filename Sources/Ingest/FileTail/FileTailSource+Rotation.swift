import Foundation
import Pipeline

/// Rotation that takes bytes out of reach (issue 17): a copytruncate that cuts bytes not read yet, and files
/// renamed out of the glob while logpipe was stopped. What can still be read is read; what cannot is counted
/// (log, run summary, `logpipe_tail_truncated_unread_bytes_total`), never lost silently.
extension FileTailSource {
    /// A regular file in a directory, with its identity.
    struct Sibling {
        let path: String
        let device: UInt64
        let inode: UInt64
        let size: Int64
    }

    static func siblings(in dir: String) -> [Sibling] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var out: [Sibling] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name == "." || name == ".." { continue }
            let path = dir == "/" ? "/" + name : dir + "/" + name
            var st = stat()
            guard lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { continue }
            out.append(Sibling(path: path, device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size)))
        }
        return out
    }

    /// The copy a copytruncate left beside a file: another file there with the old first bytes (`key`) and at
    /// least `offset` bytes (the longest, when there are several).
    static func copy(of key: String, atLeast offset: Int64, in dir: String, excluding: (UInt64, UInt64)) -> Sibling? {
        guard let (length, hash) = Fingerprint.parse(key) else { return nil }
        var best: Sibling?
        for s in siblings(in: dir) where !(s.device == excluding.0 && s.inode == excluding.1) && s.size >= offset {
            let fd = open(s.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            guard fd >= 0 else { continue }
            defer { Glibc.close(fd) }
            guard Fingerprint.prefixHash(fd: fd, length: length) == hash else { continue }
            if best == nil || s.size > best!.size { best = s }
        }
        return best
    }

    /// Truncated in place (copytruncate): what was read stays read; reading starts again at 0 with a new
    /// identity. The copy, when the glob matches it, continues at the old position; when it does not, the bytes
    /// it has past that position were cut before logpipe read them: counted and reported.
    func restartTruncated(_ f: TailedFile, size: Int64, emit: (RawBatch) -> Void) {
        flush(f, close: .timeout, includePartial: true, emit: emit)
        if let k = f.key { readPositions[k] = (f.readOffset, f.device, f.inode) } // where a copy continues
        summaryLock.lock(); counters.truncations += 1; summaryLock.unlock()
        if let key = f.key { accountTruncation(path: f.path, key: key, readTo: f.readOffset, device: f.device, inode: f.inode) }
        lseek(f.fd, 0, SEEK_SET)
        f.readOffset = 0
        f.framerStart = 0
        f.framer = options.makeFramer(pool: pool)
        f.key = size > 0 ? Self.fingerprint(fd: f.fd, size: size) : nil
    }

    /// Reports what a truncation of `path` (old first bytes `key`, read up to `readTo`) took before it was read.
    /// The old identity's checkpoint then moves to the copy's end: the loss is counted once, across restarts too.
    func accountTruncation(path: String, key: String, readTo: Int64, device: UInt64, inode: UInt64) {
        let dir = (path as NSString).deletingLastPathComponent
        guard let copy = Self.copy(of: key, atLeast: readTo, in: dir, excluding: (device, inode)) else {
            Self.warn("\(path) was truncated (copytruncate) and no copy of it was found beside it: bytes written to it " +
                      "after logpipe's last read (if any) are lost and cannot be counted")
            return
        }
        guard !matcher.matches(copy.path) else { return } // tailed: it continues at the position
        let lost = copy.size - readTo
        if lost > 0 {
            summaryLock.lock()
            counters.truncatedUnreadBytes += lost
            counters.truncatedUnreadFiles += 1
            summaryLock.unlock()
            Self.warn("copytruncate of \(path) truncated \(lost) bytes logpipe had not read (bytes \(readTo)..<\(copy.size); " +
                      "its copy \(copy.path) is not in the glob): lost")
            try? checkpoints.commit([SourcePosition(key: Fingerprint.positionKey(key, device: device, inode: inode), offset: copy.size)], paths: [:])
        }
    }

    /// At the first discovery: what the checkpoints say about files the glob no longer finds as they were.
    /// - A file tailed now whose checkpoint (same device and inode) has other first bytes was truncated while
    ///   logpipe was stopped: its copy outside the glob tells what was lost.
    /// - A file renamed out of the glob while logpipe was stopped, before it was read to its end, is found by
    ///   device, inode and fingerprint beside its old path and read to its end, then released.
    func reconcileCheckpointsAtStart(known: inout Set<String>) {
        var byDir: [String: [Sibling]] = [:]
        for (key, entry) in checkpoints.all() {
            guard let d = entry.device, let i = entry.inode, !entry.path.isEmpty else { continue }
            let dir = (entry.path as NSString).deletingLastPathComponent
            let here = byDir[dir] ?? Self.siblings(in: dir)
            byDir[dir] = here
            guard let (length, hash) = Fingerprint.parse(key) else { continue }
            if let live = files.first(where: { $0.device == d && $0.inode == i }) {
                guard entry.offset > 0, Fingerprint.prefixHash(fd: live.fd, length: length) != hash else { continue }
                accountTruncation(path: live.path, key: Fingerprint.split(key).0, readTo: entry.offset, device: d, inode: i)
                continue
            }
            // The store is shared by every file input: a checkpoint taken on a path outside this glob is another
            // input's (read by it from that checkpoint), not a file of ours renamed away.
            guard matcher.matches(entry.path), !known.contains(Fingerprint.inodeKey(device: d, inode: i)),
                  let s = here.first(where: { $0.device == d && $0.inode == i }), s.size > entry.offset else { continue }
            let fd = open(s.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            guard fd >= 0 else { continue }
            guard Fingerprint.prefixHash(fd: fd, length: length) == hash else { Glibc.close(fd); continue }
            known.insert("\(d):\(i)")
            lseek(fd, off_t(entry.offset), SEEK_SET)
            let file = TailedFile(path: s.path, fd: fd, device: d, inode: i, offset: entry.offset,
                                  framer: options.makeFramer(pool: pool), origin: SourceOrigin(name: s.path, sessionId: sessionId))
            file.key = Fingerprint.split(key).0
            file.outsideGlob = true
            Self.warn("\(entry.path) was renamed to \(s.path) (not in the glob) before it was read to its end: reading " +
                      "its last \(s.size - entry.offset) bytes")
            summaryLock.lock()
            files.append(file)
            counters.opened += 1
            summaryLock.unlock()
        }
    }
}
