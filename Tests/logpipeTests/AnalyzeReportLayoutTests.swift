import Foundation
@testable import TestSupport
import Testing

/// `logpipe analyze` reports that read at a glance (issue 23): the text report fits its width, templates keep
/// their variants under one row, services and environments are counts with the top few named, a funnel shows
/// where the data has one; the real binary end to end.
@Suite struct AnalyzeReportLayoutTests {
    /// 30 services with long names over 40 minutes, errors of one template with and without a stack and with two
    /// first frames, very long messages, performance values, and shop journeys (view → cart → checkout →
    /// purchase, fewer users at each step) mixed with logins.
    static let log: String = {
        var lines: [String] = []
        var seed: UInt64 = 7
        func next() -> UInt64 { seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; return seed >> 33 }
        func time(_ ms: Int) -> String {
            let s = ms / 1000
            return String(format: "2026-11-27T%02d:%02d:%02d.%03dZ", 9 + s / 3600, (s / 60) % 60, s % 60, ms % 1000)
        }
        func add(_ ms: Int, _ level: String, _ message: String, service: String, env: String = "production",
                 user: String? = nil, meta: String? = nil, stack: String? = nil) {
            var ctx = #""service":"\#(service)","version":"1","environment":"\#(env)","sessionId":"s","requestId":"r""#
            if let user { ctx += #","userId":"\#(user)""# }
            var line = #"{"timestamp":"\#(time(ms))","level":"\#(level)","message":"\#(message)","context":{\#(ctx)}"#
            if let meta { line += #","metadata":{\#(meta)}"# }
            if let stack { line += #","stack":"\#(stack)""# }
            lines.append(line + "}")
        }
        // Long constant words (a path would be one variable in the template, and short).
        let long = String(repeating: "while rebalancing replica shards ", count: 6)
        for i in 0..<4000 {
            let ms = i * 600
            let service = "service-with-a-rather-long-name-\((i / 10 + i) % 30)"
            let env = ["production", "staging", "canary", "eu-west-production", "us-east-production"][i % 5]
            if i % 10 == 0 {
                let stack: String? = [nil, "Error: boom\\n    at query (/app/db.js:12:5)", "Error: boom\\n    at connect (/app/pool.js:3:1)"][i % 3]
                add(ms, "ERROR", "database timeout after \(next() % 900) ms \(long)\(i)", service: service, env: env, stack: stack)
            } else if i % 7 == 0 {
                add(ms, "INFO", "request served", service: service, env: env,
                    meta: #""type":"performance","metric":"http_request_ms","value":\#(10 + Double(next() % 400) / 4)"#)
            } else {
                add(ms, "INFO", "ok \(i)", service: service, env: env)
            }
        }
        // 40 users: all view, 30 add to cart, 20 begin checkout, 12 purchase; everyone logs in, half of them first.
        for u in 0..<40 {
            let base = u * 50_000
            add(base + (u % 2 == 0 ? 40_000 : -10_000) + 20_000, "INFO", "login", service: "web", user: "u\(u)", meta: #""type":"user_action","action":"login""#)
            let steps = ["view_product", "add_to_cart", "begin_checkout", "purchase"]
            let reach = u < 12 ? 4 : u < 20 ? 3 : u < 30 ? 2 : 1
            for (k, step) in steps.prefix(reach).enumerated() {
                add(base + 20_000 + k * 5_000, "INFO", step, service: "web", user: "u\(u)", meta: #""type":"user_action","action":"\#(step)""#)
            }
        }
        lines.sort()  // by timestamp (every line starts with it)
        return lines.joined(separator: "\n") + "\n"
    }()

    private func analyze(_ args: [String]) throws -> ProcessResult {
        let dir = TempDir("logpipe-analyze-layout")
        let path = dir.write("input.log", Data(Self.log.utf8))
        return try logpipe(["analyze", path] + args, environment: cleanEnvironment())
    }

    @Test func textReportFitsInTheDefaultWidthAndUsesAWiderOneOnRequest() throws {
        let r = try analyze([])
        #expect(r.status == 0, "\(r.stderrText)")
        let lines = r.stdoutText.split(separator: "\n", omittingEmptySubsequences: false)
        let widest = lines.map(\.count).max() ?? 0
        #expect(widest <= 120, "widest line \(widest): \(lines.first { $0.count == widest } ?? "")")
        #expect(widest >= 100)  // long content: the width is used, not just never reached
        let wide = try analyze(["--width", "200"])
        let wideLines = wide.stdoutText.split(separator: "\n")
        #expect(wideLines.map(\.count).max() ?? 0 <= 200)
        #expect(wideLines.map(\.count).max() ?? 0 > 120)
        #expect(try analyze(["--width", "20"]).status == 2)
    }

    @Test func servicesAndEnvironmentsAreCountsWithTheTopNamed() throws {
        let r = try analyze([])
        let text = r.stdoutText
        #expect(text.contains("services: 31: "), "\(text.prefix(400))")
        #expect(text.contains("environments: 5: "))
        #expect(text.contains("… 21 more services"))
        // The template's row names 30 services as a count with the top two and the rest as "+28".
        let row = try #require(text.split(separator: "\n").first { $0.contains("database timeout after") })
        #expect(row.contains(" 30: service-with"), "\(row)")
        #expect(row.count <= 120)
    }

    @Test func variantsOfOneTemplateShareItsRow() throws {
        let r = try analyze([])
        let lines = r.stdoutText.split(separator: "\n").map(String.init)
        let rows = lines.filter { $0.contains("database timeout after") }
        #expect(rows.count == 1, "\(rows)")
        let at = try #require(lines.firstIndex { $0.contains("database timeout after") })
        let variants = lines[(at + 1)...].prefix(3)
        #expect(variants.map { $0.trimmingCharacters(in: .whitespaces).prefix(1) } == ["├", "├", "└"], "\(variants)")
        #expect(variants.contains { $0.contains("(no stack)") })
        #expect(variants.contains { $0.contains("at query (/app/db.js:12:5)") })
        #expect(variants.contains { $0.contains("at connect (/app/pool.js:3:1)") })

        let json = try analyze(["--format", "json"])
        let doc = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        let errors = try #require(doc["errors"] as? [String: Any])
        let groups = try #require(errors["groups"] as? [[String: Any]])
        #expect(groups.count == 1)
        let counts = (groups.first?["variants"] as? [[String: Any]])?.compactMap { $0["count"] as? Int }
        #expect(counts?.reduce(0, +) == 400 && counts?.count == 3)
        #expect((errors["patterns"] as? [[String: Any]])?.count == 3)
    }

    @Test func aFunnelWhereTheDataHasOne() throws {
        let r = try analyze([])
        let text = r.stdoutText
        let at = try #require(text.range(of: "FUNNEL"))
        let rows = text[at.upperBound...].split(separator: "\n").dropFirst(2).prefix(4).map {
            $0.split(separator: " ").prefix(3).map(String.init)
        }
        #expect(rows == [["1", "view_product", "40"], ["2", "add_to_cart", "30"], ["3", "begin_checkout", "20"],
                         ["4", "purchase", "12"]], "\(rows)")
        let json = try analyze(["--format", "json"])
        let doc = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        let funnel = try #require(doc["funnel"] as? [[String: Any]])
        #expect(funnel.map { $0["users"] as? Int } == [40, 30, 20, 12])
    }

    @Test func performanceShowsPercentilesOverTime() throws {
        let json = try analyze(["--format", "json"])
        let doc = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        let metric = try #require((doc["performance"] as? [[String: Any]])?.first)
        let overTime = try #require(metric["overTime"] as? [Any])
        let timeline = try #require(doc["timeline"] as? [String: Any])
        #expect(overTime.count == timeline["buckets"] as? Int)
        #expect(timeline["buckets"] as? Int == 20 && timeline["bucketMs"] as? Int == 120_000)  // 40 min in 2-min buckets
        let buckets = overTime.compactMap { $0 as? [String: Any] }
        #expect(buckets.count == overTime.count)
        #expect(buckets.allSatisfy { b in
            let p = ["p50", "p95", "p99"].compactMap { (b[$0] as? NSNumber)?.doubleValue }
            return p.count == 3 && p[0] <= p[1] && p[1] <= p[2]
        })
        #expect(buckets.map { $0["count"] as? Int ?? 0 }.reduce(0, +) == metric["count"] as? Int)
    }
}
