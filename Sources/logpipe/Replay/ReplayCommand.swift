import ArgumentParser
import Foundation
import Ingest
import Pipeline
import SegmentFormat
import Sinks

/// `logpipe replay PATH... [run options]`: archived segments through filter → enrich → sinks again.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Run archived segments through the pipeline again (batch reprocessing).",
        discussion: """
        Entries keep their IDs and context; --min-level, --since/--until (a point in time), another --codec or \
        --out apply as for live input. With --state-dir, a replay stopped by SIGINT/SIGTERM resumes where it \
        stopped when run again with the same arguments; after kill -9 too, where the output archive says each file \
        stands (positions recorded with its frames: each entry exactly once).
        """)

    @Argument(help: "Segment files or directories holding segments.")
    var paths: [String]
    @OptionGroup var options: RunOptions
    @OptionGroup(title: "Urgent path") var urgent: UrgentOptions
    @OptionGroup(title: "ClickHouse") var clickhouse: ClickHouseOptions
    @OptionGroup(title: "HTTP output") var http: HTTPOutputOptions
    @Option(help: "Only entries at or after this time (RFC 3339, or an age like 1h).")
    var since: String?
    @Option(help: "Only entries before this time (RFC 3339, or an age like 1h).")
    var until: String?

    func validate() throws {
        _ = try options.resolve()
        if !options.inputs.isEmpty { throw ValidationError("replay reads the given segments: --input is not allowed") }
        _ = try since.map { try ArgumentValues.time($0, flag: "--since") }
        _ = try until.map { try ArgumentValues.time($0, flag: "--until") }
    }

    func run() throws {
        RunPipeline.holdStopSignals() // (main.swift did already) before the urgent forwarder or the source starts a thread
        var settings = try options.resolve()
        // Flags given on the command line or through --config (expanded the same way as for parsing).
        let given = (try? ConfigArguments.expand(Array(CommandLine.arguments.dropFirst()))) ?? CommandLine.arguments
        if !given.contains(where: { $0 == "--format" || $0.hasPrefix("--format=") }) {
            settings.encoder.format = .json
        }
        settings.encoder.since = try since.map { try ArgumentValues.time($0, flag: "--since") }
        settings.encoder.until = try until.map { try ArgumentValues.time($0, flag: "--until") }
        let files = try SegmentFiles.expand(paths)
        let out = URL(fileURLWithPath: settings.segments.directory).standardizedFileURL.path
        if files.contains(where: { URL(fileURLWithPath: $0).standardizedFileURL.deletingLastPathComponent().path == out }) {
            throw ValidationError("replay --out must not be the archive being replayed (\(out))")
        }
        let explicitState = given.contains { $0 == "--state-dir" || $0.hasPrefix("--state-dir=") }
        let cursor: ReplayCursor?
        do { cursor = explicitState ? try ReplayCursor(directory: settings.stateDir, files: files) : nil } catch {
            throw RuntimeFailure("\(error)")
        }
        let outputs = try RunCommand.outputs(urgent, clickhouse, http, stateDir: settings.stateDir)
        let progress = isatty(2) != 0 ? ReplayProgress() : nil
        let parts = try RunTopologyBuilder.build(settings: settings, outputs: outputs,
                                                 delivered: { batch in progress?.count(entries: batch.stats.linesIn) }) { inputs in
            let source = SegmentReplaySource(files: files, options: settings.framing, sessionId: RunPipeline.newSessionId(),
                                             cursor: cursor)
            source.pool = inputs.pool
            source.progress = { done, total in progress?.update(done: done, total: total) }
            return [source]
        }
        let pipeline = RunPipeline(parts, reload: nil)
        let summary = try withExtendedLifetime(pipeline) { try pipeline.run() }
        progress?.finish()
        StandardError.line(summary.line.replacingOccurrences(of: "lines in", with: "entries replayed"))
        if let failure = summary.failure { throw RuntimeFailure(failure) }
    }
}

/// A progress bar on stderr (a terminal only): bytes done of total, entries/s, ETA.
final class ReplayProgress: @unchecked Sendable {
    private let lock = NSLock()
    private let start = Date()
    private var entries = 0
    private var done = 0, total = 1

    func count(entries n: Int) { lock.lock(); entries += n; lock.unlock(); draw() }
    func update(done: Int, total: Int) { lock.lock(); self.done = done; self.total = max(total, 1); lock.unlock(); draw() }

    private func draw() {
        lock.lock()
        let fraction = Double(done) / Double(total)
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(entries) / elapsed : 0
        let eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0
        lock.unlock()
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let text = String(format: "\r[%@] %3.0f%%  %.0f entries/s  ETA %.0fs ", bar, fraction * 100, rate, eta)
        FileHandle.standardError.write(Data(text.utf8))
    }

    func finish() { FileHandle.standardError.write(Data("\n".utf8)) }
}
