import Foundation
import Pipeline

/// Durable read positions of tailed files, keyed by fingerprint (`<length>:<hash>` of the file's first bytes).
///
/// A position is committed only after the sink says the data before it is durable; the file
/// (`<state-dir>/checkpoints.json`, mode 0600) is replaced atomically. An unreadable file is moved aside (named
/// `.corrupt-<time>`) and reported, and tailing starts over from the files' beginnings. Entries of files that no
/// source has been reading for `expirySeconds` (gone for good) are dropped at a commit. Thread-safe.
public final class CheckpointStore: @unchecked Sendable {
    public struct Entry: Codable, Sendable {
        public var offset: Int64
        public var path: String
        public var updated: Double
        /// The file's device and inode (a tiebreak between files with the same first bytes).
        public var device: UInt64?
        public var inode: UInt64?
    }

    public let path: String
    private let lock = NSLock()
    /// Serializes writers of the file (held across the temp file and the rename).
    private let writeLock = NSLock()
    private var entries: [String: Entry] = [:]
    public private(set) var warning: String?
    public var expirySeconds: Double = 7 * 86_400

    public init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        path = directory + "/checkpoints.json"
        guard let data = FileManager.default.contents(atPath: path) else { return }
        if let decoded = try? JSONDecoder().decode([String: Entry].self, from: data) {
            entries = decoded
        } else {
            let aside = path + ".corrupt-\(Int(Date().timeIntervalSince1970))"
            rename(path, aside)
            warning = "checkpoint file \(path) was unreadable; moved to \(aside); files are read from their beginning"
        }
    }

    /// The committed offset whose fingerprint matches the file: the same file (device + inode) first, else the
    /// longest matching fingerprint (a renamed or copied file). `heldByLiveFile(device, inode, offset, length,
    /// hash)` says when the entry's own file is tailed now and still holds those bytes: the entry is then that
    /// file's, not this one's (two files with the same first bytes).
    public func lookup(prefixHash: (Int) -> UInt64?, device: UInt64, inode: UInt64,
                       heldByLiveFile: (UInt64, UInt64, Int64, Int, UInt64) -> Bool) -> (key: String, entry: Entry)? {
        lock.lock()
        let all = entries
        lock.unlock()
        var best: (key: String, entry: Entry, length: Int, exact: Bool)?
        for (key, entry) in all {
            guard let (length, hash) = Fingerprint.parse(key), let h = prefixHash(length), h == hash else { continue }
            let exact = entry.device == device && entry.inode == inode
            if !exact, let d = entry.device, let i = entry.inode, heldByLiveFile(d, i, entry.offset, length, hash) { continue }
            if best == nil || (exact && !best!.exact) || (exact == best!.exact && length > best!.length) {
                best = (key, entry, length, exact)
            }
        }
        return best.map { ($0.key, $0.entry) }
    }

    /// Records durable positions and writes the store. Keys are `<fingerprint>@<device>:<inode>`. Commits may come
    /// from two threads (an inline sync and the background one): one lock covers the update, the temp file and the
    /// rename, so they never share a temp file and an older state never replaces a newer one.
    public func commit(_ positions: [SourcePosition], paths: [String: String]) throws {
        guard !positions.isEmpty else { return }
        writeLock.lock()
        defer { writeLock.unlock() }
        lock.lock()
        let now = Date().timeIntervalSince1970
        for p in positions {
            // Commits may arrive out of order (a background sync after an inline one); never move back.
            if let old = entries[p.key], old.offset > p.offset { continue }
            let (_, device, inode) = Fingerprint.split(p.key)
            entries[p.key] = Entry(offset: p.offset, path: paths[p.key] ?? entries[p.key]?.path ?? "", updated: now,
                                   device: device, inode: inode)
        }
        // Files still being read stay fresh however quiet they are: only files gone for good expire.
        for key in paths.keys where entries[key] != nil { entries[key]!.updated = now }
        entries = entries.filter { now - $0.value.updated < expirySeconds }
        let data: Data
        do { data = try JSONEncoder().encode(entries) } catch { lock.unlock(); throw error }
        lock.unlock()
        do {
            try data.withUnsafeBytes { try AtomicFile.write($0, to: path, mode: 0o600, fsync: true) }
        } catch let f as AtomicFile.Failure {
            throw IngestError.io(operation: f.operation, path: f.path, errno: f.errno)
        }
    }

    /// Takes up the positions the archive holds (`SegmentRecovery`): after a kill the archive can be ahead of the
    /// last commit (its batches were written, their commit had not run). Keys of other sources (`replay:…`) are
    /// left out; an entry never moves back.
    public func adopt(_ positions: [String: Int64]) throws {
        let tail = positions.filter { Fingerprint.parse($0.key) != nil && $0.key.contains("@") }
        lock.lock()
        let ahead = tail.filter { $0.value > entries[$0.key]?.offset ?? -1 }
        lock.unlock()
        try commit(ahead.map { SourcePosition(key: $0.key, offset: $0.value) }, paths: [:])
    }

    /// Every entry (a copy).
    public func all() -> [String: Entry] {
        lock.lock()
        defer { lock.unlock() }
        return entries
    }

    /// Current committed offset of a key.
    public func offset(of key: String) -> Int64? {
        lock.lock()
        defer { lock.unlock() }
        return entries[key]?.offset
    }
}

/// File identity: FNV-1a 64 of the first (up to) 256 bytes, with the length used.
public enum Fingerprint {
    public static let maxLength = 256

    public static func hash(_ p: UnsafeRawBufferPointer) -> UInt64 { FNV1a.hash(p) }

    public static func key(length: Int, hash: UInt64) -> String { "\(length):" + String(hash, radix: 16) }

    /// A tailed file's identity in positions and checkpoints: `<length>:<hash>@<device>:<inode>` (``split``
    /// takes it apart).
    public static func positionKey(_ fingerprint: String, device: UInt64, inode: UInt64) -> String {
        fingerprint + "@" + inodeKey(device: device, inode: inode)
    }

    /// `<device>:<inode>`: one file on this machine, whatever its name or content.
    public static func inodeKey(device: UInt64, inode: UInt64) -> String { "\(device):\(inode)" }

    /// `<length>:<hash>@<device>:<inode>` → the parts (file identity in positions and checkpoints).
    public static func split(_ key: String) -> (String, UInt64?, UInt64?) {
        let halves = key.split(separator: "@", maxSplits: 1)
        guard halves.count == 2 else { return (key, nil, nil) }
        let di = halves[1].split(separator: ":")
        return (String(halves[0]), di.count == 2 ? UInt64(di[0]) : nil, di.count == 2 ? UInt64(di[1]) : nil)
    }

    static func parse(_ key: String) -> (Int, UInt64)? {
        let parts = split(key).0.split(separator: ":")
        guard parts.count == 2, let l = Int(parts[0]), let h = UInt64(parts[1], radix: 16) else { return nil }
        return (l, h)
    }

    /// Hash of the first `length` bytes of an open file; nil when it is shorter.
    public static func prefixHash(fd: Int32, length: Int) -> UInt64? {
        var buf = [UInt8](repeating: 0, count: length)
        let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, length, 0) }
        guard n == length else { return nil }
        return buf.withUnsafeBytes { hash($0) }
    }
}
