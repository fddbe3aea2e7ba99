/// Parses RFC 5424 and RFC 3164 syslog lines.
///
/// Severity from PRI maps to the level (see `Level(syslogSeverity:)`); hostname → context.host, app-name or tag →
/// context.service; PRI, procid, msgid and structured-data params go to `metadata`, except the params
/// requestId/sessionId/userId (and their aliases), which go to context. 3164 lines without a timestamp or host
/// (as Python's SysLogHandler sends them) are accepted; the message is then the rest of the line.
public enum SyslogParser: LineParser {
    public static func looksLikeSyslog(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
        var j = i + 1
        while j < b.count, j - i <= 4, ASCII.isDigit(b[j]) { j += 1 }
        return j > i + 1 && j < b.count && b[j] == UInt8(ascii: ">")
    }

    public static func parse(_ b: UnsafeBufferPointer<UInt8>, into entry: inout ParsedEntry, meta: inout [MetaField],
                             context: ParseContext) -> Bool {
        entry.metaStart = meta.count
        let n = b.count
        var i = 0
        while i < n, ASCII.isWhitespace(b[i]) { i += 1 }
        guard i < n, b[i] == UInt8(ascii: "<") else { return false }
        var pri = 0
        var j = i + 1
        while j < n, ASCII.isDigit(b[j]), j - i <= 3 { pri = pri * 10 + Int(b[j] - 48); j += 1 }
        guard j > i + 1, j < n, b[j] == UInt8(ascii: ">"), pri <= 191 else { return false }
        entry.level = Level(syslogSeverity: pri & 7)
        // The digits as a JSON number: leading zeros (`<013>`) are not allowed in JSON, so they are skipped.
        var digitsStart = i + 1
        while digitsStart < j - 1, b[digitsStart] == 48 { digitsStart += 1 }
        meta.append(MetaField(key: .literal(.pri), value: FieldValue(start: digitsStart, end: j, kind: .jsonValue, clean: true)))
        i = j + 1
        let ok = i + 1 < n && b[i] == UInt8(ascii: "1") && b[i + 1] == ASCII.space
            ? parse5424(b, i + 2, &entry, &meta, context)
            : parse3164(b, i, &entry, &meta, context)
        guard ok else { return false }
        entry.metaCount = meta.count - entry.metaStart
        return true
    }

