import Foundation
import Pipeline

/// How an HTTP input's request body becomes entries, chosen by `Content-Type`:
///
/// - `application/x-ndjson`, `application/jsonl`, `application/json-seq`-less NDJSON: one JSON value per line;
/// - `application/json`: an array (each element one entry) or one value (one entry);
/// - `text/plain` (or no type): one entry per line, as the pipeline reads any input (format detected per line).
///
/// All or nothing per request: the whole body is checked before anything is taken, so a 400 means none of it was
/// kept and the client may send the corrected request again without duplicates; a 200 means all of it.
/// JSON values keep their bytes, with the whitespace between tokens of a pretty-printed element turned into
/// spaces so each entry is one line. Blank lines are skipped and counted.
enum HTTPBodyFormat: Equatable {
    case ndjson, json, plain

    init?(contentType: String?) {
        let type = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        switch type {
        case nil, "", "text/plain": self = .plain
        case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines",
             "application/jsonlines": self = .ndjson
        case "application/json": self = .json
        default: return nil
        }
    }

    struct Failure: Error, Equatable {
        /// The reject reason counted ("invalid_json", "entry_too_large").
        var reason: String
        var message: String
    }

    /// What a body split into.
    struct Split: Equatable {
        var entries = 0
        var blankLines = 0
        var truncatedLines = 0
    }

    /// Splits `body` into `batch` (nothing is appended when it fails).
    func split(_ body: [UInt8], into batch: PeerBatch, maxLineBytes: Int, now: Int64) throws(Failure) -> Split {
        var result = Split()
        var ranges: [Range<Int>] = []
        try body.withUnsafeBufferPointer { (b: UnsafeBufferPointer<UInt8>) throws(Failure) in
            switch self {
            case .plain:
                for line in Self.lines(b) {
                    if line.isEmpty { result.blankLines += 1 } else { ranges.append(line) }
                }
            case .ndjson:
                for (number, line) in Self.lines(b).enumerated() {
                    guard let value = JSONDocument.value(b, from: line.lowerBound, to: line.upperBound) else {
                        if Self.isBlank(b, line) { result.blankLines += 1; continue }
                        throw Failure(reason: "invalid_json", message: "line \(number + 1) of the body is not valid JSON; nothing was kept")
                    }
                    ranges.append(value)
                }
            case .json:
                switch JSONDocument.arrayElements(b) {
                case let .success(elements): ranges = elements
                case .failure(.notAnArray):
                    guard let value = JSONDocument.value(b, from: 0, to: b.count) else {
                        throw Failure(reason: "invalid_json", message: "the body is not valid JSON; nothing was kept")
                    }
                    ranges = [value]
                case let .failure(.invalidElement(index)):
                    throw Failure(reason: "invalid_json", message: "element \(index) of the body's array is not valid JSON; nothing was kept")
                case .failure:
                    throw Failure(reason: "invalid_json", message: "the body's JSON array is not well formed; nothing was kept")
                }
            }
            if self != .plain, let big = ranges.firstIndex(where: { $0.count > maxLineBytes }) {
                throw Failure(reason: "entry_too_large",
                              message: "entry \(big + 1) has \(ranges[big].count) bytes, over the limit of \(maxLineBytes); nothing was kept")
            }
            let base = b.baseAddress!
            for r in ranges {
                let n = min(r.count, maxLineBytes)
                if n < r.count { result.truncatedLines += 1 }
                if self == .json, b[r].contains(where: { $0 == 10 || $0 == 13 || $0 == 9 }) {
                    let flat = b[r.lowerBound..<(r.lowerBound + n)].map { $0 == 10 || $0 == 13 || $0 == 9 ? 32 : $0 }
                    flat.withUnsafeBufferPointer { batch.append($0.baseAddress!, n, truncated: false, now: now) }
                } else {
                    batch.append(base + r.lowerBound, n, truncated: n < r.count, now: now)
                }
            }
            result.entries = ranges.count
        }
        return result
    }

    /// Line bounds (without `\n` or a `\r` before it); a last line without newline counts, an empty tail not.
    static func lines(_ b: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start = 0
        for i in 0..<b.count where b[i] == 10 {
            out.append(start..<(i > start && b[i - 1] == 13 ? i - 1 : i))
            start = i + 1
        }
        if start < b.count { out.append(start..<(b[b.count - 1] == 13 ? b.count - 1 : b.count)) }
        return out
    }

    private static func isBlank(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        r.allSatisfy { b[$0] == 32 || b[$0] == 9 || b[$0] == 13 }
    }
}
