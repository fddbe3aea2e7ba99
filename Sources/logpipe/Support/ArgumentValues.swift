import ArgumentParser
import Foundation
import Pipeline

/// Parsing of flag values with the messages DESIGN.md asks for (`invalid --x "v": expected …`).
enum ArgumentValues {
    /// `64M`, `512K`, `1G`, `4096` (binary multiples).
    static func size(_ text: String, flag: String) throws -> Int {
        let t = text.trimmingCharacters(in: .whitespaces)
        var digits = Substring(t)
        var multiplier = 1
        if digits.count > 2, digits.last == "i" || digits.last == "I", digits.dropLast().last?.isLetter == true {
            digits = digits.dropLast() // 64Mi = 64M (binary either way)
        }
        if let last = digits.last, last.isLetter {
            switch last.uppercased() {
            case "K": multiplier = 1 << 10
            case "M": multiplier = 1 << 20
            case "G": multiplier = 1 << 30
            default: throw ValidationError("invalid \(flag) \"\(text)\": expected a size like 64M (suffix K, M or G)")
            }
            digits = digits.dropLast()
        }
        guard let v = Int(digits), v > 0, v <= Int.max / multiplier else {
            throw ValidationError("invalid \(flag) \"\(text)\": expected a positive size like 64M")
        }
        return v * multiplier
    }

    /// `500ms`, `1s`, `2m`, `1h`, `7d` → milliseconds.
    static func duration(_ text: String, flag: String) throws -> Int {
        let units: [(String, Int)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            if let v = Double(text.dropLast(suffix.count)), v >= 0, v * Double(factor) < 1e12 {
                return Int(v * Double(factor))
            }
        }
        throw ValidationError("invalid \(flag) \"\(text)\": expected a duration like 500ms, 1s or 2m")
    }

    static func positive(_ v: Int, flag: String) throws -> Int {
        guard v > 0 else { throw ValidationError("invalid \(flag) \"\(v)\": expected a number above 0") }
        return v
    }

    /// RFC 3339 (`2026-11-27T09:00:00Z`, a date alone) or relative to now (`90s`, `15m`, `1h`, `7d`).
    static func time(_ text: String, flag: String, now: Int64 = nowMillis()) throws -> Int64 {
        var bytes = Array(text.utf8)
        if let t = bytes.withUnsafeMutableBufferPointer({ b -> Int64? in
            let p = UnsafeBufferPointer(b)
            if let r = TimestampParser.parseISO(p, 0, p.count), r.end == p.count { return r.millis }
            return nil
        }) { return t }
        if text.count == 10, let t = try? time(text + "T00:00:00Z", flag: flag) { return t }
        if text.hasSuffix("d"), let days = Double(text.dropLast()), days >= 0 { return now - Int64(days * 86_400_000) }
        if let ms = try? duration(text, flag: flag) { return now - Int64(ms) }
        throw ValidationError("invalid \(flag) \"\(text)\": expected RFC 3339 time (2026-11-27T09:00:00Z) or an age like 1h")
    }

    static func level(_ text: String, flag: String) throws -> Level {
        guard let l = Level(text) else {
            throw ValidationError("invalid \(flag) \"\(text)\": expected DEBUG, INFO, WARN, ERROR or FATAL")
        }
        return l
    }
}

extension InputFormat: ExpressibleByArgument {}
