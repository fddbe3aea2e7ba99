/// Carries spooled entries to one receiver (HTTP, syslog, ClickHouse, …). Called only from its lane's thread.
///
/// `deliver` returns when the receiver has the batch (HTTP: a 2xx answer; syslog: written to the socket) and
/// throws otherwise; the caller keeps the batch in the spool and retries with backoff. A transport reconnects by
/// itself on the next call after a failure.
protocol DeliveryTransport: AnyObject {
    func deliver(_ batch: DeliverySpool.Batch) throws
    func close()
    /// True when ``prepare(_:)`` does work worth overlapping with the request in flight.
    var preparesAhead: Bool { get }
    /// Readies `batch`'s request (`batch.prepared`): on the delivery's read-ahead thread while the previous
    /// request is in flight, or on the delivery thread before a batch's first attempt (never both at once); a
    /// failed batch is retried with what it prepared. Thread-safe against `deliver`, which works without it.
    func prepare(_ batch: inout DeliverySpool.Batch)
}

extension DeliveryTransport {
    var preparesAhead: Bool { false }
    func prepare(_ batch: inout DeliverySpool.Batch) {}
}
