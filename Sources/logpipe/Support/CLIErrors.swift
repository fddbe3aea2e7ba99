import Foundation

/// A failure while running (I/O, disk full): exit code 1, the message on stderr.
struct RuntimeFailure: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    /// The message alone, as it goes into a log line (a refused reload).
    var description: String { message }
}

/// Writes diagnostics to stderr, one line each (never to stdout: that is for data).
enum StandardError {
    static func line(_ text: String) {
        let data = Array((text.hasSuffix("\n") ? text : text + "\n").utf8)
        data.withUnsafeBytes { raw in
            var p = raw.baseAddress!, left = raw.count
            while left > 0 {
                let n = write(2, p, left)
                if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
                p += n; left -= n
            }
        }
    }
}
