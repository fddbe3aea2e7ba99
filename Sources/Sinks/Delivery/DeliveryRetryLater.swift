import Foundation

/// A temporary refusal that says when to try again (HTTP 429 or 503 with `Retry-After`): the lane waits at least
/// that long (at most 5 minutes) before the next attempt, instead of its own backoff when that is shorter.
struct DeliveryRetryLater: Error, CustomStringConvertible {
    var status: Int
    var afterMillis: Int

    var description: String { "HTTP status \(status) (retry after \(afterMillis) ms)" }

    /// `Retry-After` in seconds (the HTTP-date form is taken as 1 s: the clocks of the two ends may differ).
    static func millis(_ header: String?) -> Int? {
        guard let header = header?.trimmingCharacters(in: .whitespaces), !header.isEmpty else { return nil }
        if let seconds = Int(header), seconds >= 0 { return seconds * 1000 }
        return 1000
    }
}
