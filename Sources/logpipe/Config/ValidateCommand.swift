import ArgumentParser

/// `logpipe validate --config FILE`: the checks `run --config FILE` makes, without running.
/// `--list-keys` prints the key table (the one docs/config.md carries).
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a config file without running: exit 0 when `run --config FILE` would accept it, 2 when not.",
        discussion: "The file is checked alone (as `run` checks it before merging the command line's flags).")

    @Option(help: ArgumentHelp("The config file (YAML).", valueName: "file"))
    var config: String?
    @Flag(help: "Print every config key with its flag, type, default and meaning (a Markdown table).")
    var listKeys = false

    func validate() throws {
        if config == nil && !listKeys { throw ValidationError("give --config FILE (or --list-keys)") }
    }

    func run() throws {
        if listKeys {
            print(ConfigKeyTable.markdown, terminator: "")
            if config == nil { return }
        }
        guard let config else { return }
        do {
            let file = try ConfigFile.load(config)
            try ConfigFlagCheck.check(file.settings, file: config)
            print("config OK: \(file.settings.count) \(file.settings.count == 1 ? "key" : "keys")")
        } catch let error as ConfigError {
            StandardError.line("logpipe: \(error)")
            throw ExitCode(2)
        }
    }
}
