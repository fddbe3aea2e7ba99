import Foundation
import Testing

/// Continuation lines (stack traces) join the entry before them on stdin; `--multiline off` keeps them apart.
@Suite struct MultilineTests {
    static let input = """
    2026-11-27 09:00:00,123 ERROR [main] c.e.Checkout - payment failed
    \tat com.example.Pay.charge(Pay.java:42)
    \tat com.example.Checkout.run(Checkout.java:7)
    Caused by: java.net.SocketTimeoutException: read timed out
    \t... 12 more
    2026-11-27 09:00:01,000 INFO [main] c.e.Checkout - next order
    Traceback (most recent call last):
      File "app.py", line 3, in <module>
    {"level":"warn","msg":"json line"}

    """

    @Test func stackTraceLinesJoinTheirEntry() throws {
        let run = try runPipeline(Data(Self.input.utf8))
        let entries = try run.entries()
        #expect(entries.count == 3)
        #expect(entries[0].string("level") == "ERROR")
        #expect(entries[0].string("message") == "[main] c.e.Checkout - payment failed")
        let stack = try #require(entries[0]["stack"] as? String)
        #expect(stack.hasPrefix("\tat com.example.Pay.charge(Pay.java:42)\n"))
        #expect(stack.contains("Caused by: java.net.SocketTimeoutException"))
        #expect(stack.hasSuffix("\t... 12 more"))
        #expect(entries[1].string("message") == "[main] c.e.Checkout - next order")
        #expect((entries[1]["stack"] as? String)?.hasPrefix("Traceback (most recent call last):\n  File") == true)
        #expect(entries[2].string("message") == "json line")
    }

    @Test func multilineOffKeepsEveryLine() throws {
        let run = try runPipeline(Data(Self.input.utf8), ["--multiline", "off"])
        #expect(try run.entries().count == 9)
    }
}
