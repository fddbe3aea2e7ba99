import Foundation

/// Recognisers for tokens that are one variable as a whole.
extension TokenMasking {
    static func isURL(_ s: Bytes) -> Bool {
        var i = s.startIndex
        while i < s.endIndex && (isLetter(s[i]) || s[i] == 0x2B || s[i] == 0x2D || s[i] == 0x2E) { i += 1 }
        guard i > s.startIndex, i + 2 < s.endIndex else { return false }
        return s[i] == 0x3A && s[i + 1] == 0x2F && s[i + 2] == 0x2F
    }

    static func isEmail(_ s: Bytes) -> Bool {
        guard let at = s.firstIndex(of: 0x40), at > s.startIndex else { return false }
        let local = s[s.startIndex..<at]
        let domain = s[(at + 1)...]
        guard local.allSatisfy({ isAlnum($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D || $0 == 0x2B || $0 == 0x25 }),
              let dot = domain.lastIndex(of: 0x2E), dot > domain.startIndex,
              domain.allSatisfy({ isAlnum($0) || $0 == 0x2E || $0 == 0x2D }) else { return false }
        let tld = domain[(dot + 1)...]
        return tld.count >= 2 && tld.allSatisfy(isLetter)
    }

    /// `/a/b`, `./a`, `../a`, `~/a`: a path with a directory part.
    static func isPath(_ s: Bytes) -> Bool {
        var i = s.startIndex
        if s[i] == 0x7E { i += 1 } else { while i < s.endIndex && s[i] == 0x2E && i - s.startIndex < 2 { i += 1 } }
        guard i < s.endIndex, s[i] == 0x2F else { return false }
        let rest = s[(i + 1)...]
        if i > s.startIndex { return !rest.isEmpty }
        guard let slash = rest.firstIndex(of: 0x2F), slash > rest.startIndex else { return false }
        return slash + 1 < s.endIndex || rest.count > 1
    }

    /// `C:\dir\file`: a drive letter, a colon, a backslash and more.
    static func isWindowsPath(_ s: Bytes) -> Bool {
        s.count > 3 && isLetter(s[s.startIndex]) && s[s.startIndex + 1] == 0x3A && s[s.startIndex + 2] == 0x5C
    }

    static func isUUID(_ s: Bytes) -> Bool {
        guard s.count == 36 else { return false }
        for (k, b) in s.enumerated() {
            if k == 8 || k == 13 || k == 18 || k == 23 {
                if b != 0x2D { return false }
            } else if !isHex(b) { return false }
        }
        return true
    }

    /// MAC addresses and similar: at least three hex groups joined by `:` or `-`, with a digit.
    static func isHexGroups(_ s: Bytes) -> Bool {
        var groups = 1
        var run = 0
        var digit = false
        for b in s {
            if b == 0x3A || b == 0x2D {
                if run == 0 { return false }
                groups += 1
                run = 0
            } else if isHex(b) {
                run += 1
                if isDigit(b) { digit = true }
                if run > 4 { return false }
            } else { return false }
        }
        return digit && groups >= 3 && run > 0
    }

    /// Generic top-level domains (two-letter country codes are accepted too).
    static let topLevelDomains: Set<String> = [
        "com", "net", "org", "edu", "gov", "mil", "int", "info", "biz", "local", "lan", "internal", "localdomain",
    ]
    static let topLevelDomainBytes: [[UInt8]] = topLevelDomains.map { Array($0.utf8) }

    /// A DNS name, optionally with `:port`: three or more labels, or two with a
    /// generic top-level domain; the last label is a top-level domain.
    static func isHostname(_ s: Bytes) -> Bool {
        var end = s.endIndex
        if let colon = s.lastIndex(of: 0x3A) {
            guard colon + 1 < s.endIndex, s[(colon + 1)...].allSatisfy(isDigit) else { return false }
            end = colon
        }
        // The last label first: lower-case letters after a dot (cheap, and rejects most tokens).
        var tldStart = end
        while tldStart > s.startIndex && s[tldStart - 1] >= 0x61 && s[tldStart - 1] <= 0x7A { tldStart -= 1 }
        let tldLength = end - tldStart
        guard tldLength > 0, tldStart - 1 > s.startIndex, s[tldStart - 1] == 0x2E,
              end - s.startIndex >= 4 else { return false }
        var labels = 1
        var labelStart = s.startIndex
        for i in s.startIndex..<end {
            let b = s[i]
            if b == 0x2E {
                if i == labelStart { return false }
                labels += 1
                labelStart = i + 1
            } else if !(isAlnum(b) || b == 0x2D) {
                return false
            }
        }
        if tldLength == 2 { return labels >= 3 }
        let tld = s[tldStart..<end]
        return topLevelDomainBytes.contains { $0.count == tldLength && $0.elementsEqual(tld) }
    }
}
