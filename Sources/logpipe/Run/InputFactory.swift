import Foundation
import Ingest
import Pipeline

/// Makes the sources that `--input`s name, at start and on every reload: one raw buffer pool and one checkpoint
/// store (opened when the first file input needs it), so a tail started by a reload resumes from the checkpoints
/// its predecessor committed.
final class InputFactory: @unchecked Sendable {
    let pool = BufferPool()
    private let stateDir: String
    private let lock = NSLock()
    private var store: CheckpointStore?

    init(stateDir: String) { self.stateDir = stateDir }

    func make(_ spec: InputSpec, settings: RunOptions.Resolved, lowLatency: Bool) throws -> Source {
        try spec.makeSource(settings: settings, pool: pool, lowLatency: lowLatency, checkpoints: checkpoints)
    }

    private func checkpoints() throws -> CheckpointStore {
        lock.lock()
        defer { lock.unlock() }
        if let store { return store }
        let s: CheckpointStore
        do { s = try CheckpointStore(directory: stateDir) } catch {
            throw RuntimeFailure("cannot use --state-dir \(stateDir): \(error)")
        }
        if let w = s.warning { Diagnostics.logger.warning("\(w)") }
        store = s
        return s
    }
}
