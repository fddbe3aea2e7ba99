import Foundation
@testable import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// End-to-end helpers: run the real `logpipe` binary (and the real `lz4`, `gzip`, `sha256sum`), temp directories,
/// JSON line parsing. Output of child processes goes to temp files (no pipe deadlocks); stdin is a file or a pipe
/// the test writes to.
enum Harness {
    /// `$LOGPIPE_BIN`, or `<package root>/.build/debug/logpipe` (package root found from this file's path).
    static let binary: String = {
        if let b = ProcessInfo.processInfo.environment["LOGPIPE_BIN"], !b.isEmpty { return b }
        return packageRoot + "/.build/debug/logpipe"
    }()

    /// Tests/logpipeTests/Support/Harness.swift → package root.
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let samplesDir = packageRoot + "/samples"

    /// A broken pipe must come back as EPIPE, not kill the test process.
    static let ignoreSIGPIPE: Void = { signal(SIGPIPE, SIG_IGN) }()
}

/// The result of a finished child process.
struct ProcessResult {
    var status: Int32
    /// True when the process ended through a signal (status is then the signal number).
    var signaled: Bool
    var stdout: Data
    var stderr: Data
    var timedOut: Bool

    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// A temporary directory removed when the value goes away.
final class TempDir {
    let path: String

    init(_ label: String = "logpipe-test") {
        let base = NSTemporaryDirectory() + "\(label)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        path = base
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    /// Writes `data` into a file in this directory and returns its path.
    @discardableResult
    func write(_ name: String, _ data: Data) -> String {
        let p = file(name)
        _ = FileManager.default.createFile(atPath: p, contents: data)
        return p
    }
}

/// A started child process whose stdin is a pipe the test writes to (from one thread at a time: a test's writer
/// thread may own it) and whose stderr can be read while it runs.
final class RunningProcess: @unchecked Sendable {
    let process = Process()
    let stdinWriteFD: Int32
    private let outPath: String
    private let errPath: String
    private var stdinClosed = false

    /// `currentDirectory`: where the child runs (default: this process's directory).
    init(executable: String, arguments: [String], environment: [String: String]? = nil, scratch: TempDir,
         currentDirectory: String? = nil) throws {
        _ = Harness.ignoreSIGPIPE
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw POSIXError(.EIO) }
        // The test's write end must not leak into any child (it would hold stdin open); the read end becomes the
        // child's fd 0 (dup2 clears the flag there).
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        stdinWriteFD = fds[1]
        let id = UUID().uuidString
        outPath = scratch.file("stdout-\(id)")
        errPath = scratch.file("stderr-\(id)")
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let readHandle = FileHandle(fileDescriptor: fds[0], closeOnDealloc: false)
        process.standardInput = readHandle
        process.standardOutput = FileHandle(forWritingAtPath: outPath)!
        process.standardError = FileHandle(forWritingAtPath: errPath)!
        do { try process.run() } catch {
            close(fds[0]); close(fds[1])
            throw error
        }
        close(fds[0]) // only the child reads
    }

    deinit {
        closeStdin()
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Writes all of `bytes` (blocking); false when the reader is gone.
    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            var p = raw.baseAddress!, left = raw.count
            while left > 0 {
                let n = Glibc.write(stdinWriteFD, p, left)
                if n < 0 { if errno == EINTR { continue }; return false }
                p += n; left -= n
            }
            return true
        }
    }

    func closeStdin() {
        if !stdinClosed { stdinClosed = true; close(stdinWriteFD) }
    }

    func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    var isRunning: Bool { process.isRunning }
    /// Everything the child wrote to stderr so far.
    var stderrText: String { String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self) }

    /// Waits until stderr holds `needle` at least `count` times (or the child ended).
    func waitForStderr(_ needle: String, count: Int, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(TestTime.seconds(timeout))
        repeat {
            if stderrText.components(separatedBy: needle).count - 1 >= count { return true }
            usleep(20_000)
        } while Date() < deadline && process.isRunning
        return stderrText.components(separatedBy: needle).count - 1 >= count
    }

    /// Waits up to `timeout` seconds; kills the process when it does not end in time.
    func wait(timeout: Double) -> ProcessResult {
        let deadline = Date().addingTimeInterval(TestTime.seconds(timeout))
        var timedOut = false
        while process.isRunning {
            if Date() > deadline {
                timedOut = true
                kill(process.processIdentifier, SIGKILL)
                break
            }
            usleep(10_000)
        }
        process.waitUntilExit()
        closeStdin()
        let out = FileManager.default.contents(atPath: outPath) ?? Data()
        let err = FileManager.default.contents(atPath: errPath) ?? Data()
        return ProcessResult(status: process.terminationStatus,
                             signaled: process.terminationReason == .uncaughtSignal,
                             stdout: out, stderr: err, timedOut: timedOut)
    }
}

