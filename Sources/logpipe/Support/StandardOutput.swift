import Foundation
import Pipeline

/// Writes data to stdout in large writes; a closed pipe (EPIPE) ends the program quietly with 0, like `cat`.
enum StandardOutput {
    static func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { write($0) }
    }

    static func write(_ b: UnsafeBufferPointer<UInt8>) {
        guard var p = b.baseAddress else { return }
        var left = b.count
        while left > 0 {
            let n = Foundation.write(1, p, left)
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE { exit(0) }
                StandardError.line("logpipe: cannot write to stdout: \(String(cString: strerror(errno)))")
                exit(1)
            }
            p += n
            left -= n
        }
    }
}
