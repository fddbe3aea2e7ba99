/// FNV-1a, 64 bits: a fast, stable, non-cryptographic hash for names on disk (spool folders, replay state) and
/// fingerprints. Stable across runs and builds, unlike `Hasher`, so what it names can be found again.
public enum FNV1a {
    public static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    public static let prime: UInt64 = 0x100_0000_01b3

    @inline(__always)
    public static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = offsetBasis) -> UInt64 {
        var h = seed
        for b in bytes { h = (h ^ UInt64(b)) &* prime }
        return h
    }

    public static func hash(_ text: String) -> UInt64 {
        var h = offsetBasis
        for b in text.utf8 { h = (h ^ UInt64(b)) &* prime }
        return h
    }
}
