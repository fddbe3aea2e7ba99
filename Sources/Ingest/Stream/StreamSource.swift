import Foundation
import Pipeline

/// Options shared by the sources that frame a byte stream into line batches.
public struct FramingOptions: Sendable {
    public var maxLineBytes: Int
    public var batchMaxEntries: Int
    public var batchMaxBytes: Int
    public var batchTimeoutMillis: Int
    /// Join continuation lines (stack traces) to the entry before them.
    public var multiline: Bool

    public init(maxLineBytes: Int = 1 << 20, batchMaxEntries: Int = 1000, batchMaxBytes: Int = 1 << 20,
                batchTimeoutMillis: Int = 1000, multiline: Bool = true) {
        self.maxLineBytes = maxLineBytes
        self.batchMaxEntries = batchMaxEntries
        self.batchMaxBytes = batchMaxBytes
        self.batchTimeoutMillis = batchTimeoutMillis
        self.multiline = multiline
    }

    /// A framer with these options.
    public func makeFramer(pool: BufferPool?) -> LineFramer {
        LineFramer(maxLineBytes: maxLineBytes, batchMaxEntries: batchMaxEntries, batchMaxBytes: batchMaxBytes,
                   pool: pool, multiline: multiline)
    }
}

/// Reads a file descriptor (stdin, a pipe, a FIFO) in large reads, frames lines and emits batches.
///
/// Blocking: `run` blocks the calling thread (give it its own) until end of input or `stop`; `emit` may block,
/// which is how back-pressure pauses reading. A batch is cut when full or when its oldest line has waited
/// `batchTimeoutMillis`, so a trickle still reaches the sink in time. At the end, an unfinished last line is
/// emitted as a line of its own.
public final class StreamSource {
    public let fd: Int32
    public let origin: SourceOrigin
    public let options: FramingOptions
    public private(set) var stats = SourceStats()
    /// Where batch buffers come from; the pipeline gives them back after encoding.
    public var pool: BufferPool?
    /// Cut a batch whenever everything available has been read (low latency for the urgent path).
    public var cutWhenCaughtUp = false
    /// A pipe delivers at most 64 KiB per read; files are read in the same steps.
    static let readSize = 64 * 1024

    public init(fd: Int32, origin: SourceOrigin, options: FramingOptions) {
        self.fd = fd
        self.origin = origin
        self.options = options
    }

    public func run(stop: StopSignal, emit: (RawBatch) -> Void) throws {
        var framer = options.makeFramer(pool: pool)
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: stop.wakeFD, events: Int16(POLLIN), revents: 0)]
        reading: while !stop.isTriggered {
            var timeout: Int32 = -1
            if let oldest = framer.oldestPendingMillis {
                timeout = Int32(clamping: max(0, oldest + Int64(options.batchTimeoutMillis) - nowMillis()))
            }
            let ready = poll(&fds, 2, timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                throw IngestError.io(operation: "poll", path: origin.name, errno: errno)
            }
            if fds[1].revents != 0 { break }
            if fds[0].revents != 0 {
                // Small reads keep the tail copied at each batch cut small (a regular file would fill the buffer).
                let w = framer.writable
                let n = read(fd, w.pointer, min(w.count, Self.readSize))
                if n < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    throw IngestError.io(operation: "read", path: origin.name, errno: errno)
                }
                if n == 0 { break reading }
                stats.bytesRead += n
                framer.commit(n, now: nowMillis())
                while framer.isFull, let batch = framer.takeBatch(origin: origin, close: .full, now: nowMillis()) {
                    emit(batch)
                }
                if cutWhenCaughtUp, framer.pendingLines > 0, !Self.hasData(fd),
                   let batch = framer.takeBatch(origin: origin, close: .caughtUp, now: nowMillis()) {
                    emit(batch)
                }
            }
            if let oldest = framer.oldestPendingMillis, nowMillis() - oldest >= Int64(options.batchTimeoutMillis),
               let batch = framer.takeBatch(origin: origin, close: .timeout, now: nowMillis()) {
                emit(batch)
            }
        }
        while let batch = framer.takeBatch(origin: origin, close: .end, includePartial: true, now: nowMillis()) {
            emit(batch)
        }
        stats.emptyLines = framer.emptyLines
        stats.discardedBytes = framer.discardedBytes
    }
}

extension StreamSource {
    /// Whether `fd` has data to read right now.
    static func hasData(_ fd: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) > 0
    }
}

/// Failures of the sources, naming the input and the system's reason.
public enum IngestError: Error, CustomStringConvertible {
    case io(operation: String, path: String, errno: Int32)
    case unsupported(String)
    case invalid(String)

    public var description: String {
        switch self {
        case let .io(op, path, code): "cannot \(op) \(path): \(String(cString: strerror(code)))"
        case let .unsupported(m), let .invalid(m): m
        }
    }
}
