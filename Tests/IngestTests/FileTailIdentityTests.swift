import Foundation
@testable import Ingest
import Pipeline
import Testing

/// Identity decisions of the file tail (issue 17), driven step by step: files are set up in the state a race
/// would leave them in, then one discovery or one read pass runs, so each case is deterministic.
@Suite struct FileTailIdentityTests {
    final class Dir {
        let path = NSTemporaryDirectory() + "logpipe-identity-\(UUID().uuidString)"
        init() { try! FileManager.default.createDirectory(atPath: path + "/logs", withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: path) }
        func log(_ name: String) -> String { path + "/logs/" + name }
    }

    static func lines(_ range: ClosedRange<Int>, tag: String = "seq") -> Data {
        Data(range.map { "{\"msg\":\"\(tag)=\($0)\",\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n" }.joined().utf8)
    }

    static func append(_ path: String, _ data: Data) {
        let h = FileHandle(forWritingAtPath: path)!
        h.seekToEndOfFile(); h.write(data); try! h.close()
    }

    static func inode(_ path: String) -> (UInt64, UInt64) {
        var st = stat()
        precondition(stat(path, &st) == 0)
        return (UInt64(st.st_dev), UInt64(st.st_ino))
    }

    static func key(_ path: String) -> String {
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        var st = stat()
        fstat(fd, &st)
        let (d, i) = inode(path)
        return FileTailSource.fingerprint(fd: fd, size: Int64(st.st_size)) + "@\(d):\(i)"
    }

    static func source(_ dir: Dir, glob: String = "app.log*") throws -> FileTailSource {
        try FileTailSource(pattern: dir.log(glob), options: FramingOptions(), tail: TailOptions(stateDir: dir.path + "/state"),
                           sessionId: "test", checkpoints: CheckpointStore(directory: dir.path + "/state"))
    }

    static func offsets(_ s: FileTailSource) -> [String: Int64] {
        Dictionary(uniqueKeysWithValues: s.files.map { (($0.path as NSString).lastPathComponent, $0.readOffset) })
    }

    /// The restart case behind the issue's whole-file duplicates: killed after a copytruncate, the original was
    /// written past the old offset again. The copy carries the old first bytes and must continue at the
    /// checkpoint; the checkpoint's device and inode are the original's, which is tailed again under its name —
    /// that used to make the checkpoint "another live file's", and the copy was read from 0.
    @Test func copyContinuesAtCheckpointAfterRestartWhenOriginalWasTruncatedAndRegrew() throws {
        let dir = Dir()
        let app = dir.log("app.log")
        FileManager.default.createFile(atPath: app, contents: Self.lines(1...100))
        let size = Int64(Self.lines(1...100).count)
        try CheckpointStore(directory: dir.path + "/state").commit([SourcePosition(key: Self.key(app), offset: size)], paths: [:])
        // copytruncate while stopped, then the writer goes on past the old offset
        try FileManager.default.copyItem(atPath: app, toPath: dir.log("app.log.c1"))
        truncate(app, 0)
        Self.append(app, Self.lines(101...400))
        let s = try Self.source(dir)
        s.discover()
        #expect(Self.offsets(s) == ["app.log": 0, "app.log.c1": size])
    }

    /// The other side of the same rule: two live files that only share their first bytes keep their own positions.
    @Test func liveFileWithSameFirstBytesDoesNotTakeAnothersCheckpoint() throws {
        let dir = Dir()
        let header = Data(String(repeating: "#", count: 300).utf8 + [10])
        let a = dir.log("app.log.a"), b = dir.log("app.log.b")
        FileManager.default.createFile(atPath: a, contents: header + Self.lines(1...50, tag: "a"))
        FileManager.default.createFile(atPath: b, contents: header + Self.lines(1...50, tag: "b"))
        try CheckpointStore(directory: dir.path + "/state").commit([SourcePosition(key: Self.key(a), offset: 500)], paths: [:])
        let s = try Self.source(dir)
        s.discover()
        #expect(Self.offsets(s) == ["app.log.a": 500, "app.log.b": 0])
    }

