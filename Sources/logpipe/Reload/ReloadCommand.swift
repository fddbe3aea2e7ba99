import ArgumentParser
import Foundation

/// `logpipe reload`: the running instance reloads its configuration, as on SIGHUP, through its control socket;
/// waits for the outcome and prints the reload's log line.
struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Reload the configuration of a running logpipe (as SIGHUP does) and say how it went.",
        discussion: """
        Exit 0 when the new configuration was applied (its notice on stdout), 1 when it was refused (the reason on \
        stderr; the running configuration is kept) or the instance cannot be reached. See docs/reload.md.
        """)

    @Option(help: "The running instance's --state-dir (its control socket is STATE_DIR/control.sock).")
    var stateDir = ConfigKey.defaultValue(of: "--state-dir")

    func run() throws {
        let answer = try ControlClient(stateDir: stateDir).request(["command": "reload"])
        StandardOutput.write(Array(((answer["message"] as? String ?? "reloaded") + "\n").utf8))
    }
}

extension RunReloader {
    /// The control socket's `reload` command: one reload, answered once it is applied (`{"ok": true, "message"}`)
    /// or refused (`{"ok": false, "error"}`, which the client turns into exit 1).
    func register(on control: ControlServer) {
        control.register("reload") { [weak self] _, reply in
            guard let self else { throw ControlServer.Refusal("the run is ending") }
            let done = DispatchSemaphore(value: 0)
            let outcome = ReloadAnswer()
            reload(trigger: "reload command") { applied, line in
                outcome.set(applied, line)
                done.signal()
            }
            done.wait()
            let (applied, line) = outcome.value
            reply.send(json: applied ? ["ok": true, "message": line] : ["ok": false, "error": line])
        }
    }
}

/// A reload's outcome handed from the reload queue to the connection's thread.
private final class ReloadAnswer: @unchecked Sendable {
    private let lock = NSLock()
    private var applied = false, line = ""
    func set(_ a: Bool, _ l: String) { lock.lock(); applied = a; line = l; lock.unlock() }
    var value: (Bool, String) { lock.lock(); defer { lock.unlock() }; return (applied, line) }
}
