import Foundation
import Pipeline
import Testing

/// The checks every `Source` passes, the same test body for each conformer in ``SourceKind`` (DESIGN.md §2): counts
/// in == counts out + counted drops; nothing acknowledged before it is durable; a restart after a failure resumes
/// without loss; shutdown drains.
@Suite(.serialized) struct SourceComplianceTests {
    static let n = 2000

    /// Runs one source into `sink` until its input ends (or, for endless sources, until the sink has `expect`
    /// entries or the time is up, then stops it).
    static func run(_ fixture: SourceFixture, _ source: Source, _ sink: MemorySink, expect: Int) throws
        -> TopologyRunner<BatchEncoder>.Outcome {
        let run = BackgroundRun(memoryTopology([source], [sink]))
        fixture.feed()
        if !fixture.kind.endsByItself {
            _ = waitUntil(20) { sink.all.count >= expect || run.isFinished }
            _ = waitUntil(2) { sink.durableEntries >= sink.all.count } // the last batch's flush
            run.stop()
        }
        return try #require(run.wait(), "the run did not end")
    }

    @Test(arguments: SourceKind.allCases)
    func countsInEqualCountsOutPlusCountedDrops(kind: SourceKind) throws {
        let fixture = try SourceFixture(kind, lines: Self.n)
        let sink = MemorySink()
        let source = try fixture.make()
        let outcome = try Self.run(fixture, source, sink, expect: Self.n)
        #expect(outcome.failure == nil)
        let drops = fixture.counted(source)
        #expect(sink.all.count + drops == Self.n, "\(sink.all.count) out + \(drops) counted drops of \(Self.n)")
        #expect(outcome.stats.entriesOut == sink.all.count)
        if drops == 0 { #expect(sink.all == Array(0..<Self.n), "input order is kept") }
    }

    @Test(arguments: SourceKind.allCases)
    func nothingIsAcknowledgedBeforeItIsDurable(kind: SourceKind) throws {
        let fixture = try SourceFixture(kind, lines: Self.n)
        let sink = MemorySink(flushDelayMillis: 40) // a lagging sink: acknowledgements must wait for it
        let source = ObservedSource(try fixture.make(), sink: sink)
        _ = try Self.run(fixture, source, sink, expect: Self.n)
        #expect(source.violations.isEmpty, "\(source.violations.prefix(3))")
        if kind.hasPositions {
            #expect(source.acknowledgedPositions > 0, "a source with positions had none acknowledged")
        } else {
            #expect(source.acknowledgedPositions == 0)
        }
    }

    @Test(arguments: SourceKind.allCases.filter(\.resumes))
    func aRestartAfterASinkFailureResumesWithoutLoss(kind: SourceKind) throws {
        // A tailed file gets its second half only once the first half was acknowledged (replay acknowledges at
        // the end of each archive file), so the sink breaks after an acknowledgement, whatever the timing.
        let fixture = try SourceFixture(kind, lines: Self.n, initially: Self.n / 2)
        let broken = MemorySink(failAfter: Self.n / 2 + 200)
        let observed = ObservedSource(try fixture.make(), sink: broken)
        let run = BackgroundRun(memoryTopology([observed], [broken]))
        if kind == .tail {
            #expect(waitUntil(20) { observed.acknowledgedPositions > 0 && broken.durableEntries >= Self.n / 2 })
            try fixture.appendRest()
        }
        let first = try #require(run.wait())
        #expect(first.failure != nil, "the sink's failure fails the run")
        #expect(observed.acknowledgedPositions > 0)
        let kept = broken.durable
        let sink = MemorySink()
        let second = try Self.run(fixture, try fixture.make(), sink, expect: Self.n - kept.count)
        #expect(second.failure == nil)
        let resumed = try #require(sink.all.first)
        #expect(resumed > 0, "the restart resumed from an acknowledged position, not from the start")
        #expect(resumed <= kept.count, "nothing between the acknowledged position and the restart is skipped")
        #expect(sink.all == Array(resumed..<Self.n))
        #expect(Set(kept + sink.all) == Set(0..<Self.n), "no line lost")
    }

    @Test(arguments: SourceKind.allCases)
    func shutdownDrainsWhatWasRead(kind: SourceKind) throws {
        let fixture = try SourceFixture(kind, lines: Self.n)
        let sink = MemorySink()
        let run = BackgroundRun(memoryTopology([try fixture.make()], [sink]))
        fixture.feed()
        _ = waitUntil(20) { sink.all.count >= 300 }
        run.stop()
        let outcome = try #require(run.wait())
        #expect(outcome.failure == nil)
        let got = sink.all
        #expect(got == Array(0..<got.count), "what was read before the stop arrives, in order, without gaps")
        #expect(sink.durableEntries == got.count, "everything delivered is durable at exit")
        // A stream stopped mid-line gives its read half of the line as an entry of its own (kept, not dropped:
        // a pipe cannot be read again); sources with positions leave it for the next run.
        let torn = kind == .stdin || kind == .tcp ? 0...1 : 0...0
        #expect(torn.contains(outcome.stats.entriesOut - got.count), "\(outcome.stats.entriesOut) entries out, \(got.count) whole lines")
        guard kind.resumes else { return }
        // The acknowledged position is exactly where the run stopped: the next run continues there.
        let rest = MemorySink()
        _ = try Self.run(fixture, try fixture.make(), rest, expect: Self.n - got.count)
        #expect(got + rest.all == Array(0..<Self.n), "after a graceful stop: none lost, none repeated")
    }
}
