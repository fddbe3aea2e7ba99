import Foundation
import Pipeline
import SegmentFormat
import Sinks

/// Everything `logpipe run` is configured with: the pipeline settings and the output option groups. A reload
/// reads a new one and compares it with the running one, part by part (docs/reload.md).
struct RunConfiguration {
    var settings: RunOptions.Resolved
    var urgent: UrgentOptions
    var clickhouse: ClickHouseOptions
    var http: HTTPOutputOptions

    /// Validates the command's options (throws the usage error the command line would give).
    init(_ command: RunCommand) throws {
        try command.validate()
        settings = try command.options.resolve()
        urgent = command.urgent
        clickhouse = command.clickhouse
        http = command.http
    }

    /// False with `--clickhouse-only` (and a ClickHouse URL): no segment files.
    var writesSegments: Bool { !(clickhouse.clickhouseOnly && clickhouse.url != nil) }

    /// One kind of sink, in delivery order (urgent entries leave first).
    enum SinkKind: String, CaseIterable {
        case urgent, clickhouse, http, segments
    }

    /// What a sink of `kind` is configured with, as a reload compares it; nil when the configuration has none.
    /// An option group is compared as a whole, by the values its flags parsed to.
    func sinkKey(_ kind: SinkKind) -> String? {
        switch kind {
        case .urgent: urgent.urls.isEmpty ? nil : "\(urgent)"
        case .clickhouse: clickhouse.url == nil ? nil : "\(clickhouse)"
        case .http: http.urls.isEmpty ? nil : "\(http)"
        case .segments: writesSegments ? "\(settings.segments)" : nil
        }
    }

    /// A network sink of `kind`, its spool opened and recovered (nil when not configured). Segments are opened by
    /// ``openSegments(after:)``.
    func makeNetworkSink(_ kind: SinkKind) throws -> Sink? {
        switch kind {
        case .urgent: try urgent.makeSink(stateDir: settings.stateDir)
        case .clickhouse: try clickhouse.makeSink(stateDir: settings.stateDir)
        case .http: try http.makeSink(stateDir: settings.stateDir)
        case .segments: nil
        }
    }

    /// The segment sink of this configuration, opened while `running` still writes (so a failure refuses the
    /// reload): a directory of its own is recovered first, as at start; the running sink's directory is not
    /// (its open segment is the running sink's), and the new sink's sequence numbers follow what is there.
    func openSegments(after running: SegmentOptions?) throws -> SegmentSink {
        if let running, Self.sameDirectory(running.directory, settings.segments.directory) {
            do { return try SegmentSink(options: settings.segments) } catch { throw RuntimeFailure("\(error)") }
        }
        return try RunTopologyBuilder.openSegments(settings.segments).0
    }

    /// What `spec` is as a reload compares it. stdin and the inputs that listen on a port (UDP, TCP/TLS syslog,
    /// forward, HTTP, OTLP) are compared by name only: a pipe cannot be read again and a port cannot be bound twice while the
    /// running input holds it (the new topology is built before the old one stops), so they keep running with
    /// the framing, limits and TLS files they started with.
    func inputKey(_ spec: InputSpec) -> String {
        switch spec {
        case .stdin, .udp, .tcp, .forward, .http, .otlp: spec.description
        case .file: "\(spec) \(settings.framing) \(settings.tail)"
        }
    }

    static func sameDirectory(_ a: String, _ b: String) -> Bool {
        URL(fileURLWithPath: a).standardizedFileURL.path == URL(fileURLWithPath: b).standardizedFileURL.path
    }
}
