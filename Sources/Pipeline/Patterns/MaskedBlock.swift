import Foundation

/// Many messages masked by ``VariableMasker``, in flat storage: what a worker
/// thread hands to ``TemplateMiner/add(block:at:)``, so that masking (the
/// costly, stateless part) runs in parallel while grouping stays serial.
public struct MaskedBlock: Sendable {
    /// Masked tokens of every message, each token followed by the separator.
    var bytes: [UInt8] = []
    /// End offset in ``bytes`` of each message.
    var messageEnds: [Int] = []
    /// Start offset in ``bytes`` of every token of every message.
    var tokenStarts: [Int] = []
    /// End index in ``tokenStarts`` of each message's tokens.
    var tokenEnds: [Int] = []
    /// ``MaskedMessageTable/hash(_:)`` of each message's masked bytes.
    var hashes: [Int] = []
    /// Each message's line in the text the block was cut from (raw bytes, line end excluded).
    var lineRanges: [Range<Int>] = []

    /// Number of messages.
    public var count: Int { messageEnds.count }

    /// Masks the lines of `text[range]` (LF or CRLF ends; no final empty line).
    init(text: UnsafeBufferPointer<UInt8>, range: Range<Int>) {
        let masker = VariableMasker(kinds: .grouping)
        var scratch = VariableMasker.Scratch()
        bytes.reserveCapacity(range.count + range.count / 4)
        let lines = Self.lines(text, range)
        lineRanges = lines
        for line in lines {
            masker.mask(UnsafeBufferPointer(rebasing: text[line]), into: &scratch)
            let base = bytes.count
            for s in scratch.starts { tokenStarts.append(base + s) }
            let output = scratch.output
            output.withUnsafeBytes { hashes.append(MaskedMessageTable.hash($0)) }
            bytes.append(contentsOf: output)
            messageEnds.append(bytes.count)
            tokenEnds.append(tokenStarts.count)
        }
    }

    /// The lines of `text[range]`, without their LF or CRLF ends.
    static func lines(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> [Range<Int>] {
        var lines: [Range<Int>] = []
        guard let base = text.baseAddress else { return lines }
        var start = range.lowerBound
        let n = range.upperBound
        while start < n {
            let end: Int
            if let hit = memchr(base + start, 0x0A, n - start) {
                end = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            } else {
                end = n
            }
            var stop = end
            if stop > start && text[stop - 1] == 0x0D { stop -= 1 }
            lines.append(start..<stop)
            start = end + 1
        }
        return lines
    }

    /// The masked tokens of message `i` as strings.
    func tokens(_ i: Int) -> [String] {
        let first = i == 0 ? 0 : tokenEnds[i - 1]
        let end = messageEnds[i]
        return (first..<tokenEnds[i]).map { k in
            let stop = k + 1 < tokenEnds[i] ? tokenStarts[k + 1] - 1 : end - 1
            return String(decoding: bytes[tokenStarts[k]..<stop], as: UTF8.self)
        }
    }

    /// Range in ``bytes`` of message `i`.
    func range(_ i: Int) -> Range<Int> {
        (i == 0 ? 0 : messageEnds[i - 1])..<messageEnds[i]
    }
}
