/// Whether a line is a valid entry of the segment format: a well-formed JSON object that starts with the
/// timestamp and level and carries a context with sessionId and requestId.
public enum EntryLineCheck {
    public static func isEntry(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        guard SegmentLine.info(p, n) != nil else { return false }
        let line = UnsafeBufferPointer(start: p, count: n)
        let s = JSONScanner(b: line)
        var hasContext = false, hasMessage = false
        guard let end = s.members(0, { ks, ke, vs in
            if line.equals(ks, ke, "message") { hasMessage = true }
            if line.equals(ks, ke, "context"), vs < n, line[vs] == UInt8(ascii: "{") {
                var session = false, request = false
                let r = s.members(vs) { cks, cke, cvs in
                    if line.equals(cks, cke, "sessionId") { session = true }
                    if line.equals(cks, cke, "requestId") { request = true }
                    return s.value(cvs, depth: 2)?.end
                }
                hasContext = session && request
                return r
            }
            return s.value(vs, depth: 1)?.end
        }) else { return false }
        return end == n && hasContext && hasMessage
    }
}
