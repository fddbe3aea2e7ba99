import Foundation

/// Tells sources to stop (first SIGINT/SIGTERM) and wakes any that wait in poll(2), through a self-pipe.
public final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var triggered = false
    /// Signals that stop with this one (a source's own stop, see ``child()``).
    private var children: [ObjectIdentifier: StopSignal] = [:]
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
        let children = first ? Array(self.children.values) : []
        self.children.removeAll()
        lock.unlock()
        if first { var b: UInt8 = 1; _ = write(writeFD, &b, 1) }
        for child in children { child.trigger() }
    }

    /// A signal that fires with this one and can also fire alone: one source stopped by a reload while the others
    /// go on. Already triggered when this one is. Give it back with ``detach(_:)`` once its source has ended.
    public func child() -> StopSignal {
        let child = StopSignal()
        lock.lock()
        let fired = triggered
        if !fired { children[ObjectIdentifier(child)] = child }
        lock.unlock()
        if fired { child.trigger() }
        return child
    }

    /// Forgets a child (its source ended), so its descriptors close.
    public func detach(_ child: StopSignal) {
        lock.lock()
        children[ObjectIdentifier(child)] = nil
        lock.unlock()
    }
}

/// The wall clock in epoch milliseconds.
@inline(__always) public func nowMillis() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}
