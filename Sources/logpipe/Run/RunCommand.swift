import ArgumentParser
import Foundation
import Pipeline

/// `logpipe run`: inputs → parse → filter → enrich → batch → compressed segments.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Ingest logs into compressed, rotated segments.",
        discussion: """
        With only stdin, exits 0 at end of input once every entry is in a finalized segment. \
        SIGINT/SIGTERM: stop reading, drain, finalize, exit 0.
        """)

    @OptionGroup var options: RunOptions

    func validate() throws { _ = try options.resolve() }

    func run() throws {
        let settings = try options.resolve()
        let summary = try RunPipeline(settings: settings).run()
        StandardError.line(summary.line)
        if let failure = summary.failure { throw RuntimeFailure(failure) }
    }
}
