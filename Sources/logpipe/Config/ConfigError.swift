/// A config file that cannot be used: a usage error (exit 2). The message names the file, the key and the line.
struct ConfigError: Error, CustomStringConvertible {
    /// The config file as given (`--config FILE`); nil when there is none to name.
    let file: String?
    /// What is wrong, naming the key and line where there are ones.
    let message: String

    var description: String { file.map { "config \($0): \(message)" } ?? message }

    static func unknownKey(_ path: String, line: Int, suggestion: String?, file: String) -> ConfigError {
        ConfigError(file: file, message: "unknown key \"\(path)\" at line \(line)" +
                    (suggestion.map { " (did you mean \"\($0)\"?)" } ?? ""))
    }

    static func wrongType(_ path: String, line: Int, expected: String, got: String, file: String) -> ConfigError {
        ConfigError(file: file, message: "\(path) at line \(line): expected \(expected), got \(got)")
    }

    static func missingValue(_ path: String, line: Int, detail: String, file: String) -> ConfigError {
        ConfigError(file: file, message: "\(path) at line \(line): missing value: \(detail)")
    }

    /// A value the flag's own validation refused, e.g. a bad size or URL.
    static func rejected(_ path: String, line: Int, flagMessage: String, file: String) -> ConfigError {
        ConfigError(file: file, message: "\(path) at line \(line): \(flagMessage)")
    }
}
