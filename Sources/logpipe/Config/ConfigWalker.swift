import Yams

/// Walks a YAML tree along ``ConfigKey/all``: sections must be mappings, keys must be known and of their shape.
struct ConfigWalker {
    let file: String
    private(set) var settings: [ConfigFile.Setting] = []
    /// Sections present in the file, with their lines (for "required in section" checks).
    private var sectionLines: [String: Int] = [:]

    init(file: String) { self.file = file }

    mutating func walkRoot(_ root: Node) throws {
        guard case .mapping(let mapping) = root else {
            throw ConfigError(file: file, message: "expected keys at the top of the file (like `inputs:`), got \(Self.kind(of: root))")
        }
        try walk(mapping, prefix: "")
    }

    private mutating func walk(_ mapping: Node.Mapping, prefix: String) throws {
        for (keyNode, value) in mapping {
            let line = keyNode.mark?.line ?? 0
            guard case .scalar(let name) = keyNode else {
                throw ConfigError(file: file, message: "at line \(line): a key must be a plain name, got \(Self.kind(of: keyNode))")
            }
            let path = prefix.isEmpty ? name.string : prefix + "." + name.string
            if let key = ConfigKey.byPath[path] {
                settings.append(.init(key: key, values: try values(of: value, for: key, line: line), line: line))
            } else if ConfigKey.sections.contains(path) {
                sectionLines[path] = line
                guard case .mapping(let inner) = value else {
                    if Self.isNull(value) {
                        throw ConfigError.missingValue(path, line: line, detail: "expected keys under it (\(Self.children(of: path)))", file: file)
                    }
                    throw ConfigError.wrongType(path, line: line, expected: "a section with keys (\(Self.children(of: path)))",
                                                got: Self.kind(of: value), file: file)
                }
                try walk(inner, prefix: path)
            } else {
                throw ConfigError.unknownKey(path, line: line, suggestion: ConfigKeySuggestion.nearest(to: path), file: file)
            }
        }
    }

    /// `urgent:` without `urgent.urls` (the one key that makes the section mean anything).
    func checkRequired() throws {
        for key in ConfigKey.all where key.requiredInSection {
            guard let line = sectionLines[key.section], !settings.contains(where: { $0.key.path == key.path }) else { continue }
            throw ConfigError.missingValue(key.path, line: line,
                                           detail: "\(key.section): is present, so it needs \(key.path)",
                                           file: file)
        }
    }

    private func values(of node: Node, for key: ConfigKey, line: Int) throws -> [String] {
        if Self.isNull(node) {
            throw ConfigError.missingValue(key.path, line: line, detail: "expected \(key.type.expectation)", file: file)
        }
        switch (node, key.type) {
        case (.sequence(let items), .list):
            let values = try items.map { item -> String in
                guard case .scalar(let s) = item, !Self.isNull(item) else {
                    throw ConfigError.wrongType(key.path, line: item.mark?.line ?? line, expected: "a list of strings",
                                                got: "a list holding \(Self.kind(of: item))", file: file)
                }
                return s.string
            }
            if values.isEmpty, key.requiredInSection || key.path == "inputs" {
                throw ConfigError.missingValue(key.path, line: line, detail: "the list is empty: give at least one value" +
                                               (key.path == "inputs" ? ", or leave the key out for stdin" : ""), file: file)
            }
            return values
        case (.scalar(let s), .list):
            return [s.string] // one value needs no brackets
        case (.scalar(let s), _):
            return [try scalar(s.string, for: key, line: line)]
        default:
            throw ConfigError.wrongType(key.path, line: line, expected: key.type.expectation, got: Self.kind(of: node), file: file)
        }
    }

    /// Checks the shape a flag cannot (whole numbers, on/off); the flag checks the meaning.
    private func scalar(_ text: String, for key: ConfigKey, line: Int) throws -> String {
        switch key.type {
        case .int where Int(text) == nil:
            throw ConfigError.wrongType(key.path, line: line, expected: key.type.expectation, got: "\"\(text)\"", file: file)
        case .onOff, .switchFlag:
            // YAML 1.1 reads on/off/yes/no as booleans; the flag speaks on/off.
            switch text.lowercased() {
            case "on", "true", "yes": return "on"
            case "off", "false", "no": return "off"
            default: throw ConfigError.wrongType(key.path, line: line, expected: key.type.expectation, got: "\"\(text)\"", file: file)
            }
        default:
            return text
        }
    }

    /// `key:` with nothing after it, `~` or `null` (unquoted).
    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let s) = node, s.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(s.string)
    }

    static func kind(of node: Node) -> String {
        switch node {
        case .scalar(let s): "\"\(s.string)\""
        case .mapping: "a section of keys"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    /// `format, min-level, …` under a section, for messages.
    static func children(of section: String) -> String {
        var names: [String] = []
        for key in ConfigKey.all where key.path.hasPrefix(section + ".") {
            let name = String(key.path.dropFirst(section.count + 1).split(separator: ".")[0])
            if !names.contains(name) { names.append(name) }
        }
        return names.joined(separator: ", ")
    }
}
