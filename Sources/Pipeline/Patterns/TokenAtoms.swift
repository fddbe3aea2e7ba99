import Foundation

/// One part of a token as the Loghub-2.0 convention cuts it: a run of
/// delimiters, or the text between them (a word, or a whole path, host or URL).
struct TokenAtom {
    enum Kind: Equatable { case delimiter, word, path, host, url }

    var bytes: ArraySlice<UInt8>
    var kind: Kind

    var isDelimiter: Bool { kind == .delimiter }

    /// Whether the atom is a variable whatever the other samples hold.
    var isAlwaysVariable: Bool {
        switch kind {
        case .delimiter, .url: return false
        case .path: return true
        case .host: return true
        case .word: return TokenAtoms.isVariableWord(bytes)
        }
    }
}

/// Cuts a token into ``TokenAtom``s.
///
/// Delimiters are those of the convention's post-processing (Khan et al., ICSE
/// 2022, as in Loghub-2.0): `, ! ; : = | " ' [ ] ( ) { } . - + @ # $ % &`, and `/`,
/// which the convention's rule for words joined to a variable does not cross; `_` is
/// not a delimiter, and a sign before a number stays with it
/// (`blk_-42`, `vCores:-17`). At the start of a part (after a delimiter other
/// than `. - + @ # $ % &`), a path (`/a/b`, `C:\a\b`), a URL (`scheme://...`, the scheme kept)
/// and a host name (`a.b.example.com`, `ip-10-0-0-1`, `msra-sa-41`) are one atom.
enum TokenAtoms {
    static let delimiterTable: [Bool] = (0...255).map { b in
        Array(",!;:=|\"'[](){}.-+@#$%&/".utf8).contains(UInt8(b))
    }
    /// Delimiters that end a path-like part (the convention's path delimiters).
    static let partTable: [Bool] = (0...255).map { b in
        Array(",!;:=|\"'[](){}".utf8).contains(UInt8(b))
    }

    static func isDelimiter(_ b: UInt8) -> Bool { delimiterTable[Int(b)] }
    static func endsPart(_ b: UInt8) -> Bool { partTable[Int(b)] }

    static func split(_ t: ArraySlice<UInt8>) -> [TokenAtom] {
        var atoms: [TokenAtom] = []
        var i = t.startIndex
        var partStart = true
        while i < t.endIndex {
            let b = t[i]
            if partStart, let special = specialAtom(t, i) {
                atoms.append(contentsOf: special.atoms)
                i = special.end
                partStart = false
                if special.atoms.last?.kind == .host, i < t.endIndex, t[i] == 0x2F {
                    // host/address: the address after the slash is a part of its own.
                    atoms.append(TokenAtom(bytes: t[i..<(i + 1)], kind: .delimiter))
                    i += 1
                    partStart = true
                }
                continue
            }
            if isDelimiter(b) && !isSign(t, i) {
                var j = i + 1
                while j < t.endIndex && isDelimiter(t[j]) && !isSign(t, j) { j += 1 }
                atoms.append(TokenAtom(bytes: t[i..<j], kind: .delimiter))
                partStart = endsPart(t[j - 1])
                i = j
                continue
            }
            var j = i + 1
            while j < t.endIndex && !(isDelimiter(t[j]) && !isSign(t, j)) { j += 1 }
            atoms.append(TokenAtom(bytes: t[i..<j], kind: .word))
            partStart = false
            i = j
        }
        return atoms
    }

    /// A `-` or `+` that signs a number: followed by a digit, at the start of an atom or after `_`.
    static func isSign(_ t: ArraySlice<UInt8>, _ i: Int) -> Bool {
        guard t[i] == 0x2D || t[i] == 0x2B, i + 1 < t.endIndex, TokenMasking.isDigit(t[i + 1]) else { return false }
        return i == t.startIndex || t[i - 1] == 0x5F || isDelimiter(t[i - 1])
    }

    /// The end of the part starting at `i` (up to a path delimiter, trailing `.` excluded).
    static func partEnd(_ t: ArraySlice<UInt8>, _ i: Int) -> Int {
        var j = i
        while j < t.endIndex && !endsPart(t[j]) { j += 1 }
        while j > i + 1 && t[j - 1] == 0x2E { j -= 1 }
        return j
    }

