import NIOCore
import Pipeline

/// The lines one connection has framed since its last batch was cut, on the connection's event loop: cuts a
/// batch when it reaches `limits.batchLines` or `limits.batchBytes` (close `.full`), when its oldest line has
/// waited `limits.batchTimeoutMillis` (close `timeoutClose`), or when the protocol asks (`cut`: a forward chunk
/// that wants its ack, the end of the connection, the input's drain), and hands it to the `IntakeFeeder`.
///
/// `timeoutClose` decides durability latency: `.timeout` makes the runner sync the batch at once (an fsync per
/// batch), `.caughtUp` leaves it to the periodic round every `--batch-timeout`.
public final class ConnectionBatcher {
    public let lines: PeerBatch
    public let feeder: IntakeFeeder
    private let limits: NetworkLimits
    private let eventLoop: EventLoop
    private let timeoutClose: BatchClose
    private var timer: Scheduled<Void>?

    public init(origin: SourceOrigin, pool: BufferPool?, limits: NetworkLimits, feeder: IntakeFeeder,
                eventLoop: EventLoop, timeoutClose: BatchClose) {
        lines = PeerBatch(origin: origin, pool: pool, initialCapacity: min(limits.batchBytes, 256 << 10))
        self.feeder = feeder
        self.limits = limits
        self.eventLoop = eventLoop
        self.timeoutClose = timeoutClose
    }

    /// Copies one frame in as an entry; cuts the batch when full, starts the timer with its first line.
    @inline(__always)
    public func add(_ p: UnsafePointer<UInt8>, _ n: Int, truncated: Bool, now: Int64) {
        if !lines.isEmpty, lines.byteCount + n > limits.batchBytes { cut(.full) }
        lines.append(p, n, truncated: truncated, now: now)
        lines.inputBytes += n
        if lines.lineCount >= limits.batchLines || lines.byteCount >= limits.batchBytes {
            cut(.full)
        } else if timer == nil {
            let close = timeoutClose
            timer = eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(max(limits.batchTimeoutMillis, 1)))) {
                [self] in
                timer = nil
                cut(close)
            }
        }
    }

    /// Hands the waiting lines on (if any); `reply` fires once they and everything this connection handed on
    /// before are durable.
    public func cut(_ close: BatchClose, reply: NetworkIntake.Reply? = nil) {
        timer?.cancel()
        timer = nil
        if let batch = lines.take(close: close) {
            feeder.submit(batch, reply: reply)
        } else if let reply {
            feeder.whenDurable(reply)
        }
    }
}
