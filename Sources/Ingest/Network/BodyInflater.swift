import CZlib
import CZstd

/// Decodes a compressed payload: an HTTP request body sent with `Content-Encoding: gzip`, `deflate` or `zstd`, or
/// the gzip entry stream of a forward CompressedPackedForward message. Bounded: the decoded size may not pass
/// `limit`, and the output grows only as the data really decodes, so a small zip bomb costs at most `limit` bytes
/// (then `tooLarge`: 413 for HTTP, `frame_too_large` for forward) and never the size it claims.
///
/// Pure functions over whole bodies (an input holds the body anyway, within its body limit).
enum BodyInflater {
    enum Failure: Error, Equatable {
        /// Decoded past the limit.
        case tooLarge
        /// Not valid data of that encoding (or cut short).
        case corrupt(String)
        /// An encoding this input does not take.
        case unsupported(String)
    }

    /// The body decoded by its `Content-Encoding` (`identity` or none: as it is).
    static func decode(_ body: [UInt8], encoding: String?, limit: Int) throws(Failure) -> [UInt8] {
        switch encoding?.lowercased() {
        case nil, "", "identity": return body
        case "gzip", "x-gzip": return try inflateZlib(body, limit: limit)
        // zlib-wrapped deflate as RFC 9110 defines it (windowBits 15; the OpenTelemetry SDKs can send it).
        case "deflate": return try inflateZlib(body, limit: limit, windowBits: 15)
        case "zstd": return try unzstd(body, limit: limit)
        case let other?: throw .unsupported(other)
        }
    }

    static let step = 64 * 1024

    /// gzip (concatenated members included), or zlib with `windowBits` 15.
    static func inflateZlib(_ body: [UInt8], limit: Int, windowBits: Int32 = 15 + 16) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .corrupt("zlib init failed")
        }
        defer { inflateEnd(&stream) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: step)
        var failure: Failure?
        body.withUnsafeBufferPointer { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = UInt32(input.count)
            var ended = input.isEmpty
            while stream.avail_in > 0 || !ended {
                let rc = chunk.withUnsafeMutableBufferPointer { c -> Int32 in
                    stream.next_out = c.baseAddress
                    stream.avail_out = UInt32(c.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let produced = step - Int(stream.avail_out)
                guard out.count + produced <= limit else { failure = .tooLarge; return }
                out.append(contentsOf: chunk[0..<produced])
                if rc == Z_STREAM_END {
                    ended = true
                    if stream.avail_in > 0 { inflateReset(&stream); ended = false }
                    continue
                }
                ended = false
                if rc == Z_BUF_ERROR, stream.avail_in == 0 { failure = .corrupt("gzip data cut short"); return }
                if rc != Z_OK, rc != Z_BUF_ERROR {
                    failure = .corrupt("gzip data damaged: " + (stream.msg.map { String(cString: $0) } ?? "code \(rc)"))
                    return
                }
            }
        }
        if let failure { throw failure }
        return out
    }

    /// zstd, concatenated frames included.
    static func unzstd(_ body: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        guard let dctx = ZSTD_createDCtx() else { throw .corrupt("zstd init failed") }
        defer { ZSTD_freeDCtx(dctx) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: step)
        var failure: Failure?
        body.withUnsafeBufferPointer { input in
            var src = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
            var remaining = 0
            var outputFull = false
            while src.pos < src.size || outputFull {
                let produced = chunk.withUnsafeMutableBufferPointer { c -> Int in
                    var dst = ZSTD_outBuffer(dst: c.baseAddress, size: c.count, pos: 0)
                    remaining = ZSTD_decompressStream(dctx, &dst, &src)
                    return dst.pos
                }
                if ZSTD_isError(remaining) != 0 {
                    failure = .corrupt("zstd data damaged: " + String(cString: ZSTD_getErrorName(remaining)))
                    return
                }
                guard out.count + produced <= limit else { failure = .tooLarge; return }
                out.append(contentsOf: chunk[0..<produced])
                outputFull = produced == step
            }
            if remaining != 0, failure == nil { failure = .corrupt("zstd data cut short") }
        }
        if let failure { throw failure }
        return out
    }
}
