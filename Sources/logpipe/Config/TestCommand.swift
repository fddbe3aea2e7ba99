import ArgumentParser
import Foundation
import Pipeline
import Yams

/// `logpipe test --config FILE [--tests FILE]`: unit tests for a configuration (like `vector test`): input lines
/// go through the configured stages — framing (multiline), parse, level filter, enrichment — in memory, and
/// each resulting entry is compared with what the test file expects, including which sinks it reaches.
///
/// The test file (default: the config's name with `.tests.yaml`) holds `tests:`, a list of
/// `{name, input, expect}`: `input` is the text (lines), `expect` the entries in order, each a map of dotted
/// field paths (`level`, `message`, `context.service`, `metadata.orderId`) to values, and optionally `sinks`
/// (a list of `segments`, `urgent`, `clickhouse`). Fields not named are not compared; the entry count is.
/// Exit 0 when every test passes, 1 when one fails (what differed is printed), 2 on usage or config errors.
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run a configuration's unit tests: input lines → expected entries and the sinks they reach.")

    @Option(help: ArgumentHelp("The config file (YAML) under test.", valueName: "file"))
    var config: String
    @Option(help: ArgumentHelp("The test file (default: the config's name with .tests.yaml).", valueName: "file"))
    var tests: String?

    func run() throws {
        let testsPath = tests ?? Self.defaultTestsPath(for: config)
        let run: RunCommand
        let cases: [ConfigTestCase]
        do {
            let args = try ConfigArguments.expand(["run", "--config", config])
            run = try RunCommand.parse(Array(args.dropFirst()))
            try run.validate()
            cases = try ConfigTestCase.load(testsPath)
        } catch let error as ConfigError {
            StandardError.line("logpipe: \(error)")
            throw ExitCode(2)
        } catch let error as ConfigTestCase.Invalid {
            StandardError.line("logpipe: \(testsPath): \(error.message)")
            throw ExitCode(2)
        } catch {
            StandardError.line("logpipe: \(config): \(Logpipe.message(for: error))")
            throw ExitCode(2)
        }
        let settings = try run.options.resolve()
        let routes = ConfigTestRoutes(
            urgentLevel: run.urgent.urls.isEmpty ? nil : try ArgumentValues.level(run.urgent.urgentLevel, flag: "--urgent-level"),
            clickhouse: run.clickhouse.url != nil,
            segments: !(run.clickhouse.clickhouseOnly && run.clickhouse.url != nil))
        var failed = 0
        for test in cases {
            let entries = ConfigTestCase.entries(for: test.input, settings: settings)
            let problems = test.compare(entries, routes: routes)
            if problems.isEmpty {
                print("PASS \(test.name)")
            } else {
                failed += 1
                print("FAIL \(test.name)")
                for p in problems { print("  \(p)") }
            }
        }
        print("logpipe test: \(cases.count) test\(cases.count == 1 ? "" : "s"), \(failed) failed")
        if failed > 0 { throw ExitCode(1) }
    }

    static func defaultTestsPath(for config: String) -> String {
        let url = URL(fileURLWithPath: config)
        return url.deletingPathExtension().path + ".tests.yaml"
    }
}

/// Which sinks a configuration sends an entry to.
struct ConfigTestRoutes {
    var urgentLevel: Level?
    var clickhouse: Bool
    var segments: Bool

    func sinks(for level: Level) -> [String] {
        var out: [String] = []
        if segments { out.append("segments") }
        if let urgentLevel, level >= urgentLevel { out.append("urgent") }
        if clickhouse { out.append("clickhouse") }
        return out
    }
}

/// One test of a test file.
struct ConfigTestCase {
    struct Invalid: Error { let message: String }

    let name: String
    let input: String
    /// Expected entries: dotted path → value (as text), and `sinks`.
    let expect: [[String: Any]]

