/// Exponential backoff with jitter, capped: 100 ms, 200 ms, 400 ms … up to 10 s by default.
///
/// "Equal jitter": half of the step is fixed, half random, so retries of many logpipes spread out but never
/// come back sooner than half the step.
public struct RetryPolicy: Sendable, Equatable {
    public var initialMillis: Int
    public var maxMillis: Int
    public var multiplier: Double

    public init(initialMillis: Int = 100, maxMillis: Int = 10_000, multiplier: Double = 2) {
        self.initialMillis = initialMillis
        self.maxMillis = maxMillis
        self.multiplier = multiplier
    }

    /// The wait before retry number `attempt` (1 = the first retry); `random` is in 0..<1.
    public func delayMillis(attempt: Int, random: Double = Double.random(in: 0..<1)) -> Int {
        let exponent = Double(max(0, attempt - 1))
        let step = min(Double(maxMillis), Double(initialMillis) * pow(multiplier, min(exponent, 60)))
        return Int(step / 2 + step / 2 * random)
    }
}

#if canImport(Glibc)
import Glibc
#endif
