import Foundation
import Pipeline
import Testing
@testable import Ingest

/// Request bodies to entries: NDJSON, JSON arrays and plain lines, all or nothing; bounded gzip and zstd.
@Suite struct HTTPBodyFormatTests {
    private func lines(_ format: HTTPBodyFormat, _ body: String, max: Int = 1 << 20) throws -> [String] {
        let batch = PeerBatch(origin: SourceOrigin(name: "t", sessionId: "s"), pool: nil, initialCapacity: 64)
        _ = try format.split(Array(body.utf8), into: batch, maxLineBytes: max, now: 0)
        guard let raw = batch.take(close: .end) else { return [] }
        return raw.lines.map { String(decoding: raw.buffer.bytes[Int($0.start)..<Int($0.start + $0.length)], as: UTF8.self) }
    }

    @Test func contentTypeChoosesTheFormat() {
        #expect(HTTPBodyFormat(contentType: "application/x-ndjson") == .ndjson)
        #expect(HTTPBodyFormat(contentType: "application/jsonl; charset=utf-8") == .ndjson)
        #expect(HTTPBodyFormat(contentType: "Application/JSON") == .json)
        #expect(HTTPBodyFormat(contentType: "text/plain") == .plain)
        #expect(HTTPBodyFormat(contentType: nil) == .plain)
        #expect(HTTPBodyFormat(contentType: "image/png") == nil)
    }

    @Test func ndjsonIsOneEntryPerLineAndBlankLinesAreSkipped() throws {
        #expect(try lines(.ndjson, "{\"a\":1}\r\n\n{\"b\":2}\n  \n{\"c\":3}") == ["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"])
    }

    @Test func malformedNDJSONKeepsNothingAndNamesTheLine() {
        #expect(throws: HTTPBodyFormat.Failure(reason: "invalid_json", message: "line 2 of the body is not valid JSON; nothing was kept")) {
            _ = try lines(.ndjson, "{\"a\":1}\n{\"b\":\n")
        }
    }

    @Test func aJSONArrayIsOneEntryPerElementOnOneLine() throws {
        #expect(try lines(.json, " [ {\"a\": 1},\n {\"b\":\n  [1, 2]} ] ") == ["{\"a\": 1}", "{\"b\":   [1, 2]}"])
        #expect(try lines(.json, "{\"only\": true}") == ["{\"only\": true}"])
        #expect(try lines(.json, "[]") == [])
        #expect(throws: HTTPBodyFormat.Failure.self) { _ = try lines(.json, "[{\"a\":1}, {\"b\"}]") }
        #expect(throws: HTTPBodyFormat.Failure.self) { _ = try lines(.json, "[{\"a\":1}") }
    }

    @Test func anEntryOverTheLimitIsRefusedWhole() {
        #expect(throws: HTTPBodyFormat.Failure.self) { _ = try lines(.ndjson, "{\"a\":1}\n{\"long\":\"\(String(repeating: "x", count: 100))\"}", max: 50) }
    }

    @Test func plainLinesAreKeptAndLongOnesCut() throws {
        #expect(try lines(.plain, "one\r\ntwo\n\nthree") == ["one", "two", "three"])
        #expect(try lines(.plain, String(repeating: "y", count: 80), max: 50) == [String(repeating: "y", count: 50)])
    }

    @Test func gzipAndZstdBodiesDecodeWithinTheLimit() throws {
        let text = Array(String(repeating: "{\"message\":\"hello\"}\n", count: 2000).utf8)
        let gz = try Self.compress(text, ["gzip", "-c"]), zst = try Self.compress(text, ["zstd", "-c", "-q"])
        #expect(try BodyInflater.decode(gz, encoding: "gzip", limit: 1 << 20) == text)
        #expect(try BodyInflater.decode(zst, encoding: "zstd", limit: 1 << 20) == text)
        #expect(try BodyInflater.decode(gz + gz, encoding: "gzip", limit: 1 << 20) == text + text, "concatenated members")
        #expect(throws: BodyInflater.Failure.tooLarge) { _ = try BodyInflater.decode(gz, encoding: "gzip", limit: 1000) }
        #expect(throws: BodyInflater.Failure.tooLarge) { _ = try BodyInflater.decode(zst, encoding: "zstd", limit: 1000) }
        #expect(throws: BodyInflater.Failure.self) { _ = try BodyInflater.decode(Array(gz.prefix(gz.count / 2)), encoding: "gzip", limit: 1 << 20) }
        #expect(throws: BodyInflater.Failure.self) { _ = try BodyInflater.decode(Array("not gzip".utf8), encoding: "gzip", limit: 1 << 20) }
        #expect(throws: BodyInflater.Failure.unsupported("br")) { _ = try BodyInflater.decode(text, encoding: "br", limit: 1 << 20) }
    }

    @Test func aZipBombStopsAtTheLimit() throws {
        // 64 MiB of zeros compress to ~64 KiB; decoding stops at the 1 MiB limit.
        let bomb = try Self.compress([UInt8](repeating: 0, count: 64 << 20), ["gzip", "-c"])
        #expect(bomb.count < 200_000)
        #expect(throws: BodyInflater.Failure.tooLarge) { _ = try BodyInflater.decode(bomb, encoding: "gzip", limit: 1 << 20) }
    }

    static func compress(_ data: [UInt8], _ command: [String]) throws -> [UInt8] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = command
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        let writer = Thread { input.fileHandleForWriting.write(Data(data)); try? input.fileHandleForWriting.close() }
        writer.start()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Array(out)
    }
}
