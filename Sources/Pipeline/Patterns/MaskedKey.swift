import Foundation

/// A masked message used as a cache key; hashes its bytes in one call.
struct MaskedKey: Hashable, Sendable {
    let bytes: [UInt8]

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    static func == (a: MaskedKey, b: MaskedKey) -> Bool {
        a.bytes.count == b.bytes.count && a.bytes.withUnsafeBytes { pa in
            b.bytes.withUnsafeBytes { pb in memcmp(pa.baseAddress!, pb.baseAddress!, pa.count) == 0 }
        }
    }
}
