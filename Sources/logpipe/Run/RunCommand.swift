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
    @OptionGroup(title: "HTTP output") var http: HTTPOutputOptions

    func validate() throws {
        _ = try options.resolve()
        _ = try urgent.resolve(stateDir: options.stateDir)
        try clickhouse.validate()
        try http.validate()
    }

    func run() throws {
        RunPipeline.holdStopSignals() // (main.swift did already) before the urgent forwarder or a source starts a thread
        let settings = try options.resolve()
        Diagnostics.configure(level: options.logLevel)
        FileTailSource.log = { Diagnostics.logger.warning("\($0)") }
        NetworkLog.sink = { Diagnostics.logger.warning("\($0)") }
        let outputs = try Self.outputs(urgent, clickhouse, http, stateDir: settings.stateDir)
        let parts = try RunTopologyBuilder.build(settings: settings, outputs: outputs)
        let pipeline = RunPipeline(parts, reload: { try Self.rereadSettings() }) // kept alive: the SIGHUP handler holds it weakly
        let summary = try withExtendedLifetime(pipeline) { try pipeline.run() }
        StandardError.line(summary.line)
        if let failure = summary.failure { throw RuntimeFailure(failure) }
    }

    /// Starts the sinks besides segment files that the command line asks for: the urgent forwarder (with
    /// --urgent) and ClickHouse (with --clickhouse, which receives every entry).
    static func outputs(_ urgent: UrgentOptions, _ clickhouse: ClickHouseOptions, _ http: HTTPOutputOptions,
                        stateDir: String) throws -> RunTopologyBuilder.Outputs {
        var outputs = RunTopologyBuilder.Outputs()
        outputs.urgent = try urgent.makeSink(stateDir: stateDir)
        outputs.clickhouse = try clickhouse.makeSink(stateDir: stateDir)
        outputs.http = try http.makeSink(stateDir: stateDir)
        outputs.segments = !(clickhouse.clickhouseOnly && outputs.clickhouse != nil)
        return outputs
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
