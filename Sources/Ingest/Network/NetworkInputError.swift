/// Why a network input could not be built (the run fails at start, exit 1, with the message).
public enum NetworkInputError: Error, CustomStringConvertible, Equatable {
    case bind(address: String, reason: String)
    case tls(String)

    public var description: String {
        switch self {
        case let .bind(address, reason): "cannot listen on \(address): \(reason)"
        case let .tls(message): "TLS: \(message)"
        }
    }
}
