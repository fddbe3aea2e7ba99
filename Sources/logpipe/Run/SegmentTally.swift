import Foundation
import Sinks

/// Segments finalized over a run whose segment sink a reload may replace: those of the sinks retired so far plus
/// the current one's (for /metrics and the exit line).
final class SegmentTally: @unchecked Sendable {
    private let lock = NSLock()
    private var retired = 0
    private var sink: SegmentSink?

    /// The segment sink taking batches now; setting another one counts the previous one's segments as retired.
    var current: SegmentSink? {
        get { lock.lock(); defer { lock.unlock() }; return sink }
        set {
            lock.lock()
            defer { lock.unlock() }
            guard newValue !== sink else { return }
            retired += sink?.segmentsFinalized ?? 0
            sink = newValue
        }
    }

    var finalized: Int {
        lock.lock()
        defer { lock.unlock() }
        return retired + (sink?.segmentsFinalized ?? 0)
    }
}
