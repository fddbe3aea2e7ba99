import Foundation

/// Builds an RFC 5424 message from one entry in the segment line format.
///
/// `<PRI>1 TIMESTAMP HOSTNAME APP-NAME - - [logpipe requestId="…" sessionId="…"] MESSAGE`, facility user (1),
/// severity from the level (FATAL 2, ERROR 3, WARN 4, INFO 6, DEBUG 7). A stack, when present, follows the
/// message on the next line. Header fields are made printable ASCII without spaces, cut to the RFC's lengths.
enum SyslogMessage {
    static let facility = 1

    static func severity(_ level: String) -> Int {
        switch level {
        case "FATAL": 2
        case "ERROR": 3
        case "WARN": 4
        case "INFO": 6
        default: 7
        }
    }

    static func format(_ line: ArraySlice<UInt8>) -> [UInt8] {
        let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] ?? [:]
        let context = object["context"] as? [String: Any] ?? [:]
        let level = object["level"] as? String ?? "ERROR"
        let pri = facility * 8 + severity(level)
        let timestamp = header(object["timestamp"] as? String, max: 32)
        let host = header(context["host"] as? String, max: 255)
        let app = header(context["service"] as? String, max: 48)
        var sd = "[logpipe"
        for key in ["requestId", "sessionId"] {
            if let v = context[key] as? String { sd += " \(key)=\"\(paramValue(v))\"" }
        }
        sd += "]"
        var message = object["message"] as? String ?? String(decoding: line, as: UTF8.self)
        if let stack = object["stack"] as? String, !stack.isEmpty { message += "\n" + stack }
        while message.hasSuffix("\n") { message.removeLast() }
        return Array("<\(pri)>1 \(timestamp) \(host) \(app) - - \(sd) \(message)".utf8)
    }

    /// PRINTUSASCII without spaces, at most `max` characters; "-" (NILVALUE) when empty.
    static func header(_ value: String?, max: Int) -> String {
        guard let value, !value.isEmpty else { return "-" }
        let cleaned = String(value.unicodeScalars.prefix(max).map { (33...126).contains($0.value) ? Character($0) : "_" })
        return cleaned
    }

    /// SD-PARAM value: `"`, `\` and `]` escaped with a backslash.
    static func paramValue(_ v: String) -> String {
        var out = ""
        for c in v {
            if c == "\"" || c == "\\" || c == "]" { out.append("\\") }
            out.append(c)
        }
        return out
    }
}
