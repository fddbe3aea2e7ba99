import ArgumentParser
import Foundation
import Pipeline
import SegmentFormat
import Sinks

/// The urgent path's flags (`run` and `replay`): where ERROR/FATAL entries go at once, and how they wait when
/// the receiver is away (issue 4, DESIGN.md §3 "Urgent HTTP delivery"). The spools live in
/// `<--state-dir>/urgent/<destination>/`; `--state-dir` belongs to ``RunOptions`` (shared with the checkpoints).
struct UrgentOptions: ParsableArguments {
    @Option(name: .customLong("urgent"),
            help: ArgumentHelp("Send entries at or above --urgent-level here at once: http://HOST[:PORT]/PATH, https://HOST[:PORT]/PATH, syslog+udp://HOST:PORT or syslog+tcp://HOST:PORT. Repeatable.",
                               valueName: "url"))
    var urls: [String] = []
    @Option(help: "Lowest level that takes the urgent path: DEBUG, INFO, WARN, ERROR or FATAL.")
    var urgentLevel = ConfigKey.defaultValue(of: "--urgent-level")
    @Option(name: .customLong("urgent-header"),
            help: ArgumentHelp("Extra HTTP header 'Name: value' for --urgent URLs (e.g. a token). Repeatable.", valueName: "header"))
    var headers: [String] = []
    @Option(help: ArgumentHelp("PEM file of CA certificates (or a self-signed server certificate) that https:// --urgent URLs may also be signed by, besides the system's.",
                               valueName: "path"))
    var urgentCaFile: String?
    @Flag(help: "Do not verify the certificates of https:// --urgent URLs (testing only; warns at start).")
    var urgentInsecure = false
    @Option(help: "Bound of each urgent destination's spool of undelivered entries (K/M/G); beyond it entries are refused, loudly.")
    var urgentSpoolMax = ConfigKey.defaultValue(of: "--urgent-spool-max")
    @Option(help: "At end of input, wait this long for urgent delivery (ms/s/m); the rest stays spooled for the next start.")
    var urgentDrainTimeout = ConfigKey.defaultValue(of: "--urgent-drain-timeout")
    @Option(help: "Per-request timeout of urgent delivery (ms/s/m).")
    var urgentTimeout = ConfigKey.defaultValue(of: "--urgent-timeout")

    /// The validated settings.
    struct Resolved {
        var level: Level
        var drainTimeoutMillis: Int
        /// Nil without --urgent.
        var configuration: UrgentConfiguration?
    }

    func validate() throws { _ = try resolve(stateDir: "./logpipe-state") }

    func resolve(stateDir: String) throws -> Resolved {
        let level = try ArgumentValues.level(urgentLevel, flag: "--urgent-level")
        let drain = try ArgumentValues.duration(urgentDrainTimeout, flag: "--urgent-drain-timeout")
        let timeout = try ArgumentValues.duration(urgentTimeout, flag: "--urgent-timeout")
        guard timeout > 0 else { throw ValidationError("invalid --urgent-timeout \"\(urgentTimeout)\": expected a duration above 0, like 5s") }
        let spoolMax = try ArgumentValues.size(urgentSpoolMax, flag: "--urgent-spool-max")
        guard spoolMax >= 4096 else {
            throw ValidationError("invalid --urgent-spool-max \"\(urgentSpoolMax)\": expected at least 4K")
        }
        guard !stateDir.isEmpty else { throw ValidationError("invalid --state-dir \"\": expected a directory") }
        do {
            let destinations = try urls.map(UrgentDestination.init)
            let parsedHeaders = try headers.map(UrgentConfiguration.header)
            if !parsedHeaders.isEmpty, !destinations.contains(where: { $0.kind == .http }) {
                throw ValidationError("--urgent-header needs an http:// --urgent URL")
            }
            let tls = TLSOptions(caFile: urgentCaFile, verify: !urgentInsecure)
            if urgentCaFile != nil || urgentInsecure, !destinations.contains(where: \.tls) {
                throw ValidationError("\(urgentCaFile != nil ? "--urgent-ca-file" : "--urgent-insecure") needs an https:// --urgent URL")
            }
            if destinations.contains(where: \.tls) { try UrgentConfiguration.checkTLS(tls) }
            let configuration = destinations.isEmpty ? nil : UrgentConfiguration(
                destinations: destinations, stateDirectory: stateDir, level: level, drainTimeoutMillis: drain,
                spoolMaxBytes: spoolMax,
                requestTimeoutMillis: timeout, headers: parsedHeaders, tls: tls)
            return Resolved(level: level, drainTimeoutMillis: drain, configuration: configuration)
        } catch let e as UrgentConfigError {
            throw ValidationError(e.description)
        }
    }

    /// The forwarder (spools opened and recovered, delivery threads started); nil without --urgent.
    /// Throws `RuntimeFailure` when the state directory cannot be used.
    func makeSink(stateDir: String) throws -> UrgentForwarder? {
        guard var configuration = try resolve(stateDir: stateDir).configuration else { return nil }
        // The forwarder's diagnostics go through logpipe's logger (--log-level), one line each.
        configuration.log = { Diagnostics.logger.warning("\($0)") }
        if !configuration.tls.verify {
            configuration.log("urgent: --urgent-insecure: the certificates of https:// destinations are NOT verified (anyone on the path can read and change what is sent)")
        }
        do {
            return try UrgentForwarder(configuration: configuration)
        } catch {
            throw RuntimeFailure("cannot start the urgent path: \(error)")
        }
    }
}
