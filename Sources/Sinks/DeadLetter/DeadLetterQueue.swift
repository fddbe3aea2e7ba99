import Foundation
import Pipeline
import SegmentFormat

/// Where entries that a receiver refused for good go (`<state-dir>/dead-letter/<sink>/`), instead of blocking
/// the spool or vanishing. docs/dead-letter.md describes the files.
///
/// Two files per run, opened at the first refusal: `<UTC start>-<6-digit sequence>.jsonl` holds the refused
/// entries verbatim (segment line format: `logpipe replay` and `logpipe cat` read it), and
/// `<same stem>.reasons.jsonl` one JSON object per entry, line for line: `{"answer", "destination", "entry"
/// (its line number in the entries file, from 1), "reason", "requestId", "sink", "status", "time"}`.
/// Both are fsynced before ``append(_:rejection:destination:)`` returns, so the spool may then commit past them.
///
/// Threading: any thread (one lock).
public final class DeadLetterQueue: @unchecked Sendable {
    public let directory: String
    public let sink: String
    private let lock = NSLock()
    private var entries: FileHandle?
    private var reasons: FileHandle?
    private var written = 0
    /// The files of this run (nil before the first refusal).
    public private(set) var entriesPath: String?

    public init(stateDirectory: String, sink: String) {
        directory = stateDirectory + "/dead-letter/" + sink
        self.sink = sink
    }

    /// Entries moved here since this queue was made.
    public var count: Int { lock.lock(); defer { lock.unlock() }; return written }

    /// Appends `lines` (entries, each ending in `\n`) with the receiver's answer; durable on return.
    public func append(_ lines: ArraySlice<UInt8>, rejection: DeliveryRejection, destination: String) throws {
        lock.lock()
        defer { lock.unlock() }
        let (e, r) = try open()
        let time = TimestampFormatterBridge.format(Int64(Date().timeIntervalSince1970 * 1000))
        var records = Data()
        var n = 0
        var start = lines.startIndex
        while start < lines.endIndex {
            let end = lines[start...].firstIndex(of: 10).map { $0 + 1 } ?? lines.endIndex
            n += 1
            let line = lines[start..<end]
            let record: [String: Any] = [
                "time": time, "sink": sink, "destination": destination, "reason": rejection.reason,
                "status": rejection.status, "answer": rejection.answer, "entry": written + n,
                "requestId": Self.requestId(line) ?? NSNull(),
            ]
            records.append(try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys, .withoutEscapingSlashes]))
            records.append(10)
            start = end
        }
        var body = Data(lines)
        if body.last != 10 { body.append(10) }
        do {
            try e.write(contentsOf: body)
            try r.write(contentsOf: records)
            try e.synchronize()
            try r.synchronize()
        } catch {
            throw DeliveryError.spool("dead-letter \(directory): \(error)")
        }
        written += n
    }

    private func open() throws -> (FileHandle, FileHandle) {
        if let entries, let reasons { return (entries, reasons) }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let existing = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            let sequence = (existing.compactMap { DeadLetterName.sequence(of: $0) }.max() ?? 0) + 1
            let stem = DeadLetterName.stem(millis: Int64(Date().timeIntervalSince1970 * 1000), sequence: sequence)
            let path = directory + "/" + stem + ".jsonl"
            let reasonsPath = directory + "/" + stem + ".reasons.jsonl"
            for p in [path, reasonsPath] { FileManager.default.createFile(atPath: p, contents: nil) }
            let e = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            let r = try FileHandle(forWritingTo: URL(fileURLWithPath: reasonsPath))
            // The new names must survive a crash too.
            let dfd = Foundation.open(directory, O_RDONLY | O_DIRECTORY)
            if dfd >= 0 { fsync(dfd); Foundation.close(dfd) }
            entries = e
            reasons = r
            entriesPath = path
            return (e, r)
        } catch {
            throw DeliveryError.spool("dead-letter \(directory): \(error)")
        }
    }

    /// The entry's `context.requestId` (for finding it in the receiver's logs), found by a plain byte search.
    static func requestId(_ line: ArraySlice<UInt8>) -> String? {
        let key = Array(#""requestId":""#.utf8)
        guard let r = line.firstRange(of: key) else { return nil }
        let rest = line[r.upperBound...]
        guard let end = rest.firstIndex(of: 0x22) else { return nil }
        return String(decoding: rest[..<end], as: UTF8.self)
    }
}

/// Dead-letter file names: `<UTC start yyyyMMdd'T'HHmmss'Z'>-<6-digit sequence>.jsonl` (entries) beside
/// `<stem>.reasons.jsonl`; the stem has the shape of a segment's, so they sort in write order.
public enum DeadLetterName {
    static func stem(millis: Int64, sequence: Int) -> String {
        SegmentName(startMillis: millis, sequence: sequence, codec: .lz4).stem
    }

    /// The sequence of an entries or reasons file name, nil for other names.
    static func sequence(of file: String) -> Int? {
        let stem: Substring
        if file.hasSuffix(".reasons.jsonl") { stem = file.dropLast(".reasons.jsonl".count) }
        else if file.hasSuffix(".jsonl") { stem = file.dropLast(".jsonl".count) }
        else { return nil }
        guard stem.count == 23 else { return nil }
        return Int(stem.suffix(6))
    }
}
