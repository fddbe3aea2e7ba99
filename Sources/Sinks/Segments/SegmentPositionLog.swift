import Foundation
import SegmentFormat
import Pipeline

/// The source positions an open segment's frames reach, in a side file `<stem>.positions` next to it: the
/// archive itself says how far each input is in it, so a restart after kill -9 continues exactly there.
///
/// One text line per frame of a batch that carries a position, appended *before* the frame is written:
/// `<frame start> <frame end> <offset> <key>\n` (byte offsets in the segment file). A line whose frame end is past
/// the segment's length names a frame that was not (wholly) written: recovery cuts the segment at its start, and
/// its source reads those lines again. At finalization the last offset of each key goes into the manifest
/// (`positions`) and the side file is removed. Written from the delivery queue only.
final class SegmentPositionLog {
    let path: String
    private var fd: Int32 = -1
    /// The newest offset of each key in this segment.
    private(set) var latest: [String: Int64] = [:]

    init(directory: String, name: SegmentName) {
        path = Self.path(directory: directory, name: name)
    }

    deinit { if fd >= 0 { Foundation.close(fd) } }

    static func path(directory: String, name: SegmentName) -> String { directory + "/" + name.stem + ".positions" }

    /// Records that the frame at `start..<end` of the segment takes `position.key` to `position.offset`.
    func record(_ position: SourcePosition, frameStart start: Int, frameEnd end: Int) throws {
        if fd < 0 {
            fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
            guard fd >= 0 else { throw SegmentError.io(operation: "create", path: path, errno: errno) }
        }
        let line = Array("\(start) \(end) \(position.offset) \(position.key)\n".utf8)
        var done = 0
        while done < line.count {
            let n = line.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + done, line.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SegmentError.io(operation: "write", path: path, errno: errno)
            }
            done += n
        }
        latest[position.key] = position.offset
    }

    func closeFile() {
        if fd >= 0 { Foundation.close(fd) }
        fd = -1
    }

    /// Removes the side file (its positions are in the manifest now).
    func remove() {
        closeFile()
        unlink(path)
    }

    /// One parsed line.
    struct Record: Equatable {
        var frameStart: Int
        var frameEnd: Int
        var offset: Int64
        var key: String
    }

    /// The complete lines of a side file (a line cut off by a kill is left out); empty when there is none.
    static func read(_ path: String) -> [Record] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        var out: [Record] = []
        var text = Substring(String(decoding: data, as: UTF8.self))
        while let nl = text.firstIndex(of: "\n") {
            let line = text[..<nl]
            text = text[text.index(after: nl)...]
            let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
            guard parts.count == 4, let s = Int(parts[0]), let e = Int(parts[1]), let o = Int64(parts[2]), !parts[3].isEmpty
            else { continue }
            out.append(Record(frameStart: s, frameEnd: e, offset: o, key: String(parts[3])))
        }
        return out
    }

    /// What a segment of `length` bytes holds according to its records: where it must be cut so that no frame of
    /// a positioned batch is left half written (nil: keep it whole), and the last offset of each key whose frame
    /// is whole.
    static func reconcile(_ records: [Record], segmentLength length: Int) -> (cutAt: Int?, positions: [String: Int64]) {
        var positions: [String: Int64] = [:]
        for r in records {
            if r.frameEnd > length { return (r.frameStart < length ? r.frameStart : nil, positions) }
            positions[r.key] = max(positions[r.key] ?? r.offset, r.offset)
        }
        return (nil, positions)
    }
}
