import ArgumentParser
import Foundation
import Pipeline

/// `logpipe tap`: a live sample of the entries at one point of a running instance, through its control socket.
struct TapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tap",
        abstract: "Show a live sample of the entries flowing through a running logpipe.",
        discussion: """
        Points: parsed (after parse and enrich, before the level filter), filtered (what the sinks that take \
        everything receive), urgent or any sink name (what that sink's route takes). A tap that cannot keep up \
        drops its own samples (reported on stderr), never slows the pipeline. Ends at --limit, on Ctrl-C, or when \
        the run ends. See docs/control-socket.md.
        """)

    @Option(help: "The running instance's --state-dir (its control socket is STATE_DIR/control.sock).")
    var stateDir = ConfigKey.defaultValue(of: "--state-dir")
    @Option(help: "Where to watch: parsed, filtered, urgent, or a sink name (segments, clickhouse, http).")
    var at = "filtered"
    @Option(help: "Only entries at or above this level.")
    var minLevel: String?
    @Option(help: "Only entries whose JSON line contains this text.")
    var grep: String?
    @Option(help: "Stop after this many entries.")
    var limit: Int?
    @Option(help: "json (default when stdout is not a terminal) or text (readable; default on a terminal).")
    var format: CatCommand.OutputFormat?

    func validate() throws {
        if let minLevel { _ = try ArgumentValues.level(minLevel, flag: "--min-level") }
        if let limit { _ = try ArgumentValues.positive(limit, flag: "--limit") }
    }

    func run() throws {
        var request: [String: Any] = ["command": "tap", "at": at]
        if let minLevel { request["minLevel"] = minLevel.uppercased() }
        if let grep { request["grep"] = grep }
        if let limit { request["limit"] = limit }
        let text = (format ?? (isatty(1) != 0 ? .text : .json)) == .text ? TextRenderer(colors: isatty(1) != 0) : nil
        let out = ByteBuffer(capacity: 1 << 16)
        var header = true
        try ControlClient(stateDir: stateDir).send(request) { line in
            if header { header = false; return true } // {"at":…,"ok":true}
            if line.starts(with: Self.statusPrefix) { return Self.status(line) }
            out.removeAll()
            out.append(line)
            out.append(10)
            if let text {
                let rendered = ByteBuffer(capacity: line.count * 2)
                text.render(out.bytes, to: rendered)
                StandardOutput.write(rendered.bytes)
            } else {
                StandardOutput.write(out.bytes)
            }
            return true
        }
    }

    private static let statusPrefix = Array(#"{"tap":"#.utf8)

    /// A status line: drops reported on stderr; false at the end.
    private static func status(_ line: [UInt8]) -> Bool {
        let o = (try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]) ?? [:]
        switch o["tap"] as? String {
        case "dropped":
            StandardError.line("logpipe tap: \(o["entries"] ?? 0) entries dropped (this tap did not keep up; the pipeline did not wait)")
            return true
        case "end":
            StandardError.line("logpipe tap: \(o["sent"] ?? 0) entries shown, \(o["dropped"] ?? 0) dropped (\(o["reason"] ?? "ended"))")
            return false
        default:
            return true
        }
    }
}
