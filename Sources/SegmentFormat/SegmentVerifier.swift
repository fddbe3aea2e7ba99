import Foundation
import Pipeline

/// Checks a finalized segment against its manifest: every frame decodes and passes its checksum, the file's
/// SHA-256, size, entry count and uncompressed size match, and every line is an entry of the segment format.
public enum SegmentVerifier {
    public struct Report {
        public var path: String
        public var problems: [String] = []
        public var entries = 0
        /// The intact lines (kept for a repair).
        public var salvage: SegmentSalvager.Result?
        public var manifestUsable = false
        public var isOK: Bool { problems.isEmpty }
    }

    public static func verify(path: String) -> Report {
        var report = Report(path: path)
        if path.hasSuffix(".meta.json") {
            report.problems.append("segment file missing (only its manifest is here)")
            return report
        }
        let dir = (path as NSString).deletingLastPathComponent
        let file = (path as NSString).lastPathComponent
        var manifest: SegmentManifest?
        if let name = SegmentName.parse(file)?.name {
            let manifestPath = (dir.isEmpty ? "." : dir) + "/" + name.manifestFileName
            if !FileManager.default.fileExists(atPath: manifestPath) {
                report.problems.append("manifest missing")
            } else if let m = try? SegmentManifest.read(manifestPath) {
                manifest = m
                report.manifestUsable = true
            } else {
                report.problems.append("manifest unreadable")
            }
        } else {
            report.problems.append("not a segment file name")
        }
        let salvage: SegmentSalvager.Result
        do { salvage = try SegmentSalvager.salvage(path: path) } catch {
            report.problems.append("\(error)")
            return report
        }
        report.salvage = salvage
        if salvage.framesDamaged > 0 { report.problems.append("\(salvage.framesDamaged) damaged frame(s)") }
        if salvage.tornTail { report.problems.append("cut short (truncated)") }
        let lines = SegmentLines.count(salvage.lines)
        report.entries = lines.valid
        if lines.invalid > 0 { report.problems.append("\(lines.invalid) line(s) not in the entry format") }
        guard let manifest else { return report }
        let sha = SHA256Hasher.hexDigest(ofFile: path) ?? ""
        if sha != manifest.sha256 { report.problems.append("sha256 differs from manifest") }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? -1
        if size != manifest.bytes { report.problems.append("size \(size) ≠ manifest \(manifest.bytes)") }
        if salvage.isWhole {
            if lines.valid != manifest.entries { report.problems.append("entries \(lines.valid) ≠ manifest \(manifest.entries)") }
            if salvage.lines.count != manifest.uncompressedBytes {
                report.problems.append("uncompressed \(salvage.lines.count) ≠ manifest \(manifest.uncompressedBytes)")
            }
        }
        return report
    }
}

/// Counts and checks decompressed segment lines.
public enum SegmentLines {
    public static func count(_ lines: ByteBuffer) -> (valid: Int, invalid: Int) {
        var valid = 0, invalid = 0
        var start = 0
        let base = lines.base
        while start < lines.count {
            let nl = memchr(base + start, 10, lines.count - start)
            let end = nl.map { base.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? lines.count
            if EntryLineCheck.isEntry(base + start, end - start) { valid += 1 } else { invalid += 1 }
            start = end + 1
        }
        return (valid, invalid)
    }
}
