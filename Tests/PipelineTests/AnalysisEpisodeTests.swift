import Foundation
import Testing
@testable import Pipeline

/// Incidents as episodes on generated traffic with known episodes (issue 23): every injected episode reported
/// once, with the right service and a start within one window; nothing raised in the steady state.
@Suite struct AnalysisEpisodeTests {
    private func analyse(_ traffic: EpisodeTraffic) -> LogAnalysis {
        var a = LogAnalysis()
        for e in traffic.generate() { a.add(e) }
        return a
    }

    private func minute(_ ms: Int64) -> Double { Double(ms - EpisodeTraffic.t0) / 60_000 }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func injectedEpisodesAreFoundOnceEachAndNothingElse(seed: UInt64) throws {
        let traffic = EpisodeTraffic.standard(seed: seed)
        let a = analyse(traffic)
        let incidents = a.incidents
        let summary = incidents.map { "\($0.service) \($0.kind.rawValue) \(minute($0.startMillis))–\($0.endMillis.map(minute) ?? -1)" }
        #expect(incidents.count == traffic.episodes.count, "\(summary)")
        for injected in traffic.episodes {
            let found = incidents.filter { $0.service == injected.service }
            #expect(found.count == 1, "\(injected.service): \(summary)")
            guard let i = found.first else { continue }
            #expect(abs(minute(i.startMillis) - injected.startMinute) <= 1, "start \(minute(i.startMillis)) \(summary)")
            #expect(i.kind == .errorRate)
            #expect(i.state == .resolved && i.endMillis != nil, "\(summary)")
            if let end = i.endMillis {
                #expect(minute(end) >= injected.endMinute - 0.5 && minute(end) <= injected.endMinute + 2, "end \(minute(end))")
            }
            #expect(i.peakRate > 0.25 && i.peakMillis >= i.startMillis && i.peakMillis <= i.endMillis ?? .max)
            #expect(abs((i.baseline ?? 0) - traffic.noise) < 0.02, "baseline \(i.baseline ?? -1)")
            #expect(i.severity == .critical)
        }
        // The spike's patterns name its new error first (by template, not by detector key).
        let spike = try #require(incidents.first { $0.service == "checkout" })
        #expect(spike.patterns.first?.key == "payment gateway timeout after <*> for order <*>", "\(spike.patterns)")
        #expect(spike.patterns.count == 3)
    }

    @Test func steadyNoiseRaisesNothing() {
        var traffic = EpisodeTraffic()
        traffic.episodes = []
        let a = analyse(traffic)
        #expect(a.incidents.isEmpty, "\(a.incidents.map { ($0.service, $0.kind, $0.startMillis) })")
        #expect(a.errors.total > 9_000)
    }

    @Test func aFewErrorsInAFewEntriesAreNotARate() {
        // The old rule raised critical for 1 error in 2 entries at the start of a window.
        var d = IncidentDetector()
        var raised: [Incident] = []
        let t0 = EpisodeTraffic.t0
        for i in 0..<600 {  // 10 minutes, one entry per second, one ERROR in 10, 4 ERRORs in a row at minute 5
            let error = i % 10 == 0 || (300..<304).contains(i)
            raised += d.observe(timestampMillis: t0 + Int64(i) * 1000, level: error ? .error : .info,
                                service: "api", errorKey: nil)
        }
        #expect(raised.isEmpty, "\(raised)")
    }

    @Test func oneEpisodeTellsOpenEscalatedAndResolvedWithOneId() {
        var d = IncidentDetector()
        var raised: [Incident] = []
        let t0 = EpisodeTraffic.t0
        // 50 entries a second: 3 minutes at 2 %, then 1 minute at 12 %, 1 minute at 40 %, then 2 minutes at 2 %.
        for i in 0..<(7 * 60 * 50) {
            let second = i / 50
            let share = second < 180 ? 0.02 : second < 240 ? 0.12 : second < 300 ? 0.40 : 0.02
            let error = Double(i % 50) < share * 50
            raised += d.observe(timestampMillis: t0 + Int64(i) * 20, level: error ? .error : .info,
                                service: "api", errorKey: error ? "e1" : nil)
        }
        #expect(raised.map(\.state) == [.open, .escalated, .escalated, .resolved], "\(raised.map { ($0.state, $0.severity) })")
        #expect(Set(raised.map(\.id)) == [1])
        #expect(raised.map(\.severity) == [.medium, .high, .critical, .critical])
        let last = raised.last!
        #expect(abs(Double(last.startMillis - t0) / 1000 - 180) <= 10, "start \(Double(last.startMillis - t0) / 1000)")
        #expect(abs(last.peakRate - 0.40) < 0.03)
        let end = Double(last.endMillis! - t0) / 1000
        #expect(end > 290 && end < 320, "end \(end)")
        #expect(last.patterns == [Incident.PatternCount(key: "e1", count: last.errors)] || last.patterns.first?.key == "e1")
        #expect(d.openIncidents().isEmpty)
    }

    @Test func aNewErrorInARunningServiceOpensAnEpisode() {
        var d = IncidentDetector()
        var raised: [Incident] = []
        let t0 = EpisodeTraffic.t0
        for i in 0..<(4 * 60 * 20) {  // 20 entries a second for 4 minutes, 1 % errors of one kind
            raised += d.observe(timestampMillis: t0 + Int64(i) * 50, level: i % 100 == 0 ? .error : .info,
                                service: "api", errorKey: "old")
        }
        #expect(raised.isEmpty)
        for k in 0..<10 {  // a new error, 10 times in 5 s, among the usual traffic: 1 in 40 entries (2.5 %)
            for j in 0..<40 {
                                raised += d.observe(timestampMillis: t0 + 240_000 + Int64(k * 40 + j) * 12, level: j == 0 ? .error : .info,
                                    service: "api", errorKey: j == 0 ? "new" : nil)
            }
        }
        #expect(raised.count == 1)
        #expect(raised.first?.kind == .errorThresholdExceeded && raised.first?.errorKey == "new")
        #expect(raised.first?.severity == .high)
    }
}
