import Foundation

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
        guard var stack, !stack.isEmpty else { return "" }
        // Bytes, not Characters: this runs for every error with a stack.
        return stack.withUTF8 { b -> String in
            var first: Range<Int>?, second: Range<Int>?
            var i = 0
            while i < b.count {
                var end = i
                while end < b.count, b[end] != 0x0A, b[end] != 0x0D { end += 1 }
                var s = i
                while s < end, b[s] == 0x20 || b[s] == 0x09 { s += 1 }
                if s < end {
                    var e = end
                    while e > s, b[e - 1] == 0x20 || b[e - 1] == 0x09 { e -= 1 }
                    let line = UnsafeBufferPointer(rebasing: b[s..<e])
                    if Self.isFrame(line) { return String(decoding: line, as: UTF8.self) }
                    if first == nil { first = s..<end } else { second = s..<end; break }
                }
                i = end + 1
            }
            guard let pick = second ?? first else { return "" }
            return String(decoding: UnsafeBufferPointer(rebasing: b[pick]), as: UTF8.self)
        }
    }

    private static func isFrame(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        func starts(_ p: StaticString) -> Bool {
            let n = p.utf8CodeUnitCount
            return line.count >= n && memcmp(line.baseAddress!, p.utf8Start, n) == 0
        }
        func contains(_ p: StaticString) -> Bool {
            let n = p.utf8CodeUnitCount
            guard line.count >= n else { return false }
            for k in 0...(line.count - n) where line[k] == 0x2E && memcmp(line.baseAddress! + k, p.utf8Start, n) == 0 {
                return true
            }
            return false
        }
        return starts("at ") || starts("File \"") || starts("#0 ") || contains(".go:") || contains(".swift:")
    }
}