    static func load(_ path: String) throws -> [ConfigTestCase] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw Invalid(message: "cannot read the test file")
        }
        let root: Any?
        do { root = try Yams.load(yaml: text) } catch { throw Invalid(message: "not YAML: \(error)") }
        guard let top = root as? [String: Any], let list = top["tests"] as? [Any] else {
            throw Invalid(message: "expected a top-level `tests:` list")
        }
        return try list.enumerated().map { i, item in
            guard let t = item as? [String: Any] else { throw Invalid(message: "test \(i + 1): expected a map") }
            let name = (t["name"] as? String) ?? "test \(i + 1)"
            guard let input = t["input"] as? String else { throw Invalid(message: "\(name): `input` must be text") }
            let expect = t["expect"] ?? [Any]()
            guard let entries = expect as? [Any], let maps = entries as? [[String: Any]] else {
                throw Invalid(message: "\(name): `expect` must be a list of maps (field path: value)")
            }
            return ConfigTestCase(name: name, input: input, expect: maps)
        }
    }

    /// The entries `input` becomes with these settings, as JSON objects (framing, parse, filter, enrich, encode).
    static func entries(for input: String, settings: RunOptions.Resolved) -> [[String: Any]] {
        let f = settings.framing
        var framer = LineFramer(maxLineBytes: f.maxLineBytes, batchMaxEntries: 100_000, batchMaxBytes: 16 << 20,
                                multiline: f.multiline)
        var text = Array(input.utf8)
        if text.last != 10 { text.append(10) }
        var offset = 0
        let origin = SourceOrigin(name: "test", sessionId: "test-session")
        let encoder = BatchEncoder(options: settings.encoder)
        var out: [[String: Any]] = []
        func drain(_ includePartial: Bool) {
            while let raw = framer.takeBatch(origin: origin, close: .end, includePartial: includePartial, now: nowMillis()) {
                let encoded = encoder.encode(raw, into: ByteBuffer(capacity: raw.buffer.count * 2 + 4096))
                for line in String(decoding: encoded.output.bytes, as: UTF8.self).split(separator: "\n") {
                    if let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] { out.append(o) }
                }
            }
        }
        while offset < text.count {
            let w = framer.writable
            let n = min(w.count, text.count - offset)
            text.withUnsafeBufferPointer { w.pointer.update(from: $0.baseAddress! + offset, count: n) }
            framer.commit(n, now: nowMillis())
            offset += n
            if framer.isFull { drain(false) }
        }
        drain(true)
        return out
    }

    /// What differs between the entries and the expectation (empty when the test passes).
    func compare(_ entries: [[String: Any]], routes: ConfigTestRoutes) -> [String] {
        var problems: [String] = []
        if entries.count != expect.count {
            problems.append("expected \(expect.count) entr\(expect.count == 1 ? "y" : "ies"), got \(entries.count)")
        }
        for (i, (want, got)) in zip(expect, entries).enumerated() {
            for (path, value) in want.sorted(by: { $0.key < $1.key }) {
                if path == "sinks" {
                    let wanted = (value as? [Any])?.map { "\($0)" } ?? ["\(value)"]
                    let level = Level(got["level"] as? String ?? "") ?? .info
                    let reached = routes.sinks(for: level)
                    if Set(wanted) != Set(reached) {
                        problems.append("entry \(i + 1) sinks: expected \(wanted.sorted()), got \(reached.sorted())")
                    }
                    continue
                }
                let actual = Self.value(at: path, in: got)
                let expected = Self.text(value)
                if actual != expected {
                    problems.append("entry \(i + 1) \(path): expected \(expected.map { "\"\($0)\"" } ?? "nothing"), got \(actual.map { "\"\($0)\"" } ?? "nothing")")
                }
            }
        }
        return problems
    }

    static func value(at path: String, in object: [String: Any]) -> String? {
        var current: Any? = object
        for part in path.split(separator: ".") {
            current = (current as? [String: Any])?[String(part)]
        }
        return current.flatMap(text)
    }

    static func text(_ v: Any) -> String? {
        switch v {
        case let s as String: return s
        case is NSNull: return "null"
        case let b as Bool: return b ? "true" : "false"
        case let n as NSNumber: return n.stringValue
        default:
            guard JSONSerialization.isValidJSONObject(v), let d = try? JSONSerialization.data(withJSONObject: v, options: [.sortedKeys]) else {
                return "\(v)"
            }
            return String(decoding: d, as: UTF8.self)
        }
    }
}
