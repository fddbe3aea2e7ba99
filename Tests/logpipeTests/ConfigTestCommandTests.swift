import Foundation
import Testing

/// `logpipe test --config FILE`: a configuration's unit tests run through the real stages of the real binary.
@Suite struct ConfigTestCommandTests {
    static let config = """
    pipeline:
      min-level: INFO
      multiline: on
    enrich:
      service: checkout
      environment: prod
    urgent:
      urls: [http://127.0.0.1:9/alerts]
      level: ERROR

    """

    static let passing = """
    tests:
      - name: errors reach the urgent path with their fields
        input: |
          {"level":"error","message":"payment failed","orderId":"o-1","retry":true,"n":3}
        expect:
          - level: ERROR
            message: payment failed
            context.service: checkout
            context.environment: prod
            metadata.orderId: o-1
            metadata.retry: true
            metadata.n: 3
            sinks: [segments, urgent]
      - name: below the minimum level is dropped, a stack trace joins its entry
        input: |
          DEBUG cache warm
          ERROR lookup failed
              at Db.get(Db.java:10)
          level=info msg="started" port=8080
        expect:
          - level: ERROR
            message: lookup failed
            stack: "    at Db.get(Db.java:10)"
            sinks: [segments, urgent]
          - level: INFO
            message: started
            metadata.port: "8080"
            sinks: [segments]

    """

    static let failing = """
    tests:
      - name: still passes
        input: "INFO fine"
        expect:
          - level: INFO
      - name: wrong expectations
        input: |
          WARN disk low
          INFO two
        expect:
          - level: ERROR
            context.service: billing
            sinks: [segments, urgent]

    """

    @Test func aPassingTestFileExitsZero() throws {
        let dir = TempDir("logpipe-configtest")
        try Self.config.write(toFile: dir.file("pipe.yaml"), atomically: true, encoding: .utf8)
        try Self.passing.write(toFile: dir.file("pipe.tests.yaml"), atomically: true, encoding: .utf8)
        let r = try logpipe(["test", "--config", dir.file("pipe.yaml")], environment: cleanEnvironment())
        #expect(r.status == 0, "\(r.stdoutText)\(r.stderrText)")
        #expect(r.stdoutText.contains("PASS errors reach the urgent path with their fields"))
        #expect(r.stdoutText.contains("PASS below the minimum level is dropped"))
        #expect(r.stdoutText.contains("logpipe test: 2 tests, 0 failed"))
    }

    @Test func aFailingTestPrintsWhatDiffered() throws {
        let dir = TempDir("logpipe-configtest")
        try Self.config.write(toFile: dir.file("pipe.yaml"), atomically: true, encoding: .utf8)
        try Self.failing.write(toFile: dir.file("cases.yaml"), atomically: true, encoding: .utf8)
        let r = try logpipe(["test", "--config", dir.file("pipe.yaml"), "--tests", dir.file("cases.yaml")],
                            environment: cleanEnvironment())
        #expect(r.status == 1, "\(r.stdoutText)\(r.stderrText)")
        let out = r.stdoutText
        #expect(out.contains("PASS still passes"))
        #expect(out.contains("FAIL wrong expectations"))
        #expect(out.contains("expected 1 entry, got 2"))
        #expect(out.contains(#"entry 1 level: expected "ERROR", got "WARN""#))
        #expect(out.contains(#"entry 1 context.service: expected "billing", got "checkout""#))
        #expect(out.contains(#"entry 1 sinks: expected ["segments", "urgent"], got ["segments"]"#))
        #expect(out.contains("logpipe test: 2 tests, 1 failed"))
    }

    @Test func aBrokenTestFileIsAUsageError() throws {
        let dir = TempDir("logpipe-configtest")
        try Self.config.write(toFile: dir.file("pipe.yaml"), atomically: true, encoding: .utf8)
        try "tests: 3\n".write(toFile: dir.file("pipe.tests.yaml"), atomically: true, encoding: .utf8)
        let r = try logpipe(["test", "--config", dir.file("pipe.yaml")], environment: cleanEnvironment())
        #expect(r.status == 2)
        #expect(r.stderrText.contains("expected a top-level `tests:` list"), "\(r.stderrText)")
    }
}
