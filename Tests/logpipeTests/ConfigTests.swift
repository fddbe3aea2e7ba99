import Foundation
import Testing

/// The config file (`--config FILE`, `logpipe validate`): samples validate, broken files are usage errors that
/// name the key and line, and the command line wins over the file.
@Suite struct ConfigTests {
    static let samples = ["pipe.yaml", "tail-urgent.yaml", "syslog-receiver.yaml"]

    @Test(arguments: samples)
    func sampleConfigValidates(name: String) throws {
        let r = try logpipe(["validate", "--config", Harness.samplesDir + "/" + name], environment: cleanEnvironment())
        #expect(r.status == 0, "\(name): \(r.stderrText)")
        #expect(r.stdoutText.hasPrefix("config OK: "), "\(r.stdoutText)")
        #expect(r.stderr.isEmpty, "\(r.stderrText)")
    }

    /// A broken config, the words its message must hold (key, line, what is wrong), and a label.
    struct Broken: Sendable, CustomTestStringConvertible {
        let label: String
        let yaml: String
        let expected: [String]
        var testDescription: String { label }
    }

    static let broken: [Broken] = [
        Broken(label: "unknown key", yaml: "inputs: [stdin]\npipeline:\n  format: auto\n  batchsize: 3\n",
               expected: [#"unknown key "pipeline.batchsize" at line 4"#, #"did you mean "pipeline.batch""#]),
        Broken(label: "wrong type", yaml: "pipeline:\n  batch:\n    max-entries: many\n",
               expected: [#"pipeline.batch.max-entries at line 3: expected a whole number, got "many""#]),
        Broken(label: "list where a value goes", yaml: "segments:\n  codec: [lz4, gzip]\n",
               expected: ["segments.codec at line 2: expected a string, got a list"]),
        Broken(label: "bad size", yaml: "segments:\n  out: ./data\n  max-bytes: 12Q\n",
               expected: [#"segments.max-bytes at line 3: invalid --segment-max-bytes "12Q""#, "expected a size like 64M"]),
        Broken(label: "bad URL scheme", yaml: "urgent:\n  urls:\n    - ftp://alerts.example/x\n",
               expected: [#"urgent.urls at line 2: invalid --urgent "ftp://alerts.example/x""#, "scheme"]),
        Broken(label: "bad level", yaml: "pipeline: {min-level: LOUD}\n",
               expected: [#"pipeline.min-level at line 1: invalid --min-level "LOUD""#]),
        Broken(label: "bad on/off", yaml: "pipeline:\n  multiline: maybe\n",
               expected: [#"pipeline.multiline at line 2: expected on or off, got "maybe""#]),
        Broken(label: "key with no value", yaml: "state-dir: /tmp/x\nsegments:\n  out:\n",
               expected: ["segments.out at line 3: missing value"]),
        Broken(label: "urgent without urls", yaml: "urgent:\n  level: ERROR\n",
               expected: ["urgent.urls at line 1: missing value", "urgent: is present"]),
        Broken(label: "empty urgent urls", yaml: "urgent:\n  urls: []\n",
               expected: ["urgent.urls at line 2: missing value", "empty"]),
        Broken(label: "YAML syntax error", yaml: "pipeline:\n  format: [auto\n  min-level: INFO\n",
               expected: ["YAML syntax error at line 3"]),
        Broken(label: "duplicate key", yaml: "pipeline:\n  format: auto\n  format: json\n",
               expected: [#"duplicate key "format" at line 2"#]),
        Broken(label: "section given a value", yaml: "pipeline: fast\n",
               expected: [#"pipeline at line 1: expected a section with keys"#, "min-level"]),
        Broken(label: "not a mapping", yaml: "- stdin\n",
               expected: ["expected keys at the top of the file"]),
    ]

    @Test(arguments: broken)
    func brokenConfigIsAUsageErrorNamingTheKey(_ c: Broken) throws {
        let dir = TempDir("logpipe-config")
        let path = dir.write("broken.yaml", Data(c.yaml.utf8))
        let r = try logpipe(["validate", "--config", path], environment: cleanEnvironment())
        #expect(r.status == 2, "\(c.label): exit \(r.status), stderr: \(r.stderrText)")
        #expect(r.stdout.isEmpty, "\(c.label): stdout: \(r.stdoutText)")
        let message = r.stderrText.trimmingCharacters(in: .newlines)
        #expect(message.hasPrefix("logpipe: config \(path): "), "\(c.label): \(message)")
        #expect(!message.contains("\n"), "\(c.label): one line: \(message)")
        for words in c.expected {
            #expect(message.contains(words), "\(c.label): \(message) does not hold \(words)")
        }
    }

    @Test func eachBrokenConfigHasItsOwnMessage() throws {
        let dir = TempDir("logpipe-config")
        var messages: Set<String> = []
        for (i, c) in Self.broken.enumerated() {
            let path = dir.write("b.yaml", Data(c.yaml.utf8))
            let r = try logpipe(["validate", "--config", path], environment: cleanEnvironment())
            messages.insert(r.stderrText)
            #expect(messages.count == i + 1, "\(c.label) repeats another message: \(r.stderrText)")
        }
    }

    @Test func runRefusesABrokenConfigBeforeDoingAnything() throws {
        let dir = TempDir("logpipe-config")
        let out = dir.file("out")
        let path = dir.write("c.yaml", Data("segments:\n  out: \(out)\n  max-bytes: 12Q\n".utf8))
        let r = try logpipe(["run", "--config", path], stdin: Data("a line\n".utf8), environment: cleanEnvironment())
        #expect(r.status == 2, "\(r.stderrText)")
        #expect(r.stderrText.contains(#"segments.max-bytes at line 3: invalid --segment-max-bytes "12Q""#), "\(r.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func missingConfigFileIsAUsageError() throws {
        let r = try logpipe(["run", "--config", "/nonexistent/logpipe.yaml"], environment: cleanEnvironment())
        #expect(r.status == 2)
        #expect(r.stderrText.contains("config /nonexistent/logpipe.yaml: cannot read the config file"), "\(r.stderrText)")
    }

    @Test func validateCountsTheKeysSet() throws {
        let dir = TempDir("logpipe-config")
        let path = dir.write("c.yaml", Data("# comment\npipeline: {min-level: WARN, batch: {timeout: 200ms}}\nlog-level: debug\n".utf8))
        let r = try logpipe(["validate", "--config", path], environment: cleanEnvironment())
        #expect(r.status == 0, "\(r.stderrText)")
        #expect(r.stdoutText == "config OK: 3 keys\n")
    }

    static let mixedLevels = Data("""
    {"level":"DEBUG","message":"debug one"}
    {"level":"INFO","message":"info one"}
    {"level":"ERROR","message":"error one"}
    {"level":"DEBUG","message":"debug two"}

    """.utf8)

    @Test func commandLineFlagWinsOverTheFile() throws {
        let dir = TempDir("logpipe-config")
        let path = dir.write("c.yaml", Data("pipeline:\n  min-level: ERROR\n  format: json\n".utf8))
        let fromFile = try runPipeline(Self.mixedLevels, ["--config", path])
        #expect(fromFile.result.status == 0, "\(fromFile.result.stderrText)")
        #expect(try fromFile.entries().compactMap { $0.string("level") } == ["ERROR"])
        let overridden = try runPipeline(Self.mixedLevels, ["--config", path, "--min-level", "DEBUG"])
        #expect(overridden.result.status == 0, "\(overridden.result.stderrText)")
        #expect(try overridden.entries().compactMap { $0.string("level") } == ["DEBUG", "INFO", "ERROR", "DEBUG"])
        let flagFirst = try runPipeline(Self.mixedLevels, ["--min-level=INFO", "--config=\(path)"])
        #expect(try flagFirst.entries().compactMap { $0.string("level") } == ["INFO", "ERROR"])
    }

    /// The file tails a glob that never matches (it would run until signalled); `--input stdin` replaces it, so
    /// the run ends at end of input.
    @Test func commandLineInputReplacesTheFileInputs() throws {
        let dir = TempDir("logpipe-config")
        let yaml = """
        inputs: ["file:\(dir.path)/never/*.log", "udp://127.0.0.1:0"]
        state-dir: \(dir.file("state"))

        """
        let path = dir.write("c.yaml", Data(yaml.utf8))
        let run = try runPipeline(Self.mixedLevels, ["--config", path, "--input", "stdin"], timeout: 30)
        #expect(!run.result.timedOut, "the file's inputs were still read")
        #expect(run.result.status == 0, "\(run.result.stderrText)")
        #expect(try run.entries().count == 4)
    }

    @Test func valuesAreTakenAsWrittenEvenWithALeadingDash() throws {
        let dir = TempDir("logpipe-config")
        let path = dir.write("c.yaml", Data("enrich:\n  service: -edge\n  app-version: 2.10\n".utf8))
        let run = try runPipeline(Data("plain line\n".utf8), ["--config", path])
        #expect(run.result.status == 0, "\(run.result.stderrText)")
        let entry = try #require(try run.entries().first)
        #expect(entry.string("context.service") == "-edge")
        #expect(entry.string("context.version") == "2.10")
    }

    /// `replay` takes the same file; it leaves out `inputs` (which replay refuses as a flag).
    @Test func replayTakesTheSameConfig() throws {
        let first = try runPipeline(Self.mixedLevels, ["--format", "json"])
        #expect(first.result.status == 0)
        let dir = TempDir("logpipe-config")
        let out = dir.file("replayed")
        let yaml = "inputs: [stdin]\npipeline: {format: plain, min-level: INFO}\nsegments: {out: \(out)}\n"
        let path = dir.write("c.yaml", Data(yaml.utf8))
        let r = try logpipe(["replay", first.outDir, "--config", path], environment: cleanEnvironment())
        #expect(r.status == 0, "\(r.stderrText)")
        let entries = try segmentFiles(in: out).map(decompressWithTool).flatMap(jsonObjects)
        #expect(entries.compactMap { $0.string("message") } == ["info one", "error one"])
    }

    @Test func listKeysIsTheTableInTheDocs() throws {
        let r = try logpipe(["validate", "--list-keys"])
        #expect(r.status == 0)
        let doc = try String(contentsOfFile: Harness.packageRoot + "/docs/config.md", encoding: .utf8)
        let begin = try #require(doc.range(of: "<!-- keys:begin -->\n"))
        let end = try #require(doc.range(of: "<!-- keys:end -->"))
        #expect(String(doc[begin.upperBound..<end.lowerBound]) == r.stdoutText,
                "docs/config.md's key table is stale: paste `logpipe validate --list-keys` between the markers")
    }

    /// "Every CLI flag has a key": each long option of `run --help` appears in the key table.
    @Test func everyRunFlagHasAKey() throws {
        let help = try logpipe(["run", "--help"]).stdoutText
        let keys = try logpipe(["validate", "--list-keys"]).stdoutText
        let flags = Set(help.split(separator: "\n").compactMap { line -> String? in
            let t = line.trimmingCharacters(in: .whitespaces)
            guard t.hasPrefix("--"), let name = t.split(separator: " ").first else { return nil }
            return String(name)
        }).subtracting(["--help", "--version", "--config"])
        #expect(!flags.isEmpty)
        for flag in flags.sorted() {
            #expect(keys.contains("`\(flag)`"), "\(flag) has no config key")
        }
    }
}
