import Foundation

/// Rules on which template positions may become variables when groups merge.
enum TokenShape {
    /// Whether a position holding `a` in one group and `b` in another may be
    /// generalised to `<*>`.
    ///
    /// Upper-case words (`RUNNING`, `LEADING`, `ERROR`) are enumerated states or
    /// levels, which tell events apart rather than vary inside one. (The first
    /// position is no exception: a program or host name often comes first; see
    /// ``minConstantsWithFirstToken`` for short messages.)
    static func mayVary(_ a: String, _ b: String) -> Bool {
        !isEnumWord(a) && !isEnumWord(b)
    }

    /// Constant tokens a template must keep when its first token becomes a variable.
    ///
    /// In a short message the first word is most of what names the event
    /// (`cupsd startup succeeded`, `tickTime set to 2000`); in a longer one it is
    /// more often a subject that varies (`app.exe - host:80 open through proxy ...`).
    static let minConstantsWithFirstToken = 3

    /// Whether the token is a masked variable, give or take brackets and
    /// punctuation around it (`<*>`, `[<*>]`, `<*>,`).
    static func isMaskedVariable(_ token: String) -> Bool {
        let bytes = Array(token.utf8)
        var lo = 0
        var hi = bytes.count
        while lo < hi && TokenMasking.isOpening(bytes[lo]) && bytes[lo] != 0x3C { lo += 1 }
        while hi > lo && TokenMasking.isClosing(bytes[hi - 1]) && bytes[hi - 1] != 0x3E { hi -= 1 }
        return hi - lo == 3 && bytes[lo] == 0x3C && bytes[lo + 1] == 0x2A && bytes[lo + 2] == 0x3E
    }

    /// Whether the token is a masked variable or an identifier made of a word
    /// joined to one by `_` or `-` (`blk_<*>`, `rdd_<*>`, `node-<*>`), give or
    /// take brackets and punctuation around it.
    static func holdsVariable(_ token: String) -> Bool {
        if isMaskedVariable(token) { return true }
        let bytes = Array(token.utf8)
        var lo = 0
        var hi = bytes.count
        while lo < hi && TokenMasking.isOpening(bytes[lo]) && bytes[lo] != 0x3C { lo += 1 }
        while hi > lo && TokenMasking.isClosing(bytes[hi - 1]) && bytes[hi - 1] != 0x3E { hi -= 1 }
        guard hi - lo >= 5, bytes[hi - 3] == 0x3C, bytes[hi - 2] == 0x2A, bytes[hi - 1] == 0x3E,
              bytes[hi - 4] == 0x5F || bytes[hi - 4] == 0x2D else { return false }
        return bytes[lo..<(hi - 4)].allSatisfy(TokenMasking.isAlnum)
    }

    /// At least two letters, all letters upper case (digits and `_` allowed).
    static func isEnumWord(_ token: String) -> Bool {
        var letters = 0
        for b in token.utf8 {
            if b >= 0x41 && b <= 0x5A { letters += 1; continue }
            if b >= 0x61 && b <= 0x7A { return false }
        }
        return letters >= 2
    }
}
