import Foundation
import Pipeline

/// Per-input counters every network input keeps (for /metrics, the exit line and tests): connections open and
/// accepted, bytes and entries received, and rejects by reason ("frame_too_large", "bad_frame", "connections",
/// "idle_timeout", "invalid_protobuf", …). Safe from any thread.
public final class NetworkCounters: @unchecked Sendable {
    private let lock = NSLock()
    private var open = 0, accepted = 0, bytes = 0, entries = 0
    private var rejects: [String: Int] = [:]

    public init() {}

    public func connectionOpened() { lock.lock(); open += 1; accepted += 1; lock.unlock() }
    public func connectionClosed() { lock.lock(); open -= 1; lock.unlock() }
    public func received(bytes n: Int) { lock.lock(); bytes += n; lock.unlock() }
    public func received(entries n: Int) { lock.lock(); entries += n; lock.unlock() }
    public func reject(_ reason: String, count: Int = 1) { lock.lock(); rejects[reason, default: 0] += count; lock.unlock() }

    public struct Snapshot: Sendable, Equatable {
        public var openConnections = 0, acceptedConnections = 0, bytes = 0, entries = 0
        public var rejects: [String: Int] = [:]
    }

    public var snapshot: Snapshot {
        lock.lock()
        defer { lock.unlock() }
        return Snapshot(openConnections: open, acceptedConnections: accepted, bytes: bytes, entries: entries, rejects: rejects)
    }

    /// The gauges of input `name` for /metrics.
    public func gauges(input name: String) -> [SourceGauge] {
        let s = snapshot
        let l = [("input", name)]
        return [SourceGauge("logpipe_input_connections", labels: l, Double(s.openConnections), kind: .gauge),
                SourceGauge("logpipe_input_connections_total", labels: l, Double(s.acceptedConnections)),
                SourceGauge("logpipe_input_bytes_total", labels: l, Double(s.bytes)),
                SourceGauge("logpipe_input_entries_total", labels: l, Double(s.entries))]
            + s.rejects.sorted { $0.key < $1.key }.map {
                SourceGauge("logpipe_input_rejects_total", labels: l + [("reason", $0.key)], Double($0.value))
            }
    }

    /// For the exit line: "12 connections, 3,400 entries, rejected: 2 frame_too_large".
    public var summary: String {
        let s = snapshot
        var text = "\(s.acceptedConnections) connections, \(s.entries) entries"
        if !s.rejects.isEmpty {
            text += ", rejected: " + s.rejects.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        }
        return text
    }
}
