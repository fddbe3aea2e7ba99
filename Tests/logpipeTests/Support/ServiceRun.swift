import Foundation
@testable import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A running `logpipe` whose stderr can be read while it runs; stdin is a pipe the test writes to.
final class ServiceRun: @unchecked Sendable { // written from one thread at a time (a test's writer thread)
    let process = Process()
    private let stdinFD: Int32
    private let errPath: String
    private let outPath: String
    private var stdinClosed = false

    /// `logpipe ARGUMENTS` (or `executable ARGUMENTS`: a wrapper that starts it, e.g. as another user).
    init(_ arguments: [String], scratch: TempDir, environment: [String: String] = cleanEnvironment(),
         executable: String = Harness.binary) throws {
        _ = Harness.ignoreSIGPIPE
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw POSIXError(.EIO) }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        stdinFD = fds[1]
        let id = UUID().uuidString
        errPath = scratch.file("stderr-\(id)")
        outPath = scratch.file("stdout-\(id)")
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: scratch.path)
        process.standardInput = FileHandle(fileDescriptor: fds[0], closeOnDealloc: false)
        process.standardOutput = FileHandle(forWritingAtPath: outPath)!
        process.standardError = FileHandle(forWritingAtPath: errPath)!
        do { try process.run() } catch { close(fds[0]); close(fds[1]); throw error }
        close(fds[0])
    }

    deinit {
        closeStdin()
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }

    var isRunning: Bool { process.isRunning }
    var stderrText: String { String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self) }

    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            var p = raw.baseAddress!, left = raw.count
            while left > 0 {
                let n = Glibc.write(stdinFD, p, left)
                if n < 0 { if errno == EINTR { continue }; return false }
                p += n; left -= n
            }
            return true
        }
    }

    func closeStdin() { if !stdinClosed { stdinClosed = true; close(stdinFD) } }
    func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// Waits until stderr holds `needle` at least `count` times.
    func waitForStderr(_ needle: String, count: Int, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(TestTime.seconds(timeout))
        repeat {
            if stderrText.components(separatedBy: needle).count - 1 >= count { return true }
            usleep(20_000)
        } while Date() < deadline && process.isRunning
        return stderrText.components(separatedBy: needle).count - 1 >= count
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

    func wait(timeout: Double) -> ProcessResult {
        let deadline = Date().addingTimeInterval(TestTime.seconds(timeout))
        var timedOut = false
        while process.isRunning {
            if Date() > deadline { timedOut = true; kill(process.processIdentifier, SIGKILL); break }
            usleep(10_000)
        }
        process.waitUntilExit()
        closeStdin()
        return ProcessResult(status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
                             stdout: FileManager.default.contents(atPath: outPath) ?? Data(),
                             stderr: FileManager.default.contents(atPath: errPath) ?? Data(), timedOut: timedOut)
    }
}
