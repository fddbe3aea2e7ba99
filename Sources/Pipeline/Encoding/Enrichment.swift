/// Context values added to entries that lack them: service, version, environment and host.
///
/// Values come from flags or the LOGPIPE_* environment variables; an entry's own value always wins.
/// Stored pre-escaped, so the encoder copies bytes.
public struct Enrichment: Sendable {
    public let service: String
    public let version: String
    public let environment: String
    public let host: String
    let serviceJSON: [UInt8]
    let versionJSON: [UInt8]
    let environmentJSON: [UInt8]
    let hostJSON: [UInt8]

    public init(service: String, version: String, environment: String, host: String) {
        self.service = service
        self.version = version
        self.environment = environment
        self.host = host
        serviceJSON = Self.quoted(service)
        versionJSON = Self.quoted(version)
        environmentJSON = Self.quoted(environment)
        hostJSON = Self.quoted(host)
    }

    /// `"…"` with JSON escaping.
    static func quoted(_ s: String) -> [UInt8] {
        let out = ByteBuffer(capacity: s.utf8.count + 8)
        out.append(0x22)
        var s = s
        s.withUTF8 { JSONStringWriter.appendText($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count, to: out) }
        out.append(0x22)
        return out.toArray()
    }
}

extension Enrichment {
    /// `"…"` with JSON escaping, as bytes (for building search needles).
    public static func quotedBytes(_ s: String) -> [UInt8] { quoted(s) }
}
