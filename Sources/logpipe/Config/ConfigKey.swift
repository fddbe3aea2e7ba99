/// One documented config-file key and the command-line flag it becomes (Fluent Bit's config table, in Swift).
///
/// The table (``ConfigKey/all``) is the single source of truth: ``ConfigFile`` checks the file against it,
/// ``ConfigArguments`` translates it into flags, and `logpipe validate --list-keys` and docs/config.md print it.
/// Values are checked for their YAML shape here; their meaning (a size, a URL, a level) is checked by the flag's
/// own validation, so a value means the same in the file and on the command line.
struct ConfigKey: Sendable {
    /// Dotted path in the file, e.g. `pipeline.batch.max-entries`.
    let path: String
    /// The long flag it becomes, e.g. `--batch-max-entries`.
    let flag: String
    let type: ConfigValueType
    /// What applies when neither the file nor the command line sets it (as `--help` says).
    let defaultValue: String
    let doc: String
    /// True when the key's section being present makes this key mandatory (`urgent:` needs `urgent.urls`).
    var requiredInSection = false
    /// False for keys that describe live input and are left out for `logpipe replay` (which reads segments).
    var appliesToReplay = true

    init(_ path: String, _ flag: String, _ type: ConfigValueType, default defaultValue: String, _ doc: String,
         requiredInSection: Bool = false, appliesToReplay: Bool = true) {
        (self.path, self.flag, self.type, self.defaultValue, self.doc) = (path, flag, type, defaultValue, doc)
        self.requiredInSection = requiredInSection
        self.appliesToReplay = appliesToReplay
    }

    /// The section holding the key (`pipeline.batch` for `pipeline.batch.max-entries`; "" at the top).
    var section: String {
        guard let dot = path.lastIndex(of: ".") else { return "" }
        return String(path[..<dot])
    }
}

/// The YAML shape a key takes; the flag behind it checks the value itself.
enum ConfigValueType: Sendable, Equatable {
    case int, size, duration, string, level, list, onOff
    /// A flag without a value (e.g. `--clickhouse-create`): on/off in the file.
    case switchFlag

    /// The name in the key table.
    var name: String {
        switch self {
        case .int: "integer"
        case .size: "size"
        case .duration: "duration"
        case .string: "string"
        case .level: "level"
        case .list: "list of strings"
        case .onOff, .switchFlag: "on/off"
        }
    }

    /// What an error says was expected.
    var expectation: String {
        switch self {
        case .int: "a whole number"
        case .size: "a size like 64M (suffix K, M or G)"
        case .duration: "a duration like 500ms, 1s, 2m, 1h or 7d"
        case .string: "a string"
        case .level: "a level: DEBUG, INFO, WARN, ERROR or FATAL"
        case .list: "a list of strings"
        case .onOff, .switchFlag: "on or off"
        }
    }
}

extension ConfigKey {
    /// The documented default of `flag`: the options' property defaults are read from the table, so `--help`,
    /// `validate --list-keys`, docs/config.md and the behaviour cannot disagree.
    static func defaultValue(of flag: String) -> String {
        guard let value = defaultsByFlag[flag] else { preconditionFailure("no config key for \(flag)") }
        return value
    }

    /// Built once: ArgumentParser makes the option structs many times while parsing.
    private static let defaultsByFlag = Dictionary(all.map { ($0.flag, $0.defaultValue) }, uniquingKeysWith: { a, _ in a })
}