    /// The messages of what one read pass emits, everything read cut into batches.
    static func readPass(_ s: FileTailSource) -> [String] {
        var out: [String] = []
        let collect: (RawBatch) -> Void = { b in
            for l in b.lines {
                let text = String(decoding: UnsafeBufferPointer(start: b.buffer.base + Int(l.start), count: Int(l.length)), as: UTF8.self)
                if let r = text.range(of: #"seq=\d+"#, options: .regularExpression) { out.append(String(text[r])) }
            }
        }
        for f in s.files {
            while s.readAvailable(f, emit: collect) {}
            s.flush(f, close: .timeout, includePartial: false, emit: collect)
        }
        return out
    }

    /// Truncated and written past the old offset between two looks (a copytruncate while the source was held
    /// back): the new content is read once, from its start — it used to be read from the old offset first, then
    /// again from 0 once the idle check saw the new first bytes.
    @Test func fileRewrittenPastTheOldOffsetBetweenLooksIsReadOnceFromItsStart() throws {
        let dir = Dir()
        let app = dir.log("app.log")
        FileManager.default.createFile(atPath: app, contents: Self.lines(1...100))
        let s = try Self.source(dir, glob: "app.log")
        s.discover()
        #expect(Self.readPass(s) == (1...100).map { "seq=\($0)" })
        truncate(app, 0)
        Self.append(app, Self.lines(101...400))
        #expect(Self.readPass(s) == (101...400).map { "seq=\($0)" })
    }

    /// A copytruncate whose copy is not in the glob cuts what had not been read: counted exactly (the copy beside
    /// the file says how long it was), in the summary too.
    @Test func copytruncateOutsideTheGlobCountsTheBytesItCutBeforeTheyWereRead() throws {
        let dir = Dir()
        let app = dir.log("app.log")
        FileManager.default.createFile(atPath: app, contents: Self.lines(1...100))
        let s = try Self.source(dir, glob: "app.log")
        s.discover()
        _ = Self.readPass(s)
        Self.append(app, Self.lines(101...110)) // written, not read yet
        try FileManager.default.copyItem(atPath: app, toPath: dir.log("app.log.c1"))
        truncate(app, 0)
        Self.append(app, Self.lines(111...400))
        #expect(Self.readPass(s) == (111...400).map { "seq=\($0)" })
        #expect(s.truncatedUnreadBytes == Int64(Self.lines(101...110).count))
        #expect(s.summary.contains("\(Self.lines(101...110).count) bytes lost: truncated before they were read (1 copytruncates"))
    }

    /// Renamed out of the glob while logpipe was stopped, before it was read to its end: found beside its old
    /// path by device, inode and fingerprint and read from its checkpoint to its end (then released).
    @Test func fileRenamedOutOfTheGlobWhileStoppedIsReadToItsEnd() throws {
        let dir = Dir()
        let app = dir.log("app.log")
        FileManager.default.createFile(atPath: app, contents: Self.lines(1...100))
        let size = Int64(Self.lines(1...100).count)
        try CheckpointStore(directory: dir.path + "/state").commit([SourcePosition(key: Self.key(app), offset: size)],
                                                                   paths: [Self.key(app): app])
        Self.append(app, Self.lines(101...150))
        rename(app, dir.log("app.log.1"))
        FileManager.default.createFile(atPath: app, contents: Self.lines(151...160))
        let s = try Self.source(dir, glob: "app.log")
        s.discover()
        #expect(Self.offsets(s) == ["app.log": 0, "app.log.1": size])
        #expect(s.files.first { $0.path.hasSuffix("app.log.1") }?.outsideGlob == true)
        #expect(Self.readPass(s).sorted() == (101...160).map { "seq=\($0)" }.sorted())
    }
}
