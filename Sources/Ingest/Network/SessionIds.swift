import Foundation
import Pipeline

/// A fresh session ID (UUIDv7) for each connection, from any event loop.
enum SessionIds {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var generator = UUIDv7Generator()

    static func next() -> String {
        lock.lock()
        defer { lock.unlock() }
        return generator.string(millis: nowMillis())
    }
}
