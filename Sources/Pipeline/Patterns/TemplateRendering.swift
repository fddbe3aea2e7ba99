import Foundation

/// Writes a group's template in the Loghub-2.0 convention (Khan et al., ICSE 2022;
/// Jiang et al., ISSTA 2024): every variable is one `<*>` standing for a whole
/// delimiter-separated part of a token, `host:port` is `<*>:<*>`, and variables
/// joined by `.` or by nothing are one `<*>`.
///
/// The grouping key (``VariableMasker``) masks any digit-bearing run, which is
/// right for grouping but not for the template: `ssh2`, `jk2_init()` and `L3`
/// are constant words. So a template is rendered from raw sample messages of the
/// group: a token part is a variable when it differs between the samples, or
/// when its class says so whatever the samples (numbers, hex, long digit runs,
/// numbers with a unit, paths, host names, URLs after the scheme, and the
/// convention's `true`/`false`/`null`/`root`). Positions that the miner merged
/// are `<*>` outright.
enum TemplateRendering {
    static let star: [UInt8] = Array("<*>".utf8)

    /// Renders `tokens` (masked template tokens, ``TemplateGroup/wildcard`` for
    /// merged positions) using raw `samples` of the group's messages.
    static func render(tokens: [String], samples: [[UInt8]]) -> String {
        let n = tokens.count
        var sampleTokens: [[ArraySlice<UInt8>]] = []
        for s in samples {
            let t = splitSpaces(s)
            if t.count == n { sampleTokens.append(t) }
        }
        var out: [[UInt8]] = []
        out.reserveCapacity(n)
        for p in 0..<n {
            if tokens[p] == TemplateGroup.wildcard {
                out.append(star)
            } else if sampleTokens.isEmpty {
                out.append(renderMasked(Array(tokens[p].utf8)))
            } else {
                out.append(renderToken(sampleTokens.map { $0[p] }, masked: Array(tokens[p].utf8)))
            }
        }
        mergeUnits(&out)
        var text: [UInt8] = []
        for (i, t) in out.enumerated() {
            if i > 0 { text.append(0x20) }
            text.append(contentsOf: t)
        }
        return String(decoding: mergeAdjacentVariables(text), as: UTF8.self)
    }

    static func splitSpaces(_ s: [UInt8]) -> [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var i = 0
        while i < s.count {
            while i < s.count && TokenSpans.isSpace(s[i]) { i += 1 }
            if i >= s.count { break }
            var j = i
            while j < s.count && !TokenSpans.isSpace(s[j]) { j += 1 }
            result.append(s[i..<j])
            i = j
        }
        return result
    }

    /// One template position from the raw tokens of the samples there.
    static func renderToken(_ raws: [ArraySlice<UInt8>], masked: [UInt8]) -> [UInt8] {
        let atoms = raws.map(TokenAtoms.split)
        let shape = atoms[0]
        let aligned = atoms.allSatisfy { a in
            a.count == shape.count && zip(a, shape).allSatisfy { $0.isDelimiter == $1.isDelimiter
                && (!$0.isDelimiter || $0.bytes.elementsEqual($1.bytes)) && $0.kind == $1.kind }
        }
        guard aligned else {
            // Samples disagree on the token's structure: the masked form, one `<*>` per variable part.
            return renderMasked(masked)
        }
        var out: [UInt8] = []
        for (k, atom) in shape.enumerated() {
            if atom.isDelimiter {
                out.append(contentsOf: atom.bytes)
                continue
            }
            let varies = atoms.contains { !$0[k].bytes.elementsEqual(atom.bytes) }
            if varies || atom.isAlwaysVariable {
                out.append(contentsOf: star)
            } else {
                out.append(contentsOf: atom.bytes)
            }
        }
        return out
    }

    /// A masked token (no raw samples, or samples that do not align): every part that holds a `<*>` becomes `<*>`.
    static func renderMasked(_ masked: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        for atom in TokenAtoms.split(masked[...]) {
            if !atom.isDelimiter && (atom.bytes.contains(0x2A) && atom.bytes.contains(0x3C) || atom.isAlwaysVariable) {
                out.append(contentsOf: star)
            } else {
                out.append(contentsOf: atom.bytes)
            }
        }
        return out
    }

    /// A size or time unit written after a number is part of that variable: `<*> KB,` becomes `<*>,`.
    static func mergeUnits(_ tokens: inout [[UInt8]]) {
        var i = 1
        while i < tokens.count {
            if tokens[i - 1].elementsEqual(star) || tokens[i - 1].reversed().starts(with: star.reversed()),
               let suffix = unitSuffix(tokens[i]) {
                tokens[i - 1].append(contentsOf: suffix)
                tokens.remove(at: i)
            } else {
                i += 1
            }
        }
    }

    /// When `token` is a unit followed by closing punctuation only, that punctuation.
    static func unitSuffix(_ token: [UInt8]) -> ArraySlice<UInt8>? {
        var hi = token.count
        while hi > 0 && TokenMasking.isClosing(token[hi - 1]) { hi -= 1 }
        guard hi > 0, hi <= 3 else { return nil }
        let packed = TokenMasking.packUnit(token[0..<hi])
        return TokenMasking.packedUnits.contains(packed) ? token[hi...] : nil
    }

    /// `<*>.<*>` and `<*><*>` become `<*>`, repeatedly (the convention's DV and CV rules).
    static func mergeAdjacentVariables(_ text: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            if out.count >= 3 && out[(out.count - 3)...].elementsEqual(star) {
                if text[i...].starts(with: star) { i += 3; continue }
                if text[i] == 0x2E && text[(i + 1)...].starts(with: star) { i += 4; continue }
            }
            out.append(text[i])
            i += 1
        }
        return out
    }
}
