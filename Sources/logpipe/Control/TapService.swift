import Foundation
import Pipeline

/// The control socket's `tap` command: attaches a ``Tap`` at the requested point, streams the matching entries
/// (segment lines, as they are) until the limit, the client leaving, or the end of the run, then detaches.
///
/// Answer: `{"at": POINT, "ok": true}`, then entry lines, with status lines `{"tap":"dropped","entries":N}` when
/// this tap's queue overflowed, and last `{"tap":"end","sent":N,"dropped":M,"reason":…}`. An entry line always
/// starts with `{"timestamp":`, a status line with `{"tap":`.
struct TapService {
    let hub: TapHub
    /// The run's sinks by name with their routes (`--at SINK`; `urgent` is the urgent forwarder's).
    let sinks: [(name: String, route: Route)]

    func register(on server: ControlServer) {
        server.register("tap") { request, reply in try serve(request, reply) }
    }

    /// The point `at` names, or a refusal that lists the valid ones.
    func point(_ at: String) throws -> TapPoint {
        switch at {
        case "parsed": return .parsed
        case "filtered": return .delivered(floor: nil, name: "filtered")
        default:
            guard let sink = sinks.first(where: { $0.name == at }) else {
                throw ControlServer.Refusal("unknown tap point \"\(at)\": expected parsed, filtered or a sink of this run (\(sinks.map(\.name).joined(separator: ", ")))")
            }
            if case let .atLeast(level) = sink.route { return .delivered(floor: level, name: sink.name) }
            return .delivered(floor: nil, name: sink.name)
        }
    }

    private func serve(_ request: ControlServer.Request, _ reply: ControlServer.Reply) throws {
        let point = try point(request.string("at") ?? "filtered")
        var minLevel: Level?
        if let text = request.string("minLevel") {
            guard let l = Level(text) else { throw ControlServer.Refusal("invalid minLevel \"\(text)\": expected DEBUG, INFO, WARN, ERROR or FATAL") }
            minLevel = l
        }
        if case let .delivered(floor?, _) = point { minLevel = max(minLevel ?? floor, floor) }
        let limit = request.int("limit") ?? 0
        guard limit >= 0 else { throw ControlServer.Refusal("invalid limit \(limit): expected 0 (none) or more") }
        let filter = LineFilter(minLevel: minLevel, since: nil, until: nil, grep: request.string("grep"))
        let tap = Tap(point: point)
        hub.attach(tap)
        defer { hub.detach(tap) }
        reply.send(json: ["ok": true, "at": point.description])
        var sent = 0, dropped = 0
        var reason = "run ended"
        let out = ByteBuffer(capacity: 1 << 16)
        stream: while true {
            if reply.clientGone { reason = "client gone"; break }
            // At the end of the run, what is queued still goes out, then the stream ends.
            let ending = reply.runEnding
            let (lines, lost) = tap.take(timeoutMillis: ending ? 0 : 200)
            if lost > 0 {
                dropped += lost
                reply.send(line: Array(#"{"tap":"dropped","entries":\#(lost)}"#.utf8))
            }
            guard let lines else {
                if ending { break }
                continue
            }
            out.removeAll()
            var carry: [UInt8] = []
            lines.withUnsafeBufferPointer { filter.appendMatching($0, carry: &carry, to: out) }
            var bytes = out.bytes
            if limit > 0, let cut = Self.endOfLine(limit - sent, in: bytes) {
                bytes = UnsafeBufferPointer(rebasing: bytes[..<cut.offset])
                sent += cut.lines
                guard reply.send(lines: bytes) else { reason = "client gone"; break }
                reason = "limit"
                break stream
            }
            sent += bytes.reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
            guard reply.send(lines: bytes) else { reason = "client gone"; break }
        }
        reply.send(line: Array(#"{"tap":"end","sent":\#(sent),"dropped":\#(dropped),"reason":"\#(reason)"}"#.utf8))
    }

    /// Where the `n`th line of `bytes` ends (just after its newline), when `bytes` holds at least `n` lines.
    private static func endOfLine(_ n: Int, in bytes: UnsafeBufferPointer<UInt8>) -> (offset: Int, lines: Int)? {
        var seen = 0
        for (i, b) in bytes.enumerated() where b == 10 {
            seen += 1
            if seen == n { return (i + 1, n) }
        }
        return nil
    }
}
