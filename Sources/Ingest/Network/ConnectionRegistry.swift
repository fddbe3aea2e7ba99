import Foundation
import NIOCore

/// The open connections of one server: admits a new one while fewer than the limit are open, and lets the
/// server reach all of them at stop (to cut their partial batches, then to close them). Safe from any thread:
/// connections open and close on every event loop.
final class ConnectionRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var channels: [ObjectIdentifier: Channel] = [:]
    private let limit: Int
    private let counters: NetworkCounters

    init(limit: Int, counters: NetworkCounters) {
        self.limit = max(limit, 1)
        self.counters = counters
    }

    /// Registers `channel` (counted open until it closes); false when the limit is reached (counted as a
    /// `connections` reject: the caller closes it).
    func admit(_ channel: Channel) -> Bool {
        let id = ObjectIdentifier(channel)
        lock.lock()
        guard channels.count < limit else {
            lock.unlock()
            counters.reject("connections")
            return false
        }
        channels[id] = channel
        lock.unlock()
        counters.connectionOpened()
        channel.closeFuture.whenComplete { [self] _ in
            lock.lock()
            channels[id] = nil
            lock.unlock()
            counters.connectionClosed()
        }
        return true
    }

    var open: [Channel] {
        lock.lock()
        defer { lock.unlock() }
        return Array(channels.values)
    }
}
