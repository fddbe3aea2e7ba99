import ArgumentParser
import Foundation
import SegmentFormat
import Sinks

// Exit codes per DESIGN.md: 0 success, 1 runtime failure, 2 usage or config error.
signal(SIGPIPE, SIG_IGN)
OpenSSLLibrary.prepare()
// `run` and `replay` stop gracefully on SIGINT/SIGTERM: hold those signals from the first instruction on, so one
// that arrives while the command is still starting waits for the handlers instead of killing the process.
if let command = CommandLine.arguments.dropFirst().first, command == "run" || command == "replay" {
    RunPipeline.holdStopSignals()
}
do {
    var command = try Logpipe.parseAsRoot(try ConfigArguments.expand(Array(CommandLine.arguments.dropFirst())))
    try command.run()
} catch let error as RuntimeFailure {
    StandardError.line("logpipe: \(error.message)")
    exit(1)
} catch let error as SegmentError {
    // A missing path is a usage error; any other segment failure is a runtime one.
    StandardError.line("logpipe: \(error)")
    if case .missing = error { exit(2) }
    exit(1)
} catch let error as ConfigError {
    StandardError.line("logpipe: \(error)")
    exit(2)
} catch let code as ExitCode {
    exit(code.rawValue)
} catch {
    let code = Logpipe.exitCode(for: error)
    if code == .success { Logpipe.exit(withError: error) }
    StandardError.line(Logpipe.fullMessage(for: error))
    exit(2)
}
