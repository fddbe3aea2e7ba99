import Foundation

extension TopologyRunner {
    /// Applies a reload's change to the running set, then calls `completion` (on the delivery queue):
    ///
    /// 1. the sources in `change.stop` get their own stop signal and end (each drains its framer as at the end of
    ///    a run); the others keep reading;
    /// 2. once every batch submitted so far is delivered, on the delivery queue (so no batch sees half a change):
    ///    an acknowledgement round runs and every earlier round commits, so the stopped sources have their last
    ///    positions; they are unregistered and closed;
    /// 3. the running sinks not kept finish (in reverse delivery order, as at the end of a run) and close; the new
    ///    ones open; the set is swapped; the acknowledgement interval changes;
    /// 4. the new sources start (a replacement resumes from the checkpoints its predecessor just committed).
    ///
    /// Refused when the run is ending (every source has ended or a stop was signalled).
    public func apply(_ change: TopologyChange, completion: @escaping @Sendable (TopologyChange.Outcome) -> Void) {
        activity.lock()
        let refused = ended || stop.isTriggered || pool == nil
        if !refused { busy += 1 }
        let stopping = running.filter { entry in change.stop.contains { $0 === entry.value.source } }
        activity.unlock()
        guard !refused, let pool else {
            var outcome = TopologyChange.Outcome()
            outcome.refused = "the run is ending"
            completion(outcome)
            return
        }
        for entry in stopping.values { entry.stop.trigger() }
        DispatchQueue.global().async { [self] in
            activity.lock()
            while stopping.values.contains(where: { !$0.ended }) { activity.wait() }
            activity.unlock()
            pool.afterSubmitted { [self] in
                let outcome = swap(change, retiring: Array(stopping.keys), pool: pool)
                activity.lock()
                busy -= 1
                activity.broadcast()
                activity.unlock()
                completion(outcome)
            }
        }
    }

    /// Steps 2–4 of ``apply(_:completion:)``, on the delivery queue.
    private func swap(_ change: TopologyChange, retiring: [Int], pool: OrderedWorkPool<Worker, CompressedBatch>)
        -> TopologyChange.Outcome {
        var outcome = TopologyChange.Outcome()
        guard failure.message == nil else {
            outcome.refused = "the run has failed"
            return outcome
        }
        do { try acks.syncNow() } catch {
            outcome.refused = "an acknowledgement round failed: \(error)"
            return outcome
        }
        acks.waitForRounds()
        activity.lock()
        let gone = retiring.compactMap { running.removeValue(forKey: $0)?.source }
        activity.unlock()
        for id in retiring { acks.unregister(id) }
        for source in gone { source.afterRun() }

        let kept = change.sinks.compactMap { slot -> Sink? in
            if case let .running(sink) = slot { return sink }
            return nil
        }
        for sink in currentSinks.reversed() where !kept.contains(where: { $0 === sink }) {
            do {
                if try !sink.finish() { outcome.kept.append(sink.name) }
            } catch {
                fail("\(sink.name) could not finish on reload: \(error)")
            }
            sink.close()
        }
        var next: [Sink] = []
        for slot in change.sinks {
            switch slot {
            case let .running(sink): next.append(sink)
            case let .start(make):
                do { next.append(try make()) } catch {
                    // The sinks it replaces are gone: going on without it would acknowledge what it never took.
                    fail("reload: cannot open a sink: \(error)")
                    outcome.refused = "cannot open a sink: \(error)"
                }
            }
        }
        currentSinks = next
        acks.sinks = next
        let interval = max(change.flushIntervalMillis, 10)
        flushTimer?.schedule(deadline: .now() + .milliseconds(interval), repeating: .milliseconds(interval))
        guard outcome.refused == nil else { return outcome }
        for (name, make) in change.start {
            do { start(try make(), into: pool) } catch { outcome.failures.append("\(name): \(error)") }
        }
        return outcome
    }
}
