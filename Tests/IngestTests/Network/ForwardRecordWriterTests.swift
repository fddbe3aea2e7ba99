import Pipeline
import Testing
@testable import Ingest

/// A forward event as a JSON line in the entry model's keys.
@Suite struct ForwardRecordWriterTests {
    private func line(tag: String, time: MsgPackValue, _ pairs: [(String, MsgPackValue)]) -> String {
        var writer = ForwardRecordWriter()
        let out = ByteBuffer(capacity: 256)
        writer.write(tag: Array(tag.utf8), time: time, record: .map(pairs.map { (.string(Array($0.0.utf8)), $0.1) }), to: out)
        return String(decoding: out.bytes, as: UTF8.self)
    }

    @Test func mapsTimeLogAndTag() {
        // EventTime 1700000000.250000000
        let time = MsgPackValue.ext(type: 0, data: [0x65, 0x53, 0xf1, 0x00, 0x0e, 0xe6, 0xb2, 0x80])
        #expect(line(tag: "app.web", time: time, [("log", .string(Array("hi".utf8))), ("n", .uint(3))])
            == #"{"timestamp":"2023-11-14T22:13:20.250Z","message":"hi","n":3,"tag":"app.web"}"#)
    }

    @Test func keepsTheRecordsOwnMessageAndTag() {
        #expect(line(tag: "t", time: .uint(0), [("message", .string(Array("m".utf8))), ("log", .string(Array("l".utf8))),
                                                ("tag", .string(Array("own".utf8)))])
            == #"{"timestamp":"1970-01-01T00:00:00.000Z","message":"m","log":"l","tag":"own","fluent_tag":"t"}"#)
    }

    @Test func repairsAndCountsInvalidUTF8() {
        var writer = ForwardRecordWriter()
        let out = ByteBuffer(capacity: 64)
        writer.write(tag: [0x74], time: .null, record: .map([(.string(Array("message".utf8)), .string([0x61, 0xff]))]), to: out)
        #expect(String(decoding: out.bytes, as: UTF8.self) == "{\"message\":\"a\u{FFFD}\",\"tag\":\"t\"}")
        #expect(writer.invalidUTF8 == 1)
    }
}
