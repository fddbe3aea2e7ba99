import Foundation

/// Reads ``AnalysisEntry`` values from JSON lines by scanning their bytes: the fields `logpipe analyze` needs,
/// nothing else decoded, service and environment names shared between entries.
///
/// Accepts any JSON object (keys in any order, any extra fields, nested values skipped); gives the same entry
/// as ``AnalysisEntry/init(jsonLine:)`` for the segment line format. With ``analysisFieldsOnly`` only what
/// ``LogAnalysis`` reads is decoded: message and stack of ERROR and FATAL entries, the user of user actions,
/// metric and value of performance entries (the rest are left empty or nil). One scanner per thread.
public struct AnalysisEntryScanner: Sendable {
    public var analysisFieldsOnly: Bool
    private var names = NameTable()

    public init(analysisFieldsOnly: Bool = false) { self.analysisFieldsOnly = analysisFieldsOnly }

    /// The entry on one line (without its LF); nil when it is not a JSON object with a parseable `timestamp`
    /// and `level`.
    public mutating func entry(_ line: UnsafeBufferPointer<UInt8>) -> AnalysisEntry? {
        guard let base = line.baseAddress else { return nil }
        var s = JSONCursor(p: base, n: line.count)
        var fields = Fields()
        guard s.object({ key, s in
            switch key {
            case .timestamp: fields.timestamp = s.stringRange()
            case .level: fields.level = s.stringRange()
            case .message: fields.message = s.stringRange()
            case .stack: fields.stack = s.stringRange()
            case .context:
                guard s.atObject else { return s.skip() }
                return s.object { key, s in
                    switch key {
                    case .service: fields.service = s.stringRange()
                    case .environment: fields.environment = s.stringRange()
                    case .userId: fields.userId = s.textRange()
                    default: return s.skip()
                    }
                    return true
                }
            case .metadata:
                guard s.atObject else { return s.skip() }
                return s.object { key, s in
                    switch key {
                    case .type: fields.type = s.stringRange()
                    case .metric: fields.metric = s.textRange()
                    case .value: fields.value = s.textRange()
                    case .action: fields.action = s.textRange()
                    default: return s.skip()
                    }
                    return true
                }
            default: return s.skip()
            }
            return true
        }) else { return nil }
        s.whitespace()
        guard s.i == s.n, let ts = fields.timestamp, !ts.escaped, let lv = fields.level, !lv.escaped else { return nil }
        let b = UnsafeBufferPointer(start: base, count: line.count)
        guard let time = TimestampParser.parseISO(b, ts.start, ts.end), time.end == ts.end,
              let level = Level(word: UnsafeBufferPointer(rebasing: b[lv.start..<lv.end])) else { return nil }
        let type = fields.type.map { names.name(s, $0) }
        let all = !analysisFieldsOnly
        let error = all || level >= .error
        let action = all || type == "user_action", performance = all || type == "performance"
        return AnalysisEntry(
            timestampMillis: time.millis, level: level, message: error ? fields.message.map { s.string($0) } ?? "" : "",
            service: fields.service.map { names.name(s, $0) } ?? "unknown",
            environment: fields.environment.map { names.name(s, $0) } ?? "unknown",
            userId: action ? fields.userId.map { s.string($0) } : nil, stack: error ? fields.stack.map { s.string($0) } : nil,
            type: type, metric: performance ? fields.metric.map { names.name(s, $0) } : nil,
            value: performance ? fields.value.flatMap { v in Double(s.string(v)) } : nil,
            action: action ? fields.action.map { names.name(s, $0) } : nil)
    }

    struct Fields {
        var timestamp, level, message, stack, service, environment, userId, type, metric, value, action: JSONCursor.Span?
    }

    /// Short strings that repeat (service names, metric names, …) made once: the last few looked up by their
    /// bytes first, then a table by hash.
    struct NameTable: Sendable {
        private var table: [UInt64: String] = [:]
        private var recent: [(bytes: [UInt8], name: String)] = []
        private var next = 0

        mutating func name(_ s: JSONCursor, _ span: JSONCursor.Span) -> String {
            guard !span.escaped, span.end - span.start <= 64 else { return s.string(span) }
            let len = span.end - span.start
            for r in recent where r.bytes.count == len {
                if r.bytes.withUnsafeBufferPointer({ memcmp($0.baseAddress!, s.p + span.start, len) }) == 0 { return r.name }
            }
            let made = lookup(s, span)
            let entry = (Array(UnsafeBufferPointer(start: s.p + span.start, count: len)), made)
            if recent.count < 16 { recent.append(entry) } else { recent[next] = entry; next = (next + 1) % 16 }
            return made
        }

        private mutating func lookup(_ s: JSONCursor, _ span: JSONCursor.Span) -> String {
            let h = FNV1a.hash(UnsafeRawBufferPointer(start: s.p + span.start, count: span.end - span.start))
            if let known = table[h], known.utf8.elementsEqual(UnsafeBufferPointer(start: s.p + span.start, count: span.end - span.start)) {
                return known
            }
            let made = s.string(span)
            if table.count < 4096 { table[h] = made }
            return made
        }
    }
}
