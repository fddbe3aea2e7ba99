import Foundation
@testable import TestSupport

/// A running `logpipe run` (the service tests' name for it): its stderr read while it runs, stdin a pipe.
typealias ServiceRun = RunningProcess

extension RunningProcess {
    /// `logpipe ARGUMENTS` run in `scratch` (or `executable ARGUMENTS`: a wrapper that starts it, e.g. as another
    /// user).
    convenience init(_ arguments: [String], scratch: TempDir, environment: [String: String] = cleanEnvironment(),
                     executable: String = Harness.binary) throws {
        try self.init(executable: executable, arguments: arguments, environment: environment, scratch: scratch,
                      currentDirectory: scratch.path)
    }

    /// The port from `serving /health and /metrics on 127.0.0.1:PORT`.
    func metricsPort(timeout: Double = 10) throws -> Int {
        let deadline = Date().addingTimeInterval(TestTime.seconds(timeout))
        let re = try NSRegularExpression(pattern: #"serving /health and /metrics on 127\.0\.0\.1:(\d+)"#)
        repeat {
            let text = stderrText
            if let m = re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
               let r = Range(m.range(at: 1), in: text), let port = Int(text[r]) { return port }
            usleep(20_000)
        } while Date() < deadline && process.isRunning
        throw ToolError.failed("no metrics port announced on stderr: \(stderrText)")
    }
}
