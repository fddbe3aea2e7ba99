import Foundation
import Pipeline
import SegmentFormat

/// Crash recovery: segments left `.open` by a killed run are salvaged into finalized segments before a new run
/// starts. Every complete frame (and the finished blocks of a cut-off last frame) is kept; the `.open` file is then
/// deleted when nothing was lost, or moved to `quarantine/` when a damaged part had to be left out.
public enum SegmentRecovery {
    public struct Outcome {
        public var files = 0
        public var entries = 0
        public var quarantined = 0
    }

    public static func recoverOpenSegments(options: SegmentOptions) throws -> Outcome {
        var outcome = Outcome()
        let dir = options.directory
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return outcome }
        let open = names.compactMap { n -> String? in
            guard let p = SegmentName.parse(n, allowOpen: true), p.isOpen else { return nil }
            return n
        }.sorted()
        guard !open.isEmpty else { return outcome }
        for file in open {
            let path = dir + "/" + file
            guard let name = SegmentName.parse(file, allowOpen: true)?.name else { continue }
            let result = try SegmentSalvager.salvage(path: path)
            let batch = SegmentRepairer.compressedLines(result.lines, codec: name.codec)
            let rejected = SegmentLines.count(result.lines).invalid
            _ = try OpenSegment.writeWhole(batch, name: name, directory: dir) {
                if result.framesDamaged > 0 || rejected > 0 {
                    _ = try SegmentRepairer.quarantine(path, in: dir)
                    outcome.quarantined += 1
                } else {
                    unlink(path)
                }
            }
            outcome.files += 1
            outcome.entries += batch.encoded.entries.count
        }
        return outcome
    }
}
