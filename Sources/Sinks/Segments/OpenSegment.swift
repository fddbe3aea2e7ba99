import Foundation
import Pipeline
import SegmentFormat

/// The segment being written: its file, running hash and counts. Becomes a finalized segment + manifest.
final class OpenSegment: @unchecked Sendable {
    let name: SegmentName
    let directory: String
    private var fd: Int32
    private let hasher = SHA256Hasher()
    private let createdMillis: Int64
    private(set) var entries = 0
    private(set) var uncompressedBytes = 0
    private(set) var bytes = 0
    private var levels = [Int](repeating: 0, count: 5)
    private var minTimestamp = Int64.max
    private var maxTimestamp = Int64.min
    private var dirty = false
    /// The folder holding the file (owned by the caller): fsynced once after the file's first `sync`/`fsyncNow`,
    /// as POSIX does not promise that an fsync persists the directory entry of a newly created file and
    /// checkpoints are committed after those; and after the rename in `finalize`.
    private let directoryFD: Int32
    private let entryLock = NSLock()
    private var entryDurable = false
    /// The side file with the source positions of this segment's frames (created at the first frame that has one).
    private var positionLog: SegmentPositionLog?
    /// The positions of a segment written whole from salvaged frames (recovery), for its manifest.
    var recoveredPositions: [String: Int64] = [:]

    /// The file being written: `<name>.open` normally; another temporary name when a salvaged segment is
    /// written under the name of the file it replaces.
    let openPath: String

