import ArgumentParser
import Foundation

/// `logpipe top`: a terminal view of a running instance — per input and per sink entries/s, bytes/s, lag, spool
/// depth, errors, drops — refreshed every second from its control socket; `q` quits.
struct TopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract: "Watch a running logpipe: rates, lag, spool depth, errors and drops per input and sink.",
        discussion: "Refreshes every --interval; q (or Ctrl-C) quits. See docs/control-socket.md.")

    @Option(help: "The running instance's --state-dir (its control socket is STATE_DIR/control.sock).")
    var stateDir = ConfigKey.defaultValue(of: "--state-dir")
    @Option(help: "Refresh interval (ms/s).")
    var interval = "1s"

    func validate() throws { _ = try ArgumentValues.positive(try ArgumentValues.duration(interval, flag: "--interval"), flag: "--interval") }

    func run() throws {
        let intervalMillis = try ArgumentValues.duration(interval, flag: "--interval")
        let client = ControlClient(stateDir: stateDir)
        _ = try client.request(["command": "stats"]) // fail before taking over the terminal
        let terminal = TopTerminal()
        defer { terminal.restore() }
        var previous: (stats: [String: Any], at: Double)?
        while true {
            let stats: [String: Any]
            do { stats = try client.request(["command": "stats"]) } catch {
                terminal.restore()
                throw RuntimeFailure("the instance stopped answering: \(error)")
            }
            let now = Date().timeIntervalSince1970
            let lines = TopView.render(current: stats, previous: previous?.stats, seconds: previous.map { now - $0.at } ?? 0,
                                       socket: client.path, width: terminal.width)
            terminal.draw(lines)
            previous = (stats, now)
            if terminal.waitForQuit(millis: intervalMillis) { return }
        }
    }
}
