import Foundation

/// An online (single pass), bounded-memory log template miner.
///
/// Each message is masked with ``VariableMasker`` (numbers, IPs, paths, ...) and
/// split into tokens. Messages whose masked tokens are identical share a group.
/// A message that matches no template starts a new group; when at least
/// ``Configuration/minDistinctValues`` groups of the same length differ from each
/// other only in the same few positions (never upper-case "enum" words such
/// as states), those positions are taken to be
/// variables: the groups are merged into the oldest one, whose template widens
/// to `<*>` there.
///
/// A run of equal variable tokens (a list) counts as one token, the first token
/// may vary only when at least three constants remain, and a merge may widen at
/// most one position in ``Configuration/varyingShare``. Templates are rendered in
/// the Loghub-2.0 convention from raw samples kept per group (``TemplateRendering``);
/// `docs/patterns.md` describes the whole algorithm and its sources.
///
/// Group ids are 1-based. A group keeps its id when its template widens; when
/// groups merge, the oldest id survives and the others become aliases of it:
/// ``group(of:)`` maps any id ever returned to the id of its group now, and
/// ``template(ofGroup:)`` accepts alias ids too.
public struct TemplateMiner: Sendable {
    /// Tuning knobs; the defaults are meant for every kind of log.
    public struct Configuration: Sendable {
        /// Distinct groups that must agree on a generalisation before they merge.
        public var minDistinctValues = 4
        /// At most one position in this many may become a variable in one merge
        /// (and constants must still outnumber variables).
        public var varyingShare = 3
        /// Upper bound on groups; past it new messages join the closest template.
        public var maxGroups = 50_000
        /// Upper bound on the cache of masked messages (cleared when full).
        public var maxCachedMessages = 100_000
        public init() {}
    }

    public let configuration: Configuration
    let masker = VariableMasker(kinds: .grouping)
    var groups: [TemplateGroup] = []
    var parent: [Int] = []
    var cache = MaskedMessageTable()
    var scratch = VariableMasker.Scratch()
    var rootsByLength: [Int: [Int]] = [:]
    /// Distinct raw messages of each group (by index; a merge moves them to the
    /// surviving group, up to ``maxMergedSamples``), for ``TemplateRendering``.
    var samples: [[[UInt8]]] = []

    /// Raw samples kept per group: enough to tell a constant word (`ssh2`) from a variable.
    static let maxSamples = 8
    static let maxMergedSamples = 32
    /// Messages offered to a group as samples before it stops looking (most are repeats).
    static let maxSampleOffers = 32
    var sampleOffers: [Int] = []

    /// Creates a miner with the default configuration.
    public init() { self.init(configuration: Configuration()) }

    /// Creates a miner with the given configuration.
    public init(configuration: Configuration) { self.configuration = configuration }

    /// Number of groups now (merged groups count once).
    public var groupCount: Int { rootsByLength.values.reduce(0) { $0 + $1.count } }

    /// Adds one message; returns its group id (1-based, stable for the run: a
    /// template that widens keeps its id; see ``group(of:)`` for merges).
    public mutating func add(_ message: String) -> Int {
        var text = message
        return text.withUTF8 { add(bytes: $0) }
    }

    /// Adds one message given as UTF-8 bytes; see ``add(_:)``.
    public mutating func add(bytes: UnsafeBufferPointer<UInt8>) -> Int {
        masker.mask(bytes, into: &scratch)
        let masked = scratch
        let id = masked.output.withUnsafeBytes { key in
            add(masked: key, hash: MaskedMessageTable.hash(key)) { masked.tokens() }
        }
        if needsSample(id) { recordSample(id, bytes) }
        return id
    }

    /// Whether group `id` (as returned by ``add(bytes:)``) still takes raw samples:
    /// until it has ``maxSamples`` distinct ones or was offered ``maxSampleOffers``.
    @inline(__always)
    func needsSample(_ id: Int) -> Bool { sampleOffers[id - 1] < Self.maxSampleOffers }

    /// Keeps `bytes` as a raw sample of group `id` unless it holds that message already.
    mutating func recordSample(_ id: Int, _ bytes: UnsafeBufferPointer<UInt8>) {
        let i = id - 1
        sampleOffers[i] += 1
        for s in samples[i] where s.count == bytes.count {
            if bytes.isEmpty || s.withUnsafeBufferPointer({ memcmp($0.baseAddress!, bytes.baseAddress!, s.count) }) == 0 {
                return
            }
        }
        samples[i].append(Array(bytes))
        if samples[i].count >= Self.maxSamples { sampleOffers[i] = Self.maxSampleOffers }
    }

    /// Adds message `i` of a block masked beforehand (possibly on another
    /// thread); the same as ``add(bytes:)`` on that message's text.
    public mutating func add(block: MaskedBlock, at i: Int) -> Int {
        block.bytes.withUnsafeBytes { all in
            let key = UnsafeRawBufferPointer(rebasing: all[block.range(i)])
            return add(masked: key, hash: block.hashes[i]) { block.tokens(i) }
        }
    }

