/// Turns `--config FILE` into the flags the file stands for, so a file means exactly what its flags mean.
///
/// The file's flags go right after the subcommand, before the command line's own arguments: for a single-valued
/// flag the later occurrence wins in ArgumentParser, so the command line wins. For a repeatable flag (`--input`,
/// `--urgent`, `--urgent-header`) any value on the command line replaces all of the file's.
/// Pure: reads the file and returns new arguments, so it can run again on SIGHUP.
enum ConfigArguments {
    /// The subcommands that take `--config`.
    static let subcommands: Set<String> = ["run", "replay"]

    /// `arguments` without argv[0]. Unchanged unless the subcommand is `run` or `replay` and `--config FILE`
    /// (or `--config=FILE`) is among its arguments. Throws ``ConfigError`` (exit 2).
    static func expand(_ arguments: [String]) throws -> [String] {
        guard let subcommand = arguments.first, subcommands.contains(subcommand) else { return arguments }
        var rest = Array(arguments.dropFirst())
        guard let path = try takeConfigPath(from: &rest) else { return arguments }
        let file = try ConfigFile.load(path)
        let settings = file.settings.filter { subcommand == "run" || $0.key.appliesToReplay }
        try ConfigFlagCheck.check(settings, file: path)
        let kept = settings.filter { !($0.key.type == .list && mentions($0.key.flag, in: rest)) }
        return [subcommand] + kept.flatMap(\.arguments) + rest
    }

    /// Removes `--config FILE` / `--config=FILE` from `arguments` and returns FILE (nil when absent).
    static func takeConfigPath(from arguments: inout [String]) throws -> String? {
        var path: String?
        var i = 0
        while i < arguments.count, arguments[i] != "--" {
            let arg = arguments[i]
            guard arg == "--config" || arg.hasPrefix("--config=") else { i += 1; continue }
            if path != nil { throw ConfigError(file: nil, message: "--config is given more than once") }
            if arg == "--config" {
                guard i + 1 < arguments.count, !arguments[i + 1].hasPrefix("-") else {
                    throw ConfigError(file: nil, message: "--config needs a FILE")
                }
                path = arguments[i + 1]
                arguments.removeSubrange(i...(i + 1))
            } else {
                path = String(arg.dropFirst("--config=".count))
                arguments.remove(at: i)
            }
        }
        if path?.isEmpty == true { throw ConfigError(file: nil, message: "--config needs a FILE") }
        return path
    }

    /// Whether the command line gives `flag` (as `--flag V` or `--flag=V`) before any `--`.
    static func mentions(_ flag: String, in arguments: [String]) -> Bool {
        for arg in arguments {
            if arg == "--" { return false }
            if arg == flag || arg.hasPrefix(flag + "=") { return true }
        }
        return false
    }
}
