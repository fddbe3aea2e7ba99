import ArgumentParser

/// The `logpipe` command: ingest logs into compressed segments and read them back.
struct Logpipe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logpipe",
        abstract: "Log ingestion pipeline: parse, enrich and keep logs in compressed, verifiable segments.",
        discussion: """
        Exit codes: 0 success, 1 runtime failure (message on stderr), 2 usage or config error.
        Data goes to stdout or segment files; diagnostics go to stderr.
        """,
        version: "0.1.0",
        subcommands: [RunCommand.self, CatCommand.self, ReplayCommand.self, VerifyCommand.self, PatternsCommand.self, AnalyzeCommand.self,
                      ValidateCommand.self, TestCommand.self, TapCommand.self, TopCommand.self, ReloadCommand.self]
    )
}