    /// The next space-delimited token from `i`: its range, or nil for the nil value `-`.
    @inline(__always) private static func token(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> Range<Int>?? {
        let n = b.count
        guard i < n else { return .none }
        let s = i
        while i < n, b[i] != ASCII.space { i += 1 }
        let r = s..<i
        if i < n { i += 1 }
        guard !r.isEmpty else { return .none }
        return .some(r.count == 1 && b[s] == 45 ? nil : r)
    }

    private static func text(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> FieldValue {
        FieldValue(start: r.lowerBound, end: r.upperBound, kind: .text,
                   clean: JSONStringWriter.isClean(b.baseAddress! + r.lowerBound, r.count))
    }

    private static func parse5424(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ entry: inout ParsedEntry,
                                  _ meta: inout [MetaField], _ context: ParseContext) -> Bool {
        var i = start
        guard let ts = token(b, &i) else { return false }
        if let ts {
            guard let t = TimestampParser.parseISO(b, ts.lowerBound, ts.upperBound), t.end == ts.upperBound else {
                return false
            }
            entry.timestampMillis = t.millis
        }
        guard let host = token(b, &i), let app = token(b, &i), let proc = token(b, &i), let msgid = token(b, &i) else {
            return false
        }
        if let host { entry.host = text(b, host) }
        if let app { entry.service = text(b, app) }
        if let proc { meta.append(MetaField(key: .literal(.procid), value: text(b, proc))) }
        if let msgid { meta.append(MetaField(key: .literal(.msgid), value: text(b, msgid))) }
        let n = b.count
        guard i < n else { entry.message = FieldValue(start: n, end: n, kind: .text, clean: true); return true }
        if b[i] == 45 {
            i += 1
        } else {
            guard b[i] == UInt8(ascii: "["), let after = structuredData(b, i, &entry, &meta) else { return false }
            i = after
        }
        if i < n, b[i] == ASCII.space { i += 1 }
        if i + 2 < n, b[i] == 0xef, b[i + 1] == 0xbb, b[i + 2] == 0xbf { i += 3 }
        entry.message = text(b, i..<n)
        return true
    }

    /// `[id k="v" …][id2 …]`; returns the index after the last element.
    private static func structuredData(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ entry: inout ParsedEntry,
                                       _ meta: inout [MetaField]) -> Int? {
        let n = b.count
        var i = start
        while i < n, b[i] == UInt8(ascii: "[") {
            i += 1
            let idStart = i
            while i < n, b[i] != ASCII.space, b[i] != UInt8(ascii: "]") { i += 1 }
            guard i < n, i > idStart else { return nil }
            var params = 0
            while i < n, b[i] == ASCII.space {
                i += 1
                let ks = i
                while i < n, b[i] != ASCII.equals, b[i] != ASCII.space, b[i] != UInt8(ascii: "]") { i += 1 }
                guard i + 1 < n, b[i] == ASCII.equals, b[i + 1] == ASCII.quote, i > ks else { return nil }
                let ke = i
                i += 2
                let vs = i
                var clean = true
                while i < n, b[i] != ASCII.quote {
                    if b[i] == ASCII.backslash { clean = false; i += 1 } else if b[i] < 0x20 || b[i] >= 0x7f { clean = false }
                    i += 1
                }
                guard i < n else { return nil }
                let v = FieldValue(start: vs, end: i, kind: .jsonString, clean: clean)
                i += 1
                params += 1
                if !entry.setContext(FieldKey.classify(b, ks, ke), v) {
                    meta.append(MetaField(key: text(b, ks..<ke), value: v))
                }
            }
            guard i < n, b[i] == UInt8(ascii: "]") else { return nil }
            if params == 0 { meta.append(MetaField(key: text(b, idStart..<i), value: .literal(.trueValue))) }
            i += 1
        }
        return i
    }

    private static func parse3164(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ entry: inout ParsedEntry,
                                  _ meta: inout [MetaField], _ context: ParseContext) -> Bool {
        let n = b.count
        var i = start
        var hasTimestamp = false
        if let t = TimestampParser.parseBSD(b, i, n, referenceMillis: context.readMillis) {
            entry.timestampMillis = t.millis; i = t.end; hasTimestamp = true
        } else if let t = TimestampParser.parseISO(b, i, n) {
            entry.timestampMillis = t.millis; i = t.end; hasTimestamp = true
        }
        if hasTimestamp {
            guard i < n, b[i] == ASCII.space else { return false }
            i += 1
            // HOSTNAME unless the next token is already the tag ("tag:" or "tag[pid]:").
            var k = i
            while k < n, b[k] != ASCII.space, b[k] != ASCII.colon, b[k] != UInt8(ascii: "[") { k += 1 }
            if k < n, b[k] == ASCII.space, k > i {
                entry.host = text(b, i..<k)
                i = k + 1
            }
        }
        i = tag(b, i, &entry, &meta)
        entry.message = text(b, i..<n)
        return true
    }

    /// `tag[pid]: ` or `tag: ` at `i` (no spaces in the tag, ≤ 48 bytes); returns where the message starts.
    private static func tag(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ entry: inout ParsedEntry,
                            _ meta: inout [MetaField]) -> Int {
        let n = b.count
        var k = start
        while k < n, k - start <= 48, b[k] != ASCII.space, b[k] != ASCII.colon, b[k] != UInt8(ascii: "[") { k += 1 }
        guard k > start, k < n, k - start <= 48 else { return start }
        let tagEnd = k
        var pid: Range<Int>?
        if b[k] == UInt8(ascii: "[") {
            let ps = k + 1
            var q = ps
            while q < n, b[q] != UInt8(ascii: "]"), b[q] != ASCII.space { q += 1 }
            guard q < n, b[q] == UInt8(ascii: "]") else { return start }
            pid = ps..<q
            k = q + 1
        }
        guard k < n, b[k] == ASCII.colon else { return start }
        entry.service = text(b, start..<tagEnd)
        if let pid { meta.append(MetaField(key: .literal(.procid), value: text(b, pid))) }
        k += 1
        if k < n, b[k] == ASCII.space { k += 1 }
        return k
    }
}
