/// Picks the entries a sink with a level route takes (the urgent path: ERROR and FATAL by default), in order,
/// copied into one buffer so the sink gets them in one call per batch.
public struct RouteStage: Sendable {
    public let level: Level

    public init(level: Level) { self.level = level }

    /// Copies the entries of `batch` at or above the level into `scratch` (cleared first); returns how many.
    public func select(_ batch: EncodedBatch, into scratch: ByteBuffer) -> Int {
        scratch.removeAll()
        guard batch.stats.levelCounts[Int(level.rawValue)...].reduce(0, +) > 0 else { return 0 }
        var count = 0
        for (i, info) in batch.entries.enumerated() where info.level >= level {
            let s = batch.start(of: i)
            scratch.append(batch.output.base + s, Int(info.end) - s)
            count += 1
        }
        return count
    }
}
