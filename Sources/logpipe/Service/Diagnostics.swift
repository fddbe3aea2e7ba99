import Foundation
import Logging

/// logpipe's own diagnostics: swift-log to stderr, one line each, from `--log-level` up. Data never goes here.
enum Diagnostics {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var configured = false
    nonisolated(unsafe) private(set) static var logger = Logger(label: "logpipe")

    static func configure(level: String) {
        lock.lock()
        defer { lock.unlock() }
        if !configured {
            LoggingSystem.bootstrap { label in
                var h = StreamLogHandler.standardError(label: label)
                h.logLevel = .trace
                return h
            }
            configured = true
        }
        var l = Logger(label: "logpipe")
        l.logLevel = Logger.Level(rawValue: level.lowercased()) ?? .info
        logger = l
    }
}
