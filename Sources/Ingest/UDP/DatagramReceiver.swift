import CSocket

/// Reads datagrams in batches with one recvmmsg(2) call each (`slots` at a time), with the sender's address and
/// the kernel's drop counter for each.
///
/// The datagrams of one `receive` stay valid until the next call. Not thread-safe: one per receiving thread.
final class DatagramReceiver {
    /// Largest UDP payload (IPv6 without jumbograms; IPv4's is 65,507): a slot never cuts a datagram.
    static let slotBytes = 65_536
    let slots: Int
    private let rx: OpaquePointer

    init(slots: Int = 64) throws {
        guard let rx = csocket_rx_create(UInt32(slots), Self.slotBytes) else {
            throw IngestError.invalid("cannot allocate the UDP receive buffers (\(slots) × 64 KiB)")
        }
        self.slots = slots
        self.rx = rx
    }

    deinit { csocket_rx_destroy(rx) }

    /// Receives what is waiting, without blocking: the number of datagrams (0 when none), or nil with `errno` set.
    func receive(from fd: Int32) -> Int? {
        let n = csocket_rx_receive(rx, fd)
        return n < 0 ? nil : Int(n)
    }

    /// Datagram `i` of the last `receive`.
    @inline(__always) func datagram(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        var length = 0
        var cut: Int32 = 0
        let p = csocket_rx_datagram(rx, UInt32(i), &length, &cut)
        return UnsafeBufferPointer(start: p, count: length)
    }

    /// The sender of datagram `i`.
    @inline(__always) func peer(_ i: Int) -> PeerAddress {
        var length: UInt32 = 0
        let p = csocket_rx_peer(rx, UInt32(i), &length)!
        return PeerAddress(UnsafeRawBufferPointer(start: p, count: Int(length)))
    }

    /// The socket's cumulative drop count as of datagram `i`, when the kernel attached it.
    @inline(__always) func kernelDrops(_ i: Int) -> Int? {
        let d = csocket_rx_drops(rx, UInt32(i))
        return d < 0 ? nil : Int(d)
    }
}
