import Pipeline

/// OTLP/HTTP logs: `POST /v1/logs` in protobuf or OTLP/JSON (``OTLPLogsRequest``), one entry per record
/// (``OTLPLogLine``). Answers in the request's encoding: an `ExportLogsServiceResponse` (with `partial_success`
/// for records that could not be taken) once durable; a `google.rpc.Status` with the reason otherwise.
struct OTLPLogsEndpoint: HTTPIntakeEndpoint {
    var path: String { "/v1/logs" }
    let maxLineBytes: Int

    func prepare(_ request: HTTPIntakeRequest, into batch: PeerBatch, now: Int64) -> HTTPIntakePlan {
        guard let encoding = OTLPLogsRequest.Encoding(contentType: request.contentType) else {
            return .answer(refusal(.unsupportedMediaType, message: "Content-Type \(request.contentType ?? "") is not OTLP: send application/x-protobuf or application/json", request: request),
                           reject: "unsupported_media_type")
        }
        let decoded: OTLPLogsRequest
        do { decoded = try OTLPLogsRequest(body: request.body, encoding: encoding) } catch {
            var answer = HTTPIntakeResponse(.badRequest, contentType: encoding.contentType,
                                            body: OTLPLogsRequest.status(code: 3, message: error.message, encoding: encoding))
            answer.detail = error.message
            return .answer(answer, reject: error.reason)
        }
        let taken = decoded.lines(into: batch, maxLineBytes: maxLineBytes, now: now)
        let message = taken.rejected == 0 ? "" :
            "\(taken.rejected) log records were larger than \(maxLineBytes) bytes as entries and were not kept"
        let body = OTLPLogsRequest.response(rejected: taken.rejected, message: message, encoding: encoding)
        return .keep(entries: taken.accepted, durable: HTTPIntakeResponse(.ok, contentType: encoding.contentType, body: body),
                     rejected: taken.rejected)
    }

    func refusal(_ status: HTTPIntakeResponse.Status, message: String, request: HTTPIntakeRequest?) -> HTTPIntakeResponse {
        let encoding = OTLPLogsRequest.Encoding(contentType: request?.contentType) ?? .protobuf
        // gRPC codes: 3 INVALID_ARGUMENT, 8 RESOURCE_EXHAUSTED, 14 UNAVAILABLE, 16 UNAUTHENTICATED, 5 NOT_FOUND.
        let code: Int32 = switch status {
        case .serviceUnavailable, .requestTimeout: 14
        case .payloadTooLarge: 8
        case .unauthorized: 16
        case .notFound: 5
        default: 3
        }
        var answer = HTTPIntakeResponse(status, contentType: encoding.contentType,
                                        body: OTLPLogsRequest.status(code: code, message: message, encoding: encoding),
                                        retryAfter: status == .serviceUnavailable ? 1 : nil)
        answer.detail = message
        return answer
    }
}
