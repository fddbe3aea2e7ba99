#if canImport(Glibc)
import Glibc
#endif
import FuzzDriver
import FuzzSupport
import Pipeline
import SegmentFormat

/// Random bytes (and, from the seed corpus, mutated real LZ4 and gzip segments) as a segment file: the reader,
/// the salvager, the verifier and the manifest reader must never crash or hang; salvaged lines end in `\n`.
let dir: String = {
    var t = Array("/tmp/logpipe-fuzz-XXXXXX".utf8CString)
    guard let p = mkdtemp(&t) else { fuzzFail("mkdtemp") }
    return String(cString: p)
}()
let segment = dir + "/20261127T090000Z-000001.jsonl.lz4"
let manifest = dir + "/20261127T090000Z-000001.meta.json"

func write(_ path: String, _ p: UnsafePointer<UInt8>, _ n: Int) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { fuzzFail("cannot write \(path)") }
    if n > 0, Glibc.write(fd, p, n) != n { fuzzFail("short write") }
    close(fd)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSegment(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    write(segment, data, size)
    unlink(manifest)
    if let r = try? SegmentSalvager.salvage(path: segment), r.lines.count > 0, r.lines.bytes.last != 10 {
        fuzzFail("salvaged lines do not end in a newline")
    }
    var delivered = 0
    _ = try? SegmentReader.read(path: segment) { delivered += $0.count }
    _ = SegmentVerifier.verify(path: segment)
    // The same bytes as a manifest next to the segment.
    write(manifest, data, size)
    _ = try? SegmentManifest.read(manifest)
    _ = SegmentVerifier.verify(path: segment)
    return 0
}

/// The entry point SwiftPM links as `main`: libFuzzer's driver with the target above.
@_cdecl("FuzzSegment_main")
public func fuzzsegmentMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var c = argc
    var v = argv
    return LLVMFuzzerRunDriver(&c, &v) { data, size in fuzzSegment(data ?? UnsafePointer(bitPattern: 1)!, size) }
}
