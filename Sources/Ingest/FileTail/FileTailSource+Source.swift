import Pipeline

/// Tailed files as a topology ``Source``: a batch's position is its file's fingerprint and the offset after its
/// last line; acknowledged positions become checkpoints (`<state-dir>/checkpoints.json`), so a restart resumes
/// after the last durable line.
extension FileTailSource: Source {
    public var name: String { "file:\(matcher.pattern)" }

    public func acknowledge(_ positions: [SourcePosition]) throws {
        try checkpoints.commit(positions, paths: pathsByKey())
    }

    /// The archive can be ahead of the last commit (its batches were written, their commit had not run).
    public func resume(fromArchive positions: [String: Int64]) throws {
        try checkpoints.adopt(positions)
    }

    public var exitSummary: String? { summary }

    public var gauges: [SourceGauge] {
        checkpointLag().map { SourceGauge("logpipe_checkpoint_lag_bytes", labels: [("file", $0.key)], Double($0.value), kind: .gauge) } +
            [SourceGauge("logpipe_tail_truncated_unread_bytes_total", labels: [("glob", matcher.pattern)], Double(truncatedUnreadBytes))]
    }
}
