import CDeflate

/// The spool's on-disk framing, pure functions over bytes.
///
/// A spool file starts with the 8-byte magic `LPSPOOL1`, then records: `u32 LE payload length`,
/// `u32 LE CRC-32 of the payload`, payload (one entry in the segment line format, ending in `\n`). The length
/// and checksum find a torn or damaged record at recovery.
enum SpoolRecord {
    static let magic: [UInt8] = Array("LPSPOOL1".utf8)
    static let headerSize = 8
    /// A length above this is damage, not an entry.
    static let maxPayload = 1 << 30

    /// CRC-32 (IEEE, zlib's): libdeflate's carry-less-multiply version, many times zlib's speed.
    static func crc(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt32 {
        libdeflate_crc32(0, p, n)
    }

    /// Appends one record holding `n` bytes at `p`.
    static func append(_ p: UnsafePointer<UInt8>, _ n: Int, to out: inout [UInt8]) {
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: headerSize))
        out.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        out.withUnsafeMutableBufferPointer { writeHeader(at: $0.baseAddress! + start, length: n) }
    }

    /// Writes the header of the `length` payload bytes that follow it at `h`.
    static func writeHeader(at h: UnsafeMutablePointer<UInt8>, length: Int) {
        storeLE(UInt32(length), at: h)
        storeLE(crc(h + headerSize, length), at: h + 4)
    }

    @inline(__always) static func storeLE(_ v: UInt32, at p: UnsafeMutablePointer<UInt8>) {
        p[0] = UInt8(v & 0xff); p[1] = UInt8(v >> 8 & 0xff); p[2] = UInt8(v >> 16 & 0xff); p[3] = UInt8(v >> 24)
    }

    static func u32(_ p: UnsafePointer<UInt8>) -> UInt32 {
        UInt32(p[0]) | UInt32(p[1]) << 8 | UInt32(p[2]) << 16 | UInt32(p[3]) << 24
    }

    /// The result of walking a file's records.
    struct Scan: Equatable {
        /// Offset just past each valid record, in order.
        var ends: [Int] = []
        /// Where the valid records stop: the file size when the file is whole.
        var validEnd: Int
        /// Why the rest is invalid (nil when the file is whole).
        var damage: String?
    }

    /// Walks `bytes` (a whole spool file), checking magic, lengths and checksums.
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> Scan {
        guard bytes.count >= magic.count, magic.elementsEqual(bytes[0..<magic.count]) else {
            return Scan(validEnd: 0, damage: bytes.isEmpty ? "empty file" : "not a spool file (bad magic)")
        }
        var scan = Scan(validEnd: magic.count)
        let base = bytes.baseAddress!
        var off = magic.count
        while off < bytes.count {
            guard bytes.count - off >= headerSize else { scan.damage = "unfinished record header at byte \(off)"; break }
            let len = Int(u32(base + off)), sum = u32(base + off + 4)
            guard len <= maxPayload, len <= bytes.count - off - headerSize else {
                scan.damage = "record at byte \(off) runs past the end"; break
            }
            guard crc(base + off + headerSize, len) == sum else { scan.damage = "checksum mismatch at byte \(off)"; break }
            off += headerSize + len
            scan.ends.append(off)
            scan.validEnd = off
        }
        return scan
    }
}
