import Foundation
import Yams

/// A config file read and checked against ``ConfigKey/all``: the keys it sets, with their values and lines.
///
/// A value type with no state beyond the file's content, so loading again (SIGHUP) is just another `load`.
/// Throws ``ConfigError`` for anything the file gets wrong: YAML syntax, unknown keys, wrong shapes, missing values.
struct ConfigFile {
    /// One key set by the file.
    struct Setting {
        let key: ConfigKey
        /// One value, or several for a list key.
        let values: [String]
        /// 1-based line of the key in the file.
        let line: Int

        /// `--flag=value` for each value (the `=` form keeps a value that starts with `-` a value).
        var arguments: [String] {
            // A switch flag (no value) is given when on and left out when off.
            if key.type == .switchFlag { return values.first == "on" ? [key.flag] : [] }
            return values.map { "\(key.flag)=\($0)" }
        }
    }

    /// The path as given.
    let path: String
    /// In file order.
    let settings: [Setting]

    static func load(_ path: String) throws -> ConfigFile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "not readable as UTF-8 text" : "no such file"
            throw ConfigError(file: path, message: "cannot read the config file: \(reason)")
        }
        return try parse(text, path: path)
    }

    static func parse(_ text: String, path: String) throws -> ConfigFile {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError(file: path, message: Self.describe(error))
        }
        var walker = ConfigWalker(file: path)
        if let root { try walker.walkRoot(root) }
        try walker.checkRequired()
        return ConfigFile(path: path, settings: walker.settings)
    }

    /// One line naming the line and column: Yams' own description spans several lines with a snippet.
    private static func describe(_ error: YamlError) -> String {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let while_ = context.map { " (\($0.text) at line \($0.mark.line))" } ?? ""
            return "YAML syntax error at line \(mark.line), column \(mark.column): \(problem)\(while_)"
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.map { "\"\($0)\"" }.joined(separator: ", ")
            return "duplicate key \(keys) at line \(context.mark.line): each key may appear once in its section"
        case let .reader(problem, offset, _, _):
            return "not readable as YAML text: \(problem)" + (offset.map { " at byte \($0)" } ?? "")
        default:
            return "YAML error: \(error)"
        }
    }
}
