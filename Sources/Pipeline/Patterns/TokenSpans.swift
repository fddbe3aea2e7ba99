import Foundation

/// Splits a UTF-8 message into whitespace-separated token spans.
///
/// With `joinQuotes`, a token that opens a quote (`'` or `"`) which closes in a
/// later token is joined with the tokens up to the closing quote, so that a
/// quoted value with spaces stays one token.
enum TokenSpans {
    /// Maximum length, in bytes, of a quoted value joined across spaces.
    static let maxQuotedLength = 256

    static func isSpace(_ b: UInt8) -> Bool {
        b == 0x20 || (b >= 0x09 && b <= 0x0D)
    }

    /// Appends the token ranges of `bytes` to `spans`.
    static func split(_ bytes: UnsafeBufferPointer<UInt8>, joinQuotes: Bool, into spans: inout [Range<Int>]) {
        var i = 0
        let n = bytes.count
        while i < n {
            while i < n && isSpace(bytes[i]) { i += 1 }
            if i >= n { break }
            var end = i
            while end < n && !isSpace(bytes[end]) { end += 1 }
            if joinQuotes, let joined = quotedEnd(bytes, start: i, tokenEnd: end) {
                end = joined
            }
            spans.append(i..<end)
            i = end
        }
    }

    /// When the token at `start` opens a quote closed in a later token, the end of that token.
    static func quotedEnd(_ bytes: UnsafeBufferPointer<UInt8>, start: Int, tokenEnd: Int) -> Int? {
        var q = start
        while q < tokenEnd && (bytes[q] == UInt8(ascii: "(") || bytes[q] == UInt8(ascii: "[")) { q += 1 }
        guard q < tokenEnd, bytes[q] == UInt8(ascii: "'") || bytes[q] == UInt8(ascii: "\"") else { return nil }
        let quote = bytes[q]
        if bytes[(q + 1)..<tokenEnd].contains(quote) { return nil }
        let limit = min(bytes.count, start + maxQuotedLength)
        var j = tokenEnd
        while j < limit {
            if bytes[j] == quote {
                var end = j
                while end < bytes.count && !isSpace(bytes[end]) { end += 1 }
                return end
            }
            j += 1
        }
        return nil
    }
}
