import Foundation

/// Recognises month and weekday names, which are masked when part of a date
/// (next to a masked number, as in `Fri Jun 17 07:07:00 2005`).
enum CalendarWords {
    static let names: [String] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
        "january", "february", "march", "april", "june", "july", "august", "september",
        "october", "november", "december",
        "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    ]

    /// Names packed as lower-case bytes into an integer (at most 8 letters).
    static let packedNames: Set<UInt64> = Set(names.compactMap { pack(Array($0.utf8)[...]) })

    /// Bit `c & 0x1F` set for the lower-case initial `c` of every name.
    static let initials: UInt32 = names.reduce(0) { $0 | 1 << UInt32($1.utf8.first! & 0x1F) }

    static func pack<C: Collection>(_ letters: C) -> UInt64? where C.Element == UInt8 {
        guard letters.count >= 3, letters.count <= 8 else { return nil }
        var v: UInt64 = 0
        for b in letters {
            guard (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) else { return nil }
            v = v << 8 | UInt64(b | 0x20)
        }
        return v
    }

    /// Whether the token is a month or weekday name, optionally followed by `,` or `.`.
    static func isName(_ span: TokenMasking.Bytes) -> Bool {
        // Every name starts with one of "adfjmnostw"; most tokens are rejected here.
        guard let first = span.first, initials & (1 << UInt32((first | 0x20) & 0x1F)) != 0,
              (first | 0x20) >= 0x61, (first | 0x20) <= 0x7A else { return false }
        var hi = span.endIndex
        while hi > span.startIndex && (span[hi - 1] == 0x2C || span[hi - 1] == 0x2E) { hi -= 1 }
        guard let packed = pack(span[span.startIndex..<hi]) else { return false }
        return packedNames.contains(packed)
    }

    /// ``isName(_:)`` for a byte array.
    static func isName(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { isName($0[...]) }
    }

    /// Given which tokens are calendar names and which are masked numbers,
    /// returns the names to mask: those next to a masked token, transitively.
    static func namesToMask(isName: [Bool], isMasked: [Bool]) -> [Bool] {
        var masked = isMasked
        var result = [Bool](repeating: false, count: isName.count)
        var changed = true
        while changed {
            changed = false
            for i in isName.indices where isName[i] && !masked[i] {
                if (i > 0 && masked[i - 1]) || (i + 1 < masked.count && masked[i + 1]) {
                    masked[i] = true
                    result[i] = true
                    changed = true
                }
            }
        }
        return result
    }
}
