import CZstd
import Pipeline

/// One zstd frame per call, with the content size and content checksum in the frame (so `zstd -dc` and salvage
/// check every batch on its own); the context is reused between calls. Level 1 by default (`--codec-level`
/// 1 … 19; negative levels are zstd's faster modes).
public final class ZstdFrameCompressor: SegmentCompressor {
    private let context: OpaquePointer

    public init(level: Int) {
        context = ZSTD_createCCtx()
        let clamped = min(max(level, Int(ZSTD_minCLevel())), Int(ZSTD_maxCLevel()))
        _ = ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, Int32(clamped))
        _ = ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)
        _ = ZSTD_CCtx_setParameter(context, ZSTD_c_contentSizeFlag, 1)
    }

    deinit { ZSTD_freeCCtx(context) }

    public func compress(_ input: UnsafeBufferPointer<UInt8>, into output: ByteBuffer) {
        let bound = ZSTD_compressBound(input.count)
        output.reserve(bound)
        let written = ZSTD_compress2(context, output.end, bound, input.baseAddress, input.count)
        precondition(ZSTD_isError(written) == 0,
                     "ZSTD_compress2 failed within its own bound: \(String(cString: ZSTD_getErrorName(written)))")
        output.count += written
    }
}
