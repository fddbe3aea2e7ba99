import Foundation
import Pipeline

/// What `/health` reports: uptime, inputs, and sinks with their state and last error. A sink that has been
/// failing for longer than `unhealthyAfterMillis` makes the whole process unhealthy (HTTP 503).
final class HealthState: @unchecked Sendable {
    struct Component {
        var name: String
        var state = "ok"
        var lastError: String?
        var failingSince: Int64?
    }

    private let lock = NSLock()
    private let started = nowMillis()
    let unhealthyAfterMillis: Int64
    private var inputs: [String: Component] = [:]
    private var sinks: [String: Component] = [:]

    init(unhealthyAfterMillis: Int64) { self.unhealthyAfterMillis = unhealthyAfterMillis }

    func input(_ name: String, state: String = "running") {
        lock.lock(); inputs[name, default: Component(name: name)].state = state; lock.unlock()
    }

    /// An input a reload stopped: no longer reported.
    func removeInput(_ name: String) {
        lock.lock(); inputs[name] = nil; lock.unlock()
    }

    /// Records a sink's state: `error` nil means it works.
    func sink(_ name: String, error: String?) {
        lock.lock()
        defer { lock.unlock() }
        var c = sinks[name] ?? Component(name: name)
        if let error {
            c.state = "failing"
            c.lastError = error
            if c.failingSince == nil { c.failingSince = nowMillis() }
        } else {
            c.state = "ok"
            c.failingSince = nil
        }
        sinks[name] = c
    }

    /// (healthy, JSON body).
    func report() -> (Bool, String) {
        lock.lock()
        defer { lock.unlock() }
        let now = nowMillis()
        let unhealthy = sinks.values.contains { $0.failingSince.map { now - $0 > unhealthyAfterMillis } ?? false }
        func json(_ c: Component) -> [String: Any] {
            var o: [String: Any] = ["name": c.name, "state": c.state]
            if let e = c.lastError { o["lastError"] = e }
            if let f = c.failingSince { o["failingForSeconds"] = Double(now - f) / 1000 }
            return o
        }
        let body: [String: Any] = [
            "status": unhealthy ? "unhealthy" : "ok",
            "uptimeSeconds": Double(now - started) / 1000,
            "inputs": inputs.values.sorted { $0.name < $1.name }.map(json),
            "sinks": sinks.values.sorted { $0.name < $1.name }.map(json),
        ]
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data("{}".utf8)
        return (!unhealthy, String(decoding: data, as: UTF8.self))
    }
}
