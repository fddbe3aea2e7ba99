import Foundation
import Testing
@testable import Pipeline

private let t0: Int64 = 1_795_770_000_000  // 2026-11-27T09:00:00Z

private func entry(_ s: Int64, _ level: Level, _ message: String = "ok", service: String = "api",
                   env: String = "production", user: String? = nil, stack: String? = nil, type: String? = nil,
                   metric: String? = nil, value: Double? = nil, action: String? = nil) -> AnalysisEntry {
    AnalysisEntry(timestampMillis: t0 + s * 1000, level: level, message: message, service: service, environment: env,
                  userId: user, stack: stack, type: type, metric: metric, value: value, action: action)
}

// MARK: - Performance

@Test func performanceUsesNearestRankPercentiles() {
    var report = PerformanceReport()
    for v in (1...100).shuffled() { report.add(entry(0, .info, type: "performance", metric: "latency_ms", value: Double(v))) }
    for v in [30.0, 10, 20] { report.add(entry(0, .info, type: "performance", metric: "db_ms", value: v)) }
    report.add(entry(0, .info, type: "performance", metric: "db_ms", value: nil))         // no value: not counted
    report.add(entry(0, .info, type: "user_action", metric: "db_ms", value: 1000))        // not a performance entry
    let m = report.metrics()
    #expect(m.map(\.name) == ["db_ms", "latency_ms"])
    #expect(m[0] == PerformanceReport.Metric(name: "db_ms", count: 3, min: 10, max: 30, mean: 20, p50: 20, p95: 30, p99: 30))
    #expect(m[1] == PerformanceReport.Metric(name: "latency_ms", count: 100, min: 1, max: 100, mean: 50.5,
                                             p50: 50, p95: 95, p99: 99))
}

// MARK: - User actions

@Test func userActionsCountUniqueUsers() {
    var report = UserActionReport()
    for u in ["a", "b", "a", "c", nil] { report.add(entry(0, .info, user: u, type: "user_action", action: "login")) }
    for u in ["a", "a"] { report.add(entry(0, .info, user: u, type: "user_action", action: "logout")) }
    report.add(entry(0, .info, user: "z", type: "performance", action: "login"))
    #expect(report.actions() == [.init(name: "login", count: 5, uniqueUsers: 3), .init(name: "logout", count: 2, uniqueUsers: 1)])
}

// MARK: - Error patterns

@Test func errorPatternsGroupByTemplateAndFirstFrame() {
    var report = ErrorPatternReport()
    let javaStack = "java.net.SocketTimeoutException: Read timed out\n\tat com.shop.Db.query(Db.java:42)\n\tat com.shop.Api.get(Api.java:7)"
    for (i, ms) in [120, 340, 95, 4000].enumerated() {
        report.add(entry(Int64(i * 10), .error, "timeout after \(ms) ms calling db", service: i < 2 ? "api" : "web",
                         env: i == 3 ? "staging" : "production"))
    }
    report.add(entry(50, .fatal, "disk full on volume 3"))
    report.add(entry(60, .fatal, "disk full on volume 7"))
    report.add(entry(70, .error, "timeout after 55 ms calling db", stack: javaStack))
    report.add(entry(80, .warn, "timeout after 1 ms calling db"))                 // WARN: not an error
    #expect(report.total == 7)
    let p = report.patterns()
    #expect(p.count == 3)
    #expect(p[0].template == "timeout after <*> calling db")  // "ms" after a number is a unit: one variable
    #expect(p[0].firstFrame == "")
    #expect(p[0].count == 4)
    #expect(p[0].firstMillis == t0 && p[0].lastMillis == t0 + 30_000)
    #expect(p[0].services == ["api", "web"] && p[0].environments == ["production", "staging"])
    #expect(p[0].sample == "timeout after 120 ms calling db")
    #expect(p[1].template == "disk full on volume <*>" && p[1].count == 2)
    #expect(p[2].firstFrame == "at com.shop.Db.query(Db.java:42)" && p[2].count == 1)
}

@Test func firstFrameOfCommonStackShapes() {
    #expect(ErrorKey.firstFrame(of: "Error: boom\n    at f (/app/a.js:1:2)\n    at g (/app/b.js:3:4)") == "at f (/app/a.js:1:2)")
    #expect(ErrorKey.firstFrame(of: "Traceback (most recent call last):\n  File \"/app/x.py\", line 3, in <module>\n    f()")
        == "File \"/app/x.py\", line 3, in <module>")
    #expect(ErrorKey.firstFrame(of: "panic: oops\nmain.f()\n\t/src/main.go:12 +0x1d") == "main.f()")
    #expect(ErrorKey.firstFrame(of: nil) == "")
}

// MARK: - Error rate per minute

@Test func errorRatePerMinuteFillsGaps() {
    var series = ErrorRateSeries()
    for s in [0, 10, 20, 59] as [Int64] { series.add(entry(s, .info)) }
    series.add(entry(30, .error))
    series.add(entry(185, .fatal))
    series.add(entry(190, .info))
    let m = series.minutes()
    #expect(m.map(\.startMillis) == [t0, t0 + 60_000, t0 + 120_000, t0 + 180_000])
    #expect(m.map(\.entries) == [5, 0, 0, 2])
    #expect(m.map(\.errors) == [1, 0, 0, 1])
    #expect(m[0].rate == 0.2 && m[3].rate == 0.5)
}

// MARK: - Incidents

private func rateIncidents(_ incidents: [Incident]) -> [(Int64, Incident.Severity)] {
    incidents.filter { $0.kind == .errorRate }.map { (($0.timestampMillis - t0) / 1000, $0.severity) }
}

