/// Byte constants and classification used by the scanners.
@usableFromInline enum ASCII {
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let newline = UInt8(ascii: "\n")
    static let cr = UInt8(ascii: "\r")
    static let equals = UInt8(ascii: "=")
    static let colon = UInt8(ascii: ":")
    static let comma = UInt8(ascii: ",")

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b &- 48 < 10 }
    @inline(__always) static func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 }
    @inline(__always) static func isWhitespace(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 10 || b == 13 }
    @inline(__always) static func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) &- 97 < 26 }
}

extension UnsafeBufferPointer where Element == UInt8 {
    /// Whether bytes `[from, to)` equal `literal`, ignoring ASCII case.
    @inline(__always) func equalsIgnoringCase(_ from: Int, _ to: Int, _ literal: StaticString) -> Bool {
        guard to - from == literal.utf8CodeUnitCount else { return false }
        let l = literal.utf8Start
        for i in 0..<(to - from) where self[from + i] | 0x20 != l[i] | 0x20 { return false }
        return true
    }

    /// Whether bytes `[from, to)` equal `literal` exactly.
    @inline(__always) func equals(_ from: Int, _ to: Int, _ literal: StaticString) -> Bool {
        guard to - from == literal.utf8CodeUnitCount else { return false }
        return memcmp(baseAddress! + from, literal.utf8Start, to - from) == 0
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
