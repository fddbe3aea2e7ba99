import NIOCore
import Pipeline

/// One Fluentd forward connection (protocol v1): decodes the MessagePack stream message by message (Message,
/// Forward, PackedForward and CompressedPackedForward modes), writes each event as a JSON line
/// (`ForwardRecordWriter`) into the connection's batch, and answers `{"ack": chunk}` for a message with
/// `option.chunk` only once its events are durable (the batch is cut then, close `.timeout`, synced at once; when
/// it never becomes durable the connection is closed without an ack, so the client sends it again).
///
/// Bad input: a message that is not MessagePack (`invalid_msgpack`) or larger than `limits.maxBodyBytes`
/// (`frame_too_large`) closes the connection after the events before it are handed on (the stream cannot be
/// resynchronised; its bytes are counted as discarded); a well-formed message of another shape is skipped and
/// counted (`bad_message`); an event that is not `[time, record]` is kept with its value as the record
/// (`bad_entry`); strings with invalid UTF-8 are kept repaired (`invalid_utf8`). Shared-key authentication
/// (HELO/PING) is not offered: a client configured for it is refused by its own side.
final class ForwardHandler: ChannelInboundHandler {
    typealias InboundIn = NIOCore.ByteBuffer
    private let input: NetworkInputContext
    private var limits: NetworkLimits { input.limits }
    private var batcher: ConnectionBatcher?
    private var pending: [UInt8] = []
    private var writer = ForwardRecordWriter()
    private let line = Pipeline.ByteBuffer(capacity: 4096)
    private var peer = "a client"
    private var failed = false

    init(context: NetworkInputContext) { input = context }

    func handlerAdded(context: ChannelHandlerContext) {
        (batcher, peer) = input.makeBatcher(for: context.channel, timeoutClose: .caughtUp)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        let buffer = unwrapInboundIn(data)
        pending.append(contentsOf: buffer.readableBytesView)
        var consumed = 0
        let failure: (reason: String, detail: String)? = pending.withUnsafeBufferPointer { all in
            var decoder = MsgPackDecoder(all.baseAddress!, all.count)
            while decoder.offset < all.count {
                let message: MsgPackValue
                do { message = try decoder.next() } catch {
                    guard case let .invalid(why) = error as? MsgPackDecoder.Failure else {
                        // Incomplete: wait for the rest, within the limit.
                        if all.count - consumed > limits.maxBodyBytes {
                            return ("frame_too_large", "a message over \(limits.maxBodyBytes) bytes")
                        }
                        return nil
                    }
                    return ("invalid_msgpack", why)
                }
                consumed = decoder.offset
                handle(message, context: context)
            }
            return nil
        }
        if let failure {
            failed = true
            input.reject(failure.reason, from: peer,
                         "\(failure.detail); closed the connection, \(pending.count - consumed) bytes discarded")
            batcher?.cut(.caughtUp)
            pending.removeAll()
            context.close(promise: nil)
            return
        }
        pending.removeFirst(consumed)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !pending.isEmpty, !failed {
            input.reject("truncated_frame", from: peer, "closed inside a message, \(pending.count) bytes discarded")
            pending.removeAll()
        }
        batcher?.cut(.caughtUp)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is NetworkDrainEvent { batcher?.cut(.end) }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: messages

    private func handle(_ message: MsgPackValue, context: ChannelHandlerContext) {
        guard case let .array(items) = message, items.count >= 2, let tag = items[0].bytes else {
            reject("bad_message", "not [tag, …]")
            return
        }
        var option: MsgPackValue?
        switch items[1] {
        case let .array(entries): // Forward mode
            option = items.count > 2 ? items[2] : nil
            for entry in entries { event(tag, entry) }
        case let .string(packed), let .binary(packed): // PackedForward, CompressedPackedForward
            option = items.count > 2 ? items[2] : nil
            guard let events = unpack(packed, compressed: option?["compressed"]?.bytes) else { return }
            for entry in events { event(tag, entry) }
        default: // Message mode: [tag, time, record, option?]
            guard items.count >= 3 else { reject("bad_message", "no record"); return }
            add(tag, time: items[1], record: items[2])
            option = items.count > 3 ? items[3] : nil
        }
        if let chunk = option?["chunk"]?.bytes { acknowledge(chunk, channel: context.channel) }
    }

    private func unpack(_ packed: [UInt8], compressed: [UInt8]?) -> [MsgPackValue]? {
        var bytes = packed
        if let compressed {
            guard compressed == Array("gzip".utf8) else {
                reject("bad_message", "compressed \(String(decoding: compressed, as: UTF8.self)) is not gzip")
                return nil
            }
            // Concatenated gzip members (as Fluent Bit appends them), bounded like an HTTP body.
            do { bytes = try BodyInflater.inflateZlib(packed, limit: limits.maxBodyBytes) } catch {
                reject(error == .tooLarge ? "frame_too_large" : "bad_message", "gzip payload \(error)")
                return nil
            }
        }
        return bytes.withUnsafeBufferPointer { b in
            var decoder = MsgPackDecoder(b.baseAddress ?? UnsafePointer(bitPattern: 1)!, b.count)
            var events: [MsgPackValue] = []
            while decoder.offset < b.count {
                do { events.append(try decoder.next()) } catch {
                    reject("bad_message", "packed entries end inside an entry (\(events.count) kept)")
                    break
                }
            }
            return events
        }
    }

    private func event(_ tag: [UInt8], _ entry: MsgPackValue) {
        if case let .array(pair) = entry, pair.count == 2 {
            add(tag, time: pair[0], record: pair[1])
        } else {
            reject("bad_entry", "an event that is not [time, record], kept as it is")
            add(tag, time: .null, record: entry)
        }
    }

    private func add(_ tag: [UInt8], time: MsgPackValue, record: MsgPackValue) {
        guard let batcher else { return }
        let invalid = writer.invalidUTF8
        writer.write(tag: tag, time: time, record: record, to: line)
        if writer.invalidUTF8 > invalid { input.reject("invalid_utf8", from: peer, "kept with U+FFFD") }
        let b = line.bytes
        batcher.add(b.baseAddress!, b.count, truncated: false, now: nowMillis())
    }

    private func acknowledge(_ chunk: [UInt8], channel: Channel) {
        let ack = Self.ack(chunk)
        batcher?.cut(.timeout) { durable in
            channel.eventLoop.execute {
                if durable {
                    var out = channel.allocator.buffer(capacity: ack.count)
                    out.writeBytes(ack)
                    channel.writeAndFlush(out, promise: nil)
                } else {
                    channel.close(promise: nil)
                }
            }
        }
    }

    /// `{"ack": chunk}` in MessagePack.
    static func ack(_ chunk: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x81, 0xa3, 0x61, 0x63, 0x6b]
        switch chunk.count {
        case ..<32: out.append(0xa0 | UInt8(chunk.count))
        case ..<256: out += [0xd9, UInt8(chunk.count)]
        default: out += [0xda, UInt8(chunk.count >> 8 & 0xff), UInt8(chunk.count & 0xff)]
        }
        return out + chunk
    }

    private func reject(_ reason: String, _ detail: String) { input.reject(reason, from: peer, detail) }
}
