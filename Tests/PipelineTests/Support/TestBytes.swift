import Foundation
@testable import Pipeline

/// Calls `body` with the bytes of `s` as an `UnsafeBufferPointer` (for the byte-level APIs).
func withBytes<R>(_ s: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
    try withBytes(Array(s.utf8), body)
}

func withBytes<R>(_ bytes: [UInt8], _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
    var copy = bytes
    return try copy.withUnsafeMutableBufferPointer { try body(UnsafeBufferPointer($0)) }
}

/// Epoch milliseconds of a UTC civil time, computed with Foundation (independent of the code under test).
func epochMillis(_ y: Int, _ mo: Int, _ d: Int, _ h: Int = 0, _ mi: Int = 0, _ s: Int = 0, _ ms: Int = 0) -> Int64 {
    var cal = Calendar(identifier: .gregorian)
    cal.timeZone = TimeZone(identifier: "UTC")!
    let date = cal.date(from: DateComponents(year: y, month: mo, day: d, hour: h, minute: mi, second: s))!
    return Int64((date.timeIntervalSince1970 * 1000).rounded()) + Int64(ms)
}

/// Feeds `bytes` into the framer through its writable window, in one commit.
func feed(_ framer: inout LineFramer, _ bytes: [UInt8], now: Int64 = 1000) {
    var offset = 0
    while offset < bytes.count {
        let w = framer.writable
        let n = min(w.count, bytes.count - offset)
        precondition(n > 0, "framer has no room")
        bytes.withUnsafeBufferPointer { w.pointer.update(from: $0.baseAddress! + offset, count: n) }
        framer.commit(n, now: now)
        offset += n
    }
}

func feed(_ framer: inout LineFramer, _ s: String, now: Int64 = 1000) { feed(&framer, Array(s.utf8), now: now) }

extension RawBatch {
    /// The framed lines as strings (lossy for invalid UTF-8).
    var lineStrings: [String] { lineBytes.map { String(decoding: $0, as: UTF8.self) } }

    var lineBytes: [[UInt8]] {
        lines.map { Array(UnsafeBufferPointer(start: buffer.base + Int($0.start), count: Int($0.length))) }
    }
}

/// Frames `lines` (joined with `\n`, final newline included) into one raw batch.
func rawBatch(_ lines: [String], sessionId: String = "session-test", readMillis: Int64 = 1_795_770_000_000,
              maxLineBytes: Int = 1 << 20) -> RawBatch {
    var framer = LineFramer(maxLineBytes: maxLineBytes, batchMaxEntries: max(lines.count, 1), batchMaxBytes: 1 << 24)
    feed(&framer, lines.map { $0 + "\n" }.joined(), now: readMillis)
    return framer.takeBatch(origin: SourceOrigin(name: "test", sessionId: sessionId), close: .end, includePartial: true,
                            now: readMillis)!
}

/// Encodes lines with `BatchEncoder` and returns the batch plus its output parsed line by line.
func encode(_ lines: [String], format: InputFormat = .auto, minLevel: Level = .debug,
            enrichment: Enrichment = Enrichment(service: "svc", version: "1.2.3", environment: "test", host: "host-1"),
            readMillis: Int64 = 1_795_770_000_000) -> (batch: EncodedBatch, text: String, objects: [[String: Any]]) {
    let raw = rawBatch(lines, readMillis: readMillis)
    let encoder = BatchEncoder(options: EncoderOptions(format: format, minLevel: minLevel, enrichment: enrichment))
    let batch = encoder.encode(raw, into: ByteBuffer(capacity: 1024))
    let data = Data(batch.output.bytes)
    let text = String(decoding: data, as: UTF8.self)
    let objects = data.split(separator: 0x0a, omittingEmptySubsequences: false).dropLast().map {
        (try? JSONSerialization.jsonObject(with: Data($0))) as? [String: Any] ?? ["__invalid__": String(decoding: $0, as: UTF8.self)]
    }
    return (batch, text, objects)
}

extension Dictionary where Key == String, Value == Any {
    subscript(path path: String) -> Any? {
        var cur: Any? = self
        for part in path.split(separator: ".") { cur = (cur as? [String: Any])?[String(part)] }
        return cur
    }

    func string(_ path: String) -> String? { self[path: path] as? String }
    var meta: [String: Any] { self["metadata"] as? [String: Any] ?? [:] }
}
