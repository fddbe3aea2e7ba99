/// A receiver's permanent refusal of a request (HTTP 4xx other than 408/429; a ClickHouse type or parse error):
/// sending the same bytes again would fail the same way. A ``DeliveryLane`` with a ``DeadLetterQueue`` splits a
/// rejected batch to isolate the refused entries, delivers the rest and moves the refused ones to the queue; any
/// other error is temporary and retried with backoff.
public struct DeliveryRejection: Error, CustomStringConvertible, Equatable {
    /// Why, in a few words ("HTTP status 400", "ClickHouse Code: 27").
    public var reason: String
    /// The receiver's status code (HTTP), 0 when there is none.
    public var status: Int
    /// What the receiver answered (its body, up to a few hundred bytes).
    public var answer: String

    public init(reason: String, status: Int, answer: String) {
        self.reason = reason
        self.status = status
        self.answer = answer
    }

    public var description: String { "\(reason) (permanent): \(answer)" }

    /// HTTP statuses that no retry can fix: 4xx other than 408 (request timeout) and 429 (too many requests).
    public static func isPermanent(httpStatus: Int) -> Bool {
        (400..<500).contains(httpStatus) && httpStatus != 408 && httpStatus != 429
    }
}
