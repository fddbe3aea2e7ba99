import Foundation

/// Time bounds of the tests, stretched under the sanitizers.
///
/// ASan and TSan make the code several times slower (TSan 5–15×), so a test that waits for something, or bounds
/// how long it may take, scales its bound by `LOGPIPE_TEST_TIME_SCALE` (scripts/sanitize.sh sets it; default 1, so
/// normal runs keep their bounds exactly). The suite has no check of raw speed (bench/ measures that), so none
/// needs skipping under a sanitizer.
enum TestTime {
    static let scale: Double = {
        guard let text = ProcessInfo.processInfo.environment["LOGPIPE_TEST_TIME_SCALE"], let s = Double(text) else { return 1 }
        return max(s, 1)
    }()

    /// `seconds` × the scale.
    static func seconds(_ seconds: Double) -> Double { seconds * scale }

    /// `ms` × the scale, for bounds given in milliseconds.
    static func millis(_ ms: Double) -> Double { ms * scale }

    /// Whole minutes × the scale, rounded up (for `.timeLimit(.minutes(…))`).
    static func minutes(_ minutes: Int) -> Int { Int((Double(minutes) * scale).rounded(.up)) }

    /// A DURATION flag value for logpipe (`"5000ms"`) scaled like `seconds`.
    static func flag(_ seconds: Double) -> String { "\(Int((seconds * scale * 1000).rounded()))ms" }
}
