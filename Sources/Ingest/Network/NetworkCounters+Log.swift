import Foundation

extension NetworkCounters {
    /// Where network inputs' diagnostics go (the run may set logpipe's logger); stderr by default.
    nonisolated(unsafe) public static var log: @Sendable (String) -> Void = { text in
        FileHandle.standardError.write(Data(("logpipe: " + text + "\n").utf8))
    }

    /// Counts a reject and logs it: the first 10 of each reason, then every 1,000th (with the count so far), so a
    /// flood of bad input cannot flood the log.
    public func reject(_ reason: String, count: Int = 1, input: String, detail: String) {
        reject(reason, count: count)
        let total = snapshot.rejects[reason] ?? 0
        let before = total - count
        if before < 10 || total / 1000 > before / 1000 {
            Self.log("\(input): rejected (\(reason), \(total) so far): \(detail)")
        }
    }
}
