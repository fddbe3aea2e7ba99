import CLZ4
import CZlib
import CZstd
import Foundation
import Pipeline

/// Streams the decompressed bytes of a segment (any codec, detected from its magic bytes; concatenated LZ4 frames,
/// gzip members or zstd frames) to a callback in chunks of arbitrary size.
///
/// Throws `SegmentError.corrupt` on a bad checksum, a broken frame or a file cut short, after delivering everything
/// before the damage.
public enum SegmentReader {
    public static let chunkSize = 1 << 20

    public static func read(path: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SegmentError.io(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        let input = ByteBuffer(capacity: chunkSize)
        let n = try fill(fd, input, path)
        if n == 0 { return }
        let magic = Array(input.bytes.prefix(4))
        switch SegmentCodec.detect(magic) {
        case .lz4: try readLZ4(fd, input, path, body)
        case .gzip: try readGzip(fd, input, path, body)
        case .zstd: try readZstd(fd, input, path, body)
        // Uncompressed entry lines (dead-letter files, docs/dead-letter.md): passed through as they are.
        case nil where magic.first == UInt8(ascii: "{"):
            repeat {
                try body(input.bytes)
                input.count = 0
            } while try fill(fd, input, path) > 0
        case nil: throw SegmentError.corrupt(path: path, reason: "not an LZ4 frame, gzip or zstd file, nor entry lines")
        }
    }

    /// Reads up to the buffer's free space; returns bytes read (0 at end of file).
    private static func fill(_ fd: Int32, _ buf: ByteBuffer, _ path: String) throws -> Int {
        while true {
            let n = Foundation.read(fd, buf.end, buf.capacity - buf.count)
            if n < 0 { if errno == EINTR { continue }; throw SegmentError.io(operation: "read", path: path, errno: errno) }
            buf.count += n
            return n
        }
    }

    private static func readLZ4(_ fd: Int32, _ input: ByteBuffer, _ path: String,
                                _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        var dctx: OpaquePointer?
        _ = LZ4F_createDecompressionContext(&dctx, UInt32(LZ4F_VERSION))
        defer { LZ4F_freeDecompressionContext(dctx) }
        let out = ByteBuffer(capacity: chunkSize * 4)
        var consumed = 0
        var hint = 1
        var total = 0
        while true {
            if consumed == input.count {
                input.count = 0
                consumed = 0
                if try fill(fd, input, path) == 0 { break }
            }
            var srcSize = input.count - consumed
            var dstSize = out.capacity
            hint = LZ4F_decompress(dctx, out.base, &dstSize, input.base + consumed, &srcSize, nil)
            if LZ4F_isError(hint) != 0 {
                throw SegmentError.corrupt(path: path, reason: "LZ4 frame damaged near compressed byte \(total + consumed): " +
                                        String(cString: LZ4F_getErrorName(hint)))
            }
            consumed += srcSize
            if consumed == input.count { total += input.count }
            if dstSize > 0 { try body(UnsafeBufferPointer(start: out.base, count: dstSize)) }
        }
        if hint != 0 { throw SegmentError.corrupt(path: path, reason: "LZ4 frame cut short (file truncated)") }
    }

    private static func readGzip(_ fd: Int32, _ input: ByteBuffer, _ path: String,
                                 _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw SegmentError.corrupt(path: path, reason: "zlib init failed")
        }
        defer { inflateEnd(&stream) }
        let out = ByteBuffer(capacity: chunkSize * 4)
        var inMember = true
        stream.next_in = input.base
        stream.avail_in = UInt32(input.count)
        while true {
            if stream.avail_in == 0 {
                input.count = 0
                if try fill(fd, input, path) == 0 { break }
                stream.next_in = input.base
                stream.avail_in = UInt32(input.count)
            }
            if !inMember { inflateReset(&stream); inMember = true }
            stream.next_out = out.base
            stream.avail_out = UInt32(out.capacity)
            let rc = inflate(&stream, Z_NO_FLUSH)
            let produced = out.capacity - Int(stream.avail_out)
            if produced > 0 { try body(UnsafeBufferPointer(start: out.base, count: produced)) }
            if rc == Z_STREAM_END { inMember = false; continue }
            if rc != Z_OK && rc != Z_BUF_ERROR {
                let msg = stream.msg.map { String(cString: $0) } ?? "code \(rc)"
                throw SegmentError.corrupt(path: path, reason: "gzip data damaged: \(msg)")
            }
        }
        if inMember && stream.total_in > 0 { throw SegmentError.corrupt(path: path, reason: "gzip member cut short (file truncated)") }
    }

    private static func readZstd(_ fd: Int32, _ input: ByteBuffer, _ path: String,
                                 _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        guard let dctx = ZSTD_createDCtx() else { throw SegmentError.corrupt(path: path, reason: "zstd init failed") }
        defer { ZSTD_freeDCtx(dctx) }
        let out = ByteBuffer(capacity: chunkSize * 4)
        var src = ZSTD_inBuffer(src: input.base, size: input.count, pos: 0)
        var total = 0
        // 0 once a frame is complete; the next call starts the next frame of the concatenation.
        var remaining = 0
        var inFrame = false
        var outputFull = false
        while true {
            // A full output buffer may leave decoded bytes inside the context: drain them before reading on.
            if src.pos == src.size && !outputFull {
                total += src.size
                input.count = 0
                if try fill(fd, input, path) == 0 { break }
                src = ZSTD_inBuffer(src: input.base, size: input.count, pos: 0)
            }
            var dst = ZSTD_outBuffer(dst: out.base, size: out.capacity, pos: 0)
            remaining = ZSTD_decompressStream(dctx, &dst, &src)
            if ZSTD_isError(remaining) != 0 {
                throw SegmentError.corrupt(path: path, reason: "zstd frame damaged near compressed byte \(total + src.pos): " +
                                        String(cString: ZSTD_getErrorName(remaining)))
            }
            inFrame = remaining != 0
            outputFull = dst.pos == dst.size
            if dst.pos > 0 { try body(UnsafeBufferPointer(start: out.base, count: dst.pos)) }
        }
        if inFrame { throw SegmentError.corrupt(path: path, reason: "zstd frame cut short (file truncated)") }
    }
}
