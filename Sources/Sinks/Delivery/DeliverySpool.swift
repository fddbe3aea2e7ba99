import Foundation
import Pipeline
#if canImport(Glibc)
import Glibc
#endif

/// The durable, append-only queue of one delivery lane (an urgent destination in `<state-dir>/urgent/<name>/`,
/// a ClickHouse table in `<state-dir>/clickhouse/<name>/`).
///
/// Files `<16-digit sequence>.spool` (framing in ``SpoolRecord``) roll over at `rollBytes`; `committed` holds
/// `<sequence> <offset>`: everything before it was delivered. A file wholly behind the committed position is
/// deleted. An entry is *accepted* once its record is written and fdatasynced — `append` returns only then.
/// With a `syncIntervalMillis` above 0 (the ClickHouse sink: a batch sink whose entries are also in the segments
/// and whose tail checkpoints wait for its `syncPending`) appends are written at once, which survives a kill -9,
/// and fdatasynced by an append at least that long after the last sync, by `syncPending` (before a delivery
/// backoff, before checkpoints move) and at close (group commit).
/// What would take the undelivered bytes past `maxBytes` is refused, counted and reported, never dropped quietly.
///
/// Threading: one appending thread (the forwarder's `submit`) and one delivery thread (`read`/`commit`); the
/// appender publishes new data under `condition`, which also wakes waiters in `drain`.
public final class DeliverySpool: @unchecked Sendable {
    /// A place in the spool: file sequence and byte offset in that file.
    public struct Position: Comparable, Sendable, CustomStringConvertible {
        public var file: Int
        public var offset: Int
        public static func < (a: Position, b: Position) -> Bool { (a.file, a.offset) < (b.file, b.offset) }
        public var description: String { "\(file) \(offset)" }
    }

    /// Entries read for one delivery attempt.
    public struct Batch {
        /// The entries' lines, concatenated (NDJSON).
        public var bytes: [UInt8] = []
        /// End offset in `bytes` of each entry.
        public var lineEnds: [Int] = []
        /// The position of the first entry and the one after the last.
        public var start: Position
        public var end: Position
        public var count: Int { lineEnds.count }
        /// What the transport made of the entries ahead of their turn (``DeliveryTransport/prepare(_:)``).
        var prepared: AnyObject?

        init(start: Position) {
            self.start = start
            end = start
        }
    }

    let directory: String
    let maxBytes: Int
    let boundFlag: String
    let rollBytes: Int
    let syncIntervalMillis: Int
    let log: @Sendable (String) -> Void
    /// Guards everything below and signals new data, commits and stop.
    let condition = NSCondition()

    /// Sequence and durable size of each file, oldest first; the last is the one being appended to.
    var files: [(seq: Int, size: Int)] = []
    private(set) var committed: Position
    /// Undelivered entries and their record bytes.
    private(set) var pendingEntries = 0
    private(set) var pendingBytes = 0
    private(set) var accepted = 0
    private(set) var delivered = 0
    private(set) var refused = 0

    private var appendFD: Int32 = -1
    private var lockFD: Int32 = -1
    private var directoryFD: Int32 = -1
    private var readFD: (seq: Int, fd: Int32)?
    private var lastRefusalLog: Int64 = 0
    /// Group commit: when the active file was last fdatasynced, and whether it has unsynced records since.
    private var lastSyncMillis: Int64 = 0
    /// Appends written and appends known to be on disk (under `condition`): a sync covers what was written
    /// when it started.
    private var writtenAppends = 0, syncedAppends = 0
    /// Held across an fdatasync of the active file and while that file is replaced, so a sync never runs on a
    /// closed descriptor and a caller returns only once what it asked for is on disk.
    private let syncLock = NSLock()
    private var refusedSinceLog = 0

