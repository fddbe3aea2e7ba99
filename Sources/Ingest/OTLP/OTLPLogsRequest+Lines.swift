import Pipeline

extension OTLPLogsRequest {
    /// What went into a batch.
    struct Taken: Equatable {
        var accepted = 0
        /// Records whose line passed `maxLineBytes`: not taken, answered in `partial_success`.
        var rejected = 0
    }

    /// Appends one JSON line per record (``OTLPLogLine``) to `batch`, in request order.
    func lines(into batch: PeerBatch, maxLineBytes: Int, now: Int64) -> Taken {
        var taken = Taken()
        let scratch = Pipeline.ByteBuffer(capacity: 4096)
        for resourceLogs in export.resourceLogs {
            let resource = OTLPLogLine.ResourceContext(resourceLogs.hasResource ? resourceLogs.resource : nil)
            for scopeLogs in resourceLogs.scopeLogs {
                let scope = scopeLogs.hasScope ? scopeLogs.scope : nil
                for record in scopeLogs.logRecords {
                    scratch.removeAll()
                    OTLPLogLine.write(record, resource: resource, scope: scope, to: scratch)
                    if scratch.count > maxLineBytes { taken.rejected += 1; continue }
                    batch.append(scratch.base, scratch.count, truncated: false, now: now)
                    taken.accepted += 1
                }
            }
        }
        return taken
    }
}
