import Foundation

/// The one delivery engine of every network output: a durable ``DeliverySpool`` and a thread that reads it in
/// order from its committed position, hands batches to a ``DeliveryTransport``, commits on success and backs off
/// (``RetryPolicy``) on failure. The urgent forwarder runs one lane per destination; ClickHouse runs one.
///
/// Each request carries everything pending when the previous one finished (up to `maxRequestBytes`), so a
/// backlog drains in few requests while a lone ERROR leaves at once. Failures are logged when delivery stops
/// working and when it works again, not per attempt.
///
/// Threading: `submit` from one appending thread (the pipeline's delivery queue); `drain`, `close` and the
/// health getters from any thread.
public final class DeliveryLane: @unchecked Sendable {
    /// What this lane delivers to (a URL), for log lines and summaries.
    public let name: String
    let spool: DeliverySpool
    private let transport: DeliveryTransport
    private let retry: RetryPolicy
    private let maxRequestBytes: Int
    private let log: @Sendable (String) -> Void
    /// Guarded by `spool.condition`.
    private var stopping = false
    private var finished = false
    private var started = false
    private(set) var failures = 0
    /// Since when delivery has been failing (wall clock, epoch ms) and why; guarded by `spool.condition`.
    private(set) var failingSinceWallMillis: Int64?
    private(set) var lastError: String?
    /// What the log lines call this path ("urgent", "clickhouse").
    private let label: String
    /// Where refused entries go (nil: refusals are retried like any failure).
    let deadLetter: DeadLetterQueue?
    /// The parts of a batch still to deliver while it is being split around refused entries: kept across a
    /// temporary failure so that the retry resumes there (nothing delivered or dead-lettered twice). Lane thread only.
    private var isolating: (start: DeliverySpool.Position, end: DeliverySpool.Position, parts: [Range<Int>])?

    init(name: String, spool: DeliverySpool, transport: DeliveryTransport, settings: DeliverySettings) {
        self.name = name
        self.spool = spool
        self.transport = transport
        self.label = settings.label
        self.retry = settings.retry
        self.maxRequestBytes = settings.maxRequestBytes
        self.deadLetter = settings.deadLetter
        self.log = settings.log
    }

    /// Spools `count` lines (each ending in `\n`): accepted once written (and synced, as the spool says).
    func submit(_ lines: UnsafeBufferPointer<UInt8>, count: Int) {
        guard count > 0 else { return }
        spool.append(lines, count: count)
    }

    /// Waits until `deadline` for everything submitted to be delivered; true when it was.
    func drain(until deadline: Date) -> Bool {
        let c = spool.condition
        c.lock()
        while spool.pendingEntries > 0, Date() < deadline { _ = c.wait(until: deadline) }
        c.unlock()
        return spool.counts.pending == 0
    }

    /// Makes everything submitted so far durable (a spool that commits in groups fsyncs now).
    func sync() throws { try spool.syncPending() }

    /// Stops the thread and closes the spool (what is undelivered stays on disk for the next start).
    func close() {
        stop()
        spool.close()
    }

    /// (failing since, last error, failed attempts), read under the spool's lock.
    var health: (since: Int64?, error: String?, failures: Int) {
        let c = spool.condition
        c.lock()
        defer { c.unlock() }
        return (failingSinceWallMillis, lastError, failures)
    }

    func start() {
        let c = spool.condition
        c.lock(); started = true; c.unlock()
        let thread = Thread { [self] in run() }
        thread.name = "logpipe-\(label)"
        thread.start()
    }

    /// Stops the thread after its current attempt and waits for it (at most the request timeout).
    func stop() {
        let c = spool.condition
        c.lock()
        stopping = true
        c.broadcast()
        while started, !finished { c.wait() }
        c.unlock()
    }

    private func run() {
        var attempt = 0
        var failingSince: Int64?
        // With a transport that prepares requests (ClickHouse: rows, compression), the next batch is read and
        // prepared on this queue while the current request is in flight.
        let readAhead = transport.preparesAhead ? DispatchQueue(label: "logpipe-\(label)-read-ahead") : nil
        var ahead: DeliverySpool.Batch?
        // A batch that failed is retried as it is (read and prepared once), with the read-ahead made for it.
        var following: ReadAhead?
        while true {
            guard var batch = takeAhead(&ahead) ?? nextBatch() else { break }
            if batch.prepared == nil { transport.prepare(&batch) } // no read-ahead runs now: it may use the same state
            let next: ReadAhead
            if let f = following {
                next = f
                following = nil
            } else {
                next = ReadAhead()
                if let readAhead {
                    let end = batch.end
                    readAhead.async { [self] in
                        guard var b = spool.peek(from: end, maxBytes: maxRequestBytes) else { return }
                        transport.prepare(&b)
                        next.batch = b
                    }
                }
            }
            defer { readAhead?.sync {} } // the read-ahead never outlives its turn
            do {
                try deliverIsolating(batch)
                if let since = failingSince {
                    log("\(label) \(name): delivering again after \(attempt) failed attempt(s) over \(monotonicMillis() - since) ms")
                }
                spool.commit(batch.end, count: batch.count)
                readAhead?.sync {}
                ahead = next.batch
                attempt = 0
                failingSince = nil
                let c = spool.condition
                c.lock(); failingSinceWallMillis = nil; c.unlock()
            } catch {
                attempt += 1
                let c = spool.condition
                c.lock()
                failures += 1
                lastError = "\(error)"
                if failingSinceWallMillis == nil { failingSinceWallMillis = Int64(Date().timeIntervalSince1970 * 1000) }
                c.unlock()
                if failingSince == nil {
                    failingSince = monotonicMillis()
                    log("\(label) \(name): delivery failed (\(error)); retrying with backoff, entries stay in the spool")
                }
                // A group-commit spool: what waits for the receiver is on disk.
                do { try spool.syncPending() } catch { log("\(label) \(name): \(error)") }
                ahead = batch
                following = next
                // A receiver that says when to come back (429/503 with Retry-After) is not asked sooner.
                let asked = (error as? DeliveryRetryLater)?.afterMillis ?? 0
                sleep(millis: max(retry.delayMillis(attempt: attempt), min(asked, 300_000)))
            }
        }
        transport.close()
        let c = spool.condition
        c.lock(); finished = true; c.broadcast(); c.unlock()
    }

