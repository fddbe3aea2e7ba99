import Foundation

/// The kernel's count of datagrams it dropped for one socket (receive buffer full, bad checksum).
///
/// Datagrams carry it as they arrive (SO_RXQ_OVFL); drops after the last datagram show only in the `drops`
/// column of /proc/net/udp (and udp6), found by the socket's inode, which `final(fd:)` reads at stop.
struct KernelDropCounter {
    private(set) var drops = 0

    /// Takes the counter a datagram carried (cumulative, so the largest wins).
    @inline(__always) mutating func observe(_ carried: Int?) {
        if let carried, carried > drops { drops = carried }
    }

    /// Folds in the socket's row of /proc/net/udp{,6}.
    mutating func final(fd: Int32) {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return }
        for table in ["/proc/net/udp", "/proc/net/udp6"] {
            if let d = Self.drops(inode: UInt64(st.st_ino), table: table) { observe(d) }
        }
    }

    /// The drops column of the row whose inode matches.
    static func drops(inode: UInt64, table: String) -> Int? {
        guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { return nil }
        // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
        for row in text.split(separator: "\n").dropFirst() {
            let f = row.split(separator: " ", omittingEmptySubsequences: true)
            if f.count >= 13, UInt64(f[9]) == inode { return Int(f[12]) }
        }
        return nil
    }
}
