import Pipeline

/// `POST` of NDJSON, a JSON array or plain lines (``HTTPBodyFormat``) on one path; answers `{"accepted": n}`.
struct NDJSONEndpoint: HTTPIntakeEndpoint {
    let path: String
    let maxLineBytes: Int

    func prepare(_ request: HTTPIntakeRequest, into batch: PeerBatch, now: Int64) -> HTTPIntakePlan {
        guard let format = HTTPBodyFormat(contentType: request.contentType) else {
            return .answer(refusal(.unsupportedMediaType, message: "Content-Type \(request.contentType ?? "") is not taken: send application/x-ndjson, application/json or text/plain", request: request),
                           reject: "unsupported_media_type")
        }
        do {
            let split = try format.split(request.body, into: batch, maxLineBytes: maxLineBytes, now: now)
            return .keep(entries: split.entries, durable: .json(.ok, "\"accepted\":\(split.entries)"), rejected: 0)
        } catch {
            let status: HTTPIntakeResponse.Status = error.reason == "entry_too_large" ? .payloadTooLarge : .badRequest
            return .answer(refusal(status, message: error.message, request: request), reject: error.reason)
        }
    }

    func refusal(_ status: HTTPIntakeResponse.Status, message: String, request: HTTPIntakeRequest?) -> HTTPIntakeResponse {
        let text = Pipeline.ByteBuffer(capacity: message.utf8.count + 16)
        OTLPJSONWriter.string(message, to: text)
        return .json(status, "\"error\":" + String(decoding: text.bytes, as: UTF8.self), retryAfter: status == .serviceUnavailable ? 1 : nil)
    }
}
