/// The model field an input key maps to; shared by the JSON and logfmt parsers so both know the same aliases.
enum FieldKey {
    case timestamp, level, message, stack, context, metadata
    case service, version, environment, host, userId, sessionId, requestId
    case other

    /// Classifies key bytes `[from, to)` (exact spelling, as in the list of usual shapes).
    @inline(__always) static func classify(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> FieldKey {
        switch to - from {
        case 2: if b.equals(from, to, "ts") { return .timestamp }
        case 3:
            if b.equals(from, to, "msg") { return .message }
            if b.equals(from, to, "lvl") { return .level }
            if b.equals(from, to, "env") { return .environment }
        case 4:
            if b.equals(from, to, "time") { return .timestamp }
            if b.equals(from, to, "host") { return .host }
        case 5:
            if b.equals(from, to, "level") { return .level }
            if b.equals(from, to, "stack") { return .stack }
        case 6:
            if b.equals(from, to, "userId") { return .userId }
            if b.equals(from, to, "req_id") { return .requestId }
        case 7:
            if b.equals(from, to, "message") { return .message }
            if b.equals(from, to, "context") { return .context }
            if b.equals(from, to, "service") { return .service }
            if b.equals(from, to, "version") { return .version }
            if b.equals(from, to, "user_id") { return .userId }
        case 8:
            if b.equals(from, to, "severity") { return .level }
            if b.equals(from, to, "metadata") { return .metadata }
            if b.equals(from, to, "hostname") { return .host }
            if b.equals(from, to, "trace_id") { return .requestId }
        case 9:
            if b.equals(from, to, "timestamp") { return .timestamp }
            if b.equals(from, to, "requestId") { return .requestId }
            if b.equals(from, to, "sessionId") { return .sessionId }
            if b.equals(from, to, "levelname") { return .level }
        case 10:
            if b.equals(from, to, "@timestamp") { return .timestamp }
            if b.equals(from, to, "request_id") { return .requestId }
            if b.equals(from, to, "session_id") { return .sessionId }
            if b.equals(from, to, "stacktrace") { return .stack }
        case 11:
            if b.equals(from, to, "environment") { return .environment }
            if b.equals(from, to, "stack_trace") { return .stack }
        case 12:
            if b.equals(from, to, "x-request-id") { return .requestId }
        default: break
        }
        return .other
    }
}

extension ParsedEntry {
    /// The context slot for a key, when it is one.
    @inline(__always) mutating func setContext(_ key: FieldKey, _ value: FieldValue) -> Bool {
        switch key {
        case .service: if service.isPresent { return false }; service = value
        case .version: if version.isPresent { return false }; version = value
        case .environment: if environment.isPresent { return false }; environment = value
        case .host: if host.isPresent { return false }; host = value
        case .userId: if userId.isPresent { return false }; userId = value
        case .sessionId: if sessionId.isPresent { return false }; sessionId = value
        case .requestId: if requestId.isPresent { return false }; requestId = value
        default: return false
        }
        return true
    }
}
