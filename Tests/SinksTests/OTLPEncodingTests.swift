import Foundation
@testable import Sinks
import Testing

/// The pieces of the OTLP output that need no receiver (the end-to-end tests decode with opentelemetry-proto).
@Suite struct OTLPEncodingTests {
    @Test func segmentTimestampsBecomeUnixNanoseconds() {
        #expect(OTLPLogsEncoder.unixNanos("1970-01-01T00:00:00.001Z") == 1_000_000)
        #expect(OTLPLogsEncoder.unixNanos("2024-02-29T23:59:59.999Z") == 1_709_251_199_999_000_000)
        #expect(OTLPLogsEncoder.unixNanos("2026-03-01T10:00:00.123Z") == 1_772_359_200_123_000_000)
        #expect(OTLPLogsEncoder.unixNanos("2026-03-01T10:00:00Z") == nil)
        #expect(OTLPLogsEncoder.unixNanos("2026-13-01T10:00:00.000Z") == nil)
    }

    @Test func partialSuccessIsReadFromTheAnswer() {
        // ExportLogsServiceResponse { partial_success { rejected_log_records: 3, error_message: "bad" } }
        let body: [UInt8] = [0x0a, 0x07, 0x08, 0x03, 0x12, 0x03] + Array("bad".utf8)
        let partial = OTLPTransport.partialSuccess(body)
        #expect(partial?.rejected == 3 && partial?.message == "bad")
        #expect(OTLPTransport.partialSuccess([]) == nil)
    }

    @Test func retryAfterSecondsAndDates() {
        #expect(DeliveryRetryLater.millis("2") == 2000)
        #expect(DeliveryRetryLater.millis(" 0 ") == 0)
        #expect(DeliveryRetryLater.millis("Wed, 21 Oct 2026 07:28:00 GMT") == 1000)
        #expect(DeliveryRetryLater.millis(nil) == nil)
    }

    @Test func linesThatAreNotEntriesAreSkippedAndCounted() {
        let lines = Array(#"{"timestamp":"2026-03-01T10:00:00.000Z","level":"INFO","message":"a","context":{"service":"s"}}"#.utf8)
            + [10] + Array("not json".utf8) + [10]
        let e = OTLPLogsEncoder.encode(lines: lines[...], observedNanos: 1)
        #expect(e.records == 1 && e.skipped == 1)
        let record = ProtobufReader.fields(1, in: e.body[...]).flatMap { ProtobufReader.fields(2, in: $0) }
            .flatMap { ProtobufReader.fields(2, in: $0) }
        #expect(record.count == 1)
        #expect(ProtobufReader.varintField(2, in: record[0]) == 9)
    }

    @Test func jsonStringsAreUnescapedToUTF8() {
        let cases: [(String, String)] = [
            (#""plain é""#, "plain é"), (#""q \" b \\ s \/ t\tn\nr\r""#, "q \" b \\ s / t\tn\nr\r"),
            (#""\u0001\u00e9\u20ac""#, "\u{01}é€"), (#""\ud83d\ude00""#, "😀"), (#""lone \ud83d x""#, "lone \u{fffd} x"),
        ]
        for (token, expected) in cases {
            let bytes = Array(token.utf8)
            let got = bytes.withUnsafeBufferPointer { OTLPEntryFields.unescape($0.baseAddress!, (0, bytes.count)) }
            #expect(String(decoding: got, as: UTF8.self) == expected, "\(token)")
        }
    }
}
