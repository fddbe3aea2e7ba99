/// A growable byte buffer on malloc'd memory, for the hot path.
///
/// Unlike `[UInt8]` it never zero-fills, never checks bounds on append and can be handed between threads without
/// copying. Ownership: one owner at a time (a stage works on it, then passes it on); it is not thread-safe.
public final class ByteBuffer: @unchecked Sendable {
    public private(set) var base: UnsafeMutablePointer<UInt8>
    public private(set) var capacity: Int
    public var count: Int = 0

    public init(capacity: Int) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    @inline(__always) public var free: Int { capacity - count }
    @inline(__always) public var end: UnsafeMutablePointer<UInt8> { base + count }
    public var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    /// Makes room for `n` more bytes.
    @inline(__always) public func reserve(_ n: Int) {
        if count + n > capacity { grow(to: count + n) }
    }

    private func grow(to needed: Int) {
        var c = capacity
        while c < needed { c *= 2 }
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        p.update(from: base, count: count)
        base.deallocate()
        base = p
        capacity = c
    }

    @inline(__always) public func append(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count += 1
    }

    @inline(__always) public func append(_ p: UnsafePointer<UInt8>, _ n: Int) {
        reserve(n)
        (base + count).update(from: p, count: n)
        count += n
    }

    @inline(__always) public func append(_ b: UnsafeBufferPointer<UInt8>) {
        if let p = b.baseAddress { append(p, b.count) }
    }

    public func append(_ bytes: [UInt8]) { bytes.withUnsafeBufferPointer { append($0) } }

    /// String literals (the entry writer's keys) are pointers to constant bytes: copied without a closure.
    @inline(__always) public func append(_ s: StaticString) {
        if s.hasPointerRepresentation { append(s.utf8Start, s.utf8CodeUnitCount) } else { s.withUTF8Buffer { append($0) } }
    }

    public func append(string s: String) {
        var s = s
        s.withUTF8 { append($0) }
    }

    /// Appends a non-negative integer in decimal.
    public func appendDecimal(_ v: Int) {
        if v < 0 { append(UInt8(ascii: "-")); appendDecimal(-v); return }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var n = 0
        var x = v
        withUnsafeMutableBytes(of: &digits) { d in
            repeat { d[23 - n] = UInt8(48 + x % 10); x /= 10; n += 1 } while x > 0
            append(d.baseAddress!.assumingMemoryBound(to: UInt8.self) + 24 - n, n)
        }
    }

    public func removeAll() { count = 0 }

    public func toArray() -> [UInt8] { Array(bytes) }
}
