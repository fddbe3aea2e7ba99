import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Pipeline
import SwiftProtobuf
import Testing
@testable import Ingest

/// The HTTP connection handler in memory (EmbeddedChannel): what it answers and when, what reaches the intake.
@Suite struct HTTPIntakeHandlerTests {
    final class Harness {
        let channel = EmbeddedChannel()
        let intake: NetworkIntake
        let counters = NetworkCounters()

        init(endpoint: any HTTPIntakeEndpoint = NDJSONEndpoint(path: "/logs", maxLineBytes: 1 << 20), token: String? = nil,
             maxQueuedBytes: Int = 1 << 20, maxBodyBytes: Int = 1 << 20, headerTimeoutMillis: Int? = nil) throws {
            intake = NetworkIntake(key: "http://test", maxQueuedBytes: maxQueuedBytes, counters: counters)
            var limits = NetworkLimits()
            limits.maxBodyBytes = maxBodyBytes
            let input = NetworkInputContext(name: "http://test", intake: intake, counters: counters, limits: limits, pool: nil)
            let settings = HTTPIntakeHandler.Settings(input: input, endpoints: [endpoint], token: token)
            let timer = headerTimeoutMillis.map { HTTPHeaderTimer(timeoutMillis: $0, counters: counters) }
            if let timer { try channel.pipeline.syncOperations.addHandler(timer) }
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
            try channel.pipeline.syncOperations.addHandler(
                HTTPIntakeHandler(settings: settings, peer: "peer", headerTimer: timer))
        }

        func send(_ method: String = "POST", _ path: String = "/logs", headers: [String] = [], body: [UInt8]) throws {
            var head = "\(method) \(path) HTTP/1.1\r\nHost: test\r\nContent-Length: \(body.count)\r\n"
            for h in headers { head += h + "\r\n" }
            var buffer = channel.allocator.buffer(capacity: head.utf8.count + body.count + 2)
            buffer.writeString(head + "\r\n")
            buffer.writeBytes(body)
            try channel.writeInbound(buffer)
        }

        /// The raw response bytes written so far (after running the loop's pending tasks).
        func output() throws -> String {
            channel.embeddedEventLoop.run()
            var text = ""
            while let part = try channel.readOutbound(as: NIOCore.ByteBuffer.self) { text += String(buffer: part) }
            return text
        }

        /// The batches queued at the intake (stops it).
        func batches() -> [[String]] {
            let stop = StopSignal()
            stop.trigger()
            var out: [[String]] = []
            intake.run(stop: stop, emit: { raw in
                out.append(raw.lines.map { String(decoding: raw.buffer.bytes[Int($0.start)..<Int($0.start + $0.length)], as: UTF8.self) })
            }, drain: {})
            return out
        }
    }

    @Test func answersTwoHundredOnlyOnceDurable() throws {
        let h = try Harness()
        try h.send(headers: ["Content-Type: application/x-ndjson"], body: Array("{\"a\":1}\n{\"b\":2}\n".utf8))
        #expect(try h.output() == "", "no answer before the entries are durable")
        h.intake.acknowledge([SourcePosition(key: "http://test", offset: 1)])
        let answer = try h.output()
        #expect(answer.hasPrefix("HTTP/1.1 200 OK"))
        #expect(answer.hasSuffix("{\"accepted\":2}\n"))
        #expect(h.batches() == [["{\"a\":1}", "{\"b\":2}"]])
    }

    @Test func keepAliveCarriesSeveralRequestsInOrder() throws {
        let h = try Harness()
        try h.send(headers: ["Content-Type: text/plain"], body: Array("one\n".utf8))
        try h.send(headers: ["Content-Type: text/plain"], body: Array("two\nthree\n".utf8))
        h.intake.acknowledge([SourcePosition(key: "http://test", offset: 1)])
        let first = try h.output()
        #expect(first.contains("{\"accepted\":1}"))
        h.intake.acknowledge([SourcePosition(key: "http://test", offset: 2)])
        #expect(try h.output().contains("{\"accepted\":2}"))
        #expect(h.batches() == [["one"], ["two", "three"]])
    }

