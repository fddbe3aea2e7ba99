import Foundation
import Pipeline

/// The settings a reload changes in place: the parse → filter → enrich options, and whether an urgent path runs
/// (incidents are raised only then). Workers pick up a new generation between batches, so no batch is encoded
/// half with old and half with new settings.
final class LiveSettings: @unchecked Sendable {
    private let lock = NSLock()
    private var current: EncoderOptions
    private(set) var generation = 0
    private var urgentRuns = false

    var urgent: Bool {
        get { lock.lock(); defer { lock.unlock() }; return urgentRuns }
        set { lock.lock(); urgentRuns = newValue; lock.unlock() }
    }

    init(_ encoder: EncoderOptions) { current = encoder }

    var encoder: (options: EncoderOptions, generation: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (current, generation)
    }

    func update(_ encoder: EncoderOptions) {
        lock.lock()
        current = encoder
        generation += 1
        lock.unlock()
    }
}
