import ArgumentParser
import Foundation
import Pipeline

/// `logpipe analyze PATH...|-`: error patterns, performance metrics, user actions, error rate and incidents.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Report error patterns, performance metrics, user actions, error rate per minute and incidents.",
        discussion: """
        Inputs: segment files (detected by their LZ4 or gzip magic bytes), directories of segments, raw log \
        files in any input format (parsed like `logpipe run`), or - for stdin (a raw log or one segment).
        Formats: text (aligned tables), json (schema in docs/analyze-json.md), html (one self-contained file \
        with inline SVG charts).
        """)

    enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json, html
    }

    @Argument(help: "Segment files, segment directories, raw log files, or - for stdin.")
    var paths: [String]
    @Option(help: "Report format: text, json or html.")
    var format: ReportFormat = .text
    @Option(help: "Sliding window of the incident rules (ms, s or m).")
    var incidentWindow: String = "60s"
    @Option(help: "Format of raw log inputs: auto, json, logfmt, syslog or plain.")
    var inputFormat: InputFormat = .auto
    @Option(help: "Service for raw log entries that name none.")
    var service: String?
    @Option(help: "Environment for raw log entries that name none.")
    var environment: String?
    @Option(help: "Columns of the text report (at least 60).")
    var width: Int = TextReport.defaultWidth

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("missing PATH: give segment files, directories, log files or -") }
        _ = try ArgumentValues.duration(incidentWindow, flag: "--incident-window")
        guard width >= 60 else { throw ValidationError("invalid --width \"\(width)\": at least 60 columns") }
    }

    func run() throws {
        let window = Int64(try ArgumentValues.duration(incidentWindow, flag: "--incident-window"))
        guard window > 0 else { throw ValidationError("invalid --incident-window \"\(incidentWindow)\": must be above 0") }
        let env = ProcessInfo.processInfo.environment
        let input = AnalyzeInput(format: inputFormat, enrichment: Enrichment(
            service: service ?? env["LOGPIPE_SERVICE"] ?? "unknown",
            version: env["LOGPIPE_APP_VERSION"] ?? "unknown",
            environment: environment ?? env["LOGPIPE_ENVIRONMENT"] ?? "unknown",
            host: ProcessInfo.processInfo.hostName))
        let box = AnalysisBox(LogAnalysis(incidents: .init(windowMillis: window)))
        let decoder = EntryDecoder(analysisFieldsOnly: true) { entries in
            for e in entries { box.value.addOrdered(e) }
        }
        try input.forEachChunk(paths) { decoder.add($0) }
        let tally = decoder.finish()
        var analysis = box.value
        analysis.merge(tally)
        if decoder.skipped > 0 {
            StandardError.line("logpipe: \(decoder.skipped) lines were not entries (skipped)")
        }
        let report = AnalysisReport(analysis)
        let text: String
        switch format {
        case .text: text = TextReport.render(report, width: width)
        case .json: text = JSONReport.render(report)
        case .html: text = HTMLReport.render(report)
        }
        StandardOutput.write(Array(text.utf8))
    }
}

/// The analysis as the decoder's delivery queue builds it; read only after ``EntryDecoder/finish()``.
private final class AnalysisBox: @unchecked Sendable {
    var value: LogAnalysis
    init(_ value: LogAnalysis) { self.value = value }
}
