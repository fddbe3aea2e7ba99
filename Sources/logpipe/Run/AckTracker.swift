import Ingest
import Pipeline

/// Acknowledgements: the newest position of each input written to the sink waits here until the sink says it is
/// durable (fsync), then goes to the checkpoint store. Used on the delivery queue only.
final class AckTracker: @unchecked Sendable {
    private let store: CheckpointStore?
    private let sources: [FileTailSource]
    private var pending: [String: SourcePosition] = [:]
    /// Runs before positions are committed: other sinks that hold the same entries make them durable too
    /// (the ClickHouse spool's group commit), so a checkpoint never runs ahead of any of them.
    private let beforeCommit: (@Sendable () throws -> Void)?

    init(store: CheckpointStore?, sources: [FileTailSource], beforeCommit: (@Sendable () throws -> Void)? = nil) {
        self.store = store
        self.sources = sources
        self.beforeCommit = beforeCommit
    }

    func written(_ batch: EncodedBatch) {
        if let p = batch.position { pending[p.key] = p }
    }

    /// Everything written so far is durable: commit the positions.
    func durable() throws {
        try commit(takePending())
    }

    /// The positions written so far (to commit once a sync started now has completed).
    func takePending() -> [SourcePosition] {
        defer { pending.removeAll() }
        return Array(pending.values)
    }

    /// Commits positions known to be durable; may run on another thread (the store is thread-safe).
    func commit(_ positions: [SourcePosition]) throws {
        guard let store, !positions.isEmpty else { return }
        try beforeCommit?() // a failure keeps the positions where they were
        var paths: [String: String] = [:]
        for s in sources { paths.merge(s.pathsByKey()) { a, _ in a } }
        try store.commit(positions, paths: paths)
    }
}
