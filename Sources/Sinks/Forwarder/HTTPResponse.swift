/// An HTTP/1.1 response read off a socket: status, whether the connection may be reused, and where it ends.
///
/// Pure parsing over the bytes received so far (no socket), so it is tested without one.
struct HTTPResponse: Equatable {
    var status: Int
    var keepAlive: Bool
    /// Bytes of the response (head and body) in the buffer.
    var length: Int
    /// The `Retry-After` header's value, when the answer has one.
    var retryAfter: String? = nil

    enum ParseError: Error, Equatable { case malformed(String) }

    /// The first complete non-1xx response at the start of `bytes`; nil when more bytes are needed.
    /// `closed`: the peer closed the connection (ends a body without length).
    static func parse(_ bytes: [UInt8], closed: Bool) throws -> HTTPResponse? {
        var start = 0
        while true {
            guard let headEnd = find(bytes, [13, 10, 13, 10], from: start) else {
                if closed { throw ParseError.malformed("connection closed before the response head ended") }
                return nil
            }
            let head = String(decoding: bytes[start..<headEnd], as: UTF8.self)
            var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
            let statusParts = lines.removeFirst().split(separator: " ", maxSplits: 2)
            guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
                throw ParseError.malformed("bad status line")
            }
            var headers: [String: String] = [:]
            for line in lines {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: " \t")
            }
            let bodyStart = headEnd + 4
            if (100..<200).contains(status) { start = bodyStart; continue } // 100 Continue: the real answer follows
            let http10 = statusParts[0] == "HTTP/1.0"
            let connection = headers["connection"]?.lowercased() ?? ""
            var keepAlive = http10 ? connection.contains("keep-alive") : !connection.contains("close")
            let bodyEnd: Int?
            if status == 204 || status == 304 {
                bodyEnd = bodyStart
            } else if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
                bodyEnd = try chunkedEnd(bytes, from: bodyStart)
            } else if let cl = headers["content-length"] {
                guard let n = Int(cl), n >= 0 else { throw ParseError.malformed("bad Content-Length \(cl)") }
                bodyEnd = bytes.count - bodyStart >= n ? bodyStart + n : nil
            } else {
                keepAlive = false
                bodyEnd = closed ? bytes.count : nil
            }
            guard let end = bodyEnd else {
                if closed { throw ParseError.malformed("connection closed inside the response body") }
                return nil
            }
            return HTTPResponse(status: status, keepAlive: keepAlive, length: end, retryAfter: headers["retry-after"])
        }
    }

    /// End of a chunked body (after the trailers), nil when incomplete.
    private static func chunkedEnd(_ b: [UInt8], from: Int) throws -> Int? {
        var pos = from
        while true {
            guard let lineEnd = find(b, [13, 10], from: pos) else { return nil }
            let sizeText = String(decoding: b[pos..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: " \t"), radix: 16), size >= 0 else {
                throw ParseError.malformed("bad chunk size")
            }
            pos = lineEnd + 2
            if size == 0 {
                // Trailers, then an empty line.
                while true {
                    guard let e = find(b, [13, 10], from: pos) else { return nil }
                    if e == pos { return e + 2 }
                    pos = e + 2
                }
            }
            guard b.count - pos >= size + 2 else { return nil }
            pos += size + 2
        }
    }

    static func find(_ b: [UInt8], _ needle: [UInt8], from: Int) -> Int? {
        guard b.count >= needle.count, from <= b.count - needle.count else { return nil }
        var i = from
        while i <= b.count - needle.count {
            if b[i] == needle[0], b[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}

private extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
