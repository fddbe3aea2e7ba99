import Foundation
@testable import Pipeline
import Testing

/// Each stage on a batch in memory, without sources, sinks or threads.
@Suite struct StageTests {
    static func raw(_ lines: [String], truncated: Set<Int> = []) -> RawBatch {
        let buffer = ByteBuffer(capacity: 4096)
        var refs: [LineRef] = []
        for (i, l) in lines.enumerated() {
            let start = buffer.count
            buffer.append(Array(l.utf8))
            var ref = LineRef(start: start, length: buffer.count - start, readMillis: 1_772_359_200_000, truncated: truncated.contains(i))
            ref.joined = l.contains("\n")
            refs.append(ref)
        }
        return RawBatch(buffer: buffer, lines: refs, origin: SourceOrigin(name: "t", sessionId: "sess-9"), close: .end,
                        inputBytes: buffer.count)
    }

    @Test func parseStageReadsEachFormatAndKeepsWhatDoesNotParse() {
        let batch = Self.raw([#"{"level":"warn","message":"disk"}"#, "level=error msg=boom", "plain INFO text",
                              #"{"broken": "#, "ERROR first\n    at f(x.js:1)"])
        let (entries, _) = ParseStage(format: .auto).parse(batch)
        #expect(entries.map(\.level) == [.warn, .error, .info, nil, .error])
        #expect(entries[3].message.isPresent, "an unparsable line is kept as text")
        #expect(entries[4].stack.isPresent, "a joined continuation is the entry's stack")
    }

    @Test func parseStageMarksCutLines() {
        let (entries, meta) = ParseStage(format: .plain).parse(Self.raw(["cut here"], truncated: [0]))
        #expect(entries[0].metaCount == 1)
        #expect(meta.count == 1)
    }

    @Test func levelFilterDropsBelowTheMinimumAndOutsideTheTimeWindow() {
        let filter = LevelFilterStage(minLevel: .warn, since: 100, until: 200)
        #expect(!filter.admits(level: .info, timestampMillis: 150))
        #expect(filter.admits(level: .warn, timestampMillis: 150))
        #expect(filter.admits(level: .fatal, timestampMillis: 100))
        #expect(!filter.admits(level: .error, timestampMillis: 200), "until is exclusive")
        #expect(!filter.admits(level: .error, timestampMillis: 99))
        let batch = Self.raw([#"{"level":"debug","message":"a"}"#, #"{"level":"error","message":"b"}"#, "no level here"])
        let (entries, _) = ParseStage(format: .auto).parse(batch)
        let (kept, filtered) = LevelFilterStage(minLevel: .info).filter(entries, readMillis: batch.lines.map(\.readMillis))
        #expect(kept == [1, 2], "an entry without a level is INFO")
        #expect(filtered == 1)
    }

    @Test func enrichStageEncodesDefaultsOnceAndTheSessionPerSource() {
        let stage = EnrichStage(enrichment: Enrichment(service: "svc \"q\"", version: "1.2", environment: "prod", host: "h1"))
        let text = { (p: UnsafeBufferPointer<UInt8>) in String(decoding: p, as: UTF8.self) }
        let a = SourceOrigin(name: "a", sessionId: "sess-a"), b = SourceOrigin(name: "b", sessionId: "sess-b")
        let d1 = stage.defaults(for: a)
        #expect(text(d1.service) == #""svc \"q\"""#)
        #expect(text(d1.environment) == #""prod""#)
        #expect(text(d1.session) == #""sess-a""#)
        #expect(text(stage.defaults(for: b).session) == #""sess-b""#)
        #expect(text(stage.defaults(for: a).session) == #""sess-a""#)
    }

    @Test func routeStagePicksEntriesAtOrAboveItsLevelInOrder() {
        let encoder = BatchEncoder(options: EncoderOptions(format: .json, enrichment: Enrichment(service: "s", version: "v", environment: "e", host: "h")))
        let batch = encoder.encode(Self.raw([#"{"level":"error","message":"1"}"#, #"{"level":"info","message":"2"}"#,
                                             #"{"level":"fatal","message":"3"}"#]), into: ByteBuffer(capacity: 4096))
        let scratch = ByteBuffer(capacity: 1024)
        #expect(RouteStage(level: .error).select(batch, into: scratch) == 2)
        let lines = String(decoding: scratch.bytes, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].contains(#""message":"1""#) && lines[1].contains(#""message":"3""#))
        #expect(RouteStage(level: .fatal).select(batch, into: scratch) == 1)
        let quiet = encoder.encode(Self.raw([#"{"level":"info","message":"x"}"#]), into: ByteBuffer(capacity: 1024))
        #expect(RouteStage(level: .error).select(quiet, into: scratch) == 0)
        #expect(scratch.count == 0)
    }
}
