/// Options of the file tail source (`--read-from`, `--partial-line-timeout`, `--state-dir`).
public struct TailOptions: Sendable {
    /// Start files seen for the first time at their end instead of their beginning.
    public var readFromEnd: Bool
    /// An unfinished last line is emitted after waiting this long.
    public var partialLineTimeoutMillis: Int
    /// Where checkpoints live.
    public var stateDir: String
    /// How often the glob is expanded again to find new files.
    public var discoverEveryMillis = 500
    /// A renamed or deleted file is read until it has been quiet this long, then released.
    public var releaseAfterQuietMillis = 2000
    /// A file read in full batches (a backlog or a burst) that then stays quiet this long has its remaining lines
    /// cut and made durable at once instead of after the batch timeout. A trickle never fills a batch, so it keeps
    /// the batch timeout: one frame and one fsync per timeout, not per line.
    public var burstEndQuietMillis = 5
    /// At most one burst-end cut (and so one fsync on the delivery queue) per this interval, per source.
    public var burstEndMinIntervalMillis = 100

    public init(readFromEnd: Bool = false, partialLineTimeoutMillis: Int = 5000, stateDir: String) {
        self.readFromEnd = readFromEnd
        self.partialLineTimeoutMillis = partialLineTimeoutMillis
        self.stateDir = stateDir
    }
}
