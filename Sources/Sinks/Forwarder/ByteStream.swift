/// A connected byte stream with deadlines: a plain TCP ``PosixSocket`` or a ``TLSStream`` over one.
///
/// What ``HTTPConnection`` needs, so the same keep-alive POST runs over either. Blocking, used by one thread;
/// every operation fails with `TransportError.timeout` past its deadline (monotonic milliseconds).
protocol ByteStream: AnyObject {
    /// Sends every byte.
    func send(_ bytes: UnsafeRawBufferPointer, deadline: Int64) throws
    /// Reads what is available (at least one byte) into `buffer`; 0 means the peer closed.
    func receive(into buffer: UnsafeMutableRawBufferPointer, deadline: Int64) throws -> Int
    /// True when the peer has closed or sent something unasked (a kept-alive connection not worth reusing).
    var isStale: Bool { get }
    func close()
}

extension ByteStream {
    func send(_ bytes: [UInt8], deadline: Int64) throws {
        try bytes.withUnsafeBytes { try send($0, deadline: deadline) }
    }
}
