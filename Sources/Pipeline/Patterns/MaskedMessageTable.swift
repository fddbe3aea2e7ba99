import Foundation

/// An open-addressing map from masked message bytes to a group index.
///
/// Keys are copied into one arena, so a lookup allocates nothing; the hash is
/// computed by the caller (see ``hash(_:)``), often on another thread, which
/// takes it off the miner's serial path. Bounded: ``removeAll()`` when full.
struct MaskedMessageTable: Sendable {
    private var slots: [Int32] = Array(repeating: -1, count: 1024)
    private var hashes: [Int] = []
    private var offsets: [Int] = [0]
    private var values: [Int] = []
    private var arena: [UInt8] = []

    /// Number of keys stored.
    var count: Int { values.count }

    /// A 64-bit hash of `bytes`, eight bytes at a time.
    static func hash(_ bytes: UnsafeRawBufferPointer) -> Int {
        var h: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(bytes.count)
        var i = 0
        let n = bytes.count
        while i + 8 <= n {
            h = (h ^ bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 29
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < n { tail |= UInt64(bytes[i]) << shift; shift += 8; i += 1 }
        h = (h ^ tail) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 31
        return Int(bitPattern: UInt(h))
    }

    /// The value stored for `key` (whose hash is `hash`), if any.
    @inline(__always)
    func value(for key: UnsafeRawBufferPointer, hash: Int) -> Int? {
        let mask = slots.count - 1
        var s = hash & mask
        while true {
            let e = Int(slots[s])
            if e < 0 { return nil }
            if hashes[e] == hash && equals(e, key) { return values[e] }
            s = (s + 1) & mask
        }
    }

    /// Stores `value` for `key`, which must not be present yet.
    mutating func insert(_ key: UnsafeRawBufferPointer, hash: Int, value: Int) {
        if (values.count + 1) * 2 > slots.count { grow() }
        let e = values.count
        hashes.append(hash)
        values.append(value)
        arena.append(contentsOf: key)
        offsets.append(arena.count)
        place(e, hash: hash)
    }

    /// Forgets every key, keeping the storage for reuse.
    mutating func removeAll() {
        for i in slots.indices { slots[i] = -1 }
        hashes.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        arena.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true)
        offsets.append(0)
    }

    @inline(__always)
    private func equals(_ e: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        let start = offsets[e]
        let length = offsets[e + 1] - start
        guard length == key.count else { return false }
        if length == 0 { return true }
        return arena.withUnsafeBytes { memcmp($0.baseAddress! + start, key.baseAddress!, length) == 0 }
    }

    private mutating func place(_ e: Int, hash: Int) {
        let mask = slots.count - 1
        var s = hash & mask
        while slots[s] >= 0 { s = (s + 1) & mask }
        slots[s] = Int32(e)
    }

    private mutating func grow() {
        slots = Array(repeating: -1, count: slots.count * 2)
        for e in values.indices { place(e, hash: hashes[e]) }
    }
}
