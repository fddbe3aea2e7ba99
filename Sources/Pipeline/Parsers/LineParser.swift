/// The input format of a line: set by `--format`, or detected per line (`auto`).
public enum InputFormat: String, CaseIterable, Sendable {
    case auto, json, logfmt, syslog, plain
}

/// What every parser gets besides the line.
public struct ParseContext {
    /// When the line was read (epoch ms): fills a missing timestamp and dates BSD syslog lines.
    public var readMillis: Int64
    /// The parsing thread's RFC 3339 minute cache (owned by the caller), when it keeps one.
    public var minutes: UnsafeMutablePointer<MinuteCache>?
    public init(readMillis: Int64, minutes: UnsafeMutablePointer<MinuteCache>? = nil) {
        self.readMillis = readMillis
        self.minutes = minutes
    }
}

/// A parser of one line format.
///
/// `parse` fills `entry` (ranges into `line`) and appends unmapped fields to `meta`; it returns false when the line
/// is not in its format, leaving `entry` and `meta` as they were (the caller then falls back to plain text).
public protocol LineParser {
    static func parse(_ line: UnsafeBufferPointer<UInt8>, into entry: inout ParsedEntry, meta: inout [MetaField],
                      context: ParseContext) -> Bool
}

/// Detects the format of a line and runs the right parser; a line that fails its format becomes plain text with
/// `metadata.parseError` (counted by the caller through `entry.parseError`).
public enum FormatDispatcher {
    public static func parse(_ line: UnsafeBufferPointer<UInt8>, format: InputFormat, into entry: inout ParsedEntry,
                             meta: inout [MetaField], context: ParseContext) {
        // A UTF-8 byte-order mark (first line of a file written by some Windows tools) is not content.
        if line.count >= 3, line[0] == 0xef, line[1] == 0xbb, line[2] == 0xbf {
            let rest = UnsafeBufferPointer(rebasing: line[3...])
            parse(rest, format: format, into: &entry, meta: &meta, context: context)
            return
        }
        let metaMark = meta.count
        var failure: MetaLiteral?
        switch format {
        case .json:
            if JSONLineParser.parse(line, into: &entry, meta: &meta, context: context) { return }
            failure = .invalidJSON
        case .logfmt:
            if LogfmtParser.parse(line, into: &entry, meta: &meta, context: context) { return }
            failure = .invalidLogfmt
        case .syslog:
            if SyslogParser.parse(line, into: &entry, meta: &meta, context: context) { return }
            failure = .invalidSyslog
        case .plain:
            break
        case .auto:
            var i = 0
            while i < line.count, ASCII.isWhitespace(line[i]) { i += 1 }
            if i < line.count, line[i] == UInt8(ascii: "{") {
                if JSONLineParser.parse(line, into: &entry, meta: &meta, context: context) { return }
                failure = .invalidJSON
            } else if i < line.count, line[i] == UInt8(ascii: "<"), SyslogParser.looksLikeSyslog(line, i) {
                if SyslogParser.parse(line, into: &entry, meta: &meta, context: context) { return }
                failure = .invalidSyslog
            } else if LogfmtParser.looksLikeLogfmt(line) {
                if LogfmtParser.parse(line, into: &entry, meta: &meta, context: context) { return }
            }
        }
        entry = ParsedEntry()
        meta.removeSubrange(metaMark...)
        entry.metaStart = metaMark
        PlainTextParser.parsePlain(line, into: &entry, meta: &meta, context: context)
        if let failure {
            entry.parseError = true
            meta.append(MetaField(key: .literal(.parseError), value: .literal(failure)))
            entry.metaCount = meta.count - entry.metaStart
        }
    }
}
