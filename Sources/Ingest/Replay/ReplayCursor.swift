import Foundation
import Pipeline

/// The resume point of a replay: the acknowledged position (decompressed bytes) per archive file, in
/// `<state-dir>/replay-<key>.json` (the key names the set of files), written atomically each time the topology
/// acknowledges more of it. With the positions the output archive records with its frames, a replay stopped by a
/// signal or killed with SIGKILL starts again exactly after the last line it delivered.
public final class ReplayCursor: @unchecked Sendable {
    public let path: String
    private let lock = NSLock()
    private var done: [String: Int64]

    public struct Unreadable: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "replay state \(path) is unreadable: move it away to start over" }
    }

    /// Opens the cursor of this set of files in `directory` (created), starting from what an earlier run left.
    public init(directory: String, files: [String]) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = directory + "/replay-" + String(FNV1a.hash(files.joined(separator: "\n")), radix: 16) + ".json"
        if let data = FileManager.default.contents(atPath: path) {
            guard let d = try? JSONDecoder().decode([String: Int64].self, from: data) else { throw Unreadable(path: path) }
            done = d
        } else {
            done = [:]
        }
    }

    /// Acknowledged positions by key (`replay:<path>`).
    public var positions: [String: Int64] {
        lock.lock()
        defer { lock.unlock() }
        return done
    }

    /// Records positions (never moving one back) and writes the cursor.
    public func advance(_ positions: [SourcePosition]) throws {
        lock.lock()
        defer { lock.unlock() }
        for p in positions { done[p.key] = max(done[p.key] ?? 0, p.offset) }
        let data = try JSONEncoder().encode(done)
        try data.withUnsafeBytes { try AtomicFile.write($0, to: path, mode: 0o600, fsync: true) }
    }
}
