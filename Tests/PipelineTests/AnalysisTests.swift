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

// MARK: - Incidents (more in AnalysisEpisodeTests)

/// `minutes` minutes of `perSecond` entries a second for service `service`, errors at `share`, from `from` s.
private func feed(_ d: inout IncidentDetector, from: Int64, seconds: Int64, perSecond: Int64 = 20, share: Double,
                  service: String = "api", key: String? = nil) -> [Incident] {
    var raised: [Incident] = []
    let every = share > 0 ? max(1, Int64((1 / share).rounded())) : Int64.max
    for i in 0..<(seconds * perSecond) {
        let error = i % every == 0
        raised += d.observe(timestampMillis: t0 + from * 1000 + i * 1000 / perSecond, level: error ? .error : .info,
                            service: service, errorKey: error ? key : nil)
    }
    return raised
}

@Test func aRateHoveringAboveTheOpenLevelIsOneEpisode() {
    var d = IncidentDetector()
    #expect(feed(&d, from: 0, seconds: 180, share: 0.02).isEmpty)         // baseline 2 %: open level 7 %
    // 10 minutes alternating 20 s at 6 % and 20 s at 10 %: the window share hovers around the open level.
    var raised: [Incident] = []
    for k in 0..<30 { raised += feed(&d, from: 180 + Int64(k) * 20, seconds: 20, share: k % 2 == 0 ? 1.0 / 16 : 0.1) }
    #expect(raised.filter { $0.state == .open }.count == 1, "\(raised.map { ($0.state, $0.timestampMillis - t0) })")
    #expect(!raised.contains { $0.state == .resolved })
}

@Test func theWindowSlidesWithEntryTimestampsPerService() {
    var d = IncidentDetector(configuration: .init(windowMillis: 10_000))
    #expect(feed(&d, from: 0, seconds: 60, share: 0.02).isEmpty)
    // Another service's errors change nothing for api; api's errors late by more than a window do not count.
    #expect(feed(&d, from: 0, seconds: 60, share: 0.5, service: "other").count == 1)
    for i in 0..<50 { #expect(d.observe(timestampMillis: t0 + 30_000 + Int64(i), level: .error, service: "api", errorKey: nil).isEmpty) }
    let raised = feed(&d, from: 60, seconds: 10, share: 0.5)
    #expect(raised.first?.service == "api" && raised.first?.state == .open)
    #expect(raised.first.map { $0.timestampMillis - t0 < 62_000 } == true)
}

@Test func aNewErrorInAYoungServiceIsNotAnIncident() {
    var d = IncidentDetector()
    // Everything is new in a service's first two windows: no new-error incidents, and a rate needs 20 %.
    #expect(feed(&d, from: 0, seconds: 100, share: 0.1, key: "e1").isEmpty)
}

@Test func analysisNamesIncidentErrorsByTemplate() {
    var a = LogAnalysis()
    func at(_ ms: Int64, _ level: Level = .info, _ message: String = "ok") {
        a.add(AnalysisEntry(timestampMillis: t0 + ms, level: level, message: message, service: "api"))
    }
    for i in 0..<(180 * 20) { at(Int64(i) * 50) }                     // 3 minutes, 20 entries a second
    for i in 0..<10 { at(180_000 + Int64(i) * 100, .error, "user \(i + 100) not found") }  // a new error: 10 in 1 s
    for i in 0..<(60 * 20) { at(181_000 + Int64(i) * 50) }
    let hits = a.incidents
    #expect(hits.count == 1)
    #expect(hits.first?.kind == .errorThresholdExceeded && hits.first?.errorKey == "user <*> not found")
    #expect(hits.first?.patterns.first == Incident.PatternCount(key: "user <*> not found", count: 10))
    #expect(a.errors.total == 10 && a.entries == 4810)
}

@Test func decodesSegmentLines() throws {
    let line = #"{"timestamp":"2026-11-27T09:00:01.500Z","level":"ERROR","message":"boom","context":{"service":"api","version":"1","environment":"prod","host":"h","userId":"u7","sessionId":"s","requestId":"r"},"metadata":{"type":"performance","metric":"db_ms","value":12.5,"action":"x"},"stack":"E\n at f"}"#
    let e = try #require(AnalysisEntry(jsonLine: Data(line.utf8)))
    #expect(e == AnalysisEntry(timestampMillis: t0 + 1500, level: .error, message: "boom", service: "api", environment: "prod",
                               userId: "u7", stack: "E\n at f", type: "performance", metric: "db_ms", value: 12.5, action: "x"))
    #expect(AnalysisEntry(jsonLine: Data("not json".utf8)) == nil)
}

@Test func scannerReadsWhatJSONSerializationReads() {
    let lines = [
        #"{"timestamp":"2026-11-27T09:00:01.500Z","level":"ERROR","message":"boom \"quoted\" \\ \/ \u00e9 \ud83d\ude00\ttab","context":{"service":"api","version":"1","environment":"prod","host":"h","userId":"u7","sessionId":"s","requestId":"r"},"metadata":{"type":"performance","metric":"db_ms","value":12.5,"action":"x"},"stack":"E\n at f"}"#,
        #"  { "level" : "warning", "nested": {"a": [1, {"b": null}, "x\"y"], "c": true}, "timestamp": "2026-11-27T09:00:01+02:00", "message": "m", "context": {"environment": "e", "service": "s", "userId": 42} , "metadata": {"value": "3.5", "metric": 7, "type": "performance"} }"#,
        #"{"timestamp":"2026-11-27T09:00:01.500Z","level":"INFO","message":"only the basics"}"#,
        #"{"timestamp":"2026-11-27T09:00:01.500Z","level":"INFO","context":"not an object","metadata":[1,2]}"#,
        #"{"timestamp":"2026-11-27T09:00:01.500Z","level":"loud","message":"not a level"}"#,
        #"{"timestamp":"yesterday","level":"INFO"}"#,
        #"{"timestamp":"2026-11-27T09:00:01.500Z","level":"INFO","message":"unterminated}"#,
        #"{"timestamp":"2026-11-27T09:00:01.500Z","level":"INFO"} trailing"#,
        "not json", "",
    ]
    var scanner = AnalysisEntryScanner()
    for line in lines {
        var bytes = Array(line.utf8)
        let scanned = bytes.withUnsafeMutableBufferPointer { scanner.entry(UnsafeBufferPointer($0)) }
        #expect(scanned == AnalysisEntry(jsonLine: Data(line.utf8)), "\(line)")
    }
    // Only what the analysis reads: no message below ERROR, no user outside user actions.
    var lean = AnalysisEntryScanner(analysisFieldsOnly: true)
    var info = Array(#"{"timestamp":"2026-11-27T09:00:01.500Z","level":"INFO","message":"m","context":{"service":"a","userId":"u"}}"#.utf8)
    let e = info.withUnsafeMutableBufferPointer { lean.entry(UnsafeBufferPointer($0)) }
    #expect(e?.message == "" && e?.userId == nil && e?.service == "a")
}
