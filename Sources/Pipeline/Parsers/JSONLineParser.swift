/// Parses a JSON object line into the entry model.
///
/// Known keys (and their usual aliases, see `FieldKey`) map to the model; `context` members map to context slots;
/// `metadata` members and every other key are kept under `metadata`. A value of the wrong shape for its slot
/// (e.g. an unreadable timestamp) is kept under `metadata` too: nothing from the input is lost.
///
/// The top-level and `context` objects are walked by hand rather than through `JSONScanner.members`: this is the
/// hottest loop of the pipeline, and a closure call per member showed in profiles (whether these two objects are
/// clean does not matter: only their members are copied). Each member's key is first compared with the keys of
/// the segment line format expected next (`CanonicalKeys`), the general key scan only when that fails.
public enum JSONLineParser: LineParser {
    public static func parse(_ line: UnsafeBufferPointer<UInt8>, into entry: inout ParsedEntry, meta: inout [MetaField],
                             context: ParseContext) -> Bool {
        let s = JSONScanner(b: line)
        let n = line.count
        entry.metaStart = meta.count
        var j = s.skipWS(0)
        guard j < n, line[j] == UInt8(ascii: "{") else { return false }
        j = s.skipWS(j + 1)
        if j < n, line[j] == UInt8(ascii: "}") {
            j += 1
        } else {
            var expected = 0
            while true {
                guard let (key, ks, ke, kc, vs) = member(s, j, context: false, &expected) else { return false }
                let end: Int
                if key == .context, line[vs] == UInt8(ascii: "{") {
                    guard let e = scanContext(line, s, vs, &entry, &meta) else { return false }
                    end = e
                } else {
                    guard let v = s.anyValue(vs, depth: 1) else { return false }
                    assign(line, key, ks, ke, kc, vs, v.end, v.clean, &entry, &meta, context)
                    end = v.end
                }
                guard let next = s.memberTail(end) else { return false }
                if next.closed { j = next.index; break }
                j = next.index
            }
        }
        guard s.skipWS(j) == n else { return false }
        entry.metaCount = meta.count - entry.metaStart
        return true
    }

    /// The member head at `j`: its key as a model field, the key's bounds (without quotes) and cleanness, and where
    /// its value starts. The key expected next in the segment line order is tried first (`CanonicalKeys`), the
    /// general scan and `FieldKey.classify` only when it is not there.
    @inline(__always)
    private static func member(_ s: JSONScanner, _ j: Int, context: Bool, _ expected: inout Int)
        -> (key: FieldKey, keyStart: Int, keyEnd: Int, keyClean: Bool, value: Int)? {
        if let h = CanonicalKeys.head(s, j, context: context, next: &expected) {
            return (h.key, h.keyStart, h.keyEnd, true, h.value)
        }
        guard let head = s.memberHead(j) else { return nil }
        return (FieldKey.classify(s.b, head.keyStart, head.keyEnd), head.keyStart, head.keyEnd, head.keyClean,
                head.value)
    }

    /// Scans the `context` object once, placing its members in context slots or, when unknown, in metadata;
    /// returns the index after it.
    @inline(__always)
    private static func scanContext(_ b: UnsafeBufferPointer<UInt8>, _ s: JSONScanner, _ i: Int,
                                    _ entry: inout ParsedEntry, _ meta: inout [MetaField]) -> Int? {
        var j = s.skipWS(i + 1)
        if j < b.count, b[j] == UInt8(ascii: "}") { return j + 1 }
        var expected = 0
        while true {
            guard let (ck, ks, ke, kc, vs) = member(s, j, context: true, &expected),
                  let v = s.anyValue(vs, depth: 2) else { return nil }
            if !scalarContext(b, ck, vs, v.end, v.clean, &entry) {
                meta.append(MetaField(key: FieldValue(start: ks, end: ke, kind: .jsonString, clean: kc),
                                      value: FieldValue(start: vs, end: v.end, kind: .jsonValue, clean: v.clean)))
            }
            guard let next = s.memberTail(v.end) else { return nil }
            if next.closed { return next.index }
            j = next.index
        }
    }
    /// Places one top-level member in the model, or in metadata when it does not fit.
    @inline(__always)
    private static func assign(_ b: UnsafeBufferPointer<UInt8>, _ key: FieldKey, _ ks: Int, _ ke: Int, _ kc: Bool,
                               _ vs: Int, _ ve: Int, _ vc: Bool, _ entry: inout ParsedEntry, _ meta: inout [MetaField],
                               _ context: ParseContext) {
        let isString = b[vs] == 0x22
        let asString = FieldValue(start: vs + 1, end: ve - 1, kind: .jsonString, clean: vc)
        var placed = false
        switch key {
        case .timestamp where entry.timestampMillis == nil:
            let t = isString ? TimestampParser.parseAny(b, vs + 1, ve - 1, referenceMillis: context.readMillis,
                                                                    cache: context.minutes)
                             : TimestampParser.parseEpoch(b, vs, ve)
            if let t { entry.timestampMillis = t; placed = true }
        case .level where entry.level == nil:
            entry.level = isString ? Level(word: UnsafeBufferPointer(rebasing: b[(vs + 1)..<(ve - 1)]))
                                   : numericLevel(b, vs, ve)
            placed = entry.level != nil
        case .message where !entry.message.isPresent:
            entry.message = isString ? asString : FieldValue(start: vs, end: ve, kind: .jsonValue, clean: vc)
            placed = true
        case .stack where !entry.stack.isPresent && isString:
            entry.stack = asString
            placed = true
        case .metadata where b[vs] == UInt8(ascii: "{"):
            meta.append(MetaField(key: .none, value: FieldValue(start: vs + 1, end: ve - 1, kind: .members, clean: vc)))
            placed = true
        case .service, .version, .environment, .host, .userId, .sessionId, .requestId:
            placed = scalarContext(b, key, vs, ve, vc, &entry)
        default:
            break
        }
        if !placed {
            meta.append(MetaField(key: FieldValue(start: ks, end: ke, kind: .jsonString, clean: kc),
                                  value: FieldValue(start: vs, end: ve, kind: .jsonValue, clean: vc)))
        }
    }

    /// Puts a string or number value into a context slot; null counts as placed (it is an absent value).
    @inline(__always)
    private static func scalarContext(_ b: UnsafeBufferPointer<UInt8>, _ key: FieldKey, _ vs: Int, _ ve: Int,
                                      _ vc: Bool, _ entry: inout ParsedEntry) -> Bool {
        let c = b[vs]
        if c == 0x22 {
            return entry.setContext(key, FieldValue(start: vs + 1, end: ve - 1, kind: .jsonString, clean: vc))
        }
        if c == 45 || ASCII.isDigit(c) {
            return entry.setContext(key, FieldValue(start: vs, end: ve, kind: .text, clean: true))
        }
        if c == UInt8(ascii: "n") { return key != .other }
        return false
    }

    /// Numeric levels: syslog severities 0–7, or pino/bunyan's 10–60.
    private static func numericLevel(_ b: UnsafeBufferPointer<UInt8>, _ vs: Int, _ ve: Int) -> Level? {
        guard ve - vs <= 2 else { return nil }
        var v = 0
        for i in vs..<ve { guard ASCII.isDigit(b[i]) else { return nil }; v = v * 10 + Int(b[i] - 48) }
        switch v {
        case 0...7: return Level(syslogSeverity: v)
        case 10, 20: return .debug
        case 30: return .info
        case 40: return .warn
        case 50: return .error
        case 60: return .fatal
        default: return nil
        }
    }
}
