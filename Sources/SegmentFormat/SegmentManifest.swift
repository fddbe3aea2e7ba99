import Foundation
import Pipeline

/// The `<stem>.meta.json` beside a finalized segment (DESIGN.md §3). `firstTimestamp`/`lastTimestamp` are the
/// earliest and latest entry times in the segment, so a time filter can skip it without opening it.
public struct SegmentManifest: Codable, Sendable, Equatable {
    public var segment: String
    public var codec: String
    public var entries: Int
    public var uncompressedBytes: Int
    public var bytes: Int
    public var sha256: String
    public var firstTimestamp: String?
    public var lastTimestamp: String?
    public var levels: [String: Int]
    public var createdAt: String
    /// How far each source with positions (a tailed file's fingerprint key, `replay:<path>`) is once this
    /// segment's entries are in: the archive's own checkpoints, taken up again after a kill (issue 17). Absent
    /// when no entry came from such a source.
    public var positions: [String: Int64]? = nil

    public init(segment: String, codec: String, entries: Int, uncompressedBytes: Int, bytes: Int, sha256: String,
                firstTimestamp: String?, lastTimestamp: String?, levels: [String: Int], createdAt: String) {
        self.segment = segment
        self.codec = codec
        self.entries = entries
        self.uncompressedBytes = uncompressedBytes
        self.bytes = bytes
        self.sha256 = sha256
        self.firstTimestamp = firstTimestamp
        self.lastTimestamp = lastTimestamp
        self.levels = levels
        self.createdAt = createdAt
    }

    /// The manifest as JSON, keys in the documented order.
    public func jsonData() -> Data {
        func q(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        let levelsText = Level.allCases.map { "\(q($0.name)): \(levels[$0.name] ?? 0)" }.joined(separator: ", ")
        let positionsText = positions.map { p in
            ", \"positions\": {" + p.keys.sorted().map { "\(q($0)): \(p[$0]!)" }.joined(separator: ", ") + "}"
        } ?? ""
        let text = """
        {"segment": \(q(segment)), "codec": \(q(codec)), "entries": \(entries), "uncompressedBytes": \(uncompressedBytes), \
        "bytes": \(bytes), "sha256": \(q(sha256)), "firstTimestamp": \(firstTimestamp.map(q) ?? "null"), \
        "lastTimestamp": \(lastTimestamp.map(q) ?? "null"), "levels": {\(levelsText)}, "createdAt": \(q(createdAt))\(positionsText)}

        """
        return Data(text.utf8)
    }

    public static func read(_ path: String) throws -> SegmentManifest {
        try JSONDecoder().decode(SegmentManifest.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
