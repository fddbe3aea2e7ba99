import Foundation

/// Tells sources to stop (first SIGINT/SIGTERM) and wakes any that wait in poll(2), through a self-pipe.
public final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var triggered = false
    /// Poll this descriptor for readability to learn about a stop.
    public let wakeFD: Int32
    private let writeFD: Int32

    public init() {
        var fds: [Int32] = [0, 0]
        _ = pipe(&fds)
        wakeFD = fds[0]
        writeFD = fds[1]
        _ = fcntl(wakeFD, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeFD, F_SETFD, FD_CLOEXEC)
    }

    deinit {
        close(wakeFD)
        close(writeFD)
    }

    public var isTriggered: Bool {
        lock.lock()
        defer { lock.unlock() }
        return triggered
    }

    public func trigger() {
        lock.lock()
        let first = !triggered
        triggered = true
        lock.unlock()
        if first { var b: UInt8 = 1; _ = write(writeFD, &b, 1) }
    }
}

/// The wall clock in epoch milliseconds.
@inline(__always) public func nowMillis() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}
