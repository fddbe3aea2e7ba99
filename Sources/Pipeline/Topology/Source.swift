/// Counts a source reports at the end of its run.
public struct SourceStats: Sendable {
    public init() {}
    public var bytesRead = 0
    public var emptyLines = 0
    public var discardedBytes = 0

    public mutating func add(_ o: SourceStats) {
        bytesRead += o.bytesRead
        emptyLines += o.emptyLines
        discardedBytes += o.discardedBytes
    }
}

/// Where entries come from: stdin, UDP, a tailed file, an archive being replayed — and every later input.
///
/// Lifecycle (one screen, Fluent Bit style): built configured (no settings change after `init`); `run` reads
/// until its input ends or `stop` fires; `acknowledge` learns which of its positions every sink holds durably.
/// Threading: `run` blocks its own thread; `emit` may block, which is how back-pressure pauses reading.
/// `acknowledge` is called from another thread, one call at a time, with positions in the order they were
/// emitted; a source without positions (stdin, UDP) keeps the default, which does nothing.
public protocol Source: AnyObject {
    /// The input as the user named it (`stdin`, `udp://127.0.0.1:5514`, `file:/var/log/*.log`).
    var name: String { get }
    /// Reads until end of input or `stop`. A batch that ends at a position the source can resume from carries it
    /// (`RawBatch.position`); the runner tags it with the source.
    func run(stop: StopSignal, emit: (RawBatch) -> Void) throws
    /// Totals so far (read once `run` has returned for the final figures).
    var stats: SourceStats { get }
    /// `positions` (the newest per key) are durable in every sink that took their batches: commit them
    /// (checkpoint, replay cursor, a client's acknowledgement). Throws when they cannot be recorded; nothing
    /// moves then.
    func acknowledge(_ positions: [SourcePosition]) throws
    /// Before `run`: the positions the output archive holds at start, after its recovery (keys of every source;
    /// each takes its own). After a kill the archive can be ahead of the last acknowledgement; a source with
    /// positions resumes from the newer of the two, so nothing the archive holds is read again.
    func resume(fromArchive positions: [String: Int64]) throws
    /// A part of the run's exit line ("udp: 0 malformed"), if the source has one.
    var exitSummary: String? { get }
    /// Gauges and counters for /metrics: (name, labels, value), read every half second from another thread.
    var gauges: [SourceGauge] { get }
    /// After `run` has returned and the final acknowledgement round has reached the source (end of the run, or a
    /// reload that removes it): release what outlives `run` (a network input answers the clients still waiting —
    /// not durable — and closes its listeners and connections). Not named `close`: inside a conforming class that
    /// would shadow Glibc's `close(fd)`.
    func afterRun()
}

/// One value a source reports for /metrics.
public struct SourceGauge: Sendable {
    public enum Kind: Sendable { case counter, gauge }
    public var name: String
    public var labels: [(String, String)]
    public var value: Double
    public var kind: Kind

    public init(_ name: String, labels: [(String, String)] = [], _ value: Double, kind: Kind = .counter) {
        self.name = name
        self.labels = labels
        self.value = value
        self.kind = kind
    }
}

extension Source {
    public func acknowledge(_ positions: [SourcePosition]) throws {}
    public func resume(fromArchive positions: [String: Int64]) throws {}
    public var exitSummary: String? { nil }
    public var gauges: [SourceGauge] { [] }
    public func afterRun() {}
}
