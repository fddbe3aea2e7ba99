import CLZ4
import Dispatch
import Foundation
import Pipeline

/// Reads an LZ4 segment with every core: the file is mapped, split into its self-contained frames, and groups of
/// frames are decoded and filtered concurrently; results are handed to `emit` strictly in file order, a window at
/// a time, so memory stays bounded (about `window × groupBytes` of output).
///
/// A damaged frame is skipped and reported through `onDamage` (with its offset); reading goes on after it.
public enum ParallelSegmentReader {
    /// Filters decoded frames into `out`; runs on worker threads. Nil: keep everything (decoded straight into
    /// the output buffer, no copy).
    public typealias Transform = @Sendable (UnsafeBufferPointer<UInt8>, ByteBuffer) -> Void

    public static func read(path: String, transform: Transform?, emit: (ByteBuffer) -> Void,
                            onDamage: (String) -> Void) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SegmentError.io(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw SegmentError.io(operation: "stat", path: path, errno: errno) }
        let size = Int(st.st_size)
        guard size > 0 else { return }
        guard let map = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else {
            throw SegmentError.io(operation: "map", path: path, errno: errno)
        }
        defer { munmap(map, size) }
        madvise(map, size, MADV_SEQUENTIAL)
        let file = UnsafeBufferPointer(start: map.assumingMemoryBound(to: UInt8.self), count: size)
        let frames = split(file, onDamage: onDamage)
        // Groups of ~1 MiB of compressed frames per task; a window of tasks per round; buffers reused per slot.
        var groups: [Range<Int>] = []
        var start = 0, bytes = 0
        for (k, f) in frames.enumerated() {
            bytes += f.count
            if bytes >= 1 << 20 || k == frames.count - 1 { groups.append(start..<(k + 1)); start = k + 1; bytes = 0 }
        }
        let window = max(2, ProcessInfo.processInfo.activeProcessorCount * 2)
        let outputs = (0..<window).map { _ in ByteBuffer(capacity: 4 << 20) }
        let scratch = (0..<window).map { _ in ByteBuffer(capacity: 2 << 20) }
        let failures = UnsafeMutableBufferPointer<Int>.allocate(capacity: window)
        defer { failures.deallocate() }
        let shared = Shared(file: file, failures: failures)
        var g = 0
        while g < groups.count {
            let round = Array(groups[g..<min(g + window, groups.count)])
            failures.initialize(repeating: -1)
            DispatchQueue.concurrentPerform(iterations: round.count) { t in
                let file = shared.file, failures = shared.failures
                let out = outputs[t]
                out.removeAll()
                var dctx: OpaquePointer?
                _ = LZ4F_createDecompressionContext(&dctx, UInt32(LZ4F_VERSION))
                defer { LZ4F_freeDecompressionContext(dctx) }
                for k in round[t] {
                    let f = frames[k]
                    let target = transform == nil ? out : scratch[t]
                    let mark = target.count
                    if transform != nil { target.removeAll() }
                    if decode(UnsafeBufferPointer(rebasing: file[f]), dctx, into: target) {
                        transform?(target.bytes, out)
                    } else {
                        target.count = transform == nil ? mark : 0
                        if failures[t] < 0 { failures[t] = f.lowerBound }
                        LZ4F_resetDecompressionContext(dctx)
                    }
                }
            }
            for t in 0..<round.count {
                if failures[t] >= 0 { onDamage("LZ4 frame damaged at byte \(failures[t]) (skipped)") }
                emit(outputs[t])
            }
            // Processed input pages need not stay resident.
            let done = frames[round.last!.upperBound - 1].upperBound & ~4095
            if done > 0 { madvise(map, done, MADV_DONTNEED) }
            g += round.count
        }
    }

    private struct Shared: @unchecked Sendable {
        let file: UnsafeBufferPointer<UInt8>
        let failures: UnsafeMutableBufferPointer<Int>
    }

    /// The byte ranges of the frames; damaged stretches are reported and skipped.
    public static func split(_ b: UnsafeBufferPointer<UInt8>, onDamage: (String) -> Void) -> [Range<Int>] {
        var frames: [Range<Int>] = []
        var i = 0
        while i < b.count {
            if SegmentSalvager.isMagic(b, i, SegmentSalvager.lz4Magic),
               case .complete(let n) = SegmentSalvager.frameLength(b, i) {
                frames.append(i..<(i + n))
                i += n
                continue
            }
            onDamage(i + 4 > b.count || SegmentSalvager.isMagic(b, i, SegmentSalvager.lz4Magic)
                     ? "LZ4 frame cut short at byte \(i) (file truncated)" : "damaged data at byte \(i) (skipped)")
            var j = i + 1
            while j < b.count, !SegmentSalvager.isMagic(b, j, SegmentSalvager.lz4Magic) { j += 1 }
            if j < b.count, case .cutShort = SegmentSalvager.frameLength(b, i) { break }
            i = j
        }
        return frames
    }

    private static func decode(_ frame: UnsafeBufferPointer<UInt8>, _ dctx: OpaquePointer?, into out: ByteBuffer) -> Bool {
        var consumed = 0
        while consumed < frame.count {
            out.reserve(1 << 20)
            var dst = out.capacity - out.count
            var src = frame.count - consumed
            let hint = LZ4F_decompress(dctx, out.end, &dst, frame.baseAddress! + consumed, &src, nil)
            if LZ4F_isError(hint) != 0 { return false }
            out.count += dst
            consumed += src
            if hint == 0 { return consumed == frame.count }
        }
        return false
    }
}
