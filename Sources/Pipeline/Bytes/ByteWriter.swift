/// A write cursor over a `ByteBuffer` that lives in registers: appends check a local limit instead of the
/// buffer object's fields (a class's stored properties are reloaded after every store through a pointer).
///
/// Ownership: while a writer is open, nothing else appends to its buffer; `close()` publishes the new count.
/// Code that needs the buffer itself (`JSONStringWriter`) goes through `with(_:)`.
@usableFromInline struct ByteWriter {
    /// Not retained: the caller holds the buffer while the writer is open (a retain per entry showed in profiles).
    @usableFromInline unowned(unsafe) let buffer: ByteBuffer
    @usableFromInline var p: UnsafeMutablePointer<UInt8>
    @usableFromInline var limit: UnsafeMutablePointer<UInt8>

    @inline(__always) init(_ buffer: ByteBuffer) {
        self.buffer = buffer
        p = buffer.end
        limit = buffer.base + buffer.capacity
    }

    /// Publishes what was written to the buffer's count.
    @inline(__always) func close() { buffer.count = buffer.base.distance(to: p) }

    @inline(__always) mutating func reserve(_ n: Int) {
        if p.distance(to: limit) < n { grow(n) }
    }

    @inline(never) mutating func grow(_ n: Int) {
        with { $0.reserve(n) }
    }

    /// Runs `body` on the buffer itself (count published before, cursor reloaded after).
    @inline(__always) mutating func with(_ body: (ByteBuffer) -> Void) {
        close()
        body(buffer)
        p = buffer.end
        limit = buffer.base + buffer.capacity
    }

    @inline(__always) mutating func append(_ b: UInt8) {
        reserve(1)
        p.pointee = b
        p += 1
    }

    @inline(__always) mutating func append(_ s: UnsafePointer<UInt8>, _ n: Int) {
        reserve(n)
        p.update(from: s, count: n)
        p += n
    }

    @inline(__always) mutating func append(_ b: UnsafeBufferPointer<UInt8>) {
        if let s = b.baseAddress { append(s, b.count) }
    }

    @inline(__always) mutating func append(_ s: StaticString) {
        if s.hasPointerRepresentation { append(s.utf8Start, s.utf8CodeUnitCount) } else { s.withUTF8Buffer { append($0) } }
    }

    @inline(__always) mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append($0) }
    }
}
