import Foundation
import Pipeline
import SegmentFormat

/// Repairs an archive: rewrites damaged segments from their intact entries into new segments, rebuilds missing or
/// unreadable manifests when the data is whole, and moves every damaged or replaced file to `quarantine/` in the
/// archive. Never deletes a file it could not fully account for.
public enum SegmentRepairer {
    public struct Outcome {
        public var rewrittenEntries = 0
        public var manifestsRebuilt = 0
        public var quarantined: [String] = []
        public var newSegments: [String] = []
    }

    public static func repair(_ report: SegmentVerifier.Report) throws -> Outcome {
        var outcome = Outcome()
        let path = report.path
        let dir = { let d = (path as NSString).deletingLastPathComponent; return d.isEmpty ? "." : d }()
        if path.hasSuffix(".meta.json"), FileManager.default.fileExists(atPath: path) {
            outcome.quarantined.append(try quarantine(path, in: dir)) // a manifest without its segment
            return outcome
        }
        guard !report.isOK, let salvage = report.salvage else { return outcome }
        let file = (path as NSString).lastPathComponent
        let parsed = SegmentName.parse(file)?.name
        let linesCheck = SegmentLines.count(salvage.lines)
        if salvage.isWhole, linesCheck.invalid == 0, let name = parsed {
            // Data whole: only the manifest is wrong or missing.
            let manifestPath = dir + "/" + name.manifestFileName
            if FileManager.default.fileExists(atPath: manifestPath) {
                outcome.quarantined.append(try quarantine(manifestPath, in: dir))
            }
            let manifest = try ManifestBuilder.build(name: name, path: path, lines: salvage.lines)
            let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            defer { close(dfd) }
            try ManifestWriter.write(manifest, to: manifestPath, directoryFD: dfd)
            outcome.manifestsRebuilt = 1
            return outcome
        }
        guard let name = parsed else {
            outcome.quarantined.append(try quarantine(path, in: dir))
            return outcome
        }
        // The intact entries replace the damaged file under its own name, so the archive keeps its order.
        let batch = compressedLines(salvage.lines, codec: name.codec)
        outcome.rewrittenEntries = batch.encoded.entries.count
        _ = try OpenSegment.writeWhole(batch, name: name, directory: dir) {
            outcome.quarantined.append(try quarantine(path, in: dir))
            let manifestPath = dir + "/" + name.manifestFileName
            if FileManager.default.fileExists(atPath: manifestPath) {
                outcome.quarantined.append(try quarantine(manifestPath, in: dir))
            }
        }
        return outcome
    }

    /// Complete segment lines as one compressed batch.
    static func compressedLines(_ lines: ByteBuffer, codec: SegmentCodec, level: Int? = nil) -> CompressedBatch {
        let (batch, _) = SegmentLine.batch(from: lines, origin: SourceOrigin(name: "salvage", sessionId: ""))
        let frame = ByteBuffer(capacity: batch.output.count / 2 + 1024)
        if !batch.entries.isEmpty { codec.makeCompressor(level: level).compress(batch.output.bytes, into: frame) }
        return CompressedBatch(encoded: batch, frame: frame)
    }

    /// Moves a file into `<dir>/quarantine/` (never overwriting); returns its new path.
    public static func quarantine(_ path: String, in dir: String) throws -> String {
        let q = dir + "/quarantine"
        try FileManager.default.createDirectory(atPath: q, withIntermediateDirectories: true)
        var target = q + "/" + (path as NSString).lastPathComponent
        var n = 1
        while FileManager.default.fileExists(atPath: target) {
            target = q + "/" + (path as NSString).lastPathComponent + ".\(n)"
            n += 1
        }
        guard rename(path, target) == 0 else { throw SegmentError.io(operation: "move to quarantine", path: path, errno: errno) }
        return target
    }
}

/// Computes a manifest from a segment file and its decompressed lines.
enum ManifestBuilder {
    static func build(name: SegmentName, path: String, lines: ByteBuffer) throws -> SegmentManifest {
        guard let sha = SHA256Hasher.hexDigest(ofFile: path) else { throw SegmentError.io(operation: "read", path: path, errno: errno) }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let (batch, _) = SegmentLine.batch(from: lines, origin: SourceOrigin(name: path, sessionId: ""))
        var times = TimestampFormatter()
        let minT = batch.entries.map(\.timestampMillis).min()
        let maxT = batch.entries.map(\.timestampMillis).max()
        return SegmentManifest(
            segment: name.fileName, codec: name.codec.rawValue, entries: batch.entries.count,
            uncompressedBytes: lines.count, bytes: size, sha256: sha,
            firstTimestamp: minT.map { times.string($0) }, lastTimestamp: maxT.map { times.string($0) },
            levels: Dictionary(uniqueKeysWithValues: Level.allCases.map { ($0.name, batch.stats.levelCounts[Int($0.rawValue)]) }),
            createdAt: times.string(nowMillis()))
    }
}
