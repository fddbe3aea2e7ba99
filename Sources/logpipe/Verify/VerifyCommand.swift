import ArgumentParser
import Foundation
import SegmentFormat
import Sinks

/// `logpipe verify PATH...`: every segment decoded in full and checked against its manifest.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check segments: frames and checksums, SHA-256, entry counts, entry format.",
        discussion: """
        Exit 0 when every segment is whole and matches its manifest, 1 when any is not (each bad one named on \
        stderr), 2 on usage errors. --repair rewrites damaged segments from their intact entries into new \
        segments, rebuilds missing manifests when the data is whole, and moves damaged files to quarantine/.
        """)

    @Argument(help: "Segment files or directories holding segments.")
    var paths: [String]
    @Flag(help: "Repair what can be repaired, then verify again.")
    var repair = false

    /// One segment at a time: a report keeps the segment's decoded lines (for a repair), so holding every
    /// report at once made `verify` of a large archive take memory in proportion to the archive.
    func run() throws {
        if repair {
            for path in try SegmentFiles.expand(paths, includeOrphanManifests: true) {
                let report = SegmentVerifier.verify(path: path)
                guard !report.isOK else { continue }
                do {
                    let outcome = try SegmentRepairer.repair(report)
                    StandardError.line("logpipe: repaired \(report.path): " + describe(outcome))
                } catch {
                    StandardError.line("logpipe: cannot repair \(report.path): \(error)")
                }
            }
        }
        print(String(format: "%-6@ %9@  %@", "STATUS", "ENTRIES", "SEGMENT"))
        var bad: [String] = []
        for path in try SegmentFiles.expand(paths, includeOrphanManifests: true) {
            let r = SegmentVerifier.verify(path: path)
            print(String(format: "%-6@ %9d  %@%@", r.isOK ? "ok" : "BAD", r.entries, r.path,
                         r.isOK ? "" : "  (" + r.problems.joined(separator: "; ") + ")"))
            if !r.isOK { bad.append("logpipe: \(r.path): " + r.problems.joined(separator: "; ")) }
        }
        for line in bad { StandardError.line(line) }
        if !bad.isEmpty { throw ExitCode(1) }
    }

    private func describe(_ o: SegmentRepairer.Outcome) -> String {
        var parts: [String] = []
        if o.manifestsRebuilt > 0 { parts.append("manifest rebuilt") }
        if o.rewrittenEntries > 0 { parts.append("\(o.rewrittenEntries) intact entries rewritten into a new segment") }
        if !o.quarantined.isEmpty { parts.append("quarantined " + o.quarantined.joined(separator: ", ")) }
        return parts.isEmpty ? "nothing to do" : parts.joined(separator: "; ")
    }
}
