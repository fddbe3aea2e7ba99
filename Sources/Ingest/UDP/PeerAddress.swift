import Foundation

/// A datagram sender's address (IPv4 or IPv6 with port) as a compact, hashable key.
///
/// Built from the raw `sockaddr` on every datagram, so it copies bytes and allocates nothing; the display name
/// is formatted only when a peer is first seen.
struct PeerAddress: Hashable {
    /// IPv4: the address in `high`'s low 32 bits; IPv6: the 16 address bytes across `high` and `low`.
    var high: UInt64 = 0
    var low: UInt64 = 0
    var port: UInt16 = 0
    var family: UInt16 = 0

    init(_ raw: UnsafeRawBufferPointer) {
        guard raw.count >= 8 else { return }
        family = raw.load(as: UInt16.self)
        port = UInt16(bigEndian: raw.load(fromByteOffset: 2, as: UInt16.self))
        if Int32(family) == AF_INET {
            high = UInt64(raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        } else if Int32(family) == AF_INET6, raw.count >= 24 {
            high = raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            low = raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
        }
    }

    /// `udp://192.0.2.7:5140` or `udp://[2001:db8::7]:5140`.
    var name: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        var words = (high, low)
        let ok = withUnsafeBytes(of: &words) { inet_ntop(Int32(family), $0.baseAddress, &text, socklen_t(text.count)) != nil }
        let host = ok ? text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } : "unknown"
        return Int32(family) == AF_INET6 ? "udp://[\(host)]:\(port)" : "udp://\(host):\(port)"
    }
}
