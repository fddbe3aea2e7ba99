import Foundation

/// The lanes of one sink (one per destination): started together, given every entry, drained against one
/// deadline, synced, closed once, and reported as one (the earliest failing lane, its error named by lane).
final class DeliveryLanes: @unchecked Sendable {
    let all: [DeliveryLane]
    private let closeLock = NSLock()
    private var closed = false

    /// Starts every lane's thread.
    init(_ lanes: [DeliveryLane]) {
        all = lanes
        for lane in lanes { lane.start() }
    }

    func submit(_ lines: UnsafeBufferPointer<UInt8>, count: Int) {
        guard count > 0 else { return }
        for lane in all { lane.submit(lines, count: count) }
    }

    /// Waits up to `timeoutMillis` (one deadline for all) for everything submitted to be delivered.
    func drain(timeoutMillis: Int) -> Bool {
        let deadline = Date().addingTimeInterval(Double(timeoutMillis) / 1000)
        return all.map { $0.drain(until: deadline) }.allSatisfy { $0 }
    }

    func sync() throws { for lane in all { try lane.sync() } }

    /// Stops every thread at once, then closes the spools (what is undelivered stays on disk); idempotent.
    func close() {
        closeLock.lock()
        let first = !closed
        closed = true
        closeLock.unlock()
        guard first else { return }
        for lane in all { lane.stop() }
        for lane in all { lane.close() }
    }

    /// Failed attempts over all lanes.
    var retried: Int { all.reduce(0) { $0 + $1.health.failures } }
    /// The earliest time a lane started failing (nil when all deliver).
    var failingSinceMillis: Int64? { all.compactMap { $0.health.since }.min() }
    /// The error of a failing lane, prefixed by its name.
    var lastError: String? {
        all.compactMap { lane in lane.health.since == nil ? nil : lane.health.error.map { "\(lane.name): \($0)" } }.first
    }
}
