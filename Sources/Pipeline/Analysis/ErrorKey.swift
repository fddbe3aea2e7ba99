/// What makes two errors "the same error": their message template and the first frame of their stack.
public struct ErrorKey: Hashable, Sendable, CustomStringConvertible {
    /// Group id of the message template in the ``TemplateMiner`` that made the key.
    public var group: Int
    /// The first stack frame, trimmed; empty when the entry has no stack.
    public var frame: String

    public init(group: Int, frame: String) {
        self.group = group
        self.frame = frame
    }

    public var description: String { frame.isEmpty ? "#\(group)" : "#\(group) @ \(frame)" }

    /// The first frame of a stack trace: the first line (trimmed) that looks like a
    /// frame — `at ...` (Java, JavaScript, .NET), `File "...", line N` (Python),
    /// `#0 ...` (C, PHP), `go.func(...)` lines with a `.go:` position — else the
    /// second non-empty line (the first usually names the exception), else the first.
    public static func firstFrame(of stack: String?) -> String {
        guard let stack, !stack.isEmpty else { return "" }
        var lines: [Substring] = []
        for raw in stack.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let line = raw.drop(while: { $0 == " " || $0 == "\t" })
            guard !line.isEmpty else { continue }
            if line.hasPrefix("at ") || line.hasPrefix("File \"") || line.hasPrefix("#0 ")
                || line.contains(".go:") || line.contains(".swift:") {
                return String(line.reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
            }
            lines.append(line)
            if lines.count >= 2 { break }
        }
        return lines.count >= 2 ? String(lines[1]) : String(lines.first ?? "")
    }
}
