import Foundation
import Pipeline

/// Renders segment lines as one readable line per entry: `time LEVEL service message key=value…`, the level
/// colored on a terminal. Every control character from the data is shown escaped (`\n`, `\u001b`), so a message
/// can neither break the line nor color the terminal.
final class TextRenderer {
    let colors: Bool

    init(colors: Bool) { self.colors = colors }

    func render(_ lines: UnsafeBufferPointer<UInt8>, to out: ByteBuffer) {
        guard let base = lines.baseAddress else { return }
        var start = 0
        while start < lines.count {
            let nl = memchr(base + start, 10, lines.count - start)
            let end = nl.map { base.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? lines.count
            renderLine(Data(bytes: base + start, count: end - start), to: out)
            start = end + 1
        }
    }

    private func renderLine(_ data: Data, to out: ByteBuffer) {
        guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            out.append(string: "(unreadable entry) " + Self.visible(String(decoding: data, as: UTF8.self)) + "\n")
            return
        }
        let level = obj["level"] as? String ?? "INFO"
        let context = obj["context"] as? [String: Any] ?? [:]
        var line = (obj["timestamp"] as? String ?? "") + " "
        line += colors ? Self.color(level) + level.padding(toLength: 5, withPad: " ", startingAt: 0) + "\u{1b}[0m"
                       : level.padding(toLength: 5, withPad: " ", startingAt: 0)
        line += " [" + Self.visible(context["service"] as? String ?? "-") + "] "
        line += Self.visible(obj["message"] as? String ?? "")
        if let meta = obj["metadata"] as? [String: Any] {
            for key in meta.keys.sorted() { line += " " + Self.visible(key) + "=" + Self.visible(Self.describe(meta[key]!)) }
        }
        if let stack = obj["stack"] as? String { line += " stack=" + Self.visible(stack) }
        out.append(string: line + "\n")
    }

    private static func describe(_ v: Any) -> String {
        if let s = v as? String { return s }
        if JSONSerialization.isValidJSONObject(v), let d = try? JSONSerialization.data(withJSONObject: v, options: [.sortedKeys]) {
            return String(decoding: d, as: UTF8.self)
        }
        return "\(v)"
    }

    /// Escapes control characters (C0, DEL, C1) so data cannot act on the terminal.
    static func visible(_ s: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(s.unicodeScalars.count)
        for u in s.unicodeScalars {
            switch u.value {
            case 0x0a: out += "\\n"
            case 0x0d: out += "\\r"
            case 0x09: out += "\\t"
            case 0..<0x20, 0x7f, 0x80..<0xa0: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    private static func color(_ level: String) -> String {
        switch level {
        case "DEBUG": "\u{1b}[2m"
        case "WARN": "\u{1b}[33m"
        case "ERROR": "\u{1b}[31m"
        case "FATAL": "\u{1b}[1;31m"
        default: "\u{1b}[32m"
        }
    }
}
