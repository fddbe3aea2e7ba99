import Foundation

/// Masks the variables of one whitespace-free token (UTF-8 bytes); see ``VariableMasker``.
struct TokenMasking: Sendable {
    /// A span of message bytes.
    typealias Bytes = Slice<UnsafeBufferPointer<UInt8>>

    let kinds: VariableMasker.Kinds
    let numbers, uuids, paths, urls, emails, quoted, keyValues, hostnames: Bool

    init(kinds: VariableMasker.Kinds) {
        self.kinds = kinds
        numbers = kinds.contains(.numbers)
        uuids = kinds.contains(.uuids)
        paths = kinds.contains(.paths)
        urls = kinds.contains(.urls)
        emails = kinds.contains(.emails)
        quoted = kinds.contains(.quoted)
        keyValues = kinds.contains(.keyValues)
        hostnames = kinds.contains(.hostnames)
    }

    /// Characters seen in a token, to skip recognisers that cannot match.
    struct Features: OptionSet {
        let rawValue: UInt8
        static let digit = Features(rawValue: 1)
        static let slash = Features(rawValue: 2)
        static let at = Features(rawValue: 4)
        static let dot = Features(rawValue: 8)
        static let equals = Features(rawValue: 16)
        static let quote = Features(rawValue: 32)
        static let dash = Features(rawValue: 64)
        static let colon = Features(rawValue: 128)

        init(rawValue: UInt8) { self.rawValue = rawValue }

        init(_ token: Bytes) {
            var v: UInt8 = 0
            Self.table.withUnsafeBufferPointer { t in
                for b in token { v |= t[Int(b)] }
            }
            rawValue = v
        }

        /// The feature bit of every byte value.
        static let table: [UInt8] = (0...255).map { (b: Int) -> UInt8 in
            switch b {
            case 0x30...0x39: return 1
            case 0x2F: return 2
            case 0x40: return 4
            case 0x2E: return 8
            case 0x3D: return 16
            case 0x27, 0x22: return 32
            case 0x2D: return 64
            case 0x3A: return 128
            default: return 0
            }
        }
    }