    /// Delivers `batch`; with a dead-letter queue, a batch the receiver refuses for good is split in halves
    /// (recursively, in order) until each refused entry is alone, which then goes to the queue: every other
    /// entry is delivered and one bad entry never blocks those behind it. A temporary failure throws, keeping
    /// the parts still to do for the retry.
    private func deliverIsolating(_ batch: DeliverySpool.Batch) throws {
        guard let deadLetter else { return try transport.deliver(batch) }
        var parts: [Range<Int>] = [0..<batch.count]
        if let i = isolating, i.start == batch.start, i.end == batch.end { parts = i.parts }
        isolating = nil
        var moved = 0
        var last: DeliveryRejection?
        defer {
            if moved > 0, let last {
                log("\(label) \(name): moved \(moved) refused entr\(moved == 1 ? "y" : "ies") to \(deadLetter.directory) (\(last))")
            }
        }
        while let part = parts.first {
            do {
                try transport.deliver(part.count == batch.count ? batch : batch.slice(entries: part))
                parts.removeFirst()
            } catch let rejection as DeliveryRejection {
                if part.count > 1 {
                    let mid = part.lowerBound + part.count / 2
                    parts.replaceSubrange(0..<1, with: [part.lowerBound..<mid, mid..<part.upperBound])
                    continue
                }
                do {
                    try deadLetter.append(batch.lines(part), rejection: rejection, destination: name)
                } catch {
                    isolating = (batch.start, batch.end, parts)
                    throw error
                }
                moved += 1
                last = rejection
                parts.removeFirst()
            } catch {
                isolating = (batch.start, batch.end, parts)
                throw error
            }
        }
    }

    /// The read-ahead batch when it starts where the spool's committed position now is (it does unless the
    /// committed position moved to a file that did not exist when the batch was read); nil when stopping.
    private func takeAhead(_ ahead: inout DeliverySpool.Batch?) -> DeliverySpool.Batch? {
        guard let b = ahead else { return nil }
        ahead = nil
        let c = spool.condition
        c.lock()
        defer { c.unlock() }
        return !stopping && b.start == spool.committed ? b : nil
    }

    /// Waits for pending entries; nil when stopping.
    private func nextBatch() -> DeliverySpool.Batch? {
        let c = spool.condition
        while true {
            c.lock()
            if stopping { c.unlock(); return nil }
            let pending = spool.pendingEntries
            if pending == 0 { _ = c.wait(until: Date().addingTimeInterval(1)); c.unlock(); continue }
            c.unlock()
            if let batch = spool.read(maxBytes: maxRequestBytes) { return batch }
            // Counted but not readable (a file vanished): do not spin.
            sleep(millis: 100)
        }
    }

    /// Sleeps, waking early only to stop.
    private func sleep(millis: Int) {
        let until = Date().addingTimeInterval(Double(millis) / 1000)
        let c = spool.condition
        c.lock()
        while !stopping, Date() < until { _ = c.wait(until: until) }
        c.unlock()
    }
}

/// The batch a read-ahead produced (written on the read-ahead queue, read after waiting for it).
private final class ReadAhead: @unchecked Sendable {
    var batch: DeliverySpool.Batch?
}

extension DeliverySpool.Batch {
    /// The bytes of entries `range` (their lines, each ending in `\n`).
    func lines(_ range: Range<Int>) -> ArraySlice<UInt8> {
        let from = range.lowerBound == 0 ? 0 : lineEnds[range.lowerBound - 1]
        return bytes[from..<lineEnds[range.upperBound - 1]]
    }

    /// A batch of entries `range` only (not prepared: the transport makes its request itself).
    func slice(entries range: Range<Int>) -> DeliverySpool.Batch {
        var part = DeliverySpool.Batch(start: start)
        part.end = end
        let from = range.lowerBound == 0 ? 0 : lineEnds[range.lowerBound - 1]
        part.bytes = Array(bytes[from..<lineEnds[range.upperBound - 1]])
        part.lineEnds = lineEnds[range].map { $0 - from }
        return part
    }
}
