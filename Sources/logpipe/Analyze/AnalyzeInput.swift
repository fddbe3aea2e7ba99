import Foundation
import Ingest
import Pipeline
import SegmentFormat
import Sinks

/// Turns `analyze` inputs into entry lines (segment line format), in order: segments
/// (files detected by their magic bytes, directories by segment names) are read as
/// they are; any other file, and stdin, is a raw log parsed like `logpipe run` would.
struct AnalyzeInput {
    var format: InputFormat
    var enrichment: Enrichment

    /// Calls `body` with chunks of whole entry lines (each ending in LF) for every input, in order.
    func forEachChunk(_ paths: [String], _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        for path in paths {
            if path == "-" {
                try readStdin(body)
                continue
            }
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                throw RuntimeFailure("no such file or directory: \(path)")
            }
            if isDir.boolValue {
                for file in try SegmentFiles.expand([path]) { try readSegment(file, body) }
            } else if Self.isSegment(path) {
                try readSegment(path, body)
            } else {
                let fd = open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { throw RuntimeFailure("cannot open \(path): \(String(cString: strerror(errno)))") }
                defer { close(fd) }
                try encodeRaw(fd: fd, name: path, body)
            }
        }
    }

    /// Whether the file starts with an LZ4 frame or gzip magic number.
    static func isSegment(_ path: String) -> Bool {
        guard let h = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? h.close() }
        let magic = [UInt8]((try? h.read(upToCount: 4)) ?? Data())
        return SegmentCodec.detect(magic) != nil
    }

    private func readSegment(_ path: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        var carry: [UInt8] = []
        try SegmentReader.read(path: path) { chunk in
            try Self.wholeLines(chunk, carry: &carry, body)
        }
        if !carry.isEmpty {
            carry.append(0x0A)
            try carry.withUnsafeBufferPointer { try body($0) }
        }
    }

    /// Stdin may be a segment piped in (`cat x.jsonl.lz4 | logpipe analyze -`) or a raw log.
    private func readStdin(_ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        var first = [UInt8](repeating: 0, count: 4)
        let n = read(0, &first, 4)
        guard n > 0 else { return }
        let head = Array(first[0..<n])
        if SegmentCodec.detect(head) != nil {
            let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("logpipe-analyze-\(getpid()).seg").path
            defer { unlink(tmp) }
            var data = Data(head)
            data.append(FileHandle.standardInput.readDataToEndOfFile())
            guard FileManager.default.createFile(atPath: tmp, contents: data) else {
                throw RuntimeFailure("cannot write temporary file \(tmp)")
            }
            try readSegment(tmp, body)
        } else {
            try encodeRaw(fd: 0, name: "stdin", prefix: head, body)
        }
    }

    /// Frames and parses a raw log into entry lines (the `logpipe run` parse and enrich steps).
    private func encodeRaw(fd: Int32, name: String, prefix: [UInt8] = [],
                           _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        let encoder = BatchEncoder(options: EncoderOptions(format: format, minLevel: .debug, enrichment: enrichment))
        let origin = SourceOrigin(name: name, sessionId: UUID().uuidString.lowercased())
        var framer = LineFramer(maxLineBytes: 1 << 20, batchMaxEntries: 4096, batchMaxBytes: 1 << 22)
        func emit(_ batch: RawBatch) throws {
            let out = ByteBuffer(capacity: batch.buffer.count * 2 + 4096)
            _ = encoder.encode(batch, into: out)
            try body(out.bytes)
        }
        var pending = prefix
        while true {
            let w = framer.writable
            var n: Int
            if !pending.isEmpty {
                n = min(w.count, pending.count)
                pending.withUnsafeBufferPointer { w.pointer.update(from: $0.baseAddress!, count: n) }
                pending.removeFirst(n)
            } else {
                n = read(fd, w.pointer, min(w.count, 1 << 20))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw RuntimeFailure("cannot read \(name): \(String(cString: strerror(errno)))")
                }
                if n == 0 { break }
            }
            framer.commit(n, now: nowMillis())
            while framer.isFull, let batch = framer.takeBatch(origin: origin, close: .full, now: nowMillis()) {
                try emit(batch)
            }
        }
        while let batch = framer.takeBatch(origin: origin, close: .end, includePartial: true, now: nowMillis()) {
            try emit(batch)
        }
    }

    /// Passes on the whole lines of `chunk` (with what `carry` held before), keeping the unfinished rest in `carry`.
    static func wholeLines(_ chunk: UnsafeBufferPointer<UInt8>, carry: inout [UInt8],
                           _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        guard let lastLF = chunk.lastIndex(of: 0x0A) else {
            carry.append(contentsOf: chunk)
            return
        }
        if carry.isEmpty {
            try body(UnsafeBufferPointer(rebasing: chunk[...lastLF]))
        } else {
            carry.append(contentsOf: chunk[...lastLF])
            try carry.withUnsafeBufferPointer { try body($0) }
            carry.removeAll(keepingCapacity: true)
        }
        carry.append(contentsOf: chunk[(lastLF + 1)...])
    }
}