    static let star: [UInt8] = Array("<*>".utf8)

    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    static func isLetter(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b >= 0x80
    }
    static func isAlnum(_ b: UInt8) -> Bool { isDigit(b) || isLetter(b) }
    static func isHex(_ b: UInt8) -> Bool {
        isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)
    }
    /// Characters that join parts of one variable (`1.2.3.4:80`, `12-34`, `a_1_2`).
    static func isJoiner(_ b: UInt8) -> Bool {
        b == 0x2E || b == 0x3A || b == 0x2D || b == 0x5F || b == 0x2C || b == 0x2F || b == 0x2B
    }
    static func isOpening(_ b: UInt8) -> Bool {
        b == 0x28 || b == 0x5B || b == 0x7B || b == 0x3C || b == 0x27 || b == 0x22
    }
    static func isClosing(_ b: UInt8) -> Bool {
        b == 0x29 || b == 0x5D || b == 0x7D || b == 0x3E || b == 0x27 || b == 0x22
            || b == 0x2C || b == 0x3B || b == 0x2E || b == 0x21 || b == 0x3F || b == 0x3A
    }

    /// Size and time units that may follow a number as a separate token.
    static let units: Set<String> = [
        "B", "KB", "MB", "GB", "TB", "PB", "KiB", "MiB", "GiB", "TiB", "kB",
        "ns", "us", "\u{00B5}s", "ms",
    ]

    /// ``units`` packed as bytes into an integer (see ``packUnit(_:)``).
    static let packedUnits: [UInt32] = units.map { packUnit(Array($0.utf8)[...]) }

    /// Up to three bytes packed into an integer, the length in the top byte.
    static func packUnit<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var v = UInt32(bytes.count) << 24
        for b in bytes { v = (v & 0xFF00_0000) | ((v & 0xFFFF) << 8) | UInt32(b) }
        return v
    }

    /// When `token` is a unit followed only by closing punctuation, the length of that punctuation.
    static func unitSuffixLength(_ token: Bytes) -> Int? {
        var hi = token.endIndex
        while hi > token.startIndex && isClosing(token[hi - 1]) { hi -= 1 }
        guard hi - token.startIndex <= 3, hi > token.startIndex else { return nil }
        let packed = packUnit(token[token.startIndex..<hi])
        return packedUnits.contains(packed) ? token.endIndex - hi : nil
    }

    /// Appends bytes with one copy.
    @inline(__always)
    static func append(_ bytes: Bytes, to out: inout MaskOutput) {
        out.append(bytes)
    }

    /// Masks `token`, whose ``Features`` are `features`, into `out`.
    func mask(_ token: Bytes, features: Features, into out: inout MaskOutput) {
        if features.rawValue & 0x7F == 0 {
            if numbers && Self.mayBeConventionWord(token) {
                var lo = token.startIndex
                var hi = token.endIndex
                while lo < hi && Self.isOpening(token[lo]) { lo += 1 }
                while hi > lo && Self.isClosing(token[hi - 1]) { hi -= 1 }
                if Self.isConventionWord(token[lo..<hi]) {
                    Self.append(token[token.startIndex..<lo], to: &out)
                    out.appendStar()
                    Self.append(token[hi..<token.endIndex], to: &out)
                    return
                }
            }
            Self.append(token, to: &out)
            return
        }
        var lo = token.startIndex
        var hi = token.endIndex
        while lo < hi && Self.isOpening(token[lo]) { lo += 1 }
        while hi > lo && Self.isClosing(token[hi - 1]) { hi -= 1 }
        let core = token[lo..<hi]
        Self.append(token[token.startIndex..<lo], to: &out)
        defer { Self.append(token[hi..<token.endIndex], to: &out) }
        guard !core.isEmpty else { return }
        if quoted, lo > token.startIndex, hi < token.endIndex,
           token[lo - 1] == 0x27 || token[lo - 1] == 0x22, token[hi] == token[lo - 1] {
            out.appendStar()
            return
        }
        if numbers, Self.isConventionWord(core) {
            out.appendStar()
            return
        }
        if isWholeVariable(core, features) {
            out.appendStar()
            return
        }
        if features.contains(.equals), let eq = core.firstIndex(of: 0x3D), eq > core.startIndex {
            Self.append(core[core.startIndex...eq], to: &out)
            let value = core[(eq + 1)...]
            if value.isEmpty { return }
            if keyValues || isWholeVariable(value, features) || (numbers && Self.isConventionWord(value)) {
                out.appendStar()
            } else {
                maskRuns(value, into: &out)
            }
            return
        }
        maskRuns(core, into: &out)
    }

    /// `true`, `false`, `null` and `root`, in any case: values, not words, in the
    /// Loghub-2.0 convention (its BL and US rules), so `enabled=true` and
    /// `enabled=false` are one event.
    static func isConventionWord(_ s: Bytes) -> Bool {
        let n = s.count
        guard n == 4 || n == 5 else { return false }
        var v: UInt64 = 0
        for b in s { v = v << 8 | UInt64(b | 0x20) }
        return v == 0x7472_7565 || v == 0x66_616C_7365 || v == 0x6E75_6C6C || v == 0x726F_6F74
    }

    /// A cheap first look for ``isConventionWord(_:)``: 4 to 7 bytes, the first letter t, f, n or r.
    @inline(__always)
    static func mayBeConventionWord(_ token: Bytes) -> Bool {
        let n = token.count
        guard n >= 4 && n <= 7 else { return false }
        var i = token.startIndex
        if isOpening(token[i]) { i += 1 }
        let c = token[i] | 0x20
        return c == 0x74 || c == 0x66 || c == 0x6E || c == 0x72
    }

    /// URL, e-mail, path or UUID: the whole core is one variable.
    func isWholeVariable(_ core: Bytes, _ f: Features) -> Bool {
        if urls, f.contains(.colon), f.contains(.slash), Self.isURL(core) { return true }
        if emails, f.contains(.at), Self.isEmail(core) { return true }
        if paths, f.contains(.slash), Self.isPath(core) { return true }
        if paths, f.contains(.colon), Self.isWindowsPath(core) { return true }
        if uuids, f.contains(.dash), Self.isUUID(core) { return true }
        if numbers, f.contains(.digit), f.contains(.colon) || f.contains(.dash), Self.isHexGroups(core) { return true }
        if hostnames, f.contains(.dot), Self.isHostname(core) { return true }
        return false
    }

    /// Masks every alphanumeric run that holds a digit (with its sign), collapsing
    /// variables separated by one joiner character into one `<*>`.
    func maskRuns(_ s: Bytes, into out: inout MaskOutput) {
        guard numbers, s.contains(where: Self.isDigit) else {
            Self.append(s, to: &out)
            return
        }
        let start = out.count
        var i = s.startIndex
        var lastWasVar = false
        var pendingJoiner: UInt8? = nil
        while i < s.endIndex {
            let b = s[i]
            if Self.isAlnum(b) {
                var j = i
                var hasDigit = false
                while j < s.endIndex && Self.isAlnum(s[j]) {
                    if Self.isDigit(s[j]) { hasDigit = true }
                    j += 1
                }
                if hasDigit {
                    if !lastWasVar { if let p = pendingJoiner { out.append(p) } ; out.appendStar() }
                    lastWasVar = true
                } else {
                    if let p = pendingJoiner { out.append(p) }
                    Self.append(s[i..<j], to: &out)
                    lastWasVar = false
                }
                pendingJoiner = nil
                i = j
                continue
            }
            if pendingJoiner != nil { out.append(pendingJoiner!); pendingJoiner = nil; lastWasVar = false }
            let signed = (b == 0x2D || b == 0x2B) && i + 1 < s.endIndex && Self.isDigit(s[i + 1])
                && (i == s.startIndex || !Self.isAlnum(s[i - 1]))
            if signed && !lastWasVar {
                i += 1
                continue
            }
            if lastWasVar && Self.isJoiner(b) {
                pendingJoiner = b
            } else {
                out.append(b)
                lastWasVar = false
            }
            i += 1
        }
        if let p = pendingJoiner { out.append(p) }
        Self.absorbShortWords(&out, from: start)
    }

    /// `<*>_m_<*>` becomes `<*>`: one or two letters between two variables
    /// belong to the same identifier (`attempt_..._m_...`, `R02-M1-N0-C:J12`).
    static func absorbShortWords(_ out: inout MaskOutput, from start: Int) {
        var i = start
        while i + 3 <= out.count {
            guard out.isStar(at: i) else { i += 1; continue }
            var j = i + 3
            guard j < out.count, isJoiner(out[j]) else { i += 3; continue }
            j += 1
            var letters = 0
            while j < out.count && isLetter(out[j]) && letters < 3 { letters += 1; j += 1 }
            guard (1...2).contains(letters), j + 3 < out.count, isJoiner(out[j]),
                  out.isStar(at: j + 1) else { i += 3; continue }
            out.remove((i + 3)..<(j + 4))
        }
    }
}
