import Testing
@testable import Pipeline

/// The short-string path of `JSONScanner.string` (`SWAR.closingQuote`) agrees with the full scan on every string:
/// where it ends and whether it is clean, for lengths around the 16- and 32-byte windows and every kind of byte
/// that needs attention at every position.
@Suite struct JSONScannerStringTests {
    @Test func shortPathAgreesWithTheFullScan() {
        // Bytes that need attention, and plain ones.
        let specials: [[UInt8]] = [[0x5c, 0x6e], [0x5c, 0x75, 0x30, 0x30, 0x34, 0x31], [0x5c, 0x71], [0x09], [0x7f],
                                   [0xc3, 0xa9], [0xc2, 0x85], [0xff], [0x22]]
        var checked = 0
        for length in 0...48 {
            for tail in [0, 1, 15, 16, 17, 40] {  // bytes after the closing quote: the line may end right after it
                for special in [nil] + specials.indices.map(Optional.some) {
                    for at in special == nil ? [0] : Array(stride(from: 0, through: length, by: 3)) {
                        var content = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                        if let s = special { content.insert(contentsOf: specials[s], at: min(at, content.count)) }
                        let line = [0x22] + content + [0x22] + [UInt8](repeating: UInt8(ascii: "}"), count: tail)
                        withBytes(line) { b in
                            let s = JSONScanner(b: b)
                            let fast = s.string(0), full = s.scanString(0)
                            #expect(fast?.end == full?.end && fast?.clean == full?.clean,
                                    "length \(length) tail \(tail) special \(String(describing: special)) at \(at)")
                        }
                        checked += 1
                    }
                }
            }
        }
        #expect(checked > 1000)
    }
}
