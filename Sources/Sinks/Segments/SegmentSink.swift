import Foundation
import Pipeline
import SegmentFormat

/// Options of the segment sink (`--out`, `--codec`, `--segment-max-*`, `--max-segments`).
public struct SegmentOptions: Sendable {
    public var directory: String
    public var codec: SegmentCodec
    public var codecLevel: Int?
    public var maxBytes: Int
    public var maxEntries: Int
    public var maxSegments: Int?
    /// Delete finalized segments older than this (by their finalization time), in milliseconds.
    public var maxAgeMillis: Int64?
    /// Keep the finalized segments' total size (files + manifests) under this many bytes.
    public var maxTotalBytes: Int?

    public init(directory: String, codec: SegmentCodec = .lz4, codecLevel: Int? = nil, maxBytes: Int = 128 << 20,
                maxEntries: Int = .max, maxSegments: Int? = nil, maxAgeMillis: Int64? = nil, maxTotalBytes: Int? = nil) {
        self.maxAgeMillis = maxAgeMillis
        self.maxTotalBytes = maxTotalBytes
        self.directory = directory
        self.codec = codec
        self.codecLevel = codecLevel
        self.maxBytes = max(maxBytes, 1)
        self.maxEntries = max(maxEntries, 1)
        self.maxSegments = maxSegments
    }
}

/// Writes batches into rotating segment files with manifests and retention.
///
/// Threading: called from the pipeline's serial delivery queue only; a full segment is finalized on a background
/// queue (fsync, rename, manifest, retention) while the next one is written, so rotation never stalls delivery.
/// Durability: a batch closed by the timeout or end of input is fsynced before `write` returns (with every segment
/// finalized before it), and every segment
/// before its `.open` → final rename; the manifest is written after that (temp file + rename). Rotation is exact: a batch that would cross
/// `maxEntries` or `maxBytes` is split at an entry boundary and its parts recompressed.
public final class SegmentSink: Sink, @unchecked Sendable {
    public let options: SegmentOptions
    private var current: OpenSegment?
    private var nextSequence: Int
    private let splitter: SegmentCompressor
    private let directoryFD: Int32
    private let finalizer = DispatchQueue(label: "logpipe.segment-finalizer")
    private let lock = NSLock()
    private var finalized = 0
    private var finalizeError: Error?
    public private(set) var entriesWritten = 0
    /// Called (on the finalizer queue) after each finalized segment with its manifest.
    public var onFinalize: (@Sendable (SegmentManifest) -> Void)?

    /// Segments finalized so far.
    public var segmentsFinalized: Int {
        lock.lock()
        defer { lock.unlock() }
        return finalized
    }

