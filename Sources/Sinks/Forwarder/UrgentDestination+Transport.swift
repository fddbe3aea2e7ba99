extension UrgentDestination {
    /// The transport this destination's URL names.
    func makeTransport(configuration: UrgentConfiguration) -> DeliveryTransport {
        switch kind {
        case .http: HTTPTransport(destination: self, headers: configuration.headers, tls: configuration.tls,
                                  timeoutMillis: configuration.requestTimeoutMillis)
        case .syslogUDP, .syslogTCP: SyslogTransport(destination: self, timeoutMillis: configuration.requestTimeoutMillis)
        }
    }
}
