import Ingest
import Pipeline

/// Acknowledgements: the newest position of each input written to the sink waits here until the sink says it is
/// durable (fsync), then goes to the checkpoint store. Used on the delivery queue only.
final class AckTracker: @unchecked Sendable {
    private let store: CheckpointStore?
    private let sources: [FileTailSource]
    private var pending: [String: SourcePosition] = [:]

    init(store: CheckpointStore?, sources: [FileTailSource]) {
        self.store = store
        self.sources = sources
    }

    func written(_ batch: EncodedBatch) {
        if let p = batch.position { pending[p.key] = p }
    }

    /// Everything written so far is durable: commit the positions.
    func durable() throws {
        guard let store, !pending.isEmpty else { return }
        var paths: [String: String] = [:]
        for s in sources { paths.merge(s.pathsByKey()) { a, _ in a } }
        try store.commit(Array(pending.values), paths: paths)
        pending.removeAll()
    }
}