    /// Adds every message of `block` in order, appending their ids to `ids`; each
    /// message's raw line (in `text`, the text the block was cut from) is offered
    /// as a sample for its template. One call per block keeps per-line overhead
    /// (retains, closure copies) off the hot path.
    public mutating func add(block: MaskedBlock, text: UnsafeBufferPointer<UInt8>, into ids: inout [Int]) {
        block.bytes.withUnsafeBytes { all in
            for i in 0..<block.count {
                let key = UnsafeRawBufferPointer(rebasing: all[block.range(i)])
                let id = add(masked: key, hash: block.hashes[i]) { block.tokens(i) }
                if sampleOffers[id - 1] < Self.maxSampleOffers {
                    recordSample(id, UnsafeBufferPointer(rebasing: text[block.lineRanges[i]]))
                }
                ids.append(id)
            }
        }
    }

    @inline(__always)
    mutating func add(masked key: UnsafeRawBufferPointer, hash: Int, tokens makeTokens: () -> [String]) -> Int {
        if let cached = cache.value(for: key, hash: hash) {
            let root = find(cached)
            groups[root].size += 1
            return root + 1
        }
        let tokens = Self.collapsingLists(makeTokens())
        let index: Int
        if let match = bestMatch(tokens) {
            index = match
            groups[index].size += 1
        } else if groups.count >= configuration.maxGroups, let near = closest(tokens) {
            index = near
        } else {
            index = groups.count
            groups.append(TemplateGroup(tokens: tokens, size: 1))
            samples.append([])
            sampleOffers.append(0)
            parent.append(index)
            rootsByLength[tokens.count, default: []].append(index)
            generalise(index)
        }
        if cache.count >= configuration.maxCachedMessages { cache.removeAll() }
        cache.insert(key, hash: hash, value: index)
        return find(index) + 1
    }

    /// The tokens with every token equal to the one before it and holding a
    /// variable dropped: a list of variable length (`blk_<*> blk_<*> blk_<*>`)
    /// is one token, so that one event with lists of any length is one group.
    /// (Done on a cache miss only: each list length is a new masked key once.)
    static func collapsingLists(_ tokens: [String]) -> [String] {
        var result: [String] = []
        result.reserveCapacity(tokens.count)
        for t in tokens {
            if let last = result.last, last == t, t.utf8.count >= 3, t.contains("<*>") { continue }
            result.append(t)
        }
        return result
    }

    /// Number of group ids handed out so far (ids run from 1 to this).
    public var idCount: Int { groups.count }

    /// The current template of a group (any id returned by ``add(_:)``), in the
    /// Loghub-2.0 convention (see ``TemplateRendering``): each variable is `<*>`.
    public func template(ofGroup id: Int) -> String {
        guard id >= 1, id <= groups.count else { return "" }
        let root = group(of: id) - 1
        return TemplateRendering.render(tokens: groups[root].tokens, samples: samples[root])
    }

    /// The template of every group now, by group id (see ``template(ofGroup:)``).
    public func templates() -> [Int: String] {
        var result: [Int: String] = [:]
        for i in groups.indices where parent[i] == i {
            result[i + 1] = TemplateRendering.render(tokens: groups[i].tokens, samples: samples[i])
        }
        return result
    }

    /// The template as the grouping sees it: masked tokens, merged positions as `<*>`.
    public func maskedTemplate(ofGroup id: Int) -> String {
        guard id >= 1, id <= groups.count else { return "" }
        return groups[group(of: id) - 1].text
    }

    /// The id of the group that `id` belongs to now (itself unless it was merged).
    public func group(of id: Int) -> Int {
        guard id >= 1, id <= parent.count else { return id }
        var i = id - 1
        while parent[i] != i { i = parent[i] }
        return i + 1
    }

    /// Number of messages added to the group of `id` so far.
    public func size(ofGroup id: Int) -> Int {
        guard id >= 1, id <= groups.count else { return 0 }
        return groups[group(of: id) - 1].size
    }

    mutating func find(_ index: Int) -> Int {
        var root = index
        while parent[root] != root { root = parent[root] }
        var i = index
        while parent[i] != root { let next = parent[i]; parent[i] = root; i = next }
        return root
    }

    /// The most specific existing template that matches the masked message.
    func bestMatch(_ tokens: [String]) -> Int? {
        guard let roots = rootsByLength[tokens.count] else { return nil }
        var best: Int? = nil
        var bestWildcards = Int.max
        for r in roots where groups[r].matches(tokens) {
            let w = groups[r].wildcardCount
            if w < bestWildcards { best = r; bestWildcards = w }
        }
        return best
    }
}
