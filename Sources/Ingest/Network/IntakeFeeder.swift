import NIOCore
import Pipeline

/// One connection's way into the `NetworkIntake`, on the connection's event loop: batches go in in order; when
/// the intake is full the connection stops reading (autoRead off: TCP's own flow control then slows the sender),
/// keeps the refused batch and those after it, and reads again once `whenRoom` says there is room.
///
/// Nothing it was given is dropped: held batches are offered again after the connection closed too, and at stop
/// the intake takes them past its bound. Only an offer after the input stopped is refused (`.stopped`), counted
/// as `stopped` with its entries and answered `false`.
public final class IntakeFeeder {
    private let intake: NetworkIntake
    private let channel: Channel
    private let counters: NetworkCounters
    private var held: [(batch: RawBatch, reply: NetworkIntake.Reply?)] = []
    private var waiting = false

    public init(intake: NetworkIntake, channel: Channel, counters: NetworkCounters) {
        self.intake = intake
        self.channel = channel
        self.counters = counters
    }

    /// True while batches wait for room (the connection does not read).
    public var isPaused: Bool { !held.isEmpty }

    /// Offers `batch` (after any held ones); `reply` fires once it is durable, or with `false` if it never is.
    public func submit(_ batch: RawBatch, reply: NetworkIntake.Reply? = nil) {
        if held.isEmpty, offer(batch, reply) { return }
        held.append((batch, reply))
        pause()
    }

    /// `reply` fires once everything submitted so far is durable (an acknowledgement for entries already sent on).
    public func whenDurable(_ reply: @escaping NetworkIntake.Reply) {
        guard let last = held.indices.last else { intake.whenDurable(reply); return }
        let earlier = held[last].reply
        held[last].reply = { durable in earlier?(durable); reply(durable) }
    }

    /// False when the intake is full (nothing taken).
    private func offer(_ batch: RawBatch, _ reply: NetworkIntake.Reply?) -> Bool {
        let entries = batch.lines.count
        switch intake.offer(batch, reply: reply) {
        case .queued:
            return true
        case .full:
            return false
        case .stopped:
            counters.reject("stopped", count: entries)
            NetworkLog.warning("\(intake.key): \(entries) entries arrived after the input stopped and were not kept")
            reply?(false)
            return true
        }
    }

    private func pause() {
        try? channel.syncOptions?.setOption(.autoRead, value: false)
        guard !waiting else { return }
        waiting = true
        let me = NIOLoopBound(self, eventLoop: channel.eventLoop)
        let loop = channel.eventLoop
        intake.whenRoom { loop.execute { me.value.resume() } }
    }

    private func resume() {
        waiting = false
        while let first = held.first {
            guard offer(first.batch, first.reply) else { pause(); return }
            held.removeFirst()
        }
        guard channel.isActive else { return }
        try? channel.syncOptions?.setOption(.autoRead, value: true)
        channel.read()
    }
}
