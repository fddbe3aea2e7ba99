import Foundation

/// The client side of the control channel, used by `logpipe tap`, `top` (and `reload`): finds the socket under
/// `--state-dir`, sends one request, reads the answer's lines.
struct ControlClient {
    let path: String

    init(stateDir: String) { path = ControlSocket.path(stateDir: stateDir) }

    /// Sends `request` and calls `line` with each answer line (bytes, no newline) until the server closes or `line`
    /// returns false. A refusal (`{"ok": false, "error": …}` as the first line) is thrown as a runtime failure.
    func send(_ request: [String: Any], line: ([UInt8]) throws -> Bool) throws {
        let connection: ControlConnection
        do { connection = ControlConnection(fd: try ControlSocket.connect(to: path)) } catch {
            throw RuntimeFailure("\(error) (is logpipe run going with --state-dir \((path as NSString).deletingLastPathComponent)?)")
        }
        guard connection.send(json: request) else { throw RuntimeFailure("control socket \(path): connection lost") }
        var first = true
        while let bytes = connection.readLine() {
            if first, let error = Self.refusal(bytes) { throw RuntimeFailure("control socket \(path): \(error)") }
            first = false
            guard try line(bytes) else { return }
        }
    }

    /// One request, one JSON object back.
    func request(_ request: [String: Any]) throws -> [String: Any] {
        var answer: [String: Any]?
        try send(request) { bytes in
            answer = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
            return false
        }
        guard let answer else { throw RuntimeFailure("control socket \(path): no answer to \(request["command"] ?? "")") }
        return answer
    }

    /// The error of a refusal line (`{"ok": false, "error": …}`), nil for any other line.
    private static func refusal(_ bytes: [UInt8]) -> String? {
        guard let o = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any], o["ok"] as? Bool == false
        else { return nil }
        return o["error"] as? String ?? "refused"
    }
}
