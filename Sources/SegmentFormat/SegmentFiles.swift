import Foundation

/// Finds segment files: files as given, directories expanded to their finalized segments in name order.
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
}
