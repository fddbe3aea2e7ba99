/// Decodes MessagePack from bytes that may be incomplete (a TCP stream), never trusting a length: every string,
/// array and map length is checked against the bytes present before anything is allocated (an array of n
/// elements needs at least n bytes), and nesting is limited to `maxDepth`. No package for MessagePack is
/// available to this build, and the forward protocol needs only decoding: this is the small part it needs.
struct MsgPackDecoder {
    enum Failure: Error, Equatable {
        /// The bytes end inside the value: wait for more.
        case incomplete
        /// Not MessagePack (a reserved type byte, nesting past the limit): the stream cannot be resynchronised.
        case invalid(String)
    }

    static let maxDepth = 32

    private let p: UnsafePointer<UInt8>
    private let n: Int
    /// Bytes consumed so far.
    private(set) var offset = 0

    init(_ p: UnsafePointer<UInt8>, _ n: Int) {
        self.p = p
        self.n = n
    }

    /// The next value; `offset` moves past it only on success.
    mutating func next() throws(Failure) -> MsgPackValue {
        var at = offset
        let value = try decode(&at, depth: 0)
        offset = at
        return value
    }

    private func need(_ at: Int, _ count: Int) throws(Failure) {
        if count < 0 || count > n - at { throw .incomplete }
    }

    private func uint(_ at: inout Int, _ size: Int) throws(Failure) -> UInt64 {
        try need(at, size)
        var v: UInt64 = 0
        for i in 0..<size { v = v << 8 | UInt64(p[at + i]) }
        at += size
        return v
    }

    private func raw(_ at: inout Int, _ count: Int) throws(Failure) -> [UInt8] {
        try need(at, count)
        defer { at += count }
        return Array(UnsafeBufferPointer(start: p + at, count: count))
    }

    private func length(_ at: inout Int, _ size: Int) throws(Failure) -> Int {
        let v = try uint(&at, size)
        guard v <= UInt64(n) else { throw .incomplete } // longer than everything present: not here yet
        return Int(v)
    }

    private func decode(_ at: inout Int, depth: Int) throws(Failure) -> MsgPackValue {
        guard depth <= Self.maxDepth else { throw .invalid("nested deeper than \(Self.maxDepth)") }
        try need(at, 1)
        let b = p[at]
        at += 1
        switch b {
        case 0x00...0x7f: return .uint(UInt64(b))
        case 0xe0...0xff: return .int(Int64(Int8(bitPattern: b)))
        case 0x80...0x8f: return try map(&at, Int(b & 0x0f), depth)
        case 0x90...0x9f: return try array(&at, Int(b & 0x0f), depth)
        case 0xa0...0xbf: return .string(try raw(&at, Int(b & 0x1f)))
        case 0xc0: return .null
        case 0xc2: return .bool(false)
        case 0xc3: return .bool(true)
        case 0xc4: return .binary(try raw(&at, try length(&at, 1)))
        case 0xc5: return .binary(try raw(&at, try length(&at, 2)))
        case 0xc6: return .binary(try raw(&at, try length(&at, 4)))
        case 0xc7, 0xc8, 0xc9:
            let count = try length(&at, b == 0xc7 ? 1 : b == 0xc8 ? 2 : 4)
            let type = Int8(bitPattern: UInt8(try uint(&at, 1)))
            return .ext(type: type, data: try raw(&at, count))
        case 0xca: return .double(Double(Float(bitPattern: UInt32(try uint(&at, 4)))))
        case 0xcb: return .double(Double(bitPattern: try uint(&at, 8)))
        case 0xcc: return .uint(try uint(&at, 1))
        case 0xcd: return .uint(try uint(&at, 2))
        case 0xce: return .uint(try uint(&at, 4))
        case 0xcf: return .uint(try uint(&at, 8))
        case 0xd0: return .int(Int64(Int8(truncatingIfNeeded: try uint(&at, 1))))
        case 0xd1: return .int(Int64(Int16(truncatingIfNeeded: try uint(&at, 2))))
        case 0xd2: return .int(Int64(Int32(truncatingIfNeeded: try uint(&at, 4))))
        case 0xd3: return .int(Int64(bitPattern: try uint(&at, 8)))
        case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
            let count = 1 << Int(b - 0xd4)
            let type = Int8(bitPattern: UInt8(try uint(&at, 1)))
            return .ext(type: type, data: try raw(&at, count))
        case 0xd9: return .string(try raw(&at, try length(&at, 1)))
        case 0xda: return .string(try raw(&at, try length(&at, 2)))
        case 0xdb: return .string(try raw(&at, try length(&at, 4)))
        case 0xdc: return try array(&at, try length(&at, 2), depth)
        case 0xdd: return try array(&at, try length(&at, 4), depth)
        case 0xde: return try map(&at, try length(&at, 2), depth)
        case 0xdf: return try map(&at, try length(&at, 4), depth)
        default: throw .invalid("reserved type byte 0x" + String(b, radix: 16)) // 0xc1
        }
    }

    private func array(_ at: inout Int, _ count: Int, _ depth: Int) throws(Failure) -> MsgPackValue {
        try need(at, count) // each element takes at least one byte
        var items: [MsgPackValue] = []
        items.reserveCapacity(count)
        for _ in 0..<count { items.append(try decode(&at, depth: depth + 1)) }
        return .array(items)
    }

    private func map(_ at: inout Int, _ count: Int, _ depth: Int) throws(Failure) -> MsgPackValue {
        try need(at, count * 2)
        var pairs: [(MsgPackValue, MsgPackValue)] = []
        pairs.reserveCapacity(count)
        for _ in 0..<count {
            let key = try decode(&at, depth: depth + 1)
            pairs.append((key, try decode(&at, depth: depth + 1)))
        }
        return .map(pairs)
    }
}
