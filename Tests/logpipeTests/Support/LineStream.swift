import Foundation
@testable import TestSupport

/// Writes numbered lines (`line(n)`) into a running logpipe in a steady stream, on a thread of its own, until
/// `stop()` or the deadline.
final class LineStream: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    private var count = 0
    /// Lines written so far.
    var written: Int { lock.withLock { count } }
    private let done = DispatchSemaphore(value: 0)

    init(_ run: ServiceRun, seconds: Double, chunk: Int = 100, pauseMicros: UInt32 = 2000,
         line: @escaping @Sendable (Int) -> String) {
        let thread = Thread { [self] in
            defer { done.signal() }
            let deadline = Date().addingTimeInterval(TestTime.seconds(seconds))
            var n = 0
            while Date() < deadline, !lock.withLock({ stopped }) {
                guard run.write(Array((n..<(n + chunk)).map(line).joined().utf8)) else { return }
                n += chunk
                lock.withLock { count = n }
                if pauseMicros > 0 { usleep(pauseMicros) }
            }
        }
        thread.start()
    }

    /// Stops writing; the number of lines written.
    func stop() -> Int {
        lock.withLock { stopped = true }
        done.wait()
        return written
    }
}