@Test func errorRateIncidentsFollowSeveritySteps() {
    var d = IncidentDetector(configuration: .init(windowMillis: 3_600_000))
    var raised: [Incident] = []
    func feed(_ s: Int64, _ level: Level) { raised += d.observe(timestampMillis: t0 + s * 1000, level: level, service: "api", errorKey: nil) }
    for s in 0..<19 { feed(Int64(s), .info) }
    feed(19, .error)                        // 1/20 = 5 %: not above 5 %
    feed(20, .error)                        // 2/21 = 9.5 %: medium
    feed(21, .error)                        // 3/22 = 13.6 %: high
    feed(22, .error)                        // 4/23 = 17.4 %: still high
    feed(23, .error)                        // 5/24 = 20.8 %: critical
    // Steps down need the rate 20 % (relative) below the current threshold (hysteresis):
    // critical → high at ≤ 16 %: 5/32 at 31; high → medium at ≤ 8 %: 5/63 at 62; recovery at ≤ 4 % (not reached).
    for s in 24..<100 { feed(Int64(s), .info) }
    feed(100, .error)                       // 6/101 = 5.9 %: still medium, no new incident
    let got = rateIncidents(raised)
    let want: [(Int64, Incident.Severity)] = [(20, .medium), (21, .high), (23, .critical), (31, .high), (62, .medium)]
    #expect(got.map(\.0) == want.map(\.0))
    #expect(got.map(\.1) == want.map(\.1))
    let first = raised[0]
    #expect(first.errors == 2 && first.entries == 21 && first.service == "api" && first.windowMillis == 3_600_000)
    #expect(abs(first.rate! - 2.0 / 21.0) < 1e-12)
}

@Test func aRateHoveringAtAThresholdRaisesOneIncident() {
    var d = IncidentDetector(configuration: .init(windowMillis: 3_600_000))
    var raised: [Incident] = []
    // One ERROR in every 10 entries: the share hovers around 10 % (high) for 5,000 entries.
    for i in 0..<5000 {
        raised += d.observe(timestampMillis: t0 + Int64(i), level: i % 10 == 0 ? .error : .info, service: "api", errorKey: nil)
    }
    #expect(rateIncidents(raised).count <= 3, "\(rateIncidents(raised))")
}

@Test func errorRateWindowSlidesWithEntryTimestamps() {
    var d = IncidentDetector(configuration: .init(windowMillis: 10_000))
    var raised: [Incident] = []
    func feed(_ s: Int64, _ level: Level, _ service: String = "api") {
        raised += d.observe(timestampMillis: t0 + s * 1000, level: level, service: service, errorKey: nil)
    }
    feed(0, .error)                         // 1/1: critical
    for s in 1...10 { feed(Int64(s), .info) } // ≤ 16 %: high at 6 (1/7); t=0 leaves the window at 10: recovered
    for s in 0...10 { feed(Int64(s), .info, "other") }  // another service: no effect, no incidents
    feed(11, .error)                        // window (1, 11]: 1/10 = 10 %: medium (after recovery)
    #expect(rateIncidents(raised).map(\.0) == [0, 6, 11])
    #expect(rateIncidents(raised).map(\.1) == [.critical, .high, .medium])
    #expect(raised.allSatisfy { $0.service == "api" })
}

@Test func repeatedErrorRaisesThresholdIncidentOncePerBurst() {
    var d = IncidentDetector()
    var raised: [Incident] = []
    func feed(_ ms: Int64, _ key: String) {
        raised += d.observe(timestampMillis: t0 + ms, level: .error, service: "api", errorKey: key)
    }
    for i in 0..<12 { feed(Int64(i) * 1000, "db timeout") }          // 10th at 9 s: incident; 11th, 12th: none
    for i in 0..<10 { feed(Int64(i) * 7000 + 200_000, "slow disk") } // 10 spread over 63 s: never 10 in 60 s
    for i in 0..<10 { feed(Int64(i) * 500 + 100_000, "db timeout") } // new burst after the count fell: again at the 10th
    let hits = raised.filter { $0.kind == .errorThresholdExceeded }
    #expect(hits.map { $0.timestampMillis - t0 } == [9000, 104_500])
    #expect(hits.allSatisfy { $0.errorKey == "db timeout" && $0.errors == 10 && $0.severity == .high })
}

@Test func analysisKeysThresholdIncidentsByTemplate() {
    var a = LogAnalysis()
    for i in 0..<10 { a.add(entry(Int64(i), .error, "user \(i + 100) not found")) }
    let hits = a.incidents.filter { $0.kind == .errorThresholdExceeded }
    #expect(hits.count == 1)
    #expect(hits.first?.errorKey == "user <*> not found")
    #expect(a.errors.total == 10 && a.entries == 10)
}

@Test func decodesSegmentLines() throws {
    let line = #"{"timestamp":"2026-11-27T09:00:01.500Z","level":"ERROR","message":"boom","context":{"service":"api","version":"1","environment":"prod","host":"h","userId":"u7","sessionId":"s","requestId":"r"},"metadata":{"type":"performance","metric":"db_ms","value":12.5,"action":"x"},"stack":"E\n at f"}"#
    let e = try #require(AnalysisEntry(jsonLine: Data(line.utf8)))
    #expect(e == AnalysisEntry(timestampMillis: t0 + 1500, level: .error, message: "boom", service: "api", environment: "prod",
                               userId: "u7", stack: "E\n at f", type: "performance", metric: "db_ms", value: 12.5, action: "x"))
    #expect(AnalysisEntry(jsonLine: Data("not json".utf8)) == nil)
}
