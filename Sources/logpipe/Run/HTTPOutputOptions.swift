import ArgumentParser
import Foundation
import Pipeline
import Sinks

/// The generic HTTP push output's flags (`run` and `replay`): every entry POSTed as NDJSON to each `--output`
/// URL, spooled in `<--state-dir>/http/<destination>/`, refused entries in `<--state-dir>/dead-letter/http/`.
struct HTTPOutputOptions: ParsableArguments {
    @Option(name: .customLong("output"),
            help: ArgumentHelp("POST every entry here in batches: as NDJSON to http://HOST[:PORT]/PATH or https://…, as OTLP/HTTP protobuf logs to otlp+http://HOST:PORT/v1/logs or otlp+https://…. Repeatable.",
                               valueName: "url"))
    var urls: [String] = []
    @Option(name: .customLong("output-header"),
            help: ArgumentHelp("Extra HTTP header 'Name: value' for --output URLs. Repeatable.", valueName: "header"))
    var headers: [String] = []
    @Option(help: ArgumentHelp("File holding a token sent as 'Authorization: Bearer TOKEN' to --output URLs (read for every request).",
                               valueName: "path"))
    var outputBearerTokenFile: String?
    @Option(help: "Request body compression of --output: gzip or none.")
    var outputCompression = ConfigKey.defaultValue(of: "--output-compression")
    @Option(help: "Most entry bytes per --output request (K/M/G).")
    var outputBatchMax = ConfigKey.defaultValue(of: "--output-batch-max")
    @Option(help: "Bound of each --output destination's spool (K/M/G); beyond it entries are refused, loudly.")
    var outputSpoolMax = ConfigKey.defaultValue(of: "--output-spool-max")
    @Option(help: "At end of input, wait this long for --output delivery (ms/s/m); the rest stays spooled.")
    var outputDrainTimeout = ConfigKey.defaultValue(of: "--output-drain-timeout")
    @Option(help: "Per-request timeout of --output delivery (ms/s/m).")
    var outputTimeout = ConfigKey.defaultValue(of: "--output-timeout")

    func validate() throws { _ = try resolve(stateDir: "./logpipe-state") }

    /// The validated configuration; nil without --output.
    func resolve(stateDir: String) throws -> HTTPOutputConfiguration? {
        let timeout = try ArgumentValues.duration(outputTimeout, flag: "--output-timeout")
        guard timeout > 0 else { throw ValidationError("invalid --output-timeout \"\(outputTimeout)\": expected a duration above 0, like 10s") }
        let drain = try ArgumentValues.duration(outputDrainTimeout, flag: "--output-drain-timeout")
        let spoolMax = try ArgumentValues.size(outputSpoolMax, flag: "--output-spool-max")
        guard spoolMax >= 1 << 20 else { throw ValidationError("invalid --output-spool-max \"\(outputSpoolMax)\": expected at least 1M") }
        let batchMax = try ArgumentValues.size(outputBatchMax, flag: "--output-batch-max")
        guard batchMax >= 4096 else { throw ValidationError("invalid --output-batch-max \"\(outputBatchMax)\": expected at least 4K") }
        let compression = outputCompression.lowercased()
        guard compression == "gzip" || compression == "none" else {
            throw ValidationError("invalid --output-compression \"\(outputCompression)\": expected gzip or none")
        }
        if let file = outputBearerTokenFile {
            do { _ = try HTTPOutputConfiguration.readToken(file) } catch {
                throw ValidationError("invalid --output-bearer-token-file \"\(file)\": \(error)")
            }
        }
        do {
            let destinations = try urls.map(HTTPOutputDestination.init)
            let parsedHeaders = try headers.map(UrgentConfiguration.header)
            guard !destinations.isEmpty else {
                if !headers.isEmpty || outputBearerTokenFile != nil {
                    throw ValidationError("\(headers.isEmpty ? "--output-bearer-token-file" : "--output-header") needs an --output URL")
                }
                return nil
            }
            guard !stateDir.isEmpty else { throw ValidationError("invalid --state-dir \"\": expected a directory") }
            return try HTTPOutputConfiguration(
                destinations: destinations, stateDirectory: stateDir, headers: parsedHeaders,
                bearerTokenFile: outputBearerTokenFile, gzip: compression == "gzip", maxRequestBytes: batchMax,
                spoolMaxBytes: spoolMax, drainTimeoutMillis: drain, requestTimeoutMillis: timeout)
        } catch let e as UrgentConfigError {
            throw ValidationError(e.description.replacingOccurrences(of: "--urgent", with: "--output"))
        }
    }

    /// The sink (spools opened and recovered, delivery threads started); nil without --output.
    func makeSink(stateDir: String) throws -> HTTPOutputSink? {
        guard var configuration = try resolve(stateDir: stateDir) else { return nil }
        configuration.log = { Diagnostics.logger.warning("\($0)") }
        do {
            return try HTTPOutputSink(configuration: configuration)
        } catch {
            throw RuntimeFailure("cannot start the --output sink: \(error)")
        }
    }
}
