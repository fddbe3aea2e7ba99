/// Parses logfmt lines: `ts=… level=error msg="quoted \"text\"" key=value bare_key`.
///
/// Keys map to the model with the same aliases as JSON (`FieldKey`); every other pair goes to `metadata` as a
/// string (a bare key as `true`). An unterminated quote makes the line invalid.
public enum LogfmtParser: LineParser {
    public static func parse(_ line: UnsafeBufferPointer<UInt8>, into entry: inout ParsedEntry, meta: inout [MetaField],
                             context: ParseContext) -> Bool {
        entry.metaStart = meta.count
        let n = line.count
        var i = 0
        var pairs = 0
        while true {
            while i < n, ASCII.isSpace(line[i]) { i += 1 }
            if i >= n { break }
            let ks = i
            while i < n, !ASCII.isSpace(line[i]), line[i] != ASCII.equals, line[i] != ASCII.quote { i += 1 }
            let ke = i
            guard ke > ks else { return false }
            var value = FieldValue.literal(.trueValue)
            if i < n, line[i] == ASCII.equals {
                i += 1
                pairs += 1
                if i < n, line[i] == ASCII.quote {
                    let vs = i + 1
                    var clean = true
                    i = vs
                    while i < n, line[i] != ASCII.quote {
                        let c = line[i]
                        if c == ASCII.backslash {
                            if i + 1 < n, JSONStringWriter.isSimpleEscape(line[i + 1]) { i += 2; continue }
                            clean = false
                            i += 2
                            continue
                        }
                        if c < 0x20 || c >= 0x7f { clean = false }
                        i += 1
                    }
                    guard i < n else { return false }
                    value = FieldValue(start: vs, end: i, kind: .jsonString, clean: clean)
                    i += 1
                } else {
                    let vs = i
                    while i < n, !ASCII.isSpace(line[i]) { i += 1 }
                    value = FieldValue(start: vs, end: i, kind: .text,
                                       clean: JSONStringWriter.isClean(line.baseAddress! + vs, i - vs))
                }
            } else if i < n, line[i] == ASCII.quote {
                return false
            }
            place(line, ks, ke, value, &entry, &meta, context)
        }
        guard pairs > 0 else { return false }
        entry.metaCount = meta.count - entry.metaStart
        return true
    }

    private static func place(_ b: UnsafeBufferPointer<UInt8>, _ ks: Int, _ ke: Int, _ v: FieldValue,
                              _ entry: inout ParsedEntry, _ meta: inout [MetaField], _ context: ParseContext) {
        let key = FieldKey.classify(b, ks, ke)
        var placed = false
        if v.kind != .literal {
            switch key {
            case .timestamp where entry.timestampMillis == nil:
                if let t = TimestampParser.parseAny(b, Int(v.start), Int(v.end), referenceMillis: context.readMillis) {
                    entry.timestampMillis = t
                    placed = true
                }
            case .level where entry.level == nil:
                entry.level = Level(word: UnsafeBufferPointer(rebasing: b[Int(v.start)..<Int(v.end)]))
                placed = entry.level != nil
            case .message where !entry.message.isPresent:
                entry.message = v; placed = true
            case .stack where !entry.stack.isPresent:
                entry.stack = v; placed = true
            default:
                placed = entry.setContext(key, v)
            }
        }
        if !placed {
            let k = FieldValue(start: ks, end: ke, kind: .text, clean: JSONStringWriter.isClean(b.baseAddress! + ks, ke - ks))
            meta.append(MetaField(key: k, value: v))
        }
    }

    /// Cheap detection for `auto`: the line starts with `key=` and holds at least two `key=value` pairs.
    public static func looksLikeLogfmt(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = b.count
        var i = 0
        while i < n, ASCII.isSpace(b[i]) { i += 1 }
        var pairs = 0
        var tokens = 0
        while i < n, tokens < 8 {
            let ks = i
            while i < n, isKeyByte(b[i]) { i += 1 }
            let isPair = i > ks && i < n && b[i] == ASCII.equals
            if tokens == 0 && !isPair { return false }
            if isPair {
                pairs += 1
                i += 1
                if i < n, b[i] == ASCII.quote {
                    i += 1
                    while i < n, b[i] != ASCII.quote { i += b[i] == ASCII.backslash ? 2 : 1 }
                    i += 1
                }
            }
            while i < n, !ASCII.isSpace(b[i]) { i += 1 }
            while i < n, ASCII.isSpace(b[i]) { i += 1 }
            tokens += 1
        }
        return pairs >= 2 && pairs * 2 >= tokens
    }

    @inline(__always) private static func isKeyByte(_ c: UInt8) -> Bool {
        ASCII.isAlpha(c) || ASCII.isDigit(c) || c == UInt8(ascii: "_") || c == UInt8(ascii: ".") ||
            c == UInt8(ascii: "-") || c == UInt8(ascii: "@")
    }
}
