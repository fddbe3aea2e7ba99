#if canImport(Glibc)
import Glibc
#endif

/// Substring search over bytes (memmem is a GNU extension Swift does not import): memchr for the first byte,
/// memcmp for the rest.
public enum ByteSearch {
    public static func contains(_ p: UnsafePointer<UInt8>, _ n: Int, _ needle: [UInt8]) -> Bool {
        find(p, n, needle) != nil
    }

    /// The offset of the first occurrence of `needle` in the `n` bytes at `p`.
    public static func find(_ p: UnsafePointer<UInt8>, _ n: Int, _ needle: [UInt8]) -> Int? {
        let m = needle.count
        guard m > 0 else { return 0 }
        guard m <= n else { return nil }
        return needle.withUnsafeBufferPointer { nb in
            let first = Int32(nb[0])
            var i = 0
            let last = n - m
            while i <= last {
                guard let hit = memchr(p + i, first, last - i + 1) else { return nil }
                let at = p.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                if memcmp(p + at, nb.baseAddress!, m) == 0 { return at }
                i = at + 1
            }
            return nil
        }
    }
}

extension ByteSearch {
    /// ASCII case-insensitive search; `lowerNeedle` must already be lower-case.
    public static func containsIgnoringCase(_ p: UnsafePointer<UInt8>, _ n: Int, _ lowerNeedle: [UInt8]) -> Bool {
        let m = lowerNeedle.count
        guard m > 0 else { return true }
        guard m <= n else { return false }
        return lowerNeedle.withUnsafeBufferPointer { nb in
            @inline(__always) func lower(_ c: UInt8) -> UInt8 { c &- 65 < 26 ? c | 0x20 : c }
            for i in 0...(n - m) where lower(p[i]) == nb[0] {
                var k = 1
                while k < m, lower(p[i + k]) == nb[k] { k += 1 }
                if k == m { return true }
            }
            return false
        }
    }
}
