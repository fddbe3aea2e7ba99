/// JSON validation for inputs that receive whole documents (an HTTP body of NDJSON or a JSON array), with the
/// same strict scanner the parse stage uses, so what an input accepts as JSON is exactly what parses as JSON.
public enum JSONDocument {
    /// The bounds of the one JSON value in `b[from..<to]` (whitespace around it allowed), nil when that is not
    /// exactly one valid value.
    public static func value(_ b: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Range<Int>? {
        let s = JSONScanner(b: UnsafeBufferPointer(rebasing: b[from..<to]))
        let start = s.skipWS(0)
        guard let v = s.value(start), s.skipWS(v.end) == s.n else { return nil }
        return (from + start)..<(from + v.end)
    }

    /// The element bounds of the JSON array that is all of `b` (whitespace around it allowed); nil when `b` is not
    /// an array, or `invalidAt` (the element's index) for the first element that is not a valid value.
    public static func arrayElements(_ b: UnsafeBufferPointer<UInt8>) -> Result<[Range<Int>], ArrayFailure> {
        let s = JSONScanner(b: b)
        var i = s.skipWS(0)
        guard i < s.n, b[i] == UInt8(ascii: "[") else { return .failure(.notAnArray) }
        var elements: [Range<Int>] = []
        i = s.skipWS(i + 1)
        if i < s.n, b[i] == UInt8(ascii: "]") {
            return s.skipWS(i + 1) == s.n ? .success([]) : .failure(.trailingBytes)
        }
        while true {
            guard let v = s.value(i, depth: 1) else { return .failure(.invalidElement(elements.count)) }
            elements.append(i..<v.end)
            i = s.skipWS(v.end)
            guard i < s.n else { return .failure(.unterminated) }
            if b[i] == UInt8(ascii: ",") { i = s.skipWS(i + 1); continue }
            if b[i] == UInt8(ascii: "]") { break }
            return .failure(.invalidElement(elements.count - 1))
        }
        return s.skipWS(i + 1) == s.n ? .success(elements) : .failure(.trailingBytes)
    }

    public enum ArrayFailure: Error, Equatable {
        case notAnArray, unterminated, trailingBytes
        /// The element at this index (from 0) is not valid JSON.
        case invalidElement(Int)
    }
}
