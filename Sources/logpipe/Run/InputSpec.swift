import ArgumentParser

/// An `--input` value: `stdin` (or `-`), `udp://HOST:PORT`, `file:GLOB`.
enum InputSpec: Equatable, CustomStringConvertible {
    case stdin
    case udp(host: String, port: Int)
    case file(pattern: String)

    var description: String {
        switch self {
        case .stdin: "stdin"
        case let .udp(host, port): "udp://\(host):\(port)"
        case let .file(pattern): "file:\(pattern)"
        }
    }

    init(_ text: String) throws {
        if text == "stdin" || text == "-" { self = .stdin; return }
        if text.hasPrefix("udp://") {
            let rest = text.dropFirst(6)
            guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
                  (0...65535).contains(port) else {
                throw ValidationError("invalid --input \"\(text)\": expected udp://HOST:PORT, e.g. udp://127.0.0.1:5514")
            }
            var host = String(rest[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else { throw ValidationError("invalid --input \"\(text)\": the host is missing") }
            self = .udp(host: host, port: port)
            return
        }
        if text.hasPrefix("file:") {
            let pattern = String(text.dropFirst(5))
            guard !pattern.isEmpty else { throw ValidationError("invalid --input \"\(text)\": expected file:GLOB") }
            self = .file(pattern: pattern)
            return
        }
        throw ValidationError("invalid --input \"\(text)\": expected stdin, udp://HOST:PORT or file:GLOB")
    }
}
