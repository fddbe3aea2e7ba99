/// Parses free text: an optional leading timestamp, a level word among the first tokens, the rest the message.
///
/// Level forms: `ERROR`, `error:`, `[warn]`, `<E>`, `(info)`, `level=error`, `ERROR:root:…` and glog's
/// `E1127 09:00:00.123456`. A lower-case bare word counts only as the first token, so "user error" in a sentence
/// is not a level. Never fails: any line is a valid plain message (no level → INFO, chosen by the encoder).
public enum PlainTextParser: LineParser {
    public static func parse(_ line: UnsafeBufferPointer<UInt8>, into entry: inout ParsedEntry, meta: inout [MetaField],
                             context: ParseContext) -> Bool {
        entry.metaStart = meta.count
        parsePlain(line, into: &entry, meta: &meta, context: context)
        return true
    }

    static func parsePlain(_ b: UnsafeBufferPointer<UInt8>, into entry: inout ParsedEntry, meta: inout [MetaField],
                           context: ParseContext) {
        let n = b.count
        var i = skipSpaces(b, 0)
        if let g = glog(b, i, context) {
            entry.level = g.level
            entry.timestampMillis = g.millis
            i = skipSpaces(b, g.end)
        } else {
            if let t = leadingTimestamp(b, i, context) {
                entry.timestampMillis = t.millis
                i = skipSpaces(b, t.end)
            }
            var s = i
            for index in 0..<3 {
                guard s < n else { break }
                var e = s
                while e < n, !ASCII.isSpace(b[e]) { e += 1 }
                if let found = levelToken(b, s, e, first: index == 0) {
                    entry.level = found.level
                    if index == 0 {
                        i = skipSpaces(b, found.end)
                        if i + 1 < n, b[i] == UInt8(ascii: "-"), b[i + 1] == ASCII.space { i = skipSpaces(b, i + 1) }
                    }
                    break
                }
                s = skipSpaces(b, e)
            }
        }
        var end = n
        while end > i, ASCII.isWhitespace(b[end - 1]) { end -= 1 }
        entry.message = FieldValue(start: i, end: end, kind: .text,
                                   clean: JSONStringWriter.isClean(b.baseAddress! + i, end - i))
        entry.metaCount = meta.count - entry.metaStart
    }

