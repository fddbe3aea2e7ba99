/// Carries spooled entries to one destination. Called only from that destination's delivery thread.
///
/// `deliver` returns when the receiver has the batch (HTTP: a 2xx answer; syslog: written to the socket) and
/// throws otherwise; the caller keeps the batch in the spool and retries with backoff. A transport reconnects by
/// itself on the next call after a failure.
protocol UrgentTransport: AnyObject {
    func deliver(_ batch: UrgentSpool.Batch) throws
    func close()
    /// True when ``prepare(_:)`` does work worth overlapping with the request in flight.
    var preparesAhead: Bool { get }
    /// Readies `batch`'s request (`batch.prepared`): on the delivery's read-ahead thread while the previous
    /// request is in flight, or on the delivery thread before a batch's first attempt (never both at once); a
    /// failed batch is retried with what it prepared. Thread-safe against `deliver`, which works without it.
    func prepare(_ batch: inout UrgentSpool.Batch)
}

extension UrgentTransport {
    var preparesAhead: Bool { false }
    func prepare(_ batch: inout UrgentSpool.Batch) {}
}

extension UrgentDestination {
    func makeTransport(configuration: UrgentConfiguration) -> UrgentTransport {
        switch kind {
        case .http: HTTPTransport(destination: self, headers: configuration.headers, tls: configuration.tls,
                                  timeoutMillis: configuration.requestTimeoutMillis)
        case .syslogUDP, .syslogTCP: SyslogTransport(destination: self, timeoutMillis: configuration.requestTimeoutMillis)
        }
    }
}
