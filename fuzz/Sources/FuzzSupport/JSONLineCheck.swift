/// Strict checks of the segment line format for the fuzz targets: every line one JSON object (RFC 8259), valid
/// UTF-8, no raw control character (C0, DEL, C1) anywhere. Returns a description of the first violation.
public enum JSONLineCheck {
    public static func check(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        if bytes.isEmpty { return nil }
        guard bytes.last == 10 else { return "output does not end in a newline" }
        var start = 0
        var lineNo = 0
        for i in 0..<bytes.count where bytes[i] == 10 {
            lineNo += 1
            let line = UnsafeBufferPointer(rebasing: bytes[start..<i])
            if let problem = checkLine(line) { return "line \(lineNo): \(problem): \(String(decoding: line, as: UTF8.self).debugDescription)" }
            start = i + 1
        }
        return nil
    }

    public static func checkLine(_ line: UnsafeBufferPointer<UInt8>) -> String? {
        var i = 0
        while i < line.count {
            let b = line[i]
            if b < 0x20 || b == 0x7f { return "raw control byte 0x\(String(b, radix: 16)) at \(i)" }
            if b >= 0x80 {
                let n = utf8Length(line, i)
                if n == 0 { return "invalid UTF-8 at \(i)" }
                if n == 2, b == 0xc2, line[i + 1] < 0xa0 { return "raw C1 control at \(i)" }
                i += n
            } else { i += 1 }
        }
        var p = JSONParser(b: line)
        p.ws()
        guard p.peek == UInt8(ascii: "{") else { return "not a JSON object" }
        guard p.value(depth: 0) else { return "invalid JSON near byte \(p.i)" }
        p.ws()
        return p.i == line.count ? nil : "trailing bytes after the object at \(p.i)"
    }

    static func utf8Length(_ s: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int {
        let b = s[i]
        let (n, lo, hi): (Int, UInt8, UInt8)
        switch b {
        case 0xc2...0xdf: (n, lo, hi) = (2, 0x80, 0xbf)
        case 0xe0: (n, lo, hi) = (3, 0xa0, 0xbf)
        case 0xe1...0xec, 0xee, 0xef: (n, lo, hi) = (3, 0x80, 0xbf)
        case 0xed: (n, lo, hi) = (3, 0x80, 0x9f)
        case 0xf0: (n, lo, hi) = (4, 0x90, 0xbf)
        case 0xf1...0xf3: (n, lo, hi) = (4, 0x80, 0xbf)
        case 0xf4: (n, lo, hi) = (4, 0x80, 0x8f)
        default: return 0
        }
        guard i + n <= s.count, s[i + 1] >= lo, s[i + 1] <= hi else { return 0 }
        for k in 2..<n where s[i + k] < 0x80 || s[i + k] > 0xbf { return 0 }
        return n
    }
}

struct JSONParser {
    let b: UnsafeBufferPointer<UInt8>
    var i = 0
    init(b: UnsafeBufferPointer<UInt8>) { self.b = b }
    var peek: UInt8? { i < b.count ? b[i] : nil }
    mutating func ws() { while let c = peek, c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d { i += 1 } }
    mutating func lit(_ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard i + n <= b.count else { return false }
        for k in 0..<n where b[i + k] != s.utf8Start[k] { return false }
        i += n
        return true
    }
    mutating func value(depth: Int) -> Bool {
        guard depth < 512 else { return false }
        ws()
        guard let c = peek else { return false }
        switch c {
        case UInt8(ascii: "{"):
            i += 1; ws()
            if peek == UInt8(ascii: "}") { i += 1; return true }
            while true {
                ws()
                guard peek == UInt8(ascii: "\""), string() else { return false }
                ws()
                guard peek == UInt8(ascii: ":") else { return false }
                i += 1
                guard value(depth: depth + 1) else { return false }
                ws()
                if peek == UInt8(ascii: ",") { i += 1; continue }
                if peek == UInt8(ascii: "}") { i += 1; return true }
                return false
            }
        case UInt8(ascii: "["):
            i += 1; ws()
            if peek == UInt8(ascii: "]") { i += 1; return true }
            while true {
                guard value(depth: depth + 1) else { return false }
                ws()
                if peek == UInt8(ascii: ",") { i += 1; continue }
                if peek == UInt8(ascii: "]") { i += 1; return true }
                return false
            }
        case UInt8(ascii: "\""): return string()
        case UInt8(ascii: "t"): return lit("true")
        case UInt8(ascii: "f"): return lit("false")
        case UInt8(ascii: "n"): return lit("null")
        default: return number()
        }
    }
    mutating func string() -> Bool {
        i += 1
        while let c = peek {
            if c == UInt8(ascii: "\"") { i += 1; return true }
            if c < 0x20 { return false }
            if c == UInt8(ascii: "\\") {
                i += 1
                guard let e = peek else { return false }
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"): i += 1
                case UInt8(ascii: "u"):
                    guard i + 4 < b.count else { return false }
                    for k in 1...4 where !isHex(b[i + k]) { return false }
                    i += 5
                default: return false
                }
            } else { i += 1 }
        }
        return false
    }
    func isHex(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) }
    func isDigit(_ c: UInt8?) -> Bool { c.map { $0 >= 48 && $0 <= 57 } ?? false }
    mutating func number() -> Bool {
        if peek == UInt8(ascii: "-") { i += 1 }
        guard isDigit(peek) else { return false }
        if peek == 48 { i += 1 } else { while isDigit(peek) { i += 1 } }
        if peek == UInt8(ascii: ".") { i += 1; guard isDigit(peek) else { return false }; while isDigit(peek) { i += 1 } }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            i += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { i += 1 }
            guard isDigit(peek) else { return false }
            while isDigit(peek) { i += 1 }
        }
        return true
    }
}
