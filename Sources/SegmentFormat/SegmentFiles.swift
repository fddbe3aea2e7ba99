import Foundation

/// Finds segment files: files as given, directories expanded to their finalized segments in name order, then
/// to their dead-letter entry files (`<stem>.jsonl`, uncompressed: docs/dead-letter.md) in name order.
public enum SegmentFiles {
    /// With `includeOrphanManifests`, a manifest whose segment is gone is listed as its (missing) segment path, so
    /// that `verify` can name it.
    public static func expand(_ paths: [String], includeOpen: Bool = false, includeOrphanManifests: Bool = false) throws -> [String] {
        var files: [String] = []
        for path in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                throw SegmentError.missing(path: path)
            }
            if isDir.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: path)
                let parsed = names.compactMap { SegmentName.parse($0, allowOpen: includeOpen) }
                    .sorted { ($0.name, $0.isOpen ? 1 : 0) < ($1.name, $1.isOpen ? 1 : 0) }
                files += parsed.map { path + "/" + ($0.isOpen ? $0.name.openFileName : $0.name.fileName) }
                files += names.filter(isEntryLinesFile).sorted().map { path + "/" + $0 }
                if includeOrphanManifests {
                    let stems = Set(parsed.map(\.name.stem))
                    for n in names where n.hasSuffix(".meta.json") {
                        let stem = String(n.dropLast(".meta.json".count))
                        if !stems.contains(stem) { files.append(path + "/" + n) }
                    }
                }
            } else {
                files.append(path)
            }
        }
        return files
    }

    /// `20261127T090000Z-000001.jsonl`: uncompressed entry lines (a dead-letter file, not its `.reasons.jsonl`).
    public static func isEntryLinesFile(_ name: String) -> Bool {
        guard name.hasSuffix(".jsonl"), !name.hasSuffix(".reasons.jsonl") else { return false }
        let stem = name.dropLast(".jsonl".count)
        return stem.count == 23 && stem.dropFirst(8).first == "T" && stem.dropFirst(15).first == "Z"
            && stem.dropFirst(16).first == "-" && Int(stem.suffix(6)) != nil
    }
}
