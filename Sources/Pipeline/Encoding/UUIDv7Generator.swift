/// Generates RFC 9562 UUIDv7 strings: 48-bit Unix milliseconds, then random bits, so IDs sort by creation time.
///
/// Within one millisecond a 12-bit counter (rand_a) keeps a generator's IDs increasing. One generator per thread;
/// seeded from the system's random source. Writes 36 lowercase hex/dash bytes without allocating.
public struct UUIDv7Generator {
    private var state: UInt64
    private var lastMillis: Int64 = -1
    private var counter: UInt64 = 0

    public init() {
        var rng = SystemRandomNumberGenerator()
        state = rng.next()
    }

    /// wyrand: fast, good-quality 64-bit PRNG (not cryptographic; IDs need uniqueness, not secrecy).
    @inline(__always) private mutating func next() -> UInt64 {
        state &+= 0xa076_1d64_78bd_642f
        let m = state.multipliedFullWidth(by: state ^ 0xe703_7ed1_a0b4_28db)
        return m.high ^ m.low
    }

    /// Writes one UUID (36 bytes) at `out` for time `millis`.
    @inline(__always) public mutating func write(millis: Int64, to out: UnsafeMutablePointer<UInt8>) {
        if millis > lastMillis {
            lastMillis = millis
            counter = next() & 0x7ff // leave headroom so the counter rarely wraps within a millisecond
        } else {
            counter += 1
            if counter > 0xfff { lastMillis += 1; counter = 0 }
        }
        let hi = UInt64(lastMillis & 0xffff_ffff_ffff) << 16 | 0x7000 | counter
        let lo = (next() & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000
        // 8-4-4-4-12 hex digits: the four 16-bit groups of `hi`/`lo` written 4 digits at a time (a byte loop with
        // a table lookup per digit showed in profiles; a fifth of the bench corpus gets a generated ID).
        let raw = UnsafeMutableRawPointer(out)
        raw.storeBytes(of: Self.hex4(hi >> 48), as: UInt32.self)
        raw.storeBytes(of: Self.hex4(hi >> 32), toByteOffset: 4, as: UInt32.self)
        out[8] = 45
        raw.storeBytes(of: Self.hex4(hi >> 16), toByteOffset: 9, as: UInt32.self)
        out[13] = 45
        raw.storeBytes(of: Self.hex4(hi), toByteOffset: 14, as: UInt32.self)
        out[18] = 45
        raw.storeBytes(of: Self.hex4(lo >> 48), toByteOffset: 19, as: UInt32.self)
        out[23] = 45
        raw.storeBytes(of: Self.hex4(lo >> 32), toByteOffset: 24, as: UInt32.self)
        raw.storeBytes(of: Self.hex4(lo >> 16), toByteOffset: 28, as: UInt32.self)
        raw.storeBytes(of: Self.hex4(lo), toByteOffset: 32, as: UInt32.self)
    }

    /// The low 16 bits of `v` as 4 lower-case hex digits, first digit in the lowest byte (memory order on a
    /// little-endian store), branch-free: each nibble moved to its own byte, then `'0' + d` plus 39 more for d > 9.
    @inline(__always) static func hex4(_ v: UInt64) -> UInt32 {
        let x = UInt32(truncatingIfNeeded: v & 0xffff)
        // Nibbles d3 d2 d1 d0 (d3 the most significant) into bytes 0…3 in that order.
        let n = (x >> 12) & 0xf | (x >> 8 & 0xf) << 8 | (x >> 4 & 0xf) << 16 | (x & 0xf) << 24
        // A byte's high bit set where its nibble is > 9 (adding 6 carries into bit 4), spread to 39 per byte.
        let letters = ((n &+ 0x0606_0606) >> 4) & 0x0101_0101
        return (n &+ 0x3030_3030 &+ letters &* 39).littleEndian
    }

    /// Convenience: one UUID as a String.
    public mutating func string(millis: Int64) -> String {
        var bytes = [UInt8](repeating: 0, count: 36)
        bytes.withUnsafeMutableBufferPointer { write(millis: millis, to: $0.baseAddress!) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
