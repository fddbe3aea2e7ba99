import Foundation
@testable import Ingest
import Pipeline
import Testing

/// Checkpoint expiry (issue 3: "checkpoints of files gone for good expire"): a file still being read keeps its
/// checkpoint however long it stays quiet; one no source reads any more is dropped after `expirySeconds`.
@Suite struct CheckpointStoreTests {
    @Test func onlyCheckpointsOfFilesGoneForGoodExpire() throws {
        let dir = NSTemporaryDirectory() + "logpipe-checkpoints-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try CheckpointStore(directory: dir)
        store.expirySeconds = 0.3
        let quiet = "256:abc@1:10", gone = "256:def@1:11", busy = "256:0123@1:12"
        try store.commit([SourcePosition(key: quiet, offset: 100), SourcePosition(key: gone, offset: 200)],
                         paths: [quiet: "/logs/quiet.log", gone: "/logs/gone.log"])
        usleep(500_000)
        // Only `busy` moves; `quiet` is still tailed (in `paths`), `gone` is not.
        try store.commit([SourcePosition(key: busy, offset: 50)], paths: [quiet: "/logs/quiet.log", busy: "/logs/busy.log"])
        #expect(store.offset(of: quiet) == 100)
        #expect(store.offset(of: gone) == nil)
        #expect(store.offset(of: busy) == 50)
        // What is on disk says the same after a restart.
        let reopened = try CheckpointStore(directory: dir)
        #expect(reopened.offset(of: quiet) == 100 && reopened.offset(of: gone) == nil && reopened.offset(of: busy) == 50)
    }
}
