import ArgumentParser
import Foundation
import Ingest
import Pipeline

/// `logpipe run`: inputs → parse → filter → enrich → batch → compressed segments.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Ingest logs into compressed, rotated segments.",
        discussion: """
        With only stdin, exits 0 at end of input once every entry is in a finalized segment. \
        SIGINT/SIGTERM: stop reading, drain, finalize, exit 0.
        """)

    @OptionGroup var options: RunOptions
    @OptionGroup(title: "Urgent path") var urgent: UrgentOptions
    @OptionGroup(title: "ClickHouse") var clickhouse: ClickHouseOptions

    func validate() throws {
        _ = try options.resolve()
        _ = try urgent.resolve(stateDir: options.stateDir)
        try clickhouse.validate()
    }

    func run() throws {
        RunPipeline.holdStopSignals() // (main.swift did already) before the urgent forwarder or a source starts a thread
        let settings = try options.resolve()
        Diagnostics.configure(level: options.logLevel)
        FileTailSource.log = { Diagnostics.logger.warning("\($0)") }
        let pipeline = RunPipeline(settings: settings)
        pipeline.reloadSettings = { try Self.rereadSettings() }
        try Self.attachUrgent(urgent, stateDir: settings.stateDir, to: pipeline)
        try Self.attachClickHouse(clickhouse, stateDir: settings.stateDir, to: pipeline)
        let summary = try pipeline.run()
        StandardError.line(summary.line)
        if let failure = summary.failure { throw RuntimeFailure(failure) }
    }

    /// Starts the urgent forwarder (when --urgent is given) and hands it to the pipeline.
    static func attachUrgent(_ urgent: UrgentOptions, stateDir: String, to pipeline: RunPipeline) throws {
        let resolved = try urgent.resolve(stateDir: stateDir)
        pipeline.urgent = try urgent.makeSink(stateDir: stateDir)
        pipeline.urgentLevel = resolved.level
        pipeline.urgentDrainMillis = resolved.drainTimeoutMillis
        pipeline.incidentWindowMillis = pipeline.settings.incidentWindowMillis
    }

    /// Starts the ClickHouse sink (when --clickhouse is given): it receives every entry.
    static func attachClickHouse(_ options: ClickHouseOptions, stateDir: String, to pipeline: RunPipeline) throws {
        pipeline.clickhouse = try options.makeSink(stateDir: stateDir)
        pipeline.clickhouseDrainMillis = try options.drainTimeoutMillis()
        pipeline.writeSegments = !(options.clickhouseOnly && pipeline.clickhouse != nil)
    }

    /// SIGHUP: the same command line again (with its config file re-read when one is given).
    static func rereadSettings() throws -> RunOptions.Resolved {
        let args = try ConfigArguments.expand(Array(CommandLine.arguments.dropFirst()))
        guard let i = args.firstIndex(of: "run") else { throw RuntimeFailure("cannot find the run arguments") }
        let command = try RunCommand.parse(Array(args[(i + 1)...]))
        try command.validate()
        return try command.options.resolve()
    }
}
