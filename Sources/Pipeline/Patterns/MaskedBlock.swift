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

    /// Number of messages.
    public var count: Int { messageEnds.count }

    /// Masks the lines `lines` of `text` (each a range of byte offsets).
    public init(text: UnsafeBufferPointer<UInt8>, lines: ArraySlice<Range<Int>>) {
        let masker = VariableMasker(kinds: .grouping)
        var scratch = VariableMasker.Scratch()
        bytes.reserveCapacity(lines.reduce(0) { $0 + $1.count } + lines.count * 8)
        messageEnds.reserveCapacity(lines.count)
        tokenEnds.reserveCapacity(lines.count)
        hashes.reserveCapacity(lines.count)
        for line in lines {
            masker.mask(UnsafeBufferPointer(rebasing: text[line]), into: &scratch)
            let base = bytes.count
            for s in scratch.starts { tokenStarts.append(base + s) }
            scratch.output.withUnsafeBytes { hashes.append(MaskedMessageTable.hash($0)) }
            bytes.append(contentsOf: scratch.output)
            messageEnds.append(bytes.count)
            tokenEnds.append(tokenStarts.count)
        }
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
