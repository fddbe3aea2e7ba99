import FuzzDriver
import FuzzSupport
import Foundation
import Pipeline

/// The same bytes framed whole and framed in random chunks (sizes from a PRNG seeded by the input) must give the
/// same lines (bytes, truncated and joined flags) and the same empty-line count. Byte 0: max line length,
/// batch size and multiline; byte 1: the chunking seed. Batches are taken as a source takes them: when full, and
/// at the end with the partial line.
let origin = SourceOrigin(name: "fuzz", sessionId: "s")

struct Line: Equatable { var bytes: [UInt8]; var truncated: Bool; var joined: Bool }

func frame(_ input: UnsafeBufferPointer<UInt8>, maxLine: Int, entries: Int, multiline: Bool,
           chunk: () -> Int) -> (lines: [Line], empty: Int) {
    var f = LineFramer(maxLineBytes: maxLine, batchMaxEntries: entries, batchMaxBytes: 4096, multiline: multiline)
    var out: [Line] = []
    func collect(_ b: RawBatch) {
        for l in b.lines {
            let p = UnsafeBufferPointer(start: b.buffer.base + Int(l.start), count: Int(l.length))
            out.append(Line(bytes: Array(p), truncated: l.truncated, joined: l.joined))
        }
    }
    var rest = input
    while !rest.isEmpty {
        let w = f.writable
        let n = min(w.count, rest.count, max(chunk(), 1))
        if n == 0 { fuzzFail("no room to read and the framer is not full") }
        w.pointer.update(from: rest.baseAddress!, count: n)
        f.commit(n, now: 0)
        rest = UnsafeBufferPointer(rebasing: rest[n...])
        while f.isFull, let b = f.takeBatch(origin: origin, close: .full, now: 0) { collect(b) }
    }
    while let b = f.takeBatch(origin: origin, close: .end, includePartial: true, now: 0) { collect(b) }
    return (out, f.emptyLines)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFramer(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 2 else { return 0 }
    let p = Int(data[0])
    var seed = UInt64(data[1]) &* 0x9E37_79B9_7F4A_7C15 | 1
    let maxLine = 16 + (p & 7) * 24
    let entries = 1 + ((p >> 3) & 7) * 3
    let multiline = p & 0x40 != 0
    let input = UnsafeBufferPointer(start: data + 2, count: size - 2)
    let whole = frame(input, maxLine: maxLine, entries: entries, multiline: multiline) { Int.max }
    let chunked = frame(input, maxLine: maxLine, entries: entries, multiline: multiline) {
        seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17
        return Int(seed % 23) + 1
    }
    if whole.lines != chunked.lines || whole.empty != chunked.empty {
        func show(_ l: Line) -> String { String(decoding: l.bytes, as: UTF8.self) + (l.truncated ? " [truncated]" : "") + (l.joined ? " [joined]" : "") }
        let a = whole.lines.map(show)
        let b = chunked.lines.map(show)
        fuzzFail("maxLine \(maxLine) entries \(entries) multiline \(multiline): whole \(a) (empty \(whole.empty)) vs chunked \(b) (empty \(chunked.empty))")
    }
    return 0
}

/// The entry point SwiftPM links as `main`: libFuzzer's driver with the target above.
@_cdecl("FuzzFramer_main")
public func fuzzframerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var c = argc
    var v = argv
    return LLVMFuzzerRunDriver(&c, &v) { data, size in fuzzFramer(data ?? UnsafePointer(bitPattern: 1)!, size) }
}
