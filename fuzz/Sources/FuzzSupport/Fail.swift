#if canImport(Glibc)
import Glibc
#endif

/// Reports a property violation and aborts, so libFuzzer saves the input as a crash.
public func fuzzFail(_ message: String) -> Never {
    let text = Array("FUZZ PROPERTY VIOLATED: \(message)\n".utf8)
    _ = text.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    abort()
}
