import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The local control channel of a running instance: `<state-dir>/control.sock`, mode 0600, answering only its own
/// user or root (checked per connection with `SO_PEERCRED`; anyone else gets a refusal line and is counted).
///
/// Protocol (docs/control-socket.md): the client sends one JSON request line `{"command": NAME, …}`; the server
/// answers with JSON lines and closes. Commands are a registry: `register("reload") { request, reply in … }` adds
/// one. Threading: one accept thread; each connection runs its handler on a thread of its own, so a streaming
/// command (tap) never holds up another. `stop()` ends the streams, closes the socket and removes its file.
final class ControlServer: @unchecked Sendable {
    /// One request: its command and the rest of its fields.
    struct Request {
        let command: String
        let fields: [String: Any]
        func string(_ key: String) -> String? { fields[key] as? String }
        func int(_ key: String) -> Int? { (fields[key] as? NSNumber).map(\.intValue) }
    }

    /// A refusal or a bad request, answered as `{"ok": false, "error": message}`.
    struct Refusal: Error {
        let message: String
        init(_ m: String) { message = m }
    }

    /// The answering side of a connection, handed to a handler.
    final class Reply {
        let connection: ControlConnection
        private let server: ControlServer
        init(_ c: ControlConnection, server: ControlServer) { connection = c; self.server = server }
        /// False when the client is gone.
        @discardableResult func send(json object: [String: Any]) -> Bool { connection.send(json: object) }
        /// One line of bytes that already are JSON (an entry); false when the client is gone.
        @discardableResult func send(line: [UInt8]) -> Bool { connection.send(line) }
        /// Whole lines, each with its newline (entries of a batch); false when the client is gone.
        @discardableResult func send(lines: UnsafeBufferPointer<UInt8>) -> Bool { connection.send(raw: lines) }
        /// A streaming handler ends when the client left, or sends what it holds and ends when the run is ending.
        var clientGone: Bool { connection.peerClosed }
        var runEnding: Bool { server.stopping }
    }

    typealias Handler = (Request, Reply) throws -> Void

    let path: String
    private let lock = NSLock()
    private var handlers: [String: Handler] = [:]
    private var listenFD: Int32 = -1
    private var inode: UInt64 = 0
    private var _stopping = false
    private var _refused = 0
    private let connections = DispatchGroup()
    private let acceptDone = DispatchSemaphore(value: 0)
    private let owner = geteuid()
    private static let maxConnections = 32
    private var open = 0

    init(stateDir: String) { path = ControlSocket.path(stateDir: stateDir) }

    /// Adds a command (before or after `start`); a later registration of the same name replaces the earlier.
    func register(_ command: String, _ handler: @escaping Handler) {
        lock.withLock { handlers[command] = handler }
    }

    /// Connections refused because their user is neither this process's nor root.
    var refused: Int { lock.withLock { _refused } }
    var stopping: Bool { lock.withLock { _stopping } }

    func start() throws {
        (listenFD, inode) = try ControlSocket.listen(at: path)
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "logpipe-control"
        thread.start()
    }

    /// Ends the streams (waiting up to `graceMillis` for their last lines), closes and removes the socket.
    func stop(graceMillis: Int = 2000) {
        let wasRunning = lock.withLock { () -> Bool in
            defer { _stopping = true }
            return !_stopping && listenFD >= 0
        }
        guard wasRunning else { return }
        acceptDone.wait()
        close(listenFD)
        ControlSocket.remove(path, inode: inode)
        _ = connections.wait(timeout: .now() + .milliseconds(graceMillis))
    }

    private func acceptLoop() {
        defer { acceptDone.signal() }
        while !stopping {
            var pfd = pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 200) > 0 else { continue }
            let fd = accept(listenFD, nil, nil)
            guard fd >= 0 else { continue }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC) // (accept4 is hidden behind _GNU_SOURCE too)
            // A client that stops reading cannot hold a connection thread for ever.
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let connection = ControlConnection(fd: fd)
            guard lock.withLock({ () -> Bool in open += 1; return open <= Self.maxConnections }) else {
                lock.withLock { open -= 1 }
                connection.send(json: ["ok": false, "error": "busy: \(Self.maxConnections) control connections are open"])
                continue
            }
            connections.enter()
            let thread = Thread { [self] in
                defer { lock.withLock { open -= 1 }; connections.leave() }
                if admits(connection) { serve(connection) }
            }
            thread.name = "logpipe-control-connection"
            thread.start()
        }
    }

    /// The owner check: only this process's user or root. Anyone else is answered with a refusal, logged and
    /// counted; their request line is read first (briefly), so the refusal reaches them instead of a reset.
    private func admits(_ connection: ControlConnection) -> Bool {
        let peer = ControlSocket.peerUID(connection.fd)
        if let peer, peer == owner || peer == 0 { return true }
        lock.withLock { _refused += 1 }
        let who = peer.map { "uid \($0)" } ?? "an unknown user"
        Diagnostics.logger.warning("control socket: refused a connection from \(who) (only uid \(owner) or root may connect)")
        _ = connection.readLine(timeoutMillis: 1000)
        connection.send(json: ["ok": false, "error": "refused: \(who) is not the owner of this logpipe (uid \(owner)) nor root"])
        return false
    }

    private func serve(_ connection: ControlConnection) {
        let reply = Reply(connection, server: self)
        do {
            guard let line = connection.readLine(timeoutMillis: 5000) else {
                throw Refusal("expected one JSON request line within 5 s")
            }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let command = object["command"] as? String else {
                throw Refusal("expected a JSON object with a \"command\" field, got \(String(decoding: line.prefix(200), as: UTF8.self))")
            }
            let (handler, known) = lock.withLock { (handlers[command], handlers.keys.sorted()) }
            guard let handler else {
                throw Refusal("unknown command \"\(command)\"; known: \(known.joined(separator: ", "))")
            }
            try handler(Request(command: command, fields: object), reply)
        } catch let r as Refusal {
            reply.send(json: ["ok": false, "error": r.message])
        } catch {
            reply.send(json: ["ok": false, "error": "\(error)"])
        }
    }
}
