/// Formats epoch milliseconds as RFC 3339 UTC with milliseconds: `2026-11-27T09:00:00.123Z` (24 bytes).
///
/// Caches the formatted second, so consecutive entries in the same second cost one 24-byte copy.
/// Not thread-safe: one per worker.
public struct TimestampFormatter {
    public static let width = 24
    private var cachedSecond: Int64 = .min
    private var cache: (UInt64, UInt64, UInt64) = (0, 0, 0)

    public init() {}

    /// Writes exactly 24 bytes at `out`.
    @inline(__always) public mutating func write(_ millis: Int64, to out: UnsafeMutablePointer<UInt8>) {
        let second = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
        let ms = Int(millis - second * 1000)
        if second != cachedSecond { fill(second) }
        let raw = UnsafeMutableRawPointer(out)
        raw.storeBytes(of: cache.0, as: UInt64.self)
        raw.storeBytes(of: cache.1, toByteOffset: 8, as: UInt64.self)
        raw.storeBytes(of: cache.2, toByteOffset: 16, as: UInt64.self)
        out[20] = UInt8(48 + ms / 100)
        out[21] = UInt8(48 + ms / 10 % 10)
        out[22] = UInt8(48 + ms % 10)
    }

    /// Returns the formatted string (convenience, not for the hot path).
    public mutating func string(_ millis: Int64) -> String {
        var bytes = [UInt8](repeating: 0, count: 24)
        bytes.withUnsafeMutableBufferPointer { write(millis, to: $0.baseAddress!) }
        return String(decoding: bytes, as: UTF8.self)
    }

    private mutating func fill(_ second: Int64) {
        cachedSecond = second
        let days = Int(second >= 0 ? second / 86_400 : (second - 86_399) / 86_400)
        let secs = Int(second - Int64(days) * 86_400)
        let (y, m, d) = CivilTime.date(days: days)
        let year = min(max(y, 0), 9999)
        withUnsafeMutableBytes(of: &cache) { c in
            func two(_ at: Int, _ v: Int) { c[at] = UInt8(48 + v / 10); c[at + 1] = UInt8(48 + v % 10) }
            two(0, year / 100); two(2, year % 100)
            c[4] = 45; two(5, m); c[7] = 45; two(8, d); c[10] = 84
            two(11, secs / 3600); c[13] = 58; two(14, secs / 60 % 60); c[16] = 58; two(17, secs % 60)
            c[19] = 46; c[23] = 90
        }
    }
}
