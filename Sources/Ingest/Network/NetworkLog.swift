import Foundation

/// Diagnostics of the network inputs (a refused TLS client, a cut frame, garbage on a connection), one line each,
/// at most `perSecond` lines a second in all so that a flood of bad input cannot flood stderr too: the lines left
/// out are counted and named in the next line that is written. The counters (`NetworkCounters`) stay exact.
public enum NetworkLog {
    /// Where the lines go (the run sets logpipe's logger); stderr by default.
    nonisolated(unsafe) public static var sink: @Sendable (String) -> Void = { text in
        FileHandle.standardError.write(Data(("logpipe: " + text + "\n").utf8))
    }
    public static let perSecond = 20
    private static let lock = NSLock()
    nonisolated(unsafe) private static var second: Int64 = 0
    nonisolated(unsafe) private static var written = 0
    nonisolated(unsafe) private static var suppressed = 0

    public static func warning(_ text: String) {
        let now = Int64(Date().timeIntervalSince1970)
        lock.lock()
        if now != second { second = now; written = 0 }
        guard written < perSecond else { suppressed += 1; lock.unlock(); return }
        written += 1
        let left = suppressed
        suppressed = 0
        lock.unlock()
        sink(left > 0 ? "\(text) (\(left) similar lines left out)" : text)
    }
}
