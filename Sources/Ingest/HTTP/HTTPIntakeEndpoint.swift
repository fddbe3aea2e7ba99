import Pipeline

/// One kind of request an HTTP input takes (NDJSON on a path, OTLP logs on `/v1/logs`): turns a whole request body
/// into entries in the connection's batch, and renders the answers in its protocol's form. Called on the
/// connection's event loop; must not block.
protocol HTTPIntakeEndpoint: Sendable {
    /// The path served (`/` for any path).
    var path: String { get }

    /// Fills `batch` from the request (decoded body) or says what to answer at once.
    func prepare(_ request: HTTPIntakeRequest, into batch: PeerBatch, now: Int64) -> HTTPIntakePlan

    /// The answer to a request refused before `prepare` (404, 405, 401, 408, 413, 415, 503), in this protocol's
    /// form (OTLP: a `google.rpc.Status`).
    func refusal(_ status: HTTPIntakeResponse.Status, message: String, request: HTTPIntakeRequest?) -> HTTPIntakeResponse
}

/// A request as the endpoint sees it: the header fields it needs and the decoded body.
struct HTTPIntakeRequest: Sendable {
    var path: String
    var contentType: String?
    var body: [UInt8]
}

/// What to do with a prepared request.
enum HTTPIntakePlan: Sendable {
    /// Answer now; nothing was taken (a malformed body, an empty one). `reason` is counted when set.
    case answer(HTTPIntakeResponse, reject: String?)
    /// `entries` were appended to the batch: queue it, then answer `durable` once it is durable (or 503 if it
    /// never becomes so).
    case keep(entries: Int, durable: HTTPIntakeResponse, rejected: Int)
}

/// A response: status, content type and body (the handler adds the framing headers).
struct HTTPIntakeResponse: Sendable, Equatable {
    enum Status: Int, Sendable {
        case ok = 200, badRequest = 400, unauthorized = 401, notFound = 404, methodNotAllowed = 405
        case requestTimeout = 408, payloadTooLarge = 413, unsupportedMediaType = 415, serviceUnavailable = 503
    }

    var status: Status
    var contentType: String
    var body: [UInt8]
    /// Seconds for `Retry-After` (503).
    var retryAfter: Int?
    /// What a refusal says, for the log line (a protobuf body is not text).
    var detail: String?

    init(_ status: Status, contentType: String = "application/json", body: [UInt8], retryAfter: Int? = nil) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.retryAfter = retryAfter
    }

    /// `{"error": message}` or `{"accepted": n}` style answers of the NDJSON endpoint.
    static func json(_ status: Status, _ members: String, retryAfter: Int? = nil) -> HTTPIntakeResponse {
        HTTPIntakeResponse(status, body: Array("{\(members)}\n".utf8), retryAfter: retryAfter)
    }
}