/// Runs a program to completion with `stdin` bytes (through a file), capturing stdout and stderr.
func runProgram(_ executable: String, _ arguments: [String], stdin: Data = Data(), stdinFile: String? = nil,
                environment: [String: String]? = nil, timeout: Double = 30) throws -> ProcessResult {
    let scratch = TempDir("logpipe-proc")
    let inputPath = stdinFile ?? scratch.write("stdin", stdin)
    let outPath = scratch.write("stdout", Data())
    let errPath = scratch.write("stderr", Data())
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let input = FileHandle(forReadingAtPath: inputPath)!
    let output = FileHandle(forWritingAtPath: outPath)!
    let error = FileHandle(forWritingAtPath: errPath)!
    defer { try? input.close(); try? output.close(); try? error.close() }
    process.standardInput = input
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let deadline = Date().addingTimeInterval(TestTime.seconds(timeout))
    var timedOut = false
    while process.isRunning {
        if Date() > deadline { timedOut = true; kill(process.processIdentifier, SIGKILL); break }
        usleep(5_000)
    }
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
                         stdout: FileManager.default.contents(atPath: outPath) ?? Data(),
                         stderr: FileManager.default.contents(atPath: errPath) ?? Data(), timedOut: timedOut)
}

/// Runs `logpipe ARGS` to completion.
func logpipe(_ arguments: [String], stdin: Data = Data(), stdinFile: String? = nil,
             environment: [String: String]? = nil, timeout: Double = 30) throws -> ProcessResult {
    try runProgram(Harness.binary, arguments, stdin: stdin, stdinFile: stdinFile, environment: environment,
                   timeout: timeout)
}

/// The environment of this process without the LOGPIPE_* variables (so defaults are predictable), plus `extra`.
func cleanEnvironment(_ extra: [String: String] = [:]) -> [String: String] {
    var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("LOGPIPE_") }
    for (k, v) in extra { env[k] = v }
    return env
}

enum ToolError: Error, CustomStringConvertible {
    case failed(String)
    var description: String { switch self { case let .failed(s): s } }
}

/// Decompresses a segment with the real command-line tool for its codec.
func decompressWithTool(_ path: String) throws -> Data {
    let isGzip = path.hasSuffix(".gz") || path.hasSuffix(".gz.open")
    let isZstd = path.hasSuffix(".zst") || path.hasSuffix(".zst.open")
    let args = isGzip ? ["gzip", "-dc", path] : isZstd ? ["zstd", "-q", "-dc", path] : ["lz4", "-dc", path]
    let r = try runProgram("/usr/bin/env", args, timeout: 20)
    guard r.status == 0, !r.signaled else {
        throw ToolError.failed("\(args.joined(separator: " ")) failed (\(r.status)): \(r.stderrText)")
    }
    return r.stdout
}

/// SHA-256 of a file through the real `sha256sum`.
func sha256sum(_ path: String) throws -> String {
    let r = try runProgram("/usr/bin/env", ["sha256sum", path], timeout: 20)
    guard r.status == 0 else { throw ToolError.failed("sha256sum failed: \(r.stderrText)") }
    return String(r.stdoutText.prefix(64))
}

/// Deterministic generated JSON log lines (bench/gen_logs.py).
func generatedLogs(lines: Int, seed: Int, format: String = "json") throws -> Data {
    let r = try runProgram("/usr/bin/env", ["python3", Harness.packageRoot + "/bench/gen_logs.py",
                                            "--lines", "\(lines)", "--seed", "\(seed)", "--format", format],
                           timeout: 30)
    guard r.status == 0 else { throw ToolError.failed("gen_logs.py failed: \(r.stderrText)") }
    return r.stdout
}

/// Splits bytes on `\n` (a final line without newline counts as a line).
func splitLines(_ data: Data) -> [Data] {
    var lines: [Data] = []
    var start = data.startIndex
    for i in data.indices where data[i] == 0x0a {
        lines.append(data[start..<i])
        start = i + 1
    }
    if start < data.endIndex { lines.append(data[start..<data.endIndex]) }
    return lines
}

/// Parses each line as a JSON object (nil entries for lines that are not).
func parseJSONLines(_ data: Data) -> [[String: Any]?] {
    splitLines(data).map { (try? JSONSerialization.jsonObject(with: Data($0))) as? [String: Any] }
}

/// Parses each line as a JSON object; a line that is not one fails via `onError`.
func jsonObjects(_ data: Data) throws -> [[String: Any]] {
    try splitLines(data).enumerated().map { i, line in
        guard let o = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] else {
            throw ToolError.failed("line \(i + 1) is not a JSON object: \(String(decoding: line.prefix(300), as: UTF8.self))")
        }
        return o
    }
}

/// The finalized segment files of a directory, in name order.
func segmentFiles(in dir: String) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
    return names.filter { $0.hasSuffix(".jsonl.lz4") || $0.hasSuffix(".jsonl.gz") || $0.hasSuffix(".jsonl.zst") }.sorted().map { dir + "/" + $0 }
}

