import Foundation
import Pipeline

/// Where a tap watches the pipeline (docs/control-socket.md, "tap points").
enum TapPoint: Equatable, CustomStringConvertible {
    /// After parse and enrich, before the level filter and dedup: every entry read, including those the filter
    /// drops. Workers encode a batch a second time, filter off, only while such a tap is attached. Workers run
    /// in parallel, so batches at this point may arrive out of order.
    case parsed
    /// What the sinks that take everything receive (after the level filter and dedup, plus incident entries), in
    /// delivery order, with a level floor for a sink with a level route (`urgent`).
    case delivered(floor: Level?, name: String)

    var description: String {
        switch self {
        case .parsed: "parsed"
        case let .delivered(_, name): name
        }
    }
}

/// One attached tap: a bounded queue of copied batches between the pipeline (which never waits for it) and the
/// connection thread that filters and sends them. When the queue is full, a batch is dropped and its entries
/// counted, so a slow client loses its own samples and nothing else.
final class Tap: @unchecked Sendable {
    let point: TapPoint
    private let lock = NSLock()
    private let ready = NSCondition()
    private var queue: [[UInt8]] = []
    private var queuedBytes = 0
    private var dropped = 0
    static let maxQueuedBatches = 64
    static let maxQueuedBytes = 16 << 20

    init(point: TapPoint) { self.point = point }

    /// From the pipeline: copies the batch's lines, or counts them dropped when the queue is full. Never blocks
    /// beyond the copy.
    func offer(_ lines: UnsafeBufferPointer<UInt8>, entries: Int) {
        ready.lock()
        defer { ready.unlock() }
        guard queue.count < Self.maxQueuedBatches, queuedBytes + lines.count <= Self.maxQueuedBytes else {
            dropped += entries
            return
        }
        queue.append(Array(lines))
        queuedBytes += lines.count
        ready.signal()
    }

    /// From the connection thread: the next batch's lines (nil after `timeoutMillis` with none) and the entries
    /// dropped since the last call.
    func take(timeoutMillis: Int) -> (lines: [UInt8]?, dropped: Int) {
        ready.lock()
        defer { ready.unlock() }
        if queue.isEmpty { _ = ready.wait(until: Date().addingTimeInterval(Double(timeoutMillis) / 1000)) }
        let d = dropped
        dropped = 0
        guard !queue.isEmpty else { return (nil, d) }
        let lines = queue.removeFirst()
        queuedBytes -= lines.count
        return (lines, d)
    }
}
