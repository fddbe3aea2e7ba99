import Foundation
import Pipeline
import SegmentFormat
import Sinks

/// Filters segment lines without parsing JSON: segment lines start with a fixed-width timestamp and the level,
/// so level and time are compared as bytes; `--grep` is a substring search of the line.
struct LineFilter: Sendable {
    var minLevel: Level?
    var since: Int64?
    var until: Int64?
    var grep: [UInt8]?
    var ignoreCase = false
    /// `"context":{"service":"<name>"` — the service is the first context key in segment lines.
    private let serviceNeedle: [UInt8]?
    private let sinceText: [UInt8]?
    private let untilText: [UInt8]?
    private static let prefix = Array("{\"timestamp\":\"".utf8)
    private static let levelAt = SegmentLine.levelAt

    init(minLevel: Level?, since: Int64?, until: Int64?, service: String? = nil, grep: String?,
         ignoreCase: Bool = false) {
        self.minLevel = minLevel
        self.since = since
        self.until = until
        self.ignoreCase = ignoreCase
        self.grep = grep.map { Array((ignoreCase ? $0.lowercased() : $0).utf8) }
        serviceNeedle = service.map { Array("\"context\":{\"service\":".utf8) + Enrichment.quotedBytes($0) }
        var f = TimestampFormatter()
        sinceText = since.map { Array(f.string($0).utf8) }
        untilText = until.map { Array(f.string($0).utf8) }
    }

    var isEmpty: Bool { minLevel == nil && since == nil && until == nil && grep == nil && serviceNeedle == nil }

    /// True when the segment's manifest proves no entry is in the time range.
    func canSkip(manifestOf file: String) -> Bool {
        guard since != nil || until != nil else { return false }
        let stem = (file as NSString).lastPathComponent
        guard let name = SegmentName.parse(stem)?.name else { return false }
        let dir = (file as NSString).deletingLastPathComponent
        guard let m = try? SegmentManifest.read((dir.isEmpty ? "." : dir) + "/" + name.manifestFileName),
              let first = m.firstTimestamp, let last = m.lastTimestamp else { return false }
        if let s = sinceText, Array(last.utf8).lexicographicallyPrecedes(s) { return true }
        if let u = untilText, !Array(first.utf8).lexicographicallyPrecedes(u) { return true }
        return false
    }

    /// Appends the matching complete lines of `chunk` (with `carry`, the unfinished line before it) to `out`.
    func appendMatching(_ chunk: UnsafeBufferPointer<UInt8>, carry: inout [UInt8], to out: ByteBuffer) {
        guard let base = chunk.baseAddress, chunk.count > 0 else { return }
        var start = 0
        if !carry.isEmpty {
            guard let nl = memchr(base, 10, chunk.count) else { carry.append(contentsOf: chunk); return }
            let end = base.distance(to: nl.assumingMemoryBound(to: UInt8.self)) + 1
            carry.append(contentsOf: UnsafeBufferPointer(start: base, count: end))
            carry.withUnsafeBufferPointer { c in if matches(c.baseAddress!, c.count) { out.append(c) } }
            carry.removeAll(keepingCapacity: true)
            start = end
        }
        if isEmpty {
            // Everything passes: copy up to the last newline in one go.
            var lastNL = chunk.count - 1
            while lastNL >= start, base[lastNL] != 10 { lastNL -= 1 }
            if lastNL >= start { out.append(base + start, lastNL + 1 - start) }
            carry.append(contentsOf: UnsafeBufferPointer(start: base + lastNL + 1, count: chunk.count - lastNL - 1))
            return
        }
        while start < chunk.count {
            guard let nl = memchr(base + start, 10, chunk.count - start) else {
                carry.append(contentsOf: UnsafeBufferPointer(start: base + start, count: chunk.count - start))
                return
            }
            let end = base.distance(to: nl.assumingMemoryBound(to: UInt8.self)) + 1
            if matches(base + start, end - start) { out.append(base + start, end - start) }
            start = end
        }
    }

    @inline(__always) private func matches(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        let shaped = n > Self.levelAt + 5 && memcmp(p, Self.prefix, 14) == 0
        if let minLevel {
            guard let level = shaped ? SegmentLine.level(initial: p[Self.levelAt]) : nil else { return false }
            if level < minLevel { return false }
        }
        if let s = sinceText {
            guard shaped, memcmp(p + 14, s, 24) >= 0 else { return false }
        }
        if let u = untilText {
            guard shaped, memcmp(p + 14, u, 24) < 0 else { return false }
        }
        if let s = serviceNeedle, !ByteSearch.contains(p, n, s) { return false }
        if let g = grep, !g.isEmpty {
            guard ignoreCase ? ByteSearch.containsIgnoringCase(p, n, g) : ByteSearch.contains(p, n, g) else { return false }
        }
        return true
    }
}
