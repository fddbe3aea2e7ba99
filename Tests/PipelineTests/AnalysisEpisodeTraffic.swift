import Foundation
@testable import Pipeline

/// Generated traffic with known episodes, for the incident tests: `entries` entries over `minutes` minutes from
/// `t0`, spread over six services, every service at a steady error share of `noise`, plus the episodes given.
struct EpisodeTraffic {
    /// An injected episode: `service`'s error share follows `share(minutesSinceStart)` from `startMinute` to
    /// `endMinute`; its errors are `message` (a template new to the service) with probability `newShare`.
    struct Episode {
        var service: String
        var startMinute: Double
        var endMinute: Double
        var share: @Sendable (Double) -> Double
        var message: String = "payment gateway timeout after <n> ms for order <id>"
        var newShare: Double = 0.8
    }

    static let services = ["checkout", "payments", "search", "inventory", "auth", "notifications"]
    static let t0: Int64 = 1_795_770_000_000  // 2026-11-27T09:00:00Z

    var entries = 200_000
    var minutes = 12.0
    var noise = 0.05
    var seed: UInt64 = 1
    var episodes: [Episode] = []

    /// A 3-minute spike to 35 % in checkout (minutes 4–7) and a slow rise in search from the noise level to
    /// 40 % over minutes 6–10, back to the noise at 10.5.
    static func standard(seed: UInt64 = 1) -> EpisodeTraffic {
        EpisodeTraffic(seed: seed, episodes: [
            Episode(service: "checkout", startMinute: 4, endMinute: 7, share: { _ in 0.35 }),
            Episode(service: "search", startMinute: 6, endMinute: 10.5,
                    share: { m in m <= 4 ? 0.05 + 0.35 * m / 4 : 0.40 }, message: "search backend <id> overloaded",
                    newShare: 0.3),
        ])
    }

    static let noiseMessages: [(String, String?)] = [
        ("user <id> not found", nil),
        ("timeout after <n> ms calling db", nil),
        ("timeout after <n> ms calling db", "java.net.SocketTimeoutException: Read timed out\n\tat com.shop.Db.query(Db.java:42)"),
        ("cache miss storm for key <id>", nil),
        ("upstream returned 503 for request <id>", nil),
        ("invalid token for session <id>", "AuthError: bad token\n    at verify (/app/auth.js:12:5)"),
    ]

    func generate() -> [AnalysisEntry] {
        var rng = SplitMix(seed: seed)
        var out: [AnalysisEntry] = []
        out.reserveCapacity(entries)
        let span = Int64(minutes * 60_000)
        for i in 0..<entries {
            let t = Self.t0 + span * Int64(i) / Int64(entries)
            let service = Self.services[Int(rng.next() % UInt64(Self.services.count))]
            let minute = Double(t - Self.t0) / 60_000
            var share = noise
            var episode: Episode?
            for e in episodes where e.service == service && minute >= e.startMinute && minute < e.endMinute {
                share = e.share(minute - e.startMinute)
                episode = e
            }
            let error = rng.unit() < share
            var message = "request \(rng.next() % 100_000) served in \(rng.next() % 900) ms"
            var stack: String?
            if error {
                if let e = episode, rng.unit() < e.newShare {
                    message = fill(e.message, &rng)
                } else {
                    let (m, s) = Self.noiseMessages[Int(rng.next() % UInt64(Self.noiseMessages.count))]
                    message = fill(m, &rng)
                    stack = s
                }
            }
            out.append(AnalysisEntry(timestampMillis: t, level: error ? (rng.unit() < 0.1 ? .fatal : .error) : .info,
                                     message: message, service: service,
                                     environment: rng.unit() < 0.8 ? "production" : "staging", stack: stack))
        }
        return out
    }

    private func fill(_ template: String, _ rng: inout SplitMix) -> String {
        template.replacingOccurrences(of: "<n>", with: String(rng.next() % 5000))
            .replacingOccurrences(of: "<id>", with: String(100_000 + rng.next() % 900_000))
    }
}

extension SplitMix {
    /// A uniform value in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
