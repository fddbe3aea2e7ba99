import CLZ4
import Pipeline

/// LZ4 frame format with content checksum and independent 1 MiB blocks (a batch is one block: fastest, and
/// every block decodes on its own for salvage); the context is reused between calls.
public final class LZ4FrameCompressor: SegmentCompressor {
    private var context: OpaquePointer?
    private var preferences = LZ4F_preferences_t()

    public init(level: Int) {
        var ctx: OpaquePointer?
        _ = LZ4F_createCompressionContext(&ctx, UInt32(LZ4F_VERSION))
        context = ctx
        preferences.frameInfo.blockSizeID = LZ4F_max1MB
        preferences.frameInfo.blockMode = LZ4F_blockIndependent
        preferences.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled
        preferences.compressionLevel = Int32(level)
        // Compress in place: without autoFlush, input smaller than a block is first copied into an internal buffer.
        preferences.autoFlush = 1
    }

    deinit { LZ4F_freeCompressionContext(context) }

    @inline(__always) private func check(_ code: Int) {
        precondition(LZ4F_isError(code) == 0, "LZ4F compression failed: \(String(cString: LZ4F_getErrorName(code)))")
    }

    public func compress(_ input: UnsafeBufferPointer<UInt8>, into output: ByteBuffer) {
        preferences.frameInfo.contentSize = UInt64(input.count)
        let bound = LZ4F_compressFrameBound(input.count, &preferences)
        output.reserve(bound)
        var n = LZ4F_compressBegin(context, output.end, bound, &preferences)
        check(n)
        output.count += n
        n = LZ4F_compressUpdate(context, output.end, output.capacity - output.count, input.baseAddress, input.count, nil)
        check(n)
        output.count += n
        n = LZ4F_compressEnd(context, output.end, output.capacity - output.count, nil)
        check(n)
        output.count += n
    }
}
