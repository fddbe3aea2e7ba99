import Foundation

/// Segment file names: `<UTC start yyyyMMdd'T'HHmmss'Z'>-<6-digit sequence>.jsonl.lz4|.jsonl.gz`, `.open` while
/// written, manifest `<stem>.meta.json` beside it. Names sort in write order.
public struct SegmentName: Sendable, Comparable {
    public let stem: String
    public let sequence: Int
    public let codec: SegmentCodec

    public init(startMillis: Int64, sequence: Int, codec: SegmentCodec) {
        // 2026-11-27T09:00:00.123Z → 20261127T090000Z
        let f = TimestampFormatterBridge.format(startMillis).filter { $0 != "-" && $0 != ":" }
        stem = String(f.prefix(15)) + "Z-" + String(format: "%06d", sequence)
        self.sequence = sequence
        self.codec = codec
    }

    private init(stem: String, sequence: Int, codec: SegmentCodec) {
        self.stem = stem
        self.sequence = sequence
        self.codec = codec
    }

    public var fileName: String { stem + codec.fileExtension }
    public var openFileName: String { fileName + ".open" }
    public var manifestFileName: String { stem + ".meta.json" }

    /// Parses a finalized (or, with `allowOpen`, an open) segment file name.
    public static func parse(_ file: String, allowOpen: Bool = false) -> (name: SegmentName, isOpen: Bool)? {
        var f = Substring(file)
        var isOpen = false
        if f.hasSuffix(".open") {
            guard allowOpen else { return nil }
            f = f.dropLast(5)
            isOpen = true
        }
        guard let codec = SegmentCodec.allCases.first(where: { f.hasSuffix($0.fileExtension) }) else { return nil }
        let stem = f.dropLast(codec.fileExtension.count)
        // 20261127T090000Z-000001
        guard stem.count == 23, stem[stem.index(stem.startIndex, offsetBy: 8)] == "T",
              stem[stem.index(stem.startIndex, offsetBy: 15)] == "Z", stem[stem.index(stem.startIndex, offsetBy: 16)] == "-",
              let seq = Int(stem.suffix(6)) else { return nil }
        return (SegmentName(stem: String(stem), sequence: seq, codec: codec), isOpen)
    }

    public static func < (a: SegmentName, b: SegmentName) -> Bool { (a.stem, a.sequence) < (b.stem, b.sequence) }
}

import Pipeline

/// Formats times for names and manifests (not on the hot path).
public enum TimestampFormatterBridge {
    public static func format(_ millis: Int64) -> String {
        var f = TimestampFormatter()
        return f.string(millis)
    }
}
