import Foundation
import Pipeline

/// Tails the files matching a glob: new files are picked up while running, rotation (rename + create, copytruncate,
/// delete + create, and rotation while stopped) loses and duplicates nothing, positions survive restarts.
///
/// Identity is a fingerprint of a file's first bytes (`Fingerprint`), not its name. A file whose path no longer
/// names it (renamed or deleted) is read to its end and released once quiet. A file that shrinks was truncated
/// (copytruncate): reading restarts at 0; its copy, carrying the old fingerprint, continues from the old position.
/// Batches carry their position; `CheckpointStore` records it once the sink has made the batch durable.
/// Runs on one thread: `run` blocks until `stop`.
public final class FileTailSource {
    public let matcher: GlobMatcher
    public let options: FramingOptions
    public let tail: TailOptions
    public let sessionId: String
    public let checkpoints: CheckpointStore
    public var pool: BufferPool?
    public private(set) var stats = SourceStats()
    /// The files being read (internal for tests that drive discovery and reading step by step).
    var files: [TailedFile] = []
    /// Positions read in this run, by fingerprint, with the file they were read from: newer than the durable
    /// checkpoints.
    var readPositions: [String: (offset: Int64, device: UInt64, inode: UInt64)] = [:]
    private var firstScan = true
    private var lastBurstEndMillis: Int64 = 0
    var counters = (opened: 0, rotations: 0, truncations: 0, released: 0, unreadable: Set<String>(),
                    truncatedUnreadBytes: Int64(0), truncatedUnreadFiles: 0)
    let summaryLock = NSLock()

    public init(pattern: String, options: FramingOptions, tail: TailOptions, sessionId: String,
                checkpoints: CheckpointStore) throws {
        matcher = try GlobMatcher(pattern)
        self.options = options
        self.tail = tail
        self.sessionId = sessionId
        self.checkpoints = checkpoints
    }

    public var summary: String {
        summaryLock.lock()
        defer { summaryLock.unlock() }
        return "tail \(matcher.pattern): \(counters.opened) files opened, \(counters.rotations) rotations, " +
            "\(counters.truncations) truncations, \(counters.unreadable.count) unreadable" +
            (counters.truncatedUnreadFiles > 0 ? ", \(counters.truncatedUnreadBytes) bytes lost: truncated before they were read " +
                "(\(counters.truncatedUnreadFiles) copytruncates, copies not in the glob)" : "")
    }

    /// Bytes copytruncates cut before they were read, their copies not in the glob (lost, counted).
    public var truncatedUnreadBytes: Int64 {
        summaryLock.lock()
        defer { summaryLock.unlock() }
        return counters.truncatedUnreadBytes
    }

    /// Bytes read but not yet durable (checkpointed), per file path.
    public func checkpointLag() -> [String: Int64] {
        summaryLock.lock()
        let current = files.map { f in (f.path, f.key.map { Fingerprint.positionKey($0, device: f.device, inode: f.inode) }, f.readOffset) }
        summaryLock.unlock()
        var out: [String: Int64] = [:]
        for (path, key, offset) in current {
            guard let key else { continue }
            out[path] = max(0, offset - (checkpoints.offset(of: key) ?? 0))  // key includes device:inode
        }
        return out
    }

    /// The paths of the files being read now, by fingerprint (for checkpoint records).
    public func pathsByKey() -> [String: String] {
        summaryLock.lock()
        defer { summaryLock.unlock() }
        var out: [String: String] = [:]
        for f in files { if let k = f.key { out[Fingerprint.positionKey(k, device: f.device, inode: f.inode)] = f.path } }
        return out
    }

    public func run(stop: StopSignal, emit: (RawBatch) -> Void) throws {
        var lastDiscovery: Int64 = 0
        while !stop.isTriggered {
            let now = nowMillis()
            if now - lastDiscovery >= Int64(tail.discoverEveryMillis) {
                discover()
                lastDiscovery = now
            }
            var progressed = false
            for f in files where !f.released {
                if readAvailable(f, emit: emit) { progressed = true } else { idle(f, emit: emit) }
            }
            summaryLock.lock()
            let before = files.count
            files.removeAll { $0.released }
            counters.released += before - files.count
            summaryLock.unlock()
            if !progressed {
                // Look again in 50 ms, or sooner when a burst's end is due.
                var wait: Int64 = 50
                let now = nowMillis()
                for f in files where f.inBurst { wait = min(wait, max(1, burstEndDue(f) - now)) }
                var p = pollfd(fd: stop.wakeFD, events: Int16(POLLIN), revents: 0)
                _ = poll(&p, 1, Int32(wait))
            }
        }
        // Stopping: complete lines go out; an unfinished last line is left for the next start (its bytes are
        // after the checkpoint, so nothing is lost).
        for f in files { flush(f, close: .end, includePartial: false, emit: emit) }
    }

