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
        let split = samples.map(splitSpaces)
        if let m = split.first?.count, m != tokens.count, split.allSatisfy({ $0.count == m }) {
            // Every sample has the same runs of repeated variables (a date, a list
            // of fixed length here): render them at their length.
            let runs = samples.indices.map { collapseLists(samples[$0], split[$0])?.1 }
            if let first = runs[0], first.count == tokens.count, runs.allSatisfy({ $0 == first }) {
                var expanded: [String] = []
                for (t, k) in zip(tokens, first) { expanded += repeatElement(t, count: k) }
                return render(tokens: expanded, split: split)
            }
        }
        return render(tokens: tokens, split: split)
    }

    static func render(tokens: [String], split: [[ArraySlice<UInt8>]]) -> String {
        let n = tokens.count
        var sampleTokens: [[ArraySlice<UInt8>]] = []
        var lists = [Bool](repeating: false, count: n)
        for t in split {
            if t.count == n {
                sampleTokens.append(t)
            } else if let (collapsed, runs) = collapseLists(t), collapsed.count == n {
                // A list of variable length is one variable.
                sampleTokens.append(collapsed)
                for p in 0..<n where runs[p] > 1 { lists[p] = true }
            }
        }
        var out: [[UInt8]] = []
        out.reserveCapacity(n)
        for p in 0..<n {
            if lists[p] {
                out.append(star)
            } else if let first = sampleTokens.first?[p], unitSuffix(Array(first)) != nil,
               sampleTokens.allSatisfy({ unitSuffix(Array($0[p])) != nil }) {
                // Units (`KB`, `ms`) that differ between samples: kept, so that they join their number below.
                out.append(Array(first))
            } else if tokens[p] == TemplateGroup.wildcard {
                out.append(sampleTokens.isEmpty ? star : renderMerged(sampleTokens.map { $0[p] }))
            } else if sampleTokens.isEmpty {
                out.append(renderMasked(Array(tokens[p].utf8)))
            } else {
                out.append(renderToken(sampleTokens.map { $0[p] }, masked: Array(tokens[p].utf8)))
            }
        }
        mergeUnits(&out)
        mergeDates(&out)
        var text: [UInt8] = []
        for (i, t) in out.enumerated() {
            if i > 0 { text.append(0x20) }
            text.append(contentsOf: t)
        }
        return String(decoding: mergeAdjacentVariables(text), as: UTF8.self)
    }

    /// The raw tokens with each list of variables (see ``TemplateMiner/collapsingLists(_:)``)
    /// as its first token, and the length of the run at each resulting position.
    static func collapseLists(_ s: [UInt8], _ raw: [ArraySlice<UInt8>]) -> ([ArraySlice<UInt8>], [Int])? {
        let tokens = listMasker.maskedTokens(String(decoding: s, as: UTF8.self))
        guard tokens.count == raw.count else { return nil }
        var collapsed: [ArraySlice<UInt8>] = []
        var runs: [Int] = []
        for i in raw.indices {
            if i > 0, tokens[i] == tokens[i - 1], tokens[i].contains("<*>") {
                runs[runs.count - 1] += 1
            } else {
                collapsed.append(raw[i])
                runs.append(1)
            }
        }
        return (collapsed, runs)
    }

    static func collapseLists(_ raw: [ArraySlice<UInt8>]) -> ([ArraySlice<UInt8>], [Int])? {
        var s: [UInt8] = []
        for (i, t) in raw.enumerated() {
            if i > 0 { s.append(0x20) }
            s.append(contentsOf: t)
        }
        return collapseLists(s, raw)
    }

    /// The grouping masker, to find the lists in a raw sample (see ``TemplateMiner/collapsingLists(_:)``).
    static let listMasker = VariableMasker(kinds: .grouping)

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

    /// Atoms of each raw token, when they all have the same structure (the same
    /// delimiters in the same places, atoms of the same kinds).
    static func alignedAtoms(_ raws: [ArraySlice<UInt8>]) -> [[TokenAtom]]? {
        let atoms = raws.map(TokenAtoms.split)
        let shape = atoms[0]
        let aligned = atoms.allSatisfy { a in
            a.count == shape.count && zip(a, shape).allSatisfy { $0.isDelimiter == $1.isDelimiter
                && (!$0.isDelimiter || $0.bytes.elementsEqual($1.bytes)) && $0.kind == $1.kind }
        }
        return aligned ? atoms : nil
    }

    /// A position the miner merged: `<*>`, keeping the delimiters and constant
    /// words that every sample shares there (`user=<*>`, `(<*>)`).
    static func renderMerged(_ raws: [ArraySlice<UInt8>]) -> [UInt8] {
        guard let atoms = alignedAtoms(raws) else { return star }
        var out: [UInt8] = []
        var variables = 0
        for (k, atom) in atoms[0].enumerated() {
            if atom.isDelimiter {
                out.append(contentsOf: atom.bytes)
            } else if atom.isAlwaysVariable || atoms.contains(where: { !$0[k].bytes.elementsEqual(atom.bytes) }) {
                out.append(contentsOf: star)
                variables += 1
            } else {
                out.append(contentsOf: atom.bytes)
            }
        }
        if variables == 0 { return star }
        return absorbExtension(out)
    }

    /// `<*>.exe`, `<*>.log`: a file name whose stem varies is one variable.
    static func absorbExtension(_ t: [UInt8]) -> [UInt8] {
        guard t.count > 4, t.starts(with: star), t[3] == 0x2E else { return t }
        var k = 4
        while k < t.count && TokenMasking.isAlnum(t[k]) { k += 1 }
        guard (2...5).contains(k - 4), t[k...].allSatisfy(TokenMasking.isClosing) else { return t }
        return star + t[k...]
    }

    /// One template position from the raw tokens of the samples there.
    static func renderToken(_ raws: [ArraySlice<UInt8>], masked: [UInt8]) -> [UInt8] {
        guard let atoms = alignedAtoms(raws) else {
            // Samples disagree on the token's structure: the masked form, one `<*>` per variable part.
            return renderMasked(masked)
        }
        let shape = atoms[0]
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

    /// A date written out (`Fri Jun 17 07:07:00 2005`) is one variable, `<*>:<*>:<*>`
    /// as the convention writes a time: weekday, month and day before the time
    /// join it, and so does the year after it when a month name was there.
    static func mergeDates(_ tokens: inout [[UInt8]]) {
        var i = 0
        while i < tokens.count {
            guard isTime(tokens[i]) else { i += 1; continue }
            var first = i
            var named = false
            while first > 0, i - first < 3 {
                let t = tokens[first - 1]
                if t.elementsEqual(star) { first -= 1; continue }
                if CalendarWords.isName(t) { first -= 1; named = true; continue }
                break
            }
            guard named else { i += 1; continue }
            var last = i
            if last + 1 < tokens.count, tokens[last + 1].starts(with: star),
               tokens[last + 1].dropFirst(3).allSatisfy(TokenMasking.isClosing) { last += 1 }
            var merged = tokens[i]
            if last > i { merged.append(contentsOf: tokens[last].dropFirst(3)) }
            tokens.replaceSubrange(first...last, with: [merged])
            i = first + 1
        }
    }

    /// `<*>:<*>:<*>` (a time), maybe with closing punctuation.
    static func isTime(_ t: [UInt8]) -> Bool {
        let time = Array("<*>:<*>:<*>".utf8)
        return t.starts(with: time) && t.dropFirst(time.count).allSatisfy(TokenMasking.isClosing)
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
