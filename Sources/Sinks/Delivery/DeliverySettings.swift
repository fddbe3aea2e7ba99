#if canImport(Glibc)
import Glibc
#endif

/// How one delivery lane behaves: what its log lines call it, how it backs off, how much one request carries.
public struct DeliverySettings: Sendable {
    /// What the log lines call the path ("urgent", "clickhouse").
    public var label: String
    public var retry: RetryPolicy
    /// One request holds at most this many bytes of entries (a single larger entry goes alone).
    public var maxRequestBytes: Int
    /// Diagnostics (stderr by default).
    public var log: @Sendable (String) -> Void
    /// Where entries the receiver refuses for good go (``DeliveryRejection``); nil: a refusal is retried like
    /// any failure.
    public var deadLetter: DeadLetterQueue?

    public init(label: String, retry: RetryPolicy = RetryPolicy(), maxRequestBytes: Int = 1 << 20,
                deadLetter: DeadLetterQueue? = nil, log: @escaping @Sendable (String) -> Void = DeliveryLog.stderr) {
        self.label = label
        self.retry = retry
        self.maxRequestBytes = maxRequestBytes
        self.deadLetter = deadLetter
        self.log = log
    }
}

/// Failures of a delivery spool (it cannot be opened, locked, written or synced), naming the file.
public enum DeliveryError: Error, CustomStringConvertible, Equatable {
    case spool(String)

    public var description: String {
        switch self {
        case let .spool(message): message
        }
    }
}

/// The default diagnostics of network outputs: one line on stderr, written whole.
public enum DeliveryLog {
    public static let stderr: @Sendable (String) -> Void = { text in
        let line = Array(("logpipe: " + text + "\n").utf8)
        line.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = write(2, raw.baseAddress! + off, raw.count - off)
                if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
                off += n
            }
        }
    }
}

import Pipeline

extension SinkHealth {
    /// The health of a sink on delivery lanes: its counters, the backlog (`counters["spooled"]`) as a gauge, and
    /// while failing the last error (or `failing` when there is none).
    static func lanes(counters: [String: Int], failingSinceMillis: Int64?, lastError: String?, failing: String) -> SinkHealth {
        var c = counters
        let spooled = c.removeValue(forKey: "spooled") ?? 0
        return SinkHealth(failingSinceMillis: failingSinceMillis,
                          lastError: failingSinceMillis == nil ? nil : (lastError ?? failing),
                          counters: c, gauges: ["spooled": spooled])
    }
}