    init(name: SegmentName, directory: String, directoryFD: Int32, fd: Int32, createdMillis: Int64,
         openPath: String? = nil) {
        self.name = name
        self.directory = directory
        self.fd = fd
        self.directoryFD = directoryFD
        self.createdMillis = createdMillis
        self.openPath = openPath ?? directory + "/" + name.openFileName
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Writes `batch` as a complete segment named `name`: temp file, `beforeRename` (e.g. move the file it
    /// replaces away), rename into place, manifest, `afterManifest` (e.g. remove the file it was salvaged from: only
    /// now, so a kill at any point leaves that file for the next start, never the data in the temp file alone).
    static func writeWhole(_ batch: CompressedBatch, name: SegmentName, directory: String,
                           positions: [String: Int64] = [:], beforeRename: () throws -> Void = {},
                           afterManifest: () throws -> Void = {}) throws -> SegmentManifest {
        let tmp = directory + "/" + name.fileName + ".salvage"
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { throw SegmentError.io(operation: "open directory", path: directory, errno: errno) }
        defer { close(dfd) }
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw SegmentError.io(operation: "create", path: tmp, errno: errno) }
        let segment = OpenSegment(name: name, directory: directory, directoryFD: dfd, fd: fd, createdMillis: nowMillis(),
                                  openPath: tmp)
        segment.recoveredPositions = positions
        if !batch.encoded.entries.isEmpty {
            try segment.append(frame: batch.frame.bytes, entries: batch.encoded.entries[...], startOffset: 0)
        }
        try beforeRename()
        let manifest = try segment.finalize()
        try afterManifest()
        return manifest
    }

    /// Appends one complete frame holding `entries` (offsets relative to the batch output, from `startOffset`).
    /// `position`: how far its source is once this frame is in the segment; recorded (side file) before the
    /// frame is written, so a frame cut short by a kill is known as such at recovery.
    func append(frame: UnsafeBufferPointer<UInt8>, entries infos: ArraySlice<EntryInfo>, startOffset: Int,
                position: SourcePosition? = nil) throws {
        if let position {
            let log = positionLog ?? SegmentPositionLog(directory: directory, name: name)
            positionLog = log
            try log.record(position, frameStart: bytes, frameEnd: bytes + frame.count)
        }
        var p = frame.baseAddress!
        var left = frame.count
        while left > 0 {
            let n = Foundation.write(fd, p, left)
            if n < 0 {
                if errno == EINTR { continue }
                throw SegmentError.io(operation: "write", path: openPath, errno: errno)
            }
            p += n
            left -= n
        }
        hasher.update(frame.baseAddress!, frame.count)
        bytes += frame.count
        entries += infos.count
        uncompressedBytes += Int(infos.last!.end) - startOffset
        for info in infos {
            levels[Int(info.level.rawValue)] += 1
            if info.timestampMillis < minTimestamp { minTimestamp = info.timestampMillis }
            if info.timestampMillis > maxTimestamp { maxTimestamp = info.timestampMillis }
        }
        dirty = true
    }

    /// Gives up on this segment: closes it, keeping its `.open` name (for salvage at the next start).
    func abandon() {
        if fd >= 0 { close(fd) }
        fd = -1
        positionLog?.closeFile()
    }

    /// fsync from another thread while the writer goes on (safe on one descriptor); what was written before the
    /// call is durable when it returns. A segment already finalized (descriptor closed) is durable anyway.
    func fsyncNow() throws {
        let fd = self.fd
        guard fd >= 0 else { return }
        if fsync(fd) != 0, errno != EBADF { throw SegmentError.io(operation: "fsync", path: openPath, errno: errno) }
        try makeEntryDurable()
    }

    func sync() throws {
        try syncData()
        try makeEntryDurable()
    }

    /// The file's bytes only (`finalize` makes the entry durable by its rename and directory fsync).
    private func syncData() throws {
        guard dirty else { return }
        guard fsync(fd) == 0 else { throw SegmentError.io(operation: "fsync", path: openPath, errno: errno) }
        dirty = false
    }

    /// Once per segment, after the file's first fsync (`sync` on the writer's queue and `fsyncNow` on the
    /// finalizer's may race: hence the lock). Not at creation: there it waited for the previous segment's flush
    /// (23 ms under strace) on the delivery queue at every rotation.
    private func makeEntryDurable() throws {
        entryLock.lock()
        defer { entryLock.unlock() }
        guard !entryDurable else { return }
        guard fsync(directoryFD) == 0 else { throw SegmentError.io(operation: "fsync directory", path: directory, errno: errno) }
        entryDurable = true
    }

    /// fsync, rename `.open` → final, fsync the directory, then write the manifest atomically.
    func finalize() throws -> SegmentManifest {
        try syncData()
        close(fd)
        fd = -1
        let finalPath = directory + "/" + name.fileName
        guard rename(openPath, finalPath) == 0 else { throw SegmentError.io(operation: "rename", path: openPath, errno: errno) }
        fsync(directoryFD)
        var times = TimestampFormatter()
        var manifest = SegmentManifest(
            segment: name.fileName, codec: name.codec.rawValue, entries: entries, uncompressedBytes: uncompressedBytes,
            bytes: bytes, sha256: hasher.finalizeHex(),
            firstTimestamp: entries > 0 ? times.string(minTimestamp) : nil,
            lastTimestamp: entries > 0 ? times.string(maxTimestamp) : nil,
            levels: Dictionary(uniqueKeysWithValues: Level.allCases.map { ($0.name, levels[Int($0.rawValue)]) }),
            createdAt: times.string(createdMillis))
        let positions = positionLog?.latest ?? recoveredPositions
        manifest.positions = positions.isEmpty ? nil : positions
        do {
            try ManifestWriter.write(manifest, to: directory + "/" + name.manifestFileName, directoryFD: directoryFD)
            positionLog?.remove() // the manifest has them now
        } catch {
            // A final name promises a manifest: without one (disk full) the segment goes back to `.open`, and the
            // next start salvages it and writes its manifest.
            rename(finalPath, openPath)
            fsync(directoryFD)
            throw error
        }
        return manifest
    }
}

/// Writes a manifest atomically: temp file, fsync, rename, fsync of the directory.
enum ManifestWriter {
    static func write(_ manifest: SegmentManifest, to path: String, directoryFD: Int32) throws {
        do {
            try manifest.jsonData().withUnsafeBytes {
                try AtomicFile.write($0, to: path, mode: 0o640, fsync: true, directoryFD: directoryFD)
            }
        } catch let f as AtomicFile.Failure {
            throw SegmentError.io(operation: f.operation, path: f.path, errno: f.errno)
        }
    }
}
