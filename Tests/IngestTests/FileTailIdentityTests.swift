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
}