    /// Opens (or creates) the spool in `directory`, recovering what an earlier run left: damaged files and a
    /// damaged offset file are moved to `quarantine/` and logged; undelivered entries stay first in line.
    /// `boundFlag`: the flag that sets `maxBytes`, named when entries are refused.
    public init(directory: String, maxBytes: Int, boundFlag: String, syncIntervalMillis: Int = 0,
                log: @escaping @Sendable (String) -> Void) throws {
        self.directory = directory
        self.maxBytes = maxBytes
        self.boundFlag = boundFlag
        self.syncIntervalMillis = syncIntervalMillis
        self.rollBytes = min(16 << 20, max(64 << 10, maxBytes / 8))
        self.log = log
        self.committed = Position(file: 1, offset: SpoolRecord.magic.count)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        lockFD = open(directory + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lockFD >= 0 else { throw DeliveryError.spool("cannot open \(directory)/lock: \(String(cString: strerror(errno)))") }
        guard flock(lockFD, LOCK_EX | LOCK_NB) == 0 else {
            Glibc.close(lockFD)
            throw DeliveryError.spool("the spool \(directory) is in use by another logpipe (use another --state-dir)")
        }
        directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        try recover()
        let next = max(files.last?.seq ?? 0, committed.file) + 1
        if files.isEmpty { restore(committed: Position(file: next, offset: SpoolRecord.magic.count), pendingEntries: 0, pendingBytes: 0) }
        try startFile(seq: next)
    }

    deinit { close() }

    /// Closes the files and releases the spool's lock; the spool stays on disk.
    public func close() {
        do { try syncPending() } catch { log("spool: \(error)") }
        syncLock.lock(); defer { syncLock.unlock() } // no fdatasync runs on the descriptors closed here
        condition.lock(); defer { condition.unlock() }
        for fd in [appendFD, lockFD, directoryFD, readFD?.fd ?? -1] where fd >= 0 { Glibc.close(fd) }
        appendFD = -1; lockFD = -1; directoryFD = -1; readFD = nil
    }

    /// A folder name for the spool of `key` (a URL, a server and table): readable, unique per key, stable.
    public static func folderName(for key: String) -> String {
        let readable = String(key.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) && $0.isASCII ? Character($0) : "_" }.prefix(60))
        return readable + "-" + String(FNV1a.hash(key), radix: 16)
    }

    func path(_ seq: Int) -> String { directory + "/" + String(format: "%016d.spool", seq) }

    // MARK: appending (the submitting thread)

    /// Spools `count` lines (each ending in `\n`), fdatasyncs, then returns how many were accepted and refused.
    @discardableResult
    public func append(_ lines: UnsafeBufferPointer<UInt8>, count: Int) -> (accepted: Int, refused: Int) {
        guard let base = lines.baseAddress, lines.count > 0 else { return (0, 0) }
        condition.lock()
        var room = maxBytes - pendingBytes
        let open = appendFD >= 0
        condition.unlock()
        guard open else { return refuse(count, reason: "the spool is closed") }
        var records: [UInt8] = []
        records.reserveCapacity(lines.count + count * SpoolRecord.headerSize)
        var taken = 0, refusedHere = 0, start = 0
        while start < lines.count {
            let nl = memchr(base + start, 10, lines.count - start).map { base.distance(to: $0.assumingMemoryBound(to: UInt8.self)) + 1 }
            let end = nl ?? lines.count
            let size = SpoolRecord.headerSize + end - start
            if size <= room {
                SpoolRecord.append(base + start, end - start, to: &records)
                room -= size
                taken += 1
            } else {
                refusedHere += 1
            }
            start = end
        }
        if refusedHere > 0 { _ = refuse(refusedHere, reason: "the spool is full (\(boundFlag) \(maxBytes) bytes of undelivered entries)") }
        guard taken > 0 else { return (0, refusedHere) }
        if let error = writeDurably(records, count: taken) {
            _ = refuse(taken, reason: error)
            return (0, refusedHere + taken)
        }
        return (taken, refusedHere)
    }

    /// Writes `records` at the end of the active file and fdatasyncs; publishes them to the delivery thread.
    private func writeDurably(_ records: [UInt8], count: Int) -> String? {
        condition.lock()
        let fd = appendFD, seq = files.last!.seq, size = files.last!.size
        condition.unlock()
        var failure: String?
        records.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = pwrite(fd, raw.baseAddress! + off, raw.count - off, off_t(size + off))
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { failure = "cannot write \(path(seq)): \(String(cString: strerror(n < 0 ? errno : EIO)))"; return }
                off += n
            }
            guard failure == nil else { return }
            condition.lock(); writtenAppends += 1; condition.unlock()
            let now = monotonicMillis()
            if syncIntervalMillis == 0 || now - lastSyncMillis >= Int64(syncIntervalMillis) || size + raw.count >= rollBytes {
                if let error = syncWritten() { failure = "cannot fsync \(path(seq)): \(error)" }
                lastSyncMillis = now
            }
        }
        if failure != nil { _ = ftruncate(fd, off_t(size)); return failure }
        condition.lock()
        files[files.count - 1].size = size + records.count
        pendingBytes += records.count
        pendingEntries += count
        accepted += count
        condition.broadcast()
        condition.unlock()
        if size + records.count >= rollBytes {
            do { try startFile(seq: seq + 1) } catch { log("spool: \(error); appending to \(path(seq)) instead") }
        }
        return nil
    }

    /// Creates file `seq` (magic, fsynced, directory fsynced) and makes it the active one.
    private func startFile(seq: Int) throws {
        let p = path(seq)
        let fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw DeliveryError.spool("cannot create \(p): \(String(cString: strerror(errno)))") }
        let ok = SpoolRecord.magic.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) == $0.count } && fsync(fd) == 0
        guard ok else {
            let e = errno; Glibc.close(fd); unlink(p)
            throw DeliveryError.spool("cannot create \(p): \(String(cString: strerror(e)))")
        }
        if directoryFD >= 0 { fsync(directoryFD) }
        syncLock.lock()
        condition.lock()
        let old = appendFD
        appendFD = fd
        files.append((seq, SpoolRecord.magic.count))
        condition.unlock()
        if old >= 0 { Glibc.close(old) } // its records were synced before the roll (`writeDurably`)
        syncLock.unlock()
    }

    /// fdatasyncs records a group-commit spool wrote but has not synced yet (no-op otherwise); returns once
    /// everything written before the call is on disk, throws when it could not be. Thread-safe.
    public func syncPending() throws {
        // Without group commit every append synced itself before returning: nothing can be pending, and the
        // delivery thread must not take the sync lock from under an append's own fdatasync.
        guard syncIntervalMillis > 0 else { return }
        if let error = syncWritten() { throw DeliveryError.spool("cannot fsync \(directory): \(error)") }
    }

    /// Makes every append written so far durable; the error text when the fdatasync failed.
    private func syncWritten() -> String? {
        syncLock.lock()
        defer { syncLock.unlock() }
        condition.lock()
        let target = writtenAppends, fd = appendFD, needed = writtenAppends > syncedAppends
        condition.unlock()
        guard needed, fd >= 0 else { return nil }
        guard fdatasync(fd) == 0 else { return String(cString: strerror(errno)) }
        condition.lock(); syncedAppends = max(syncedAppends, target); condition.unlock()
        return nil
    }

    private func refuse(_ n: Int, reason: String) -> (accepted: Int, refused: Int) {
        condition.lock()
        refused += n
        refusedSinceLog += n
        let now = monotonicMillis()
        let report = now - lastRefusalLog >= 1000
        let total = refused, since = refusedSinceLog
        if report { lastRefusalLog = now; refusedSinceLog = 0 }
        condition.unlock()
        if report { log("spool \(directory): REFUSED \(since) entr\(since == 1 ? "y" : "ies") (\(total) in total): \(reason)") }
        return (0, n)
    }

    // MARK: delivering (the delivery thread)

    /// Up to `maxBytes` of entries after `committed` (at least one entry when any is pending); nil when none is.
    public func read(maxBytes: Int) -> Batch? {
        condition.lock()
        let from = committed
        let fileSize = files.first(where: { $0.seq == from.file })?.size ?? 0
        let finished = fileSize <= from.offset && files.count > 1
        condition.unlock()
        if finished {
            commit(from, count: 0) // a file read to its end before the next one existed: move on
            return read(maxBytes: maxBytes)
        }
        guard fileSize > from.offset, let fd = readDescriptor(from.file) else { return nil }
        return load(fd: fd, from: from, fileSize: fileSize, maxBytes: maxBytes)
    }

    /// Read-ahead for a transport that prepares the next request while one is in flight: up to `maxBytes` of
    /// entries from `position` (the end of the batch in flight), moving to the next file at the end of one,
    /// without touching the committed position. Its own file descriptor: safe beside `read` and `commit`.
    func peek(from position: Position, maxBytes: Int) -> Batch? {
        condition.lock()
        var from = position
        var fileSize = files.first(where: { $0.seq == from.file })?.size ?? 0
        if fileSize <= from.offset, let next = files.first(where: { $0.seq > from.file }) {
            from = Position(file: next.seq, offset: SpoolRecord.magic.count)
            fileSize = next.size
        }
        condition.unlock()
        guard fileSize > from.offset else { return nil }
        let fd = open(path(from.file), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        return load(fd: fd, from: from, fileSize: fileSize, maxBytes: maxBytes)
    }

    /// The entries of file descriptor `fd` from `from` up to `fileSize`, at most `maxBytes` (at least one).
    private func load(fd: Int32, from: Position, fileSize: Int, maxBytes: Int) -> Batch? {
        var batch = Batch(start: from)
        var chunk = [UInt8](repeating: 0, count: min(fileSize - from.offset, 1 << 20))
        batch.bytes.reserveCapacity(min(fileSize - from.offset, maxBytes))
        var off = from.offset
        while off < fileSize, batch.bytes.count < maxBytes {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, min($0.count, fileSize - off), off_t(off)) }
            guard n > 0 else { break }
            var i = 0
            let progressed: Bool = chunk.withUnsafeBufferPointer { c in
                let start = batch.count
                while n - i >= SpoolRecord.headerSize {
                    let len = Int(SpoolRecord.u32(c.baseAddress! + i))
                    guard n - i - SpoolRecord.headerSize >= len else { break }
                    if batch.count > 0, batch.bytes.count + len > maxBytes { break }
                    batch.bytes.append(contentsOf: c[(i + SpoolRecord.headerSize)..<(i + SpoolRecord.headerSize + len)])
                    batch.lineEnds.append(batch.bytes.count)
                    i += SpoolRecord.headerSize + len
                    if batch.bytes.count >= maxBytes { break }
                }
                return batch.count > start
            }
            off += i
            if !progressed {
                // One record larger than the chunk: read it whole.
                guard batch.count == 0, fileSize - off >= SpoolRecord.headerSize else { break }
                let len = chunk.withUnsafeBufferPointer { Int(SpoolRecord.u32($0.baseAddress!)) }
                guard fileSize - off >= SpoolRecord.headerSize + len else { break }
                chunk = [UInt8](repeating: 0, count: SpoolRecord.headerSize + len)
                continue
            }
            if batch.bytes.count >= maxBytes || i == 0 { break }
        }
        batch.end = Position(file: from.file, offset: off)
        return batch.count > 0 ? batch : nil
    }

    private func readDescriptor(_ seq: Int) -> Int32? {
        if let r = readFD, r.seq == seq { return r.fd }
        if let r = readFD { Glibc.close(r.fd); readFD = nil }
        let fd = open(path(seq), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        readFD = (seq, fd)
        return fd
    }

    /// Marks everything before `end` delivered (`count` entries): moves the committed position, deletes files
    /// left behind, and writes the offset file atomically.
    public func commit(_ end: Position, count: Int) {
        condition.lock()
        let before = committed
        var bytes = 0
        if end.file == committed.file { bytes = end.offset - committed.offset }
        committed = end
        pendingBytes -= bytes
        pendingEntries -= count
        delivered += count
        var dropped: [Int] = []
        while files.count > 1, files[0].seq == committed.file, committed.offset >= files[0].size {
            dropped.append(files.removeFirst().seq)
            committed = Position(file: files[0].seq, offset: SpoolRecord.magic.count)
        }
        let position = committed
        condition.broadcast()
        condition.unlock()
        if position != before { writeCommitted(position) }
        for seq in dropped {
            if readFD?.seq == seq { Glibc.close(readFD!.fd); readFD = nil }
            unlink(path(seq))
        }
    }

    /// `committed` via temp file + rename. Not fsynced: losing it re-sends whole entries (requestId tells them
    /// apart), which is cheaper than an fsync per delivery.
    /// (Plain open/write/rename: Foundation's `createFile` fsyncs, which cost one fsync per delivered request and
    /// contended with the appender's fdatasync in the file system's journal.)
    func writeCommitted(_ position: Position) {
        // Not fsynced: a committed offset lost to a power cut only re-sends (receivers drop duplicates).
        let text = Array("\(position.file) \(position.offset)\n".utf8)
        do {
            try text.withUnsafeBytes { try AtomicFile.write($0, to: directory + "/committed", mode: 0o600, fsync: false) }
        } catch {
            log("spool \(directory): cannot record the committed offset: \(error)")
        }
    }

    /// Undelivered entries, delivered and refused so far.
    public var counts: (pending: Int, delivered: Int, refused: Int, accepted: Int) {
        condition.lock(); defer { condition.unlock() }
        return (pendingEntries, delivered, refused, accepted)
    }

    /// Sets the committed position during recovery.
    func restore(committed position: Position, pendingEntries: Int, pendingBytes: Int) {
        committed = position
        self.pendingEntries = pendingEntries
        self.pendingBytes = pendingBytes
    }
}
