import ArgumentParser
import Foundation

extension RunConfiguration {
    /// This (new) configuration with what a reload cannot change taken from the running one, and the flags that
    /// differed (logged: they take effect at the next start). docs/reload.md says why each one cannot change.
    /// Throws when the difference cannot be set aside (`--clickhouse-only` turned on or off).
    func keepingRestartOnly(of running: RunConfiguration) throws -> (RunConfiguration, [String]) {
        var next = self
        var kept: [String] = []
        let (new, old) = (settings, running.settings)
        if new.segments.codec != old.segments.codec || new.segments.codecLevel != old.segments.codecLevel {
            kept.append("--codec/--codec-level")
            next.settings.segments.codec = old.segments.codec
            next.settings.segments.codecLevel = old.segments.codecLevel
        }
        if new.stateDir != old.stateDir {
            kept.append("--state-dir")
            next.settings.stateDir = old.stateDir
            next.settings.tail.stateDir = old.tail.stateDir
        }
        if new.metricsAddress != old.metricsAddress {
            kept.append("--metrics")
            next.settings.metricsAddress = old.metricsAddress
        }
        if new.incidents != old.incidents || new.incidentWindowMillis != old.incidentWindowMillis {
            kept.append("--incidents/--incident-window")
            next.settings.incidents = old.incidents
            next.settings.incidentWindowMillis = old.incidentWindowMillis
        }
        if new.unhealthyAfterMillis != old.unhealthyAfterMillis {
            kept.append("--unhealthy-after")
            next.settings.unhealthyAfterMillis = old.unhealthyAfterMillis
        }
        if "\(new.framing)" != "\(old.framing)", new.inputs.contains(where: { $0 == .stdin || $0.isUDP }) {
            kept.append("the framing of stdin and udp inputs")
        }
        if "\(new.network)" != "\(old.network)", new.inputs.contains(where: \.listensForConnections) {
            // A listening input keeps its port (and so its limits and TLS files) across a reload.
            kept.append("--tls-*/--net-*/--http-token-file of running tcp, tls, forward, http and otlp inputs")
            next.settings.network = old.network
        }
        guard writesSegments == running.writesSegments else {
            throw ValidationError("--clickhouse-only cannot change on reload: restart logpipe to \(writesSegments ? "write" : "stop writing") segment files")
        }
        return (next, kept)
    }
}

extension InputSpec {
    var isUDP: Bool {
        if case .udp = self { return true }
        return false
    }

    /// TCP/TLS syslog, forward, HTTP and OTLP: inputs that hold a listening port and connections.
    var listensForConnections: Bool {
        switch self {
        case .tcp, .forward, .http, .otlp: true
        case .stdin, .udp, .file: false
        }
    }
}
