import Foundation
import Pipeline
import SegmentFormat

/// POSTs a batch of entries as NDJSON (`Content-Type: application/x-ndjson`, gzip body with
/// `Content-Encoding: gzip` unless turned off) with the configured headers and bearer token.
///
/// 2xx = delivered. A 4xx other than 408/429 is permanent (``DeliveryRejection``: the lane isolates the refused
/// entries into the dead-letter queue); any other status, a timeout or a broken connection throws a temporary
/// error (retried with backoff). Used by one ``DeliveryLane`` thread.
final class HTTPPushTransport: DeliveryTransport {
    let destination: UrgentDestination
    private let configuration: HTTPOutputConfiguration
    private let fixedHeaders: String
    private let connection: HTTPConnection
    private let compressor: GzipMemberCompressor?

    init(destination: UrgentDestination, configuration: HTTPOutputConfiguration) {
        // (an `otlp+` destination gets ``OTLPTransport`` instead)
        self.destination = destination
        self.configuration = configuration
        fixedHeaders = configuration.fixedHeaders(contentType: "application/x-ndjson")
        connection = HTTPConnection(host: destination.host, port: destination.port,
                                    tls: destination.tls ? configuration.tls : nil)
        compressor = configuration.gzip ? GzipMemberCompressor(level: 1) : nil
    }

    func deliver(_ batch: DeliverySpool.Batch) throws {
        let headers = fixedHeaders + (try configuration.authorizationHeader())
        let answer: HTTPConnection.Answer
        if let compressor {
            let body = ByteBuffer(capacity: batch.bytes.count / 3 + 4096)
            batch.bytes.withUnsafeBufferPointer { compressor.compress($0, into: body) }
            answer = try connection.post(destination.target, body: UnsafeRawBufferPointer(body.bytes), headers: headers,
                                         timeoutMillis: configuration.requestTimeoutMillis)
        } else {
            answer = try batch.bytes.withUnsafeBytes {
                try connection.post(destination.target, body: $0, headers: headers, timeoutMillis: configuration.requestTimeoutMillis)
            }
        }
        if (200..<300).contains(answer.status) { return }
        let text = String(decoding: answer.body.prefix(600), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if DeliveryRejection.isPermanent(httpStatus: answer.status) {
            throw DeliveryRejection(reason: "HTTP status \(answer.status)", status: answer.status, answer: text)
        }
        throw TransportError.failed("HTTP status \(answer.status)" + (text.isEmpty ? "" : ": \(text)"))
    }

    func close() { connection.close() }
}