    public init(options: SegmentOptions) throws {
        self.options = options
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: options.directory, isDirectory: &isDir), !isDir.boolValue {
            throw SegmentError.io(operation: "use as segment directory", path: options.directory, errno: ENOTDIR)
        }
        do {
            try FileManager.default.createDirectory(atPath: options.directory, withIntermediateDirectories: true)
        } catch {
            throw SegmentError.failed("cannot create directory \(options.directory): \((error as NSError).localizedFailureReason ?? error.localizedDescription)")
        }
        directoryFD = open(options.directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryFD >= 0 else { throw SegmentError.io(operation: "open directory", path: options.directory, errno: errno) }
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: options.directory)) ?? []
        nextSequence = (existing.compactMap { SegmentName.parse($0, allowOpen: true)?.name.sequence }.max() ?? 0) + 1
        splitter = options.codec.makeCompressor(level: options.codecLevel)
    }

    deinit {
        finalizer.sync {}
        Glibc.close(directoryFD) // qualified: Sink has a close() of its own
    }

    public func write(_ batch: CompressedBatch) throws {
        try rethrowFinalizeError()
        do { try writeFrames(batch) } catch {
            // A failed write (disk full) may have left a torn frame: that segment must never get a final name or a
            // manifest. It stays `.open`; the next start salvages its complete frames.
            abandonCurrent()
            throw error
        }
    }

    /// Closes the open segment without finalizing it (it keeps its `.open` name).
    private func abandonCurrent() {
        current?.abandon()
        current = nil
    }

    private func writeFrames(_ batch: CompressedBatch) throws {
        let encoded = batch.encoded
        let count = encoded.entries.count
        var from = 0
        while from < count {
            let segment = try current ?? openSegment()
            let roomEntries = options.maxEntries - segment.entries
            let roomBytes = options.maxBytes - segment.uncompressedBytes
            let wholeBytes = encoded.output.count
            if from == 0, count <= roomEntries, wholeBytes <= roomBytes {
                try segment.append(frame: batch.frame.bytes, entries: encoded.entries[...], startOffset: 0,
                                   position: encoded.position)
                from = count
            } else if from == 0, encoded.position != nil, segment.entries > 0, count <= options.maxEntries,
                      wholeBytes <= options.maxBytes {
                // A batch with a source position is not split across segments: a kill between its two parts
                // would leave the first part in the archive without the position it reaches. It starts the
                // next segment (this one stays under its limits).
                try finalizeCurrent()
                continue
            } else {
                let take = fit(encoded, from: from, roomEntries: roomEntries, roomBytes: roomBytes,
                               emptySegment: segment.entries == 0)
                if take > 0 {
                    let s = encoded.start(of: from), e = Int(encoded.entries[from + take - 1].end)
                    let frame = ByteBuffer(capacity: (e - s) / 2 + 1024)
                    splitter.compress(UnsafeBufferPointer(start: encoded.output.base + s, count: e - s), into: frame)
                    // (A batch larger than a whole segment: its position goes with its last part.)
                    try segment.append(frame: frame.bytes, entries: encoded.entries[from..<(from + take)], startOffset: s,
                                       position: from + take == count ? encoded.position : nil)
                    from += take
                }
                if take == 0 || from < count { try finalizeCurrent() ; continue }
            }
            if segment.entries >= options.maxEntries || segment.uncompressedBytes >= options.maxBytes {
                try finalizeCurrent()
            }
        }
        entriesWritten += count
        // Durable before `write` returns (the caller then commits checkpoints): the open segment, and the segments
        // finalized before it whose fsync may still be queued.
        if encoded.close == .timeout || encoded.close == .end { try sync() }
    }

    /// How many entries from `from` fit in the room left (at least one in an empty segment).
    private func fit(_ b: EncodedBatch, from: Int, roomEntries: Int, roomBytes: Int, emptySegment: Bool) -> Int {
        let start = b.start(of: from)
        var k = 0
        while from + k < b.entries.count, k < roomEntries, Int(b.entries[from + k].end) - start <= roomBytes { k += 1 }
        return k == 0 && emptySegment ? 1 : k
    }

    /// Finalizes the open segment (if any) and waits for every finalization to complete.
    /// Finalizes the open segment and waits for every finalization; true (segments keep nothing for later).
    @discardableResult
    public func finish() throws -> Bool {
        try finalizeCurrent()
        finalizer.sync {}
        try rethrowFinalizeError()
        return true
    }

    private func rethrowFinalizeError() throws {
        lock.lock()
        defer { lock.unlock() }
        if let finalizeError { throw finalizeError }
    }

    /// Finalizes the open segment now (SIGHUP's "reopen outputs"); the next batch opens a new one.
    public func rotate() throws {
        try finalizeCurrent()
    }

    /// Makes everything written so far durable without blocking the caller: the fsync runs on the finalizer
    /// queue (after the finalizations already queued), then `done` is called there with the outcome.
    public func syncInBackground(_ done: @escaping @Sendable (Error?) -> Void) {
        let segment = current
        finalizer.async { [self] in
            do {
                try segment?.fsyncNow()
                try rethrowFinalizeError()
                done(nil)
            } catch {
                done(error)
            }
        }
    }

    /// Makes everything written so far durable: fsyncs the open segment and waits for pending finalizations.
    public func sync() throws {
        try current?.sync()
        finalizer.sync {}
        try rethrowFinalizeError()
    }

    private func openSegment() throws -> OpenSegment {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        while true {
            let name = SegmentName(startMillis: now, sequence: nextSequence, codec: options.codec)
            nextSequence += 1
            let path = options.directory + "/" + name.openFileName
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
            if fd < 0 {
                if errno == EEXIST { continue }
                throw SegmentError.io(operation: "create", path: path, errno: errno)
            }
            let segment = OpenSegment(name: name, directory: options.directory, directoryFD: directoryFD, fd: fd,
                                      createdMillis: now)
            current = segment
            return segment
        }
    }

    private func finalizeCurrent() throws {
        guard let segment = current else { return }
        current = nil
        finalizer.async { [self] in
            do {
                let manifest = try segment.finalize()
                lock.lock()
                finalized += 1
                lock.unlock()
                onFinalize?(manifest)
                applyRetention()
            } catch {
                lock.lock()
                if finalizeError == nil { finalizeError = error }
                lock.unlock()
            }
        }
    }

    /// Deletes the oldest finalized segments (with their manifests) beyond `maxSegments`, older than `maxAge`, or
    /// while the total exceeds `maxTotalBytes`; never the open one.
    private func applyRetention() {
        let o = options
        guard o.maxSegments != nil || o.maxAgeMillis != nil || o.maxTotalBytes != nil else { return }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: o.directory)) ?? []
        let fm = FileManager.default
        struct Item { let name: SegmentName; let bytes: Int; let modified: Date }
        var items: [Item] = files.compactMap { SegmentName.parse($0)?.name }.sorted().map { name in
            let a = try? fm.attributesOfItem(atPath: o.directory + "/" + name.fileName)
            let m = try? fm.attributesOfItem(atPath: o.directory + "/" + name.manifestFileName)
            return Item(name: name, bytes: (a?[.size] as? Int ?? 0) + (m?[.size] as? Int ?? 0),
                        modified: a?[.modificationDate] as? Date ?? Date())
        }
        var total = items.reduce(0) { $0 + $1.bytes }
        let cutoff = o.maxAgeMillis.map { Date(timeIntervalSinceNow: -Double($0) / 1000) }
        var removed = false
        while let oldest = items.first {
            let tooMany = o.maxSegments.map { items.count > $0 } ?? false
            let tooOld = cutoff.map { oldest.modified < $0 } ?? false
            let tooBig = o.maxTotalBytes.map { total > $0 } ?? false
            guard tooMany || tooOld || tooBig else { break }
            unlink(o.directory + "/" + oldest.name.fileName)
            unlink(o.directory + "/" + oldest.name.manifestFileName)
            total -= oldest.bytes
            items.removeFirst()
            removed = true
        }
        if removed { fsync(directoryFD) }
    }
}