    // MARK: discovery

    func discover() {
        var known = Set(files.map { Fingerprint.inodeKey(device: $0.device, inode: $0.inode) })
        let now = Date().timeIntervalSince1970
        for path in matcher.expand() {
            var st = stat()
            guard stat(path, &st) == 0, !known.contains(Fingerprint.inodeKey(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))) else { continue }
            // A file shorter than a fingerprint that is still being written (a copy in progress) cannot be
            // identified yet: wait until it is long enough or has been quiet for a second.
            let modified = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
            if !firstScan, st.st_size > 0, st.st_size < Fingerprint.maxLength, now - modified < 0.4 { continue }
            known.insert("\(st.st_dev):\(st.st_ino)")
            let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            guard fd >= 0 else {
                summaryLock.lock()
                let first = counters.unreadable.insert(path).inserted
                summaryLock.unlock()
                if first { Self.warn("cannot read \(path): \(String(cString: strerror(errno))) (skipped until readable)") }
                continue
            }
            guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { Glibc.close(fd); continue }
            summaryLock.lock()
            counters.unreadable.remove(path)
            summaryLock.unlock()
            let size = Int64(st.st_size)
            var offset: Int64 = 0
            var key: String?
            var copyInProgress = false
            if size > 0 {
                key = Self.fingerprint(fd: fd, size: size)
                if let resume = resumeOffset(fd: fd, device: UInt64(st.st_dev), inode: UInt64(st.st_ino)) {
                    // A copy of a file being tailed continues at the original's position, even past its current end
                    // (a copy still being written); a durable checkpoint past the end means truncated while stopped.
                    offset = resume.copyOfLiveFile || resume.offset <= size ? resume.offset : 0
                    copyInProgress = resume.copyOfLiveFile && resume.offset > size
                } else if firstScan && tail.readFromEnd {
                    offset = size
                }
            }
            lseek(fd, off_t(offset), SEEK_SET)
            let file = TailedFile(path: path, fd: fd, device: UInt64(st.st_dev), inode: UInt64(st.st_ino), offset: offset,
                                  framer: options.makeFramer(pool: pool),
                                  origin: SourceOrigin(name: path, sessionId: sessionId))
            file.key = key
            file.copyInProgress = copyInProgress
            summaryLock.lock()
            files.append(file)
            counters.opened += 1
            summaryLock.unlock()
        }
        if firstScan { reconcileCheckpointsAtStart(known: &known) }
        firstScan = false
    }

    /// Where to continue a file: this run's read position or the durable checkpoint of its fingerprint. When
    /// several files share a fingerprint (same first bytes), device + inode break the tie: a position that
    /// belongs to another file still being tailed is never taken over.
    private func resumeOffset(fd: Int32, device: UInt64, inode: UInt64) -> (offset: Int64, copyOfLiveFile: Bool)? {
        var cache: [Int: UInt64] = [:]
        let prefix: (Int) -> UInt64? = { length in
            if let h = cache[length] { return h }
            let h = Fingerprint.prefixHash(fd: fd, length: length)
            cache[length] = h
            return h
        }
        var best: (offset: Int64, length: Int, exact: Bool, live: Bool)?
        for (key, p) in readPositions {
            guard let (length, hash) = Fingerprint.parse(key), prefix(length) == hash else { continue }
            let exact = p.device == device && p.inode == inode
            let owner = exact ? nil : files.first(where: { $0.device == p.device && $0.inode == p.inode })
            if let owner, !Self.isCopy(fd, of: owner.fd, upTo: p.offset, length: length, hash: hash) {
                continue // another live file that only shares the first bytes, not a copy of it
            }
            if best == nil || (exact && !best!.exact) || (exact == best!.exact && length > best!.length) {
                best = (p.offset, length, exact, owner != nil)
            }
        }
        if let best { return (best.offset, best.live) }
        // A checkpoint of a file tailed now (same device and inode) is another file's only while that file still
        // holds the bytes the checkpoint was taken on: after a copytruncate the original has new first bytes (or
        // is shorter), and its old checkpoint belongs to the copy.
        let heldByLiveFile: (UInt64, UInt64, Int64, Int, UInt64) -> Bool = { d, i, offset, length, hash in
            guard let owner = self.files.first(where: { $0.device == d && $0.inode == i }) else { return false }
            return !Self.isCopy(fd, of: owner.fd, upTo: offset, length: length, hash: hash)
        }
        return checkpoints.lookup(prefixHash: prefix, device: device, inode: inode, heldByLiveFile: heldByLiveFile)
            .map { ($0.entry.offset, false) }
    }

    /// Whether `copy` is a copy (complete or still being written) of `original` as far as `offset`, for a position
    /// taken on the fingerprint (`length`, `hash`): the bytes the copy already has before `offset` match. An
    /// original truncated meanwhile (shorter, or other first bytes: truncated and written again) cannot be
    /// compared, and the fingerprint is trusted (copytruncate).
    static func isCopy(_ copy: Int32, of original: Int32, upTo offset: Int64, length: Int, hash: UInt64) -> Bool {
        var cs = stat(), os = stat()
        guard fstat(copy, &cs) == 0, fstat(original, &os) == 0 else { return false }
        if Int64(os.st_size) < offset { return true }
        if Fingerprint.prefixHash(fd: original, length: length) != hash { return true }
        let end = min(offset, Int64(cs.st_size))
        let n = Int(min(end, 4096))
        guard n > 0 else { return true }
        var x = [UInt8](repeating: 0, count: n), y = [UInt8](repeating: 0, count: n)
        let ra = x.withUnsafeMutableBytes { pread(copy, $0.baseAddress, n, off_t(end) - off_t(n)) }
        let rb = y.withUnsafeMutableBytes { pread(original, $0.baseAddress, n, off_t(end) - off_t(n)) }
        return ra == n && rb == n && x == y
    }

    static func fingerprint(fd: Int32, size: Int64) -> String {
        let length = Int(min(size, Int64(Fingerprint.maxLength)))
        return Fingerprint.key(length: length, hash: Fingerprint.prefixHash(fd: fd, length: length) ?? 0)
    }

    // MARK: reading

    /// Reads what is there (up to 1 MiB a round); true when data came.
    func readAvailable(_ f: TailedFile, emit: (RawBatch) -> Void) -> Bool {
        var got = 0
        while got < 1 << 20 {
            let w = f.framer.writable
            let n = read(f.fd, w.pointer, min(w.count, 64 * 1024))
            if n <= 0 { break }
            // Truncated and written past the old offset again since the last look: the bytes just read may be the
            // new content's. They are not framed; reading starts again at 0 (checked after the read, so a
            // truncation just before it cannot slip through).
            if f.key != nil, !f.copyInProgress, firstBytesChanged(f) {
                var st = stat()
                restartTruncated(f, size: fstat(f.fd, &st) == 0 ? Int64(st.st_size) : 0, emit: emit)
                return true
            }
            if f.key == nil { f.key = Self.fingerprint(fd: f.fd, size: f.readOffset + Int64(n)) }
            got += n
            f.readOffset += Int64(n)
            stats.bytesRead += n
            f.framer.commit(n, now: nowMillis())
            while f.framer.isFull, let batch = f.framer.takeBatch(origin: f.origin, close: .full, now: nowMillis()) {
                batch.position = f.position
                f.inBurst = true
                emit(batch)
            }
        }
        if got > 0 {
            f.lastDataMillis = nowMillis()
            if let k = f.key { readPositions[k] = (f.readOffset, f.device, f.inode) }
        }
        return got > 0
    }

    /// At the end of the data: timeouts, truncation, rotation, release.
    private func idle(_ f: TailedFile, emit: (RawBatch) -> Void) {
        let now = nowMillis()
        if f.inBurst, now >= burstEndDue(f) {
            // The end of a burst: what was read becomes durable now (`.timeout` batches are fsynced), not after the
            // batch timeout.
            lastBurstEndMillis = now
            // An entry that may still get continuation lines (a stack trace being written) stays back for the
            // batch timeout, as at a full batch; what is before it goes now.
            var cut = false
            while let batch = f.framer.takeBatch(origin: f.origin, close: .timeout, holdContinuable: true, now: now) {
                batch.position = f.position
                emit(batch)
                cut = true
            }
            if !cut, let position = f.position {
                // The burst ended on a full batch: an empty batch still makes the batches before it durable.
                emit(RawBatch(buffer: pool?.take(capacity: 16) ?? ByteBuffer(capacity: 16), lines: [], origin: f.origin,
                              close: .timeout, inputBytes: 0, position: position))
            }
            f.inBurst = false
        } else if let oldest = f.framer.oldestPendingMillis, now - oldest >= Int64(options.batchTimeoutMillis) {
            flush(f, close: .timeout, includePartial: false, emit: emit)
        }
        if f.framer.hasPartialLine, now - f.lastDataMillis >= Int64(tail.partialLineTimeoutMillis) {
            flush(f, close: .timeout, includePartial: true, emit: emit)
        }
        var st = stat()
        let statOK = fstat(f.fd, &st) == 0
        var shrunk = statOK && Int64(st.st_size) < f.readOffset
        let rewritten = firstBytesChanged(f) // a pread and a hash: once per look
        if f.copyInProgress, statOK {
            // A copy still being written is shorter than its start offset for as long as the copying takes (or
            // for good, when the writer added lines between copy and truncate that were read from the original):
            // not a truncation while its first bytes are the original's. New first bytes mean it was rewritten.
            // It is still released like any file once renamed or deleted (below).
            if !shrunk { f.copyInProgress = false } else if !rewritten { shrunk = false }
        }
        if statOK, shrunk || rewritten {
            restartTruncated(f, size: Int64(st.st_size), emit: emit)
            return
        }
        var named = stat()
        let stillNamed = stat(f.path, &named) == 0 && UInt64(named.st_dev) == f.device && UInt64(named.st_ino) == f.inode
        if !stillNamed || st.st_nlink == 0 || f.outsideGlob {
            if f.detachedAt == nil {
                f.detachedAt = now
                summaryLock.lock(); counters.rotations += 1; summaryLock.unlock()
            }
            let quietFor = now - max(f.lastDataMillis, f.detachedAt!)
            if quietFor >= Int64(st.st_nlink == 0 ? 200 : tail.releaseAfterQuietMillis) {
                flush(f, close: .timeout, includePartial: true, emit: emit)
                if let k = f.key { readPositions[k] = (f.readOffset, f.device, f.inode) }
                f.released = true
            }
        }
    }

    /// When a file read in a burst has been quiet long enough for its end to be cut (at most one such cut, and so
    /// one fsync, per `burstEndMinIntervalMillis` for the whole source: a writer pausing often costs no more).
    private func burstEndDue(_ f: TailedFile) -> Int64 {
        max(f.lastDataMillis + Int64(tail.burstEndQuietMillis), lastBurstEndMillis + Int64(tail.burstEndMinIntervalMillis))
    }

    /// A file truncated and written again past the old offset between two looks has new first bytes.
    private func firstBytesChanged(_ f: TailedFile) -> Bool {
        guard let key = f.key, let (length, hash) = Fingerprint.parse(key), f.readOffset >= Int64(length) else { return false }
        guard let now = Fingerprint.prefixHash(fd: f.fd, length: length) else { return true }
        return now != hash
    }

    func flush(_ f: TailedFile, close: BatchClose, includePartial: Bool, emit: (RawBatch) -> Void) {
        if close == .timeout { f.inBurst = false } // everything read so far goes out and is made durable
        while let batch = f.framer.takeBatch(origin: f.origin, close: close, includePartial: includePartial, now: nowMillis()) {
            batch.position = f.position
            emit(batch)
        }
    }

    /// Where diagnostics go (the run sets logpipe's logger); stderr by default.
    nonisolated(unsafe) public static var log: @Sendable (String) -> Void = { text in
        FileHandle.standardError.write(Data(("logpipe: " + text + "\n").utf8))
    }

    static func warn(_ text: String) { log(text) }
}
