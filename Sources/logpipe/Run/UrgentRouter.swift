import Pipeline

/// Copies the urgent entries (level ≥ the urgent level) of an encoded batch to the urgent path, in order, in as
/// few calls as possible (one per batch).
final class UrgentRouter: @unchecked Sendable {
    let level: Level
    private let scratch = ByteBuffer(capacity: 64 * 1024)

    init(level: Level) { self.level = level }

    /// Called on the delivery queue only.
    func route(_ batch: EncodedBatch, to sink: UrgentSink) {
        guard batch.stats.levelCounts[Int(level.rawValue)...].reduce(0, +) > 0 else { return }
        scratch.removeAll()
        var count = 0
        for (i, info) in batch.entries.enumerated() where info.level >= level {
            let s = batch.start(of: i)
            scratch.append(batch.output.base + s, Int(info.end) - s)
            count += 1
        }
        sink.submit(scratch.bytes, count: count)
    }
}
