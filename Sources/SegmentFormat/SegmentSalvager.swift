import CLZ4
import CZlib
import CZstd
import Foundation
import Pipeline

/// Recovers the intact entries of a damaged or unfinished segment, frame by frame.
///
/// A segment is a sequence of self-contained LZ4 frames (or gzip members, or zstd frames), one per batch, each checksummed and
/// ending on a line boundary. A frame that decodes and passes its checksum is intact; a damaged one is skipped
/// and reading resumes at the next frame (found by walking block sizes, or by scanning for the next magic number
/// when the structure itself is broken). A frame cut off at the end of the file (a crash while writing) yields
/// its finished blocks, up to the last complete line.
public enum SegmentSalvager {
    public struct Result {
        /// Complete segment lines, each ending in `\n`.
        public var lines: ByteBuffer
        public var framesIntact = 0
        public var framesDamaged = 0
        /// A cut-off frame at the end whose finished blocks were kept.
        public var tornTail = false
        public var isWhole: Bool { framesDamaged == 0 && !tornTail }
    }

    public static func salvage(path: String) throws -> Result {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SegmentError.io(operation: "read", path: path, errno: errno)
        }
        return data.withUnsafeBytes { raw in
            let b = UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count)
            // The magic bytes decide; when the first frame's are damaged, the file name does.
            let name = SegmentName.parse((path as NSString).lastPathComponent, allowOpen: true)?.name.codec
            switch SegmentCodec.detect(Array(b.prefix(4))) ?? name ?? .lz4 {
            case .gzip: return gzip(b)
            case .zstd: return zstd(b)
            case .lz4: return lz4(b)
            }
        }
    }

    // MARK: the walk every codec shares

    /// What one codec made of the frame at the start of `rest`.
    enum FrameStep {
        /// `length` bytes: a whole frame, its lines appended (`intact`) or left out (damaged, skipped whole).
        case frame(length: Int, intact: Bool)
        /// The frame runs past the end of the file: its complete lines were appended; nothing follows.
        case tornTail
        /// Not a frame that can be walked: look for the next magic.
        case broken
    }

    /// Walks `b` frame by frame: garbage and broken frames are counted and skipped to the next `magic`, whole
    /// frames are decoded by `step`, a torn last frame ends the walk.
    private static func walk(_ b: UnsafeBufferPointer<UInt8>, magic: [UInt8],
                             _ step: (UnsafeBufferPointer<UInt8>, ByteBuffer) -> FrameStep) -> Result {
        var result = Result(lines: ByteBuffer(capacity: max(b.count * 4, 1024)))
        var i = 0
        while i < b.count {
            guard isMagic(b, i, magic) else {
                result.framesDamaged += 1
                i = nextMagic(b, from: i + 1, magic) ?? b.count
                continue
            }
            switch step(UnsafeBufferPointer(rebasing: b[i...]), result.lines) {
            case let .frame(length, intact):
                if intact { result.framesIntact += 1 } else { result.framesDamaged += 1 }
                i += length
            case .tornTail:
                result.tornTail = true
                i = b.count
            case .broken:
                result.framesDamaged += 1
                i = nextMagic(b, from: i + 1, magic) ?? b.count
            }
        }
        return result
    }

    // MARK: LZ4

    public static let lz4Magic: [UInt8] = [0x04, 0x22, 0x4d, 0x18]

    private static func lz4(_ b: UnsafeBufferPointer<UInt8>) -> Result {
        walk(b, magic: lz4Magic) { rest, lines in
            switch frameLength(rest, 0) {
            case .complete(let length):
                let intact = decodeLZ4(UnsafeBufferPointer(rebasing: rest[..<length]), into: lines, allowPartial: false)
                return .frame(length: length, intact: intact)
            case .cutShort:
                _ = decodeLZ4(rest, into: lines, allowPartial: true)
                return .tornTail
            case .broken:
                return .broken
            }
        }
    }

    public enum FrameLength { case complete(Int), cutShort, broken }

    /// Walks an LZ4 frame's header and block sizes.
    public static func frameLength(_ b: UnsafeBufferPointer<UInt8>, _ start: Int) -> FrameLength {
        var i = start + 4
        guard i + 3 <= b.count else { return .cutShort }
        let flg = b[i]
        guard flg >> 6 == 1 else { return .broken }
        let blockChecksum = flg & 0x10 != 0, contentSize = flg & 0x08 != 0
        let contentChecksum = flg & 0x04 != 0, dictID = flg & 0x01 != 0
        i += 2 + (contentSize ? 8 : 0) + (dictID ? 4 : 0) + 1
        while true {
            guard i + 4 <= b.count else { return .cutShort }
            let size = UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
            i += 4
            if size == 0 { break }
            let length = Int(size & 0x7fff_ffff)
            guard length <= 4 << 20 else { return .broken }
            i += length + (blockChecksum ? 4 : 0)
        }
        i += contentChecksum ? 4 : 0
        return i <= b.count ? .complete(i - start) : .cutShort
    }

    /// Decodes one frame; appends its lines when it is intact (or, with `allowPartial`, the complete lines of the
    /// blocks that finished).
    private static func decodeLZ4(_ frame: UnsafeBufferPointer<UInt8>, into out: ByteBuffer, allowPartial: Bool) -> Bool {
        var dctx: OpaquePointer?
        _ = LZ4F_createDecompressionContext(&dctx, UInt32(LZ4F_VERSION))
        defer { LZ4F_freeDecompressionContext(dctx) }
        let mark = out.count
        var consumed = 0
        var hint = 1
        while consumed < frame.count {
            out.reserve(1 << 20)
            var dst = out.capacity - out.count
            var src = frame.count - consumed
            hint = LZ4F_decompress(dctx, out.end, &dst, frame.baseAddress! + consumed, &src, nil)
            if LZ4F_isError(hint) != 0 { out.count = mark; return false }
            out.count += dst
            consumed += src
            if hint == 0 { break }
            if src == 0 && dst == 0 { break }
        }
        if hint != 0 {
            guard allowPartial else { out.count = mark; return false }
            trimToLastNewline(out, mark)
            return false
        }
        return true
    }

    // MARK: gzip

    private static let gzipMagic: [UInt8] = [0x1f, 0x8b, 0x08]

    private static func gzip(_ b: UnsafeBufferPointer<UInt8>) -> Result {
        walk(b, magic: gzipMagic) { rest, lines in
            let (status, used) = inflateMember(rest, into: lines)
            switch status {
            case .intact: return .frame(length: used, intact: true)
            case .cutShort: return .tornTail
            case .damaged: return .broken
            }
        }
    }

    private enum MemberStatus { case intact, cutShort, damaged }

    private static func inflateMember(_ b: UnsafeBufferPointer<UInt8>, into out: ByteBuffer) -> (MemberStatus, Int) {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            return (.damaged, 0)
        }
        defer { inflateEnd(&stream) }
        let mark = out.count
        stream.next_in = UnsafeMutablePointer(mutating: b.baseAddress!)
        stream.avail_in = UInt32(b.count)
        while true {
            out.reserve(1 << 20)
            stream.next_out = out.end
            stream.avail_out = UInt32(out.capacity - out.count)
            let before = Int(stream.avail_out)
            let rc = inflate(&stream, Z_NO_FLUSH)
            out.count += before - Int(stream.avail_out)
            if rc == Z_STREAM_END { return (.intact, b.count - Int(stream.avail_in)) }
            if rc == Z_OK { continue }
            if rc == Z_BUF_ERROR, stream.avail_in == 0 {
                trimToLastNewline(out, mark)
                return (.cutShort, b.count)
            }
            out.count = mark
            return (.damaged, 0)
        }
    }

    // MARK: zstd

    public static let zstdMagic: [UInt8] = [0x28, 0xb5, 0x2f, 0xfd]

    private static func zstd(_ b: UnsafeBufferPointer<UInt8>) -> Result {
        walk(b, magic: zstdMagic) { rest, lines in
            let length = ZSTD_findFrameCompressedSize(rest.baseAddress, rest.count)
            if ZSTD_isError(length) == 0 {
                let intact = decodeZstd(UnsafeBufferPointer(rebasing: rest[..<length]), into: lines, allowPartial: false)
                return .frame(length: length, intact: intact)
            }
            // The frame runs past the end of the file: a torn tail when it is the last frame, a damaged block
            // size when another frame follows.
            guard ZSTD_getErrorCode(length) == ZSTD_error_srcSize_wrong,
                  nextMagic(rest, from: 1, zstdMagic) == nil else { return .broken }
            _ = decodeZstd(rest, into: lines, allowPartial: true)
            return .tornTail
        }
    }

    /// Decodes one frame (checking its content checksum); appends its lines when it is intact (or, with
    /// `allowPartial`, the complete lines of the blocks that decoded).
    private static func decodeZstd(_ frame: UnsafeBufferPointer<UInt8>, into out: ByteBuffer, allowPartial: Bool) -> Bool {
        guard let dctx = ZSTD_createDCtx() else { return false }
        defer { ZSTD_freeDCtx(dctx) }
        let mark = out.count
        var src = ZSTD_inBuffer(src: frame.baseAddress, size: frame.count, pos: 0)
        while true {
            out.reserve(1 << 20)
            var dst = ZSTD_outBuffer(dst: out.end, size: out.capacity - out.count, pos: 0)
            let hint = ZSTD_decompressStream(dctx, &dst, &src)
            if ZSTD_isError(hint) != 0 { break }
            out.count += dst.pos
            if hint == 0 { return src.pos == src.size }
            if src.pos == src.size && dst.pos < dst.size { break }
        }
        guard allowPartial else { out.count = mark; return false }
        trimToLastNewline(out, mark)
        return false
    }

    // MARK: helpers

    public static func isMagic(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, _ magic: [UInt8]) -> Bool {
        guard i + magic.count <= b.count else { return false }
        for k in 0..<magic.count where b[i + k] != magic[k] { return false }
        return true
    }

    private static func nextMagic(_ b: UnsafeBufferPointer<UInt8>, from: Int, _ magic: [UInt8]) -> Int? {
        var i = from
        while i + magic.count <= b.count {
            if isMagic(b, i, magic) { return i }
            i += 1
        }
        return nil
    }

    private static func trimToLastNewline(_ out: ByteBuffer, _ mark: Int) {
        var end = out.count
        while end > mark, out.base[end - 1] != 10 { end -= 1 }
        out.count = end
    }
}
