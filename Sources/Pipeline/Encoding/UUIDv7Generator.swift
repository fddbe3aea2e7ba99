/// Generates RFC 9562 UUIDv7 strings: 48-bit Unix milliseconds, then random bits, so IDs sort by creation time.
///
/// Within one millisecond a 12-bit counter (rand_a) keeps a generator's IDs increasing. One generator per thread;
/// seeded from the system's random source. Writes 36 lowercase hex/dash bytes without allocating.
public struct UUIDv7Generator {
    private var state: UInt64
    private var lastMillis: Int64 = -1
    private var counter: UInt64 = 0
    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

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
        Self.hex.withUnsafeBufferPointer { h in
            var o = 0
            for i in 0..<16 {
                if i == 4 || i == 6 || i == 8 || i == 10 { out[o] = 45; o += 1 }
                let byte = i < 8 ? (hi >> (56 - 8 * UInt64(i))) & 0xff : (lo >> (56 - 8 * UInt64(i - 8))) & 0xff
                out[o] = h[Int(byte >> 4)]
                out[o + 1] = h[Int(byte & 15)]
                o += 2
            }
        }
    }

    /// Convenience: one UUID as a String.
    public mutating func string(millis: Int64) -> String {
        var bytes = [UInt8](repeating: 0, count: 36)
        bytes.withUnsafeMutableBufferPointer { write(millis: millis, to: $0.baseAddress!) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
