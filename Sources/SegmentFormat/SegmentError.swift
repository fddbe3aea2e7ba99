import Foundation

/// Failures of segment writing and reading, each naming the file and the system's reason.
public enum SegmentError: Error, CustomStringConvertible {
    case io(operation: String, path: String, errno: Int32)
    case corrupt(path: String, reason: String)
    case failed(String)
    /// A path named on the command line that does not exist (a usage error: exit 2).
    case missing(path: String)

    public var description: String {
        switch self {
        case let .io(op, path, code):
            let reason = String(cString: strerror(code))
            let hint = code == ENOSPC ? " (the disk is full: free space, then restart; finalized segments are intact)" : ""
            return "cannot \(op) \(path): \(reason)\(hint)"
        case let .corrupt(path, reason):
            return "\(path): \(reason)"
        case let .failed(message):
            return message
        case let .missing(path):
            return "no such file or directory: \(path)"
        }
    }
}
