import Pipeline

/// The compression of segment files. Each batch becomes one self-contained LZ4 frame, gzip member or zstd frame,
/// so a segment is a concatenation that `lz4 -dc` / `gzip -dc` / `zstd -dc` read whole, that stays readable while it grows, and
/// whose complete frames survive a crash.
public enum SegmentCodec: String, CaseIterable, Sendable {
    case lz4, gzip, zstd

    public var fileExtension: String {
        switch self {
        case .lz4: ".jsonl.lz4"
        case .gzip: ".jsonl.gz"
        case .zstd: ".jsonl.zst"
        }
    }

    /// A new compressor (one per thread) at `level` (nil: the codec's fast default).
    public func makeCompressor(level: Int? = nil) -> SegmentCompressor {
        switch self {
        case .lz4: LZ4FrameCompressor(level: level ?? 0)
        case .gzip: GzipMemberCompressor(level: level ?? 1)
        case .zstd: ZstdFrameCompressor(level: level ?? 1)
        }
    }

    /// Detects the codec of a segment from its first bytes.
    public static func detect(_ magic: [UInt8]) -> SegmentCodec? {
        if magic.count >= 4, magic[0] == 0x04, magic[1] == 0x22, magic[2] == 0x4d, magic[3] == 0x18 { return .lz4 }
        if magic.count >= 2, magic[0] == 0x1f, magic[1] == 0x8b { return .gzip }
        if magic.count >= 4, magic[0] == 0x28, magic[1] == 0xb5, magic[2] == 0x2f, magic[3] == 0xfd { return .zstd }
        return nil
    }
}

/// Compresses one whole buffer into one complete frame (or member), appended to `output`.
/// Not thread-safe: each worker owns one.
public protocol SegmentCompressor: AnyObject {
    func compress(_ input: UnsafeBufferPointer<UInt8>, into output: ByteBuffer)
}