    @inline(__always) static func skipSpaces(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int {
        var i = i
        while i < b.count, ASCII.isSpace(b[i]) { i += 1 }
        return i
    }

    /// ISO or BSD timestamp at `i`, optionally in brackets.
    private static func leadingTimestamp(_ b: UnsafeBufferPointer<UInt8>, _ i: Int,
                                         _ context: ParseContext) -> (millis: Int64, end: Int)? {
        guard i < b.count else { return nil }
        let bracket = b[i] == UInt8(ascii: "[")
        let s = bracket ? i + 1 : i
        guard s < b.count else { return nil }
        var found: (millis: Int64, end: Int)?
        if ASCII.isDigit(b[s]) {
            found = TimestampParser.parseISO(b, s, b.count)
        } else if ASCII.isAlpha(b[s]) {
            found = TimestampParser.parseBSD(b, s, b.count, referenceMillis: context.readMillis)
        }
        guard var t = found else { return nil }
        if bracket {
            guard t.end < b.count, b[t.end] == UInt8(ascii: "]") else { return nil }
            t.end += 1
        }
        guard t.end == b.count || ASCII.isSpace(b[t.end]) || b[t.end] == ASCII.colon else { return nil }
        if t.end < b.count, b[t.end] == ASCII.colon { t.end += 1 }
        return t
    }

    /// glog / klog header: `Lmmdd hh:mm:ss.uuuuuu`.
    private static func glog(_ b: UnsafeBufferPointer<UInt8>, _ i: Int,
                             _ context: ParseContext) -> (level: Level, millis: Int64, end: Int)? {
        guard i + 14 <= b.count else { return nil }
        let level: Level
        switch b[i] {
        case UInt8(ascii: "I"): level = .info
        case UInt8(ascii: "W"): level = .warn
        case UInt8(ascii: "E"): level = .error
        case UInt8(ascii: "F"): level = .fatal
        default: return nil
        }
        for k in 1...4 where !ASCII.isDigit(b[i + k]) { return nil }
        guard b[i + 5] == ASCII.space, b[i + 8] == ASCII.colon, b[i + 11] == ASCII.colon else { return nil }
        let month = Int(b[i + 1] - 48) * 10 + Int(b[i + 2] - 48)
        let day = Int(b[i + 3] - 48) * 10 + Int(b[i + 4] - 48)
        func two(_ k: Int) -> Int? {
            let x = b[k] &- 48, y = b[k + 1] &- 48
            return x < 10 && y < 10 ? Int(x) * 10 + Int(y) : nil
        }
        guard (1...12).contains(month), (1...31).contains(day), let h = two(i + 6), let m = two(i + 9),
              let s = two(i + 12), h < 24, m < 60, s < 61 else { return nil }
        var j = i + 14
        var millis = 0, digits = 0
        if j < b.count, b[j] == 46 {
            j += 1
            while j < b.count, ASCII.isDigit(b[j]) { if digits < 3 { millis = millis * 10 + Int(b[j] - 48) }; digits += 1; j += 1 }
            while digits < 3 { millis *= 10; digits += 1 }
        }
        let year = CivilTime.date(days: Int(context.readMillis / 86_400_000)).year
        var t = CivilTime.epochMillis(year: year, month: month, day: day, hour: h, minute: m, second: min(s, 59),
                                      millis: millis)
        if t > context.readMillis + 86_400_000 {
            t = CivilTime.epochMillis(year: year - 1, month: month, day: day, hour: h, minute: m, second: min(s, 59),
                                      millis: millis)
        }
        return (level, t, j)
    }

    /// A level in token `[s, e)`; `end` is where the message may start when the token is removed.
    static func levelToken(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int,
                           first: Bool) -> (level: Level, end: Int)? {
        guard e > s else { return nil }
        var ws = s, we = e
        var strong = false
        let open = b[s], close = b[e - 1]
        if e - s >= 3, (open == UInt8(ascii: "[") && close == UInt8(ascii: "]")) ||
            (open == UInt8(ascii: "<") && close == UInt8(ascii: ">")) ||
            (open == UInt8(ascii: "(") && close == UInt8(ascii: ")")) {
            ws += 1; we -= 1; strong = true
        } else if let eq = (s..<e).first(where: { b[$0] == ASCII.equals }) {
            guard b.equalsIgnoringCase(s, eq, "level") || b.equalsIgnoringCase(s, eq, "lvl") ||
                b.equalsIgnoringCase(s, eq, "severity") || b.equalsIgnoringCase(s, eq, "loglevel") else { return nil }
            ws = eq + 1; strong = true
            if ws < we, b[ws] == ASCII.quote, b[we - 1] == ASCII.quote, we - ws >= 2 { ws += 1; we -= 1 }
        } else if let colon = (s..<e).first(where: { b[$0] == ASCII.colon }) {
            we = colon
            if colon + 1 < e, !isUpper(b, s, we) { return nil } // "ERROR:root:msg" only in capitals
        }
        guard we > ws else { return nil }
        if we - ws < 3 && !(strong && open != UInt8(ascii: "(")) { return nil }
        if !strong && !first && !isUpper(b, ws, we) { return nil }
        guard let level = Level(word: UnsafeBufferPointer(rebasing: b[ws..<we])) else { return nil }
        let end = we < e && b[we] == ASCII.colon && !strong ? we + 1 : e
        return (level, end)
    }

    private static func isUpper(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
        for k in s..<e where b[k] &- 65 >= 26 { return false }
        return true
    }
}
