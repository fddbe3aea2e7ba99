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

    /// Offset (0..<16) of the first of the 16 bytes at `p` that needs attention, or nil when none does.
    ///
    /// In SSE registers. Written so that LLVM emits pcmpeqb/pminub (checked in the assembly): comparisons against
    /// named splat constants, `<` on signed bytes for "< 0x20 or ≥ 0x80", and the mask read back as two 64-bit
    /// halves (no `any`, `pointwiseMin` or scalar splats: those compile to calls or byte loops).
    @inline(__always) static func attention16(_ p: UnsafePointer<UInt8>) -> Int? {
        let quote = SIMD16<UInt8>(repeating: 0x22), backslash = SIMD16<UInt8>(repeating: 0x5c)
        let del = SIMD16<UInt8>(repeating: 0x7f), space = SIMD16<Int8>(repeating: 0x20)
        let v = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<UInt8>.self)
        let special = (v .== quote) .| (v .== backslash) .| (v .== del)
        let controlOrHigh = unsafeBitCast(v, to: SIMD16<Int8>.self) .< space
        let m = unsafeBitCast(special, to: SIMD2<UInt64>.self) | unsafeBitCast(controlOrHigh, to: SIMD2<UInt64>.self)
        let lo = m[0], hi = m[1]
        guard lo | hi != 0 else { return nil }
        return lo != 0 ? lo.trailingZeroBitCount >> 3 : 8 + hi.trailingZeroBitCount >> 3
    }

    /// The index of the closing quote of string content starting at `i` when it is short and plain: the quote is
    /// the first byte needing attention within 32 bytes. Nil for an escape, a control or non-ASCII byte, a longer
    /// string, or fewer than 32 bytes left: the full scan decides those. Most values in logs (levels, names,
    /// versions, IDs) end here, without the full scan's set-up.
    @inline(__always) static func closingQuote(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Int? {
        guard i + 32 <= n else { return nil }
        if let k = attention16(p + i) { return p[i + k] == 0x22 ? i + k : nil }
        if let k = attention16(p + i + 16) { return p[i + 16 + k] == 0x22 ? i + 16 + k : nil }
        return nil
    }

    /// Index of the first byte in `[i, n)` that needs attention (or `n`).
    @inline(__always) static func skipClean(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Int {
        var i = i
        // 16 bytes per step, then 8, then 1.
        while i + 16 <= n {
            if let k = attention16(p + i) { return i + k }
            i += 16
        }
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
