/// Word-at-a-time byte classification ("SIMD within a register"): scans 8 bytes per step for the bytes that
/// need attention in JSON string content, so clean runs of text cost a load and a few ALU ops per 8 bytes.
@usableFromInline enum SWAR {
    @usableFromInline static let ones: UInt64 = 0x0101_0101_0101_0101
    @usableFromInline static let highs: UInt64 = 0x8080_8080_8080_8080

    @inline(__always) static func load(_ p: UnsafePointer<UInt8>) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
    }

    /// High bit set in (at least) the lowest byte that is `"`, `\`, < 0x20, 0x7f or ≥ 0x80; 0 when none is.
    /// Bytes above the first hit may be flagged spuriously (borrows); only the lowest hit is exact.
    @inline(__always) static func attention(_ x: UInt64) -> UInt64 {
        let q = x ^ (0x22 &* ones)
        let b = x ^ (0x5c &* ones)
        let d = x ^ (0x7f &* ones)
        let hasQ = (q &- ones) & ~q
        let hasB = (b &- ones) & ~b
        let hasD = (d &- ones) & ~d
        let low = (x &- (0x20 &* ones)) & ~x
        return (hasQ | hasB | hasD | low | x) & highs
    }

    /// Index of the first byte in `[i, n)` that needs attention (or `n`).
    @inline(__always) static func skipClean(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Int {
        var i = i
        while i + 8 <= n {
            let m = attention(load(p + i))
            if m != 0 { return i + m.trailingZeroBitCount >> 3 }
            i += 8
        }
        while i < n, !needsAttention(p[i]) { i += 1 }
        return i
    }

    @inline(__always) static func needsAttention(_ c: UInt8) -> Bool {
        c < 0x20 || c == 0x22 || c == 0x5c || c >= 0x7f
    }
}
