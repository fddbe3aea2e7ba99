/// A log entry's severity, ordered DEBUG < INFO < WARN < ERROR < FATAL.
///
/// Parsing is case-insensitive and knows the usual aliases (`warning`, `err`, `critical`, `panic`, `trace` …);
/// syslog severities map per RFC 5424 (emerg/alert/crit → FATAL, err → ERROR, warning → WARN, notice/info → INFO).
public enum Level: UInt8, Comparable, CaseIterable, Sendable {
    case debug = 0, info, warn, error, fatal

    public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }

    /// The name written in segments: `DEBUG`, `INFO`, `WARN`, `ERROR`, `FATAL`.
    public var name: String {
        switch self {
        case .debug: "DEBUG"
        case .info: "INFO"
        case .warn: "WARN"
        case .error: "ERROR"
        case .fatal: "FATAL"
        }
    }

    /// Parses a level word (any case, usual aliases); nil when the word is not a level.
    public init?(_ text: String) {
        var bytes = Array(text.utf8)
        guard let level = bytes.withUnsafeMutableBufferPointer({ Level(word: UnsafeBufferPointer($0)) }) else { return nil }
        self = level
    }

    /// Parses a level word from raw bytes without allocating.
    public init?(word: UnsafeBufferPointer<UInt8>) {
        let n = word.count
        guard n >= 1, n <= 13 else { return nil }
        // Pack the lower-cased word into an integer so matching is a switch on constants.
        var key: UInt64 = 0
        for i in 0..<min(n, 8) { key = key << 8 | UInt64(word[i] | 0x20) }
        if n > 8 {
            // Only "informational" (13) and "emergency" (9) are longer than 8 bytes.
            let lower = word.map { $0 | 0x20 }
            if lower.elementsEqual("informational".utf8) { self = .info; return }
            if lower.elementsEqual("emergency".utf8) { self = .fatal; return }
            return nil
        }
        switch key {
        case Level.pack("debug"), Level.pack("dbg"), Level.pack("trace"), Level.pack("trc"),
             Level.pack("verbose"), Level.pack("d"), Level.pack("t"), Level.pack("v"):
            self = .debug
        case Level.pack("info"), Level.pack("inf"), Level.pack("notice"), Level.pack("i"), Level.pack("n"):
            self = .info
        case Level.pack("warn"), Level.pack("warning"), Level.pack("wrn"), Level.pack("w"):
            self = .warn
        case Level.pack("error"), Level.pack("err"), Level.pack("eror"), Level.pack("e"), Level.pack("severe"):
            self = .error
        case Level.pack("fatal"), Level.pack("critical"), Level.pack("crit"), Level.pack("panic"),
             Level.pack("emerg"), Level.pack("alert"), Level.pack("ftl"), Level.pack("f"), Level.pack("c"):
            self = .fatal
        default:
            return nil
        }
    }

    /// RFC 5424 severity (0…7) to level.
    public init(syslogSeverity s: Int) {
        switch s {
        case ...2: self = .fatal
        case 3: self = .error
        case 4: self = .warn
        case 5, 6: self = .info
        default: self = .debug
        }
    }

    private static func pack(_ s: StaticString) -> UInt64 {
        var key: UInt64 = 0
        s.withUTF8Buffer { for b in $0 { key = key << 8 | UInt64(b | 0x20) } }
        return key
    }
}