    @Test func refusalsAreCountedByReasonAndKeepNothing() throws {
        let h = try Harness(token: "s3cret", maxBodyBytes: 64)
        try h.send("POST", "/other", headers: ["Authorization: Bearer s3cret"], body: Array("x\n".utf8))
        #expect(try h.output().hasPrefix("HTTP/1.1 404"))
        try h.send("GET", "/logs", headers: ["Authorization: Bearer s3cret"], body: [])
        #expect(try h.output().hasPrefix("HTTP/1.1 405"))
        try h.send(headers: ["Authorization: Bearer wrong"], body: Array("x\n".utf8))
        #expect(try h.output().hasPrefix("HTTP/1.1 401"))
        try h.send(headers: ["Authorization: Bearer s3cret", "Content-Type: application/x-ndjson"], body: Array("{\"a\":\n".utf8))
        let bad = try h.output()
        #expect(bad.hasPrefix("HTTP/1.1 400"))
        #expect(bad.contains("line 1 of the body is not valid JSON"))
        try h.send(headers: ["Authorization: Bearer s3cret", "Content-Type: image/png"], body: Array("x".utf8))
        #expect(try h.output().hasPrefix("HTTP/1.1 415"))
        try h.send(headers: ["Authorization: Bearer s3cret"], body: [UInt8](repeating: 65, count: 100))
        let large = try h.output()
        #expect(large.hasPrefix("HTTP/1.1 413"))
        #expect(large.lowercased().contains("connection: close"))
        #expect(h.counters.snapshot.rejects == ["not_found": 1, "method_not_allowed": 1, "unauthorized": 1, "invalid_json": 1,
                                                "unsupported_media_type": 1, "body_too_large": 1])
        #expect(h.batches().isEmpty)
    }

    @Test func aHeaderNotCompleteInTimeIs408AndTheNextRequestIsTimedFromItsFirstByte() throws {
        let h = try Harness(headerTimeoutMillis: 1000)
        try h.channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try h.send(headers: ["Content-Type: text/plain"], body: Array("in time\n".utf8))
        h.intake.acknowledge([SourcePosition(key: "http://test", offset: 1)])
        #expect(try h.output().hasPrefix("HTTP/1.1 200"))
        h.channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(try h.output() == "", "an idle keep-alive connection is the idle timeout's business")
        var partial = h.channel.allocator.buffer(capacity: 64)
        partial.writeString("POST /logs HTTP/1.1\r\nHost: t\r\n")
        try h.channel.writeInbound(partial)
        h.channel.embeddedEventLoop.advanceTime(by: .milliseconds(999))
        #expect(try h.output() == "")
        h.channel.embeddedEventLoop.advanceTime(by: .milliseconds(2))
        #expect(try h.output().hasPrefix("HTTP/1.1 408"))
        #expect(h.counters.snapshot.rejects == ["header_timeout": 1])
    }

    @Test func aChunkedBodyPastTheLimitIs413AndCloses() throws {
        let h = try Harness(maxBodyBytes: 64)
        var buffer = h.channel.allocator.buffer(capacity: 512)
        buffer.writeString("POST /logs HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n")
        for _ in 0..<3 { buffer.writeString("28\r\n" + String(repeating: "z", count: 39) + "\n\r\n") }
        // The handler closes the connection in the middle of the body; the decoder then reports the cut stream.
        _ = try? h.channel.writeInbound(buffer)
        let answer = try h.output()
        #expect(answer.hasPrefix("HTTP/1.1 413"))
        #expect(answer.lowercased().contains("connection: close"))
        #expect(h.counters.snapshot.rejects == ["body_too_large": 1])
        #expect(h.batches().isEmpty)
    }

    @Test func aFullIntakeAnswers503WithRetryAfter() throws {
        let h = try Harness(maxQueuedBytes: 8)
        try h.send(headers: ["Content-Type: text/plain"], body: Array("first line fills the queue\n".utf8))
        try h.send(headers: ["Content-Type: text/plain"], body: Array("second\n".utf8))
        // The first waits for durability, so the second is held by NIO's pipelining until the first is answered.
        h.intake.acknowledge([SourcePosition(key: "http://test", offset: 1)])
        let answers = try h.output()
        #expect(answers.contains("HTTP/1.1 200"))
        #expect(answers.contains("HTTP/1.1 503"))
        #expect(answers.contains("Retry-After: 1"))
        #expect(h.counters.snapshot.rejects["queue_full"] == 1)
    }

    @Test func entriesNeverDurableAre503AtClose() throws {
        let h = try Harness()
        try h.send(headers: ["Content-Type: text/plain"], body: Array("lost?\n".utf8))
        h.intake.close()
        let answer = try h.output()
        #expect(answer.hasPrefix("HTTP/1.1 503"))
        #expect(h.counters.snapshot.rejects["not_durable"] == 1)
    }

    @Test func gzipBodiesAreDecoded() throws {
        let h = try Harness()
        let gz = try HTTPBodyFormatTests.compress(Array("{\"z\":1}\n".utf8), ["gzip", "-c"])
        try h.send(headers: ["Content-Type: application/x-ndjson", "Content-Encoding: gzip"], body: gz)
        h.intake.acknowledge([SourcePosition(key: "http://test", offset: 1)])
        #expect(try h.output().hasPrefix("HTTP/1.1 200"))
        #expect(h.batches() == [["{\"z\":1}"]])
    }

    @Test func otlpAnswersInTheRequestsEncoding() throws {
        let h = try Harness(endpoint: OTLPLogsEndpoint(maxLineBytes: 1 << 20))
        try h.send("POST", "/v1/logs", headers: ["Content-Type: application/x-protobuf"],
                   body: try OTLPLogsRequestTests.sample().serializedBytes())
        h.intake.acknowledge([SourcePosition(key: "http://test", offset: 1)])
        let answer = try h.output()
        #expect(answer.hasPrefix("HTTP/1.1 200"))
        #expect(answer.contains("Content-Type: application/x-protobuf"))
        #expect(h.batches().first?.count == 2)
        try h.send("POST", "/v1/logs", headers: ["Content-Type: application/json"], body: Array("{\"resourceLogs\":".utf8))
        let bad = try h.output()
        #expect(bad.hasPrefix("HTTP/1.1 400"))
        #expect(bad.contains("Content-Type: application/json"))
        #expect(bad.contains("\"code\":3"))
    }
}
