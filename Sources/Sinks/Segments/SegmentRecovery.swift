import Foundation
import Pipeline
import SegmentFormat

/// Crash recovery: segments left `.open` by a killed run are salvaged into finalized segments before a new run
/// starts. Every complete frame (and the finished blocks of a cut-off last frame) is kept; the `.open` file is then
/// deleted when nothing was lost, or moved to `quarantine/` when a damaged part had to be left out.
///
/// Source positions (issue 17): a frame of a batch with a position that a kill cut short is dropped whole (its
/// source reads it again), and `positions` says how far each source is in the archive — the salvaged segments
/// included — so checkpoints that lagged behind the archive are brought up to it: no line twice, none skipped.
public enum SegmentRecovery {
    public struct Outcome {
        public var files = 0
        public var entries = 0
        public var quarantined = 0
        /// The newest position of each source in the archive (manifests, side files, salvaged segments).
        public var positions: [String: Int64] = [:]
    }

    public static func recoverOpenSegments(options: SegmentOptions) throws -> Outcome {
        var outcome = try salvageOpenSegments(directory: options.directory)
        outcome.files += completeManifests(directory: options.directory)
        merge(&outcome.positions, archivePositions(directory: options.directory))
        return outcome
    }

    /// A kill between a segment's rename and its manifest leaves a final name without the manifest it promises:
    /// when the segment is whole, the manifest is written now (with the positions of its side file).
    static func completeManifests(directory dir: String) -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return 0 }
        let present = Set(names)
        var done = 0
        for n in names.sorted() {
            guard let name = SegmentName.parse(n)?.name, !present.contains(name.manifestFileName) else { continue }
            let path = dir + "/" + n
            guard let result = try? SegmentSalvager.salvage(path: path), result.isWhole,
                  SegmentLines.count(result.lines).invalid == 0,
                  var manifest = try? ManifestBuilder.build(name: name, path: path, lines: result.lines) else { continue }
            let side = SegmentPositionLog.path(directory: dir, name: name)
            var positions: [String: Int64] = [:]
            for r in SegmentPositionLog.read(side) { merge(&positions, [r.key: r.offset]) }
            manifest.positions = positions.isEmpty ? nil : positions
            let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            defer { close(dfd) }
            guard (try? ManifestWriter.write(manifest, to: dir + "/" + name.manifestFileName, directoryFD: dfd)) != nil else { continue }
            unlink(side)
            done += 1
        }
        return done
    }

    static func salvageOpenSegments(directory dir: String) throws -> Outcome {
        var outcome = Outcome()
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return outcome }
        // A salvage a kill interrupted: its `.open` file is still there (removed only after the salvaged
        // segment and its manifest are in place), so the temp file is redone from it.
        for n in names where n.hasSuffix(".salvage") { unlink(dir + "/" + n) }
        let open = names.compactMap { n -> String? in
            guard let p = SegmentName.parse(n, allowOpen: true), p.isOpen else { return nil }
            return n
        }.sorted()
        guard !open.isEmpty else { return outcome }
        for file in open {
            let path = dir + "/" + file
            guard let name = SegmentName.parse(file, allowOpen: true)?.name else { continue }
            let side = SegmentPositionLog.path(directory: dir, name: name)
            let positions = cutTornPositionedFrame(path, records: SegmentPositionLog.read(side))
            let result = try SegmentSalvager.salvage(path: path)
            let batch = SegmentRepairer.compressedLines(result.lines, codec: name.codec)
            let rejected = SegmentLines.count(result.lines).invalid
            // Positions are trusted only for a segment whose frames are all intact (a kill leaves them so).
            let trusted = result.framesDamaged == 0 && rejected == 0 ? positions : [:]
            merge(&outcome.positions, trusted)
            _ = try OpenSegment.writeWhole(batch, name: name, directory: dir, positions: trusted, afterManifest: {
                if result.framesDamaged > 0 || rejected > 0 {
                    _ = try SegmentRepairer.quarantine(path, in: dir)
                    outcome.quarantined += 1
                } else {
                    unlink(path)
                }
            })
            unlink(side)
            outcome.files += 1
            outcome.entries += batch.encoded.entries.count
        }
        return outcome
    }

    /// Cuts an open segment before the first frame its side file says was not wholly written; returns the
    /// positions its whole frames reach.
    static func cutTornPositionedFrame(_ path: String, records: [SegmentPositionLog.Record]) -> [String: Int64] {
        guard !records.isEmpty else { return [:] }
        var st = stat()
        guard stat(path, &st) == 0 else { return [:] }
        let (cut, positions) = SegmentPositionLog.reconcile(records, segmentLength: Int(st.st_size))
        if let cut { truncate(path, off_t(cut)) }
        return positions
    }

    /// The newest position of each source recorded in the finalized segments of `directory`: their manifests,
    /// and the side files of segments finalized without one yet (a kill between rename and manifest).
    public static func archivePositions(directory: String) -> [String: Int64] {
        var out: [String: Int64] = [:]
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return out }
        for n in names {
            let path = directory + "/" + n
            if n.hasSuffix(".meta.json") {
                guard let data = FileManager.default.contents(atPath: path), data.count < 1 << 20,
                      let text = String(data: data, encoding: .utf8), text.contains("\"positions\""),
                      let manifest = try? SegmentManifest.read(path), let p = manifest.positions else { continue }
                merge(&out, p)
            } else if n.hasSuffix(".positions") {
                for r in SegmentPositionLog.read(path) { merge(&out, [r.key: r.offset]) }
            }
        }
        return out
    }

    static func merge(_ into: inout [String: Int64], _ other: [String: Int64]) {
        for (k, v) in other where v > into[k] ?? -1 { into[k] = v }
    }
}