func directoryListing(_ dir: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
}

/// `20261127T090000Z-000001.jsonl.lz4` → `20261127T090000Z-000001.meta.json`.
func manifestPath(of segment: String) -> String {
    var s = segment
    for ext in [".jsonl.lz4", ".jsonl.gz", ".jsonl.zst"] where s.hasSuffix(ext) { s.removeLast(ext.count) }
    return s + ".meta.json"
}

func readJSONObject(_ path: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    guard let o = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw ToolError.failed("\(path) is not a JSON object")
    }
    return o
}

/// The numbers of the run summary line on stderr.
struct RunSummary: Equatable, CustomStringConvertible {
    var linesIn, entriesOut, filtered, parseErrors, truncated, emptyLines, segments: Int

    init(linesIn: Int, entriesOut: Int, filtered: Int, parseErrors: Int, truncated: Int, emptyLines: Int, segments: Int) {
        (self.linesIn, self.entriesOut, self.filtered, self.parseErrors) = (linesIn, entriesOut, filtered, parseErrors)
        (self.truncated, self.emptyLines, self.segments) = (truncated, emptyLines, segments)
    }

    /// Finds `logpipe: N lines in, N entries out, …` in stderr text.
    init?(stderr: String) {
        let pattern = #"logpipe: (\d+) lines in, (\d+) entries out, (\d+) filtered, (\d+) parse errors, (\d+) truncated, (\d+) empty lines skipped, (\d+) segments finalized"#
        guard let re = try? NSRegularExpression(pattern: pattern),
              let m = re.firstMatch(in: stderr, range: NSRange(stderr.startIndex..., in: stderr)) else { return nil }
        let ns = stderr as NSString
        let v = (1...7).map { Int(ns.substring(with: m.range(at: $0)))! }
        self.init(linesIn: v[0], entriesOut: v[1], filtered: v[2], parseErrors: v[3], truncated: v[4], emptyLines: v[5],
                  segments: v[6])
    }

    var description: String {
        "\(linesIn) in, \(entriesOut) out, \(filtered) filtered, \(parseErrors) parse errors, \(truncated) truncated, " +
            "\(emptyLines) empty, \(segments) segments"
    }
}

/// One finished `logpipe run` into a fresh directory, with its decompressed segments.
struct RunOutput {
    let dir: TempDir
    let outDir: String
    let result: ProcessResult
    let segments: [String]
    /// Decompressed content of each segment (same order as `segments`).
    let contents: [Data]

    var allContent: Data { contents.reduce(into: Data()) { $0.append($1) } }
    var summary: RunSummary? { RunSummary(stderr: result.stderrText) }
    func entries() throws -> [[String: Any]] { try jsonObjects(allContent) }
}

/// Runs `logpipe run --out <tmp>/out ARGS` on `input` and decompresses the segments with the real tools.
func runPipeline(_ input: Data, _ arguments: [String] = [], environment: [String: String]? = nil,
                 timeout: Double = 60) throws -> RunOutput {
    let dir = TempDir("logpipe-run")
    let out = dir.file("out")
    let inputFile = dir.write("input", input)
    let result = try logpipe(["run", "--out", out] + arguments, stdinFile: inputFile,
                             environment: environment ?? cleanEnvironment(), timeout: timeout)
    let segments = segmentFiles(in: out)
    let contents = try segments.map(decompressWithTool)
    return RunOutput(dir: dir, outDir: out, result: result, segments: segments, contents: contents)
}

extension Dictionary where Key == String, Value == Any {
    subscript(path path: String) -> Any? {
        var cur: Any? = self
        for part in path.split(separator: ".") {
            cur = (cur as? [String: Any])?[String(part)]
        }
        return cur
    }

    func string(_ path: String) -> String? { self[path: path] as? String }
}

/// `xxxxxxxx-xxxx-7xxx-[89ab]xxx-xxxxxxxxxxxx`, lowercase.
func isUUIDv7(_ s: String) -> Bool {
    s.range(of: #"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"#, options: .regularExpression) != nil
}

/// RFC 3339 UTC with milliseconds, as the segment format requires.
func isSegmentTimestamp(_ s: String) -> Bool {
    s.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#, options: .regularExpression) != nil
}

/// A tiny seeded PRNG (SplitMix64) so hostile inputs are reproducible.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// Sequence equality whose failure message stays short (the first differing index), for long lists.
func firstDifference<T: Equatable>(_ a: [T], _ b: [T]) -> String? {
    if let i = a.indices.first(where: { $0 < b.count && a[$0] != b[$0] }) { return "differ at \(i): \(a[i]) vs \(b[i])" }
    return a.count == b.count ? nil : "lengths differ: \(a.count) vs \(b.count)"
}
