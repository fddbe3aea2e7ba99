/// The keys of the segment line format in their order (DESIGN.md §3), as byte patterns the JSON entry parser checks
/// before scanning a key.
///
/// Why: input in the entry model — a replayed archive, an application logging in logpipe's own shape, the bench
/// corpus — puts the same keys in the same order, and scanning each key (a string scan, the colon, then
/// `FieldKey.classify`) was a fifth of the parse. Checking the bytes at a member against the key expected next is
/// two 8-byte compares; any other key, spelling or spacing takes the general path, so the result is the same.
struct KeyPattern {
    /// `"key":` as little-endian words, zero-padded to 16 bytes, and the masks of its bytes.
    let lo, hi, loMask, hiMask: UInt64
    /// The key's length without quotes.
    let length: Int
    let key: FieldKey

    /// Whether the 16 bytes at `p` start with `"key":`.
    @inline(__always) func matches(_ lo16: UInt64, _ hi16: UInt64) -> Bool {
        (lo16 ^ lo) & loMask | (hi16 ^ hi) & hiMask == 0
    }
}

enum CanonicalKeys {
    /// The top-level object's keys in the segment line order, then the context object's.
    static let topCount = 6, contextCount = 7

    /// Constants of `"key":` (checked against the spelled-out keys by `CanonicalKeysTests`).
    @inline(__always) static func top(_ i: Int) -> KeyPattern {
        switch i {
        case 0: KeyPattern(lo: 0x6174_7365_6d69_7422, hi: 0x3a22_706d, loMask: ~0, hiMask: 0xffff_ffff, length: 9,
                           key: .timestamp)
        case 1: KeyPattern(lo: 0x3a22_6c65_7665_6c22, hi: 0, loMask: ~0, hiMask: 0, length: 5, key: .level)
        case 2: KeyPattern(lo: 0x6567_6173_7365_6d22, hi: 0x3a22, loMask: ~0, hiMask: 0xffff, length: 7, key: .message)
        case 3: KeyPattern(lo: 0x7478_6574_6e6f_6322, hi: 0x3a22, loMask: ~0, hiMask: 0xffff, length: 7, key: .context)
        case 4: KeyPattern(lo: 0x7461_6461_7465_6d22, hi: 0x3a_2261, loMask: ~0, hiMask: 0xff_ffff, length: 8,
                           key: .metadata)
        default: KeyPattern(lo: 0x3a22_6b63_6174_7322, hi: 0, loMask: ~0, hiMask: 0, length: 5, key: .stack)
        }
    }

    @inline(__always) static func context(_ i: Int) -> KeyPattern {
        switch i {
        case 0: KeyPattern(lo: 0x6563_6976_7265_7322, hi: 0x3a22, loMask: ~0, hiMask: 0xffff, length: 7, key: .service)
        case 1: KeyPattern(lo: 0x6e6f_6973_7265_7622, hi: 0x3a22, loMask: ~0, hiMask: 0xffff, length: 7, key: .version)
        case 2: KeyPattern(lo: 0x6e6f_7269_766e_6522, hi: 0x3a22_746e_656d, loMask: ~0, hiMask: 0xffff_ffff_ffff,
                           length: 11, key: .environment)
        case 3: KeyPattern(lo: 0x3a_2274_736f_6822, hi: 0, loMask: 0xff_ffff_ffff_ffff, hiMask: 0, length: 4, key: .host)
        case 4: KeyPattern(lo: 0x2264_4972_6573_7522, hi: 0x3a, loMask: ~0, hiMask: 0xff, length: 6, key: .userId)
        case 5: KeyPattern(lo: 0x6e6f_6973_7365_7322, hi: 0x3a22_6449, loMask: ~0, hiMask: 0xffff_ffff, length: 9,
                           key: .sessionId)
        default: KeyPattern(lo: 0x7473_6575_7165_7222, hi: 0x3a22_6449, loMask: ~0, hiMask: 0xffff_ffff, length: 9,
                            key: .requestId)
        }
    }

    /// The member head at `i` when its key is one of the next three expected (`next` onwards: optional keys may be
    /// missing): the key, its bounds without quotes and where the value starts; `next` moves past the key found.
    /// Nil when fewer than 16 bytes remain or no expected key is there (the caller scans the key instead).
    @inline(__always) static func head(_ s: JSONScanner, _ i: Int, context: Bool, next: inout Int)
        -> (key: FieldKey, keyStart: Int, keyEnd: Int, value: Int)? {
        guard i + 16 <= s.n else { return nil }
        let p = UnsafeRawPointer(s.b.baseAddress! + i)
        let lo = UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))
        let hi = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        let count = context ? contextCount : topCount
        var k = next
        while k < count, k < next + 3 {
            let pattern = context ? Self.context(k) : top(k)
            if pattern.matches(lo, hi) {
                next = k + 1
                let v = s.skipWS(i + pattern.length + 3)
                guard v < s.n else { return nil }
                return (pattern.key, i + 1, i + 1 + pattern.length, v)
            }
            k += 1
        }
        return nil
    }
}
