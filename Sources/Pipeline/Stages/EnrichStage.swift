/// Enrich: the context values an entry lacks — service, version, environment, host from the configuration, the
/// session ID of the source's run — pre-encoded once (not per line) as the defaults the entry writer copies.
/// An entry's own values always win; every entry also gets a request ID when it has none (the entry writer).
///
/// Per-worker state (the current session's bytes): one per worker thread.
public final class EnrichStage {
    public let enrichment: Enrichment
    /// Owns the bytes the `defaults` pointers point into.
    private let constants: ByteBuffer
    public private(set) var defaults: EntryWriter.Defaults
    private var sessionOrigin: ObjectIdentifier?
    private var sessionBytes = ByteBuffer(capacity: 64)

    public init(enrichment e: Enrichment) {
        enrichment = e
        let parts = [e.serviceJSON, e.versionJSON, e.environmentJSON, e.hostJSON]
        constants = ByteBuffer(capacity: parts.reduce(0) { $0 + $1.count })
        var offsets: [Int] = []
        for p in parts { offsets.append(constants.count); constants.append(p) }
        let c = constants
        func slice(_ i: Int) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(start: c.base + offsets[i], count: parts[i].count)
        }
        defaults = EntryWriter.Defaults(service: slice(0), version: slice(1), environment: slice(2), host: slice(3),
                                        session: UnsafeBufferPointer(start: sessionBytes.base, count: 0))
    }

    /// The defaults for a batch from `origin` (its session ID encoded once per source run, not per batch).
    public func defaults(for origin: SourceOrigin) -> EntryWriter.Defaults {
        let id = ObjectIdentifier(origin)
        if sessionOrigin != id {
            sessionOrigin = id
            let json = Enrichment.quoted(origin.sessionId)
            sessionBytes = ByteBuffer(capacity: json.count)
            sessionBytes.append(json)
            defaults.session = UnsafeBufferPointer(start: sessionBytes.base, count: sessionBytes.count)
        }
        return defaults
    }
}
