import CZlib

/// The gzip payload of a CompressedPackedForward message (concatenated members, as Fluent Bit appends them),
/// bounded: decoding stops with `nil` past `limit` bytes, so a small bomb costs at most the limit.
enum ForwardGunzip {
    enum Failure: Error { case tooLarge, corrupt }

    static func decode(_ body: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .corrupt
        }
        defer { inflateEnd(&stream) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        var failure: Failure?
        body.withUnsafeBufferPointer { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = UInt32(input.count)
            while failure == nil {
                let rc = chunk.withUnsafeMutableBufferPointer { c -> Int32 in
                    stream.next_out = c.baseAddress
                    stream.avail_out = UInt32(c.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                if out.count + produced > limit { failure = .tooLarge; break }
                out.append(contentsOf: chunk[0..<produced])
                if rc == Z_STREAM_END {
                    if stream.avail_in == 0 { break }
                    inflateReset(&stream)
                } else if rc != Z_OK || (stream.avail_in == 0 && produced == 0) {
                    failure = .corrupt
                }
            }
        }
        if let failure { throw failure }
        return out
    }
}
