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

    public init(readFromEnd: Bool = false, partialLineTimeoutMillis: Int = 5000, stateDir: String) {
        self.readFromEnd = readFromEnd
        self.partialLineTimeoutMillis = partialLineTimeoutMillis
        self.stateDir = stateDir
    }
}