    static func specialAtom(_ t: ArraySlice<UInt8>, _ i: Int) -> (atoms: [TokenAtom], end: Int)? {
        // scheme://rest: the scheme stays, the rest is one atom.
        var k = i
        while k < t.endIndex && (TokenMasking.isLetter(t[k]) || (k > i && (t[k] == 0x2B || t[k] == 0x2E))) { k += 1 }
        if k > i, k + 2 < t.endIndex, t[k] == 0x3A, t[k + 1] == 0x2F, t[k + 2] == 0x2F {
            var end = t.endIndex
            while end > k + 3 && TokenMasking.isClosing(t[end - 1]) && t[end - 1] != 0x3A { end -= 1 }
            return ([TokenAtom(bytes: t[i..<k], kind: .word), TokenAtom(bytes: t[k..<(k + 1)], kind: .delimiter),
                     TokenAtom(bytes: t[(k + 1)..<end], kind: .url)], end)
        }
        if k == i + 1, k + 2 < t.endIndex, t[k] == 0x3A, t[k + 1] == 0x5C {
            // C:\dir\file: to the end of the token, closing punctuation excluded.
            var end = t.endIndex
            while end > k + 2 && TokenMasking.isClosing(t[end - 1]) { end -= 1 }
            return ([TokenAtom(bytes: t[i..<end], kind: .path)], end)
        }
        let end = partEnd(t, i)
        let part = t[i..<end]
        if t[i] == 0x2F, isPath(part) { return ([TokenAtom(bytes: part, kind: .path)], end) }
        var hostEnd = i
        while hostEnd < end && t[hostEnd] != 0x2F { hostEnd += 1 }
        let host = t[i..<hostEnd]
        if isHostname(host) || isHyphenatedHost(host) { return ([TokenAtom(bytes: host, kind: .host)], hostEnd) }
        return nil
    }

    /// `^(/[^/]+)+$`, the convention's path rule.
    static func isPath(_ s: ArraySlice<UInt8>) -> Bool {
        guard s.first == 0x2F, s.last != 0x2F else { return false }
        var previous: UInt8 = 0
        for b in s {
            if b == 0x2F && previous == 0x2F { return false }
            previous = b
        }
        return s.count > 1
    }

    /// A DNS name: three or more labels ending in a lower-case top-level domain
    /// (two with a generic one, see ``TokenMasking/topLevelDomains``).
    static func isHostname(_ s: ArraySlice<UInt8>) -> Bool {
        guard s.count >= 4 else { return false }
        var tldStart = s.endIndex
        while tldStart > s.startIndex && s[tldStart - 1] >= 0x61 && s[tldStart - 1] <= 0x7A { tldStart -= 1 }
        let tldLength = s.endIndex - tldStart
        guard tldLength >= 2, tldStart - 1 > s.startIndex, s[tldStart - 1] == 0x2E else { return false }
        var labels = 1
        var labelStart = s.startIndex
        for i in s.indices {
            let b = s[i]
            if b == 0x2E {
                if i == labelStart { return false }
                labels += 1
                labelStart = i + 1
            } else if !(TokenMasking.isAlnum(b) || b == 0x2D) {
                return false
            }
        }
        if tldLength == 2 { return labels >= 3 }
        let tld = s[tldStart...]
        return TokenMasking.topLevelDomainBytes.contains { $0.count == tldLength && $0.elementsEqual(tld) }
    }

    /// `word-word-12`, `ip-10-0-0-1`: at least two hyphens, letters first, a number last.
    static func isHyphenatedHost(_ s: ArraySlice<UInt8>) -> Bool {
        guard let first = s.first, TokenMasking.isLetter(first), let last = s.last, TokenMasking.isDigit(last)
        else { return false }
        var hyphens = 0
        var previous: UInt8 = 0
        for b in s {
            if b == 0x2D {
                if previous == 0x2D { return false }
                hyphens += 1
            } else if !TokenMasking.isAlnum(b) {
                return false
            }
            previous = b
        }
        guard hyphens >= 2, let lastHyphen = s.lastIndex(of: 0x2D) else { return false }
        return s[(lastHyphen + 1)...].allSatisfy(TokenMasking.isDigit)
    }

    static let conventionWords: [[UInt8]] = ["true", "false", "null", "root"].map { Array($0.utf8) }

    /// Numbers (signed), `0x` hex, long hex or digit runs, numbers with a short
    /// unit (`16K`, `12ms`), and the convention's `true`, `false`, `null`, `root`.
    static func isVariableWord(_ w: ArraySlice<UInt8>) -> Bool {
        var s = w
        if let f = s.first, f == 0x2D || f == 0x2B { s = s.dropFirst() }
        guard let first = s.first else { return false }
        if s.count == 4 || s.count == 5, TokenMasking.isLetter(first),
           conventionWords.contains(where: { $0.count == s.count && zip($0, s).allSatisfy { $0 == $1 | 0x20 } }) {
            return true
        }
        var digits = 0, run = 0, longest = 0, hex = 0
        var leadingDigits = 0
        var seenLetter = false
        for b in s {
            if TokenMasking.isDigit(b) {
                digits += 1; run += 1; longest = max(longest, run); hex += 1
                if !seenLetter { leadingDigits += 1 }
            } else {
                run = 0
                seenLetter = true
                if TokenMasking.isHex(b) { hex += 1 }
            }
        }
        if digits == 0 { return false }
        if digits == s.count { return true }
        if s.count > 2, first == 0x30, s[s.startIndex + 1] | 0x20 == 0x78,
           s.dropFirst(2).allSatisfy(TokenMasking.isHex) { return true }
        if longest >= 4 { return true }
        if hex == s.count && s.count >= 8 { return true }
        // A number with a unit: digits, then one to three letters.
        if leadingDigits > 0, s.count - leadingDigits <= 3,
           s[(s.startIndex + leadingDigits)...].allSatisfy(TokenMasking.isLetter) { return true }
        return false
    }
}
