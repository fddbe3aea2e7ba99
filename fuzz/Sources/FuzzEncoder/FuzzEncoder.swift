import FuzzDriver
import FuzzSupport
import Foundation
import Pipeline

/// Random bytes → LineFramer → BatchEncoder (every input format, multiline on/off): the output must be one valid
/// JSON object per entry, valid UTF-8, with no raw control character, and every framed line must give an entry.
/// Byte 0 of the input picks the format and the multiline switch.
let formats: [InputFormat] = [.auto, .json, .logfmt, .syslog, .plain]
nonisolated(unsafe) let encoders = formats.map { f in
    BatchEncoder(options: EncoderOptions(format: f, minLevel: .debug,
                                         enrichment: Enrichment(service: "svc", version: "1", environment: "fuzz", host: "h")))
}
let origin = SourceOrigin(name: "fuzz", sessionId: "fuzz-session")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEncoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let selector = Int(data[0])
    let encoder = encoders[selector % formats.count]
    var framer = LineFramer(maxLineBytes: 64 + (selector >> 4) * 64, batchMaxEntries: 1000, batchMaxBytes: 1 << 16,
                            multiline: selector & 8 != 0)
    var rest = UnsafeBufferPointer(start: data + 1, count: size - 1)
    var batches: [RawBatch] = []
    while !rest.isEmpty {
        let w = framer.writable
        let n = min(w.count, rest.count)
        w.pointer.update(from: rest.baseAddress!, count: n)
        framer.commit(n, now: 1_795_770_000_000)
        rest = UnsafeBufferPointer(rebasing: rest[n...])
        while framer.isFull, let b = framer.takeBatch(origin: origin, close: .full, now: 1_795_770_000_000) { batches.append(b) }
    }
    while let b = framer.takeBatch(origin: origin, close: .end, includePartial: true, now: 1_795_770_000_000) { batches.append(b) }
    for raw in batches {
        let out = ByteBuffer(capacity: 4096)
        let encoded = encoder.encode(raw, into: out)
        if encoded.entries.count != raw.lines.count {
            fuzzFail("\(raw.lines.count) lines gave \(encoded.entries.count) entries (format \(formats[selector % formats.count]))")
        }
        if let last = encoded.entries.last, Int(last.end) != out.count { fuzzFail("last entry end \(last.end) != output \(out.count)") }
        var lines = 0
        for b in out.bytes where b == 10 { lines += 1 }
        if lines != encoded.entries.count { fuzzFail("\(encoded.entries.count) entries but \(lines) output lines") }
        if let problem = JSONLineCheck.check(out.bytes) {
            fuzzFail("format \(formats[selector % formats.count]): \(problem)")
        }
    }
    return 0
}

/// The entry point SwiftPM links as `main`: libFuzzer's driver with the target above.
@_cdecl("FuzzEncoder_main")
public func fuzzencoderMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var c = argc
    var v = argv
    return LLVMFuzzerRunDriver(&c, &v) { data, size in fuzzEncoder(data ?? UnsafePointer(bitPattern: 1)!, size) }
}
