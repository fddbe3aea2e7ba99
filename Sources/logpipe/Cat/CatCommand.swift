import ArgumentParser
import Foundation
import Pipeline
import Sinks

/// `logpipe cat PATH...`: entries of finalized segments as JSON lines on stdout, filtered.
struct CatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cat",
        abstract: "Print the entries of segments (files or directories) as JSON lines.")

    @Argument(help: "Segment files or directories holding segments.")
    var paths: [String]
    @Option(help: "Only entries at or above this level.")
    var minLevel: String?
    @Option(help: "Only entries at or after this time (RFC 3339, or an age like 1h).")
    var since: String?
    @Option(help: "Only entries before this time (RFC 3339, or an age like 1h).")
    var until: String?
    @Option(help: "Only entries whose JSON line contains this text.")
    var grep: String?

    func validate() throws { _ = try filter() }

    func filter() throws -> LineFilter {
        LineFilter(minLevel: try minLevel.map { try ArgumentValues.level($0, flag: "--min-level") },
                   since: try since.map { try ArgumentValues.time($0, flag: "--since") },
                   until: try until.map { try ArgumentValues.time($0, flag: "--until") },
                   grep: grep.map { Array($0.utf8) })
    }

    func run() throws {
        let filter = try filter()
        let files = try SegmentFiles.expand(paths)
        let out = ByteBuffer(capacity: 1 << 21)
        var failures = 0
        for file in files {
            if filter.canSkip(manifestOf: file) { continue }
            var carry = [UInt8]()
            do {
                try SegmentReader.read(path: file) { chunk in
                    filter.appendMatching(chunk, carry: &carry, to: out)
                    if out.count >= 1 << 20 { StandardOutput.write(out.bytes); out.removeAll() }
                }
                if !carry.isEmpty {
                    StandardError.line("logpipe: \(file): last line has no newline (kept)")
                    carry.append(10)
                    carry.withUnsafeBufferPointer { var none = [UInt8](); filter.appendMatching($0, carry: &none, to: out) }
                }
            } catch {
                StandardOutput.write(out.bytes); out.removeAll()
                StandardError.line("logpipe: \(error)")
                failures += 1
            }
        }
        StandardOutput.write(out.bytes)
        if failures > 0 { throw RuntimeFailure("\(failures) of \(files.count) segments could not be read whole") }
    }
}

/// Finds segment files: files as given, directories expanded to their finalized segments in name order.
enum SegmentFiles {
    /// With `includeOrphanManifests`, a manifest whose segment is gone is listed as its (missing) segment path, so
    /// that `verify` can name it.
    static func expand(_ paths: [String], includeOpen: Bool = false, includeOrphanManifests: Bool = false) throws -> [String] {
        var files: [String] = []
        for path in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                throw ValidationError("no such file or directory: \(path)")
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
