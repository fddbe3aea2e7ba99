/// What a reload changes in a running topology, computed by comparing the running configuration with the new
/// one (``TopologyRunner/apply(_:completion:)`` applies it between two batches).
///
/// Everything not named here keeps running as the same object: a source not in `stop` is untouched (no reopen,
/// no re-read), a sink given as `.running` keeps its connections and spool.
public struct TopologyChange: @unchecked Sendable {
    /// One sink of the new set.
    public enum SinkSlot {
        /// In the new set as it is: a sink that keeps running, or one the reload opened already (a segment sink
        /// in a new directory, opened while the old one still writes).
        case running(Sink)
        /// Opened on the delivery queue once the retired sinks have finished (a new segment sink may reuse the
        /// directory, a new forwarder the spool of a destination it keeps). Checked beforehand: failing here
        /// fails the run, as a sink failure does.
        case start(() throws -> Sink)
    }

    /// Sources that go (removed, or replaced by one in `start`): they stop, everything they emitted is delivered
    /// and acknowledged back to them, then they are closed.
    public var stop: [Source]
    /// Sources made and started once those in `stop` are gone (a replacement resumes from the checkpoints its
    /// predecessor committed). A source that cannot be made is reported; the others start.
    public var start: [(name: String, make: () throws -> Source)]
    /// The new sink set in delivery order; a running sink not in it finishes (drains, keeps its spool).
    public var sinks: [SinkSlot]
    /// The new interval of the background acknowledgement rounds.
    public var flushIntervalMillis: Int

    public init(stop: [Source], start: [(name: String, make: () throws -> Source)], sinks: [SinkSlot],
                flushIntervalMillis: Int) {
        self.stop = stop
        self.start = start
        self.sinks = sinks
        self.flushIntervalMillis = flushIntervalMillis
    }

    /// What applying a change did.
    public struct Outcome: Sendable {
        /// Sources that could not be made ("file:/x/*.log: …"); the run goes on without them.
        public var failures: [String] = []
        /// Names of retired sinks that kept something for the next start (an undelivered spool).
        public var kept: [String] = []
        /// Set when the change could not be applied at all (the run is ending, or a new sink failed to open).
        public var refused: String?

        public init() {}
    }
}
