import Foundation
import NIOCore
import NIOPosix

/// The one SwiftNIO event loop group every network input of the process shares, one thread per core.
///
/// Made on first use (a run without network inputs starts no threads) and never shut down: it lives as long as
/// the process. Making it also raises the process's open-file soft limit to its hard limit, since every
/// connection holds a descriptor and the default soft limit (often 1,024) is far below what idle senders reach.
public enum NetworkEventLoops {
    public static let group: MultiThreadedEventLoopGroup = {
        raiseOpenFileLimit()
        return MultiThreadedEventLoopGroup(numberOfThreads: max(System.coreCount, 1))
    }()

    /// The soft limit after raising it (for the log line at start and tests).
    public private(set) nonisolated(unsafe) static var openFileLimit = 0

    /// Soft RLIMIT_NOFILE → hard limit; best effort (a failure keeps the old limit and is reported by the caller
    /// through `openFileLimit`).
    @discardableResult
    public static func raiseOpenFileLimit() -> Int {
        var limit = rlimit()
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        guard getrlimit(resource, &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        openFileLimit = Int(clamping: limit.rlim_cur)
        return openFileLimit
    }
}
