import ArgumentParser
import Foundation
import Pipeline
import SegmentFormat
import Sinks

/// The ClickHouse sink's flags (`run` and `replay`, issue 9): every entry is inserted into a ClickHouse table
/// as well as written to the segments (or instead of them, `--clickhouse-only`). The spool lives in `<--state-dir>/clickhouse/<server-and-table>/`;
/// schema and cluster set-up in docs/clickhouse.md.
struct ClickHouseOptions: ParsableArguments {
    @Option(name: .customLong("clickhouse"),
            help: ArgumentHelp("Insert every entry into ClickHouse through its HTTP interface: http://[USER[:PASSWORD]@]HOST[:PORT] (port 8123 by default) or https://… (port 8443).",
                               valueName: "url"))
    var url: String?
    @Option(help: "ClickHouse database of the table.")
    var clickhouseDatabase = ConfigKey.defaultValue(of: "--clickhouse-database")
    @Option(help: "ClickHouse table (or Distributed table) that receives the entries.")
    var clickhouseTable = ConfigKey.defaultValue(of: "--clickhouse-table")
    @Option(help: "ClickHouse user (HTTP basic auth; overrides the URL's).")
    var clickhouseUser: String?
    @Option(help: "ClickHouse password (overrides the URL's; prefer the config file or $LOGPIPE_CLICKHOUSE_PASSWORD to the command line).")
    var clickhousePassword: String?
    @Option(help: ArgumentHelp("PEM file of CA certificates (or a self-signed server certificate) that an https:// --clickhouse server may also be signed by, besides the system's.",
                               valueName: "path"))
    var clickhouseCaFile: String?
    @Flag(help: "Do not verify the certificate of an https:// --clickhouse server (testing only; warns at start).")
    var clickhouseInsecure = false
    @Flag(help: "CREATE TABLE IF NOT EXISTS with the documented schema before the first insert.")
    var clickhouseCreate = false
    @Flag(help: "Ship to ClickHouse instead of writing segment files (the spool is then the only local copy).")
    var clickhouseOnly = false
    @Option(help: "Request body compression: auto (gzip, but none for a server on this host), gzip or none.")
    var clickhouseCompression = ConfigKey.defaultValue(of: "--clickhouse-compression")
    @Option(name: .customLong("clickhouse-setting"),
            help: ArgumentHelp("A ClickHouse setting sent with every insert, NAME=VALUE (e.g. insert_distributed_sync=1). Repeatable.", valueName: "setting"))
    var clickhouseSettings: [String] = []
    @Option(help: "Bound of the spool of entries not yet inserted (K/M/G); beyond it entries are refused, loudly.")
    var clickhouseSpoolMax = ConfigKey.defaultValue(of: "--clickhouse-spool-max")
    @Option(help: "Most entry bytes per insert (K/M/G): ClickHouse prefers few large inserts.")
    var clickhouseBatchMax = ConfigKey.defaultValue(of: "--clickhouse-batch-max")
    @Option(help: "At end of input, wait this long for the inserts (ms/s/m); the rest stays spooled for the next start.")
    var clickhouseDrainTimeout = ConfigKey.defaultValue(of: "--clickhouse-drain-timeout")
    @Option(help: "Per-insert timeout (ms/s/m).")
    var clickhouseTimeout = ConfigKey.defaultValue(of: "--clickhouse-timeout")

    func validate() throws {
        _ = try resolve(stateDir: "./logpipe-state")
        if clickhouseOnly && url == nil {
            throw ValidationError("--clickhouse-only needs --clickhouse URL (without it nothing would keep the entries)")
        }
    }

    /// The drain wait in milliseconds (for the pipeline's end of input).
    func drainTimeoutMillis() throws -> Int {
        try ArgumentValues.duration(clickhouseDrainTimeout, flag: "--clickhouse-drain-timeout")
    }

    /// The validated configuration; nil without --clickhouse.
    func resolve(stateDir: String) throws -> ClickHouseConfiguration? {
        let timeout = try ArgumentValues.duration(clickhouseTimeout, flag: "--clickhouse-timeout")
        guard timeout > 0 else {
            throw ValidationError("invalid --clickhouse-timeout \"\(clickhouseTimeout)\": expected a duration above 0, like 30s")
        }
        _ = try drainTimeoutMillis()
        let spoolMax = try ArgumentValues.size(clickhouseSpoolMax, flag: "--clickhouse-spool-max")
        guard spoolMax >= 1 << 20 else {
            throw ValidationError("invalid --clickhouse-spool-max \"\(clickhouseSpoolMax)\": expected at least 1M")
        }
        let batchMax = try ArgumentValues.size(clickhouseBatchMax, flag: "--clickhouse-batch-max")
        guard batchMax >= 4096 else {
            throw ValidationError("invalid --clickhouse-batch-max \"\(clickhouseBatchMax)\": expected at least 4K")
        }
        guard let compression = ClickHouseConfiguration.Compression(rawValue: clickhouseCompression.lowercased()) else {
            throw ValidationError("invalid --clickhouse-compression \"\(clickhouseCompression)\": expected auto, gzip or none")
        }
        guard let url else { return nil }
        guard !stateDir.isEmpty else { throw ValidationError("invalid --state-dir \"\": expected a directory") }
        let password = clickhousePassword ?? ProcessInfo.processInfo.environment["LOGPIPE_CLICKHOUSE_PASSWORD"]
        let tls = TLSOptions(caFile: clickhouseCaFile, verify: !clickhouseInsecure)
        do {
            let configuration = try ClickHouseConfiguration(
                url: url, database: clickhouseDatabase, table: clickhouseTable, user: clickhouseUser, password: password,
                tlsOptions: tls, compression: compression,
                createTable: clickhouseCreate,
                settings: clickhouseSettings.map(ClickHouseConfiguration.setting), stateDirectory: stateDir,
                spoolMaxBytes: spoolMax, requestTimeoutMillis: timeout, maxRequestBytes: batchMax)
            if clickhouseCaFile != nil || clickhouseInsecure, configuration.tls == nil {
                throw ValidationError("\(clickhouseCaFile != nil ? "--clickhouse-ca-file" : "--clickhouse-insecure") needs an https:// --clickhouse URL")
            }
            if configuration.tls != nil, let why = tls.problem {
                throw ValidationError("invalid --clickhouse-ca-file \"\(clickhouseCaFile ?? "")\": \(why)")
            }
            return configuration
        } catch let e as ClickHouseConfigError {
            throw ValidationError(e.description)
        }
    }

    /// The sink (spool opened and recovered, delivery thread started); nil without --clickhouse.
    /// Throws `RuntimeFailure` when the state directory cannot be used.
    func makeSink(stateDir: String) throws -> ClickHouseSink? {
        guard var configuration = try resolve(stateDir: stateDir) else { return nil }
        configuration.drainTimeoutMillis = try drainTimeoutMillis()
        if configuration.tls?.verify == false {
            Diagnostics.logger.warning("clickhouse: --clickhouse-insecure: the certificate of \(configuration.url) is NOT verified (anyone on the path can read and change what is sent)")
        }
        do {
            return try ClickHouseSink(configuration: configuration)
        } catch {
            throw RuntimeFailure("cannot start the ClickHouse sink: \(error)")
        }
    }
}
