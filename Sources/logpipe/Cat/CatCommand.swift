import ArgumentParser
import Foundation
import Pipeline
import SegmentFormat
import Sinks

/// `logpipe cat PATH...`: entries of segments as JSON lines (or readable text) on stdout, filtered.
struct CatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cat",
        abstract: "Print the entries of segments (files or directories) as JSON lines or text.",
        discussion: """
        Segments whose manifest time range is outside --since/--until are skipped unopened. LZ4 segments are \
        decoded on every core, frame by frame; output keeps archive order. A damaged part is reported on \
        stderr, the intact entries around it are printed, and the exit code is 1.
        """)

    enum OutputFormat: String, ExpressibleByArgument { case json, text }

    @Argument(help: "Segment files or directories holding segments.")
    var paths: [String]
    @Option(help: "Only entries at or above this level.")
    var minLevel: String?
    @Option(help: "Only entries at or after this time (RFC 3339, or an age like 1h).")
    var since: String?
    @Option(help: "Only entries before this time (RFC 3339, or an age like 1h).")
    var until: String?
    @Option(help: "Only entries of this context.service.")
    var service: String?
    @Option(help: "Only entries whose JSON line contains this text.")
    var grep: String?
    @Flag(name: .customShort("i"), help: "--grep ignores ASCII case.")
    var ignoreCase = false
    @Flag(help: "Also read segments still being written (.open).")
    var includeOpen = false
    @Option(help: "json (default when stdout is not a terminal) or text (readable, colored; default on a terminal).")
    var output: OutputFormat?

    func validate() throws { _ = try filter() }

    func filter() throws -> LineFilter {
        LineFilter(minLevel: try minLevel.map { try ArgumentValues.level($0, flag: "--min-level") },
                   since: try since.map { try ArgumentValues.time($0, flag: "--since") },
                   until: try until.map { try ArgumentValues.time($0, flag: "--until") },
                   service: service, grep: grep, ignoreCase: ignoreCase)
    }

    func run() throws {
        let filter = try filter()
        let files = try SegmentFiles.expand(paths, includeOpen: includeOpen)
        let asText = (output ?? (isatty(1) != 0 ? .text : .json)) == .text
        let text = asText ? TextRenderer(colors: isatty(1) != 0) : nil
        let out = ByteBuffer(capacity: 1 << 21)
        func flush() { StandardOutput.write(out.bytes); out.removeAll() }
        func emit(_ buffer: ByteBuffer) {
            if let text {
                text.render(buffer.bytes, to: out)
            } else if buffer.count >= 1 << 16 {
                flush()
                StandardOutput.write(buffer.bytes)
                return
            } else {
                out.append(buffer.bytes)
            }
            if out.count >= 1 << 20 { flush() }
        }
        var failures = 0
        for file in files {
            if filter.canSkip(manifestOf: file) { continue }
            var damaged = false
            do {
                if SegmentCodec.detect(Self.magic(file)) == .lz4 {
                    let keep: ParallelSegmentReader.Transform = { decoded, into in
                        var carry = [UInt8]()
                        filter.appendMatching(decoded, carry: &carry, to: into)
                    }
                    try ParallelSegmentReader.read(path: file, transform: filter.isEmpty ? nil : keep, emit: emit,
                                                   onDamage: { reason in
                        flush()
                        StandardError.line("logpipe: \(file): \(reason)")
                        damaged = true
                    })
                } else {
                    var carry = [UInt8]()
                    let chunk = ByteBuffer(capacity: 1 << 20)
                    try SegmentReader.read(path: file) { part in
                        chunk.removeAll()
                        filter.appendMatching(part, carry: &carry, to: chunk)
                        emit(chunk)
                    }
                    if !carry.isEmpty { StandardError.line("logpipe: \(file): last line has no newline (left out)") }
                }
            } catch {
                flush()
                StandardError.line("logpipe: \(error)")
                damaged = true
            }
            if damaged { failures += 1 }
        }
        flush()
        if failures > 0 { throw RuntimeFailure("\(failures) of \(files.count) segments could not be read whole") }
    }

    private static func magic(_ path: String) -> [UInt8] {
        guard let h = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? h.close() }
        return [UInt8](h.readData(ofLength: 4))
    }
}
