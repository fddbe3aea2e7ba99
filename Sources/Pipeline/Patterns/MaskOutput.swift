/// A write cursor over a buffer that the caller sized for the worst case, so
/// appends neither check uniqueness nor grow (see ``VariableMasker/mask(_:into:)``:
/// a masked message takes at most 4 bytes per input byte, plus a little).
struct MaskOutput {
    let base: UnsafeMutablePointer<UInt8>
    let capacity: Int
    var count = 0

    init(base: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    @inline(__always) subscript(i: Int) -> UInt8 { base[i] }

    @inline(__always) mutating func append(_ b: UInt8) {
        precondition(count < capacity, "masked output overflow")
        base[count] = b
        count += 1
    }

    @inline(__always) mutating func appendStar() {
        precondition(count + 3 <= capacity, "masked output overflow")
        base[count] = 0x3C
        base[count + 1] = 0x2A
        base[count + 2] = 0x3E
        count += 3
    }

    @inline(__always) mutating func append(_ bytes: TokenMasking.Bytes) {
        let k = bytes.count
        guard k > 0 else { return }
        precondition(count + k <= capacity, "masked output overflow")
        (base + count).update(from: bytes.base.baseAddress! + bytes.startIndex, count: k)
        count += k
    }

    /// Whether bytes `at..<at+3` are `<*>`.
    @inline(__always) func isStar(at i: Int) -> Bool {
        i + 3 <= count && base[i] == 0x3C && base[i + 1] == 0x2A && base[i + 2] == 0x3E
    }

    /// Removes bytes `range`, moving the rest down.
    mutating func remove(_ range: Range<Int>) {
        (base + range.lowerBound).update(from: base + range.upperBound, count: count - range.upperBound)
        count -= range.count
    }
}
