import Foundation
import Pipeline
import SegmentFormat

/// POSTs a batch as one OTLP/HTTP logs request (`Content-Type: application/x-protobuf`, an
/// `ExportLogsServiceRequest` by ``OTLPLogsEncoder``; gzip body unless turned off) to an `otlp+http://` or
/// `otlp+https://` `--output` URL (path `/v1/logs` by convention).
///
/// 2xx = delivered (a partial success's rejected count is logged and counted: OTLP does not say which records,
/// so they cannot be dead-lettered one by one). 429, 502, 503 and 504 are temporary and honour `Retry-After`;
/// another 4xx is permanent (``DeliveryRejection``: the lane isolates the refused entries into the dead-letter
/// queue); anything else is retried with backoff.
final class OTLPTransport: DeliveryTransport {
    let destination: HTTPOutputDestination
    private let configuration: HTTPOutputConfiguration
    private let fixedHeaders: String
    private let connection: HTTPConnection
    /// One compressor for `deliver`, one for `prepare` (libdeflate's are not shared between threads).
    private let compressor: GzipMemberCompressor?
    private let aheadCompressor: GzipMemberCompressor?
    private let lock = NSLock()
    private var rejected = 0

    init(destination: HTTPOutputDestination, configuration: HTTPOutputConfiguration) {
        self.destination = destination
        self.configuration = configuration
        fixedHeaders = configuration.fixedHeaders(contentType: "application/x-protobuf")
        connection = HTTPConnection(host: destination.http.host, port: destination.http.port,
                                    tls: destination.http.tls ? configuration.tls : nil)
        compressor = configuration.gzip ? GzipMemberCompressor(level: 1) : nil
        aheadCompressor = configuration.gzip ? GzipMemberCompressor(level: 1) : nil
    }

    /// The request body (encoded, compressed) of a batch.
    final class Body {
        let bytes: [UInt8]
        let records: Int
        init(bytes: [UInt8], records: Int) { self.bytes = bytes; self.records = records }
    }

    /// Encoding and compression are made ahead, on the delivery's read-ahead thread, while a request is in flight.
    var preparesAhead: Bool { true }

    func prepare(_ batch: inout DeliverySpool.Batch) {
        batch.prepared = body(batch, aheadCompressor)
    }

    private func body(_ batch: DeliverySpool.Batch, _ compressor: GzipMemberCompressor?) -> Body {
        // observed_time_unix_nano: when the request was made (ahead of its turn by at most one request).
        let encoded = OTLPLogsEncoder.encode(lines: batch.bytes[...], observedNanos: UInt64(Date().timeIntervalSince1970 * 1e9))
        guard let compressor, encoded.records > 0 else { return Body(bytes: encoded.body, records: encoded.records) }
        let out = ByteBuffer(capacity: encoded.body.count / 2 + 4096)
        encoded.body.withUnsafeBufferPointer { compressor.compress($0, into: out) }
        return Body(bytes: Array(out.bytes), records: encoded.records)
    }

    /// Records the collector said it rejected (partial success).
    var rejectedRecords: Int { lock.lock(); defer { lock.unlock() }; return rejected }

    func deliver(_ batch: DeliverySpool.Batch) throws {
        let body = batch.prepared as? Body ?? self.body(batch, compressor)
        guard body.records > 0 else { return }
        let headers = fixedHeaders + (try configuration.authorizationHeader())
        let answer = try body.bytes.withUnsafeBytes {
            try connection.post(destination.http.target, body: $0, headers: headers, timeoutMillis: configuration.requestTimeoutMillis)
        }
        if (200..<300).contains(answer.status) {
            if let partial = Self.partialSuccess(answer.body), partial.rejected > 0 {
                lock.lock(); rejected += partial.rejected; lock.unlock()
                configuration.log("otlp \(destination.url): the collector rejected \(partial.rejected) record(s): \(partial.message)")
            }
            return
        }
        let text = String(decoding: answer.body.prefix(600), as: UTF8.self)
        if [429, 502, 503, 504].contains(answer.status), let after = DeliveryRetryLater.millis(answer.retryAfter) {
            throw DeliveryRetryLater(status: answer.status, afterMillis: after)
        }
        if DeliveryRejection.isPermanent(httpStatus: answer.status) {
            throw DeliveryRejection(reason: "HTTP status \(answer.status)", status: answer.status, answer: text)
        }
        throw TransportError.failed("HTTP status \(answer.status)")
    }

    /// `ExportLogsServiceResponse.partial_success` (field 1): `rejected_log_records` (1), `error_message` (2).
    static func partialSuccess(_ body: [UInt8]) -> (rejected: Int, message: String)? {
        guard let inner = ProtobufReader.field(1, in: body[...]) else { return nil }
        let rejected = ProtobufReader.varintField(1, in: inner) ?? 0
        let message = ProtobufReader.field(2, in: inner).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return (Int(rejected), message)
    }

    func close() { connection.close() }
}

/// Just enough protobuf reading for a collector's answer: the first length-delimited or varint field of a number.
enum ProtobufReader {
    private static func varint(_ b: ArraySlice<UInt8>, _ i: inout Int) -> UInt64? {
        var v: UInt64 = 0, shift: UInt64 = 0
        while i < b.endIndex, shift < 64 {
            let byte = b[i]; i += 1
            v |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { return v }
            shift += 7
        }
        return nil
    }

    private static func walk(_ b: ArraySlice<UInt8>, _ visit: (Int, UInt64, ArraySlice<UInt8>?) -> Bool) {
        var i = b.startIndex
        while i < b.endIndex, let key = varint(b, &i) {
            let field = Int(key >> 3)
            switch key & 7 {
            case 0: guard let v = varint(b, &i) else { return }; if visit(field, v, nil) { return }
            case 1: i += 8
            case 5: i += 4
            case 2:
                guard let n = varint(b, &i), Int(n) <= b.endIndex - i else { return }
                if visit(field, 0, b[i..<(i + Int(n))]) { return }
                i += Int(n)
            default: return
            }
        }
    }

    /// Every length-delimited field `number`, in order.
    static func fields(_ number: Int, in b: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var found: [ArraySlice<UInt8>] = []
        walk(b) { f, _, bytes in if f == number, let bytes { found.append(bytes) }; return false }
        return found
    }

    static func field(_ number: Int, in b: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        var found: ArraySlice<UInt8>?
        walk(b) { f, _, bytes in if f == number, let bytes { found = bytes; return true }; return false }
        return found
    }

    static func varintField(_ number: Int, in b: ArraySlice<UInt8>) -> UInt64? {
        var found: UInt64?
        walk(b) { f, v, bytes in if f == number, bytes == nil { found = v; return true }; return false }
        return found
    }
}
