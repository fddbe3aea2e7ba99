import Foundation
@testable import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `logpipe run --input file:GLOB` end to end with the real binary: a writer thread appends numbered lines at a
/// steady rate while the test rotates (rename + create, delete + create, copytruncate, rotation while stopped),
/// kills -9 and restarts; the segments, read back with `lz4 -dc`, must hold every line, in order per file, with
/// duplicates only after kill -9 (counted and bounded). Also discovery, `--read-from end`, partial lines, multiline,
/// prompt close of deleted files, a corrupt checkpoint file and hostile trees (directory, FIFO, unreadable file,
/// symbolic link loops).
@Suite(.serialized) struct FileTailTests {
    // MARK: rotation under write load

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func renameAndCreateLosesAndDuplicatesNothing() throws {
        // The glob does not match the rotated names: what the app writes to the renamed file before it reopens
        // can only come through the descriptor logpipe keeps open until the file is read to its end.
        let t = try TailFixture(glob: "*.log")
        let writer = SeqWriter(path: t.logs + "/app.log")
        writer.start()
        let lp = try t.start()
        for k in 1...3 {
            pause(900_000)
            writer.perform(.renameCreate(to: t.logs + "/app.log.\(k)", lagLines: 40))
        }
        pause(600_000)
        writer.finish()
        try t.waitCaughtUp(timeout: 8)
        let run = try t.stop(lp)
        let check = try t.check(writer)
        #expect(check.problems.isEmpty, "\(check.problems)")
        #expect(check.duplicates == 0)
        #expect(writer.generationStarts.count == 4)
        #expect((run.tail?.rotations ?? 0) >= 3, "\(run.result.stderrText)")
    }

    /// Two apps in one glob, each rotating (rename + create, shifting `.1` to `.2` as logrotate does) at its own
    /// moments, the rotated names matching the glob too: every line of each, in order per file, once.
    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func twoFilesRotatingConcurrentlyStayWholeAndApart() throws {
        let t = try TailFixture(glob: "*.log*")
        let app = SeqWriter(path: t.logs + "/app.log")
        let web = SeqWriter(path: t.logs + "/web.log", firstSeq: 1_000_001, linesPerSecond: 1500)
        app.start()
        web.start()
        let lp = try t.start()
        for k in 1...2 {
            pause(700_000)
            if k == 2 { try shell("mv", t.logs + "/app.log.1", t.logs + "/app.log.2") }
            app.perform(.renameCreate(to: t.logs + "/app.log.1", lagLines: 20))
            pause(400_000)
            if k == 2 { try shell("mv", t.logs + "/web.log.1", t.logs + "/web.log.2") }
            web.perform(.renameCreate(to: t.logs + "/web.log.1", lagLines: 20))
        }
        pause(600_000)
        app.finish()
        web.finish()
        try t.waitCaughtUp(timeout: 8)
        _ = try t.stop(lp)
        let check = try t.check([app, web])
        #expect(check.problems.isEmpty, "\(check.problems)")
        #expect(check.duplicates == 0)
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func deleteAndCreateLosesAndDuplicatesNothing() throws {
        let t = try TailFixture(glob: "*.log")
        let writer = SeqWriter(path: t.logs + "/app.log")
        writer.start()
        let lp = try t.start()
        for _ in 1...3 {
            pause(900_000)
            writer.perform(.deleteCreate(lagLines: 10))
        }
        pause(600_000)
        writer.finish()
        try t.waitCaughtUp(timeout: 8)
        let run = try t.stop(lp)
        let check = try t.check(writer)
        #expect(check.problems.isEmpty, "\(check.problems)")
        #expect(check.duplicates == 0)
        #expect((run.tail?.rotations ?? 0) >= 3, "\(run.result.stderrText)")
    }

    /// SIGTERM, lines keep coming, the file is rotated (rename + create), more lines, restart on the same
    /// --state-dir: the renamed file is found by its fingerprint and finished, the new one read from 0.
    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func rotationWhileStoppedIsFinishedAfterRestart() throws {
        let t = try TailFixture(glob: "app.log*")
        let writer = SeqWriter(path: t.logs + "/app.log")
        writer.start()
        var lp = try t.start()
        pause(1_000_000)
        _ = try t.stop(lp)
        pause(300_000)
        writer.perform(.renameCreate(to: t.logs + "/app.log.1", lagLines: 25))
        pause(300_000)
        lp = try t.start()
        pause(1_000_000)
        writer.finish()
        try t.waitCaughtUp(timeout: 8)
        _ = try t.stop(lp)
        let check = try t.check(writer)
        #expect(check.problems.isEmpty, "\(check.problems)")
        #expect(check.duplicates == 0)
        // The second run had lines to take from both files.
        #expect(writer.generationStarts.count == 2)
    }

    /// copytruncate, twice (logrotate shifts `.1` to `.2` first). The writer pauses across the copy and the
    /// truncation (lines written in between are lost by copytruncate itself); the copy matches the glob and
    /// carries the old fingerprint, so it is continued from the position reached, not read again.
    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func copyTruncateLosesNothingAndDoesNotRereadTheCopy() throws {
        let t = try TailFixture(glob: "app.log*")
        let log = t.logs + "/app.log"
        let writer = SeqWriter(path: log)
        writer.start()
        let lp = try t.start()
        // logpipe sees a truncation as the file being shorter than its position: it must look before the writer
        // has refilled the file past it, about as long as the writer wrote before (`pause` gives slower builds more).
        for k in 1...2 {
            pause(1_000_000)
            writer.pause()
            pause(200_000)
            if k == 2 { try shell("mv", log + ".1", log + ".2") }
            try shell("cp", log, log + ".1")
            try shell("truncate", "-s", "0", log)
            writer.resume()
        }
        pause(1_000_000)
        writer.finish()
        try t.waitCaughtUp(timeout: 8)
        let run = try t.stop(lp)
        let check = try t.check(writer)
        #expect(check.problems.isEmpty, "\(check.problems)")
        #expect(check.duplicates == 0, "the copy was read again")
        #expect((run.tail?.truncations ?? 0) >= 2, "\(run.result.stderrText)")
    }

    /// logrotate's copy of a large file takes a while: discovery can see the copy while it is still shorter than
    /// the position already read. It carries the same fingerprint and is still copytruncate's copy: it must be
    /// continued, not read again from 0.
    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func copyStillBeingWrittenIsNotReadAgain() throws {
        let t = try TailFixture(glob: "app.log*")
        let log = t.logs + "/app.log"
        let writer = SeqWriter(path: log)
        writer.start()
        let lp = try t.start()
        pause(1_500_000)
        writer.pause()
        pause(300_000)
        // A slow `cp`: half the file now, the rest after discovery has had a look (it runs every second).
        let content = try Data(contentsOf: URL(fileURLWithPath: log))
        let copy = log + ".1"
        let half = content.count / 2
        FileManager.default.createFile(atPath: copy, contents: content.prefix(half))
        // Longer than any fixed grace: a copy in progress is never taken for a truncated file while its first bytes
        // are the original's (an earlier version gave it 5 s, then read it again from 0).
        usleep(6_500_000)
        let h = try #require(FileHandle(forWritingAtPath: copy))
        h.seekToEndOfFile()
        h.write(content.suffix(from: half))
        try h.close()
        try shell("truncate", "-s", "0", log)
        writer.resume()
        pause(800_000)
        writer.finish()
        try t.waitCaughtUp(timeout: 8)
        _ = try t.stop(lp)
        let check = try t.check(writer)
        #expect(check.problems.isEmpty, "\(check.problems)")
        #expect(check.duplicates == 0, "the copy was read again from 0")
    }

    /// A copy that stays shorter than the position it continues from (the app wrote lines between copy and
    /// truncate; logpipe read them from the original) is not read again, and once deleted (compressed away by
    /// logrotate) it is closed like any deleted file.
    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func copyThatStaysShortIsClosedOnceDeleted() throws {
        let t = try TailFixture(glob: "app.log*")
        let log = t.logs + "/app.log"
        try appendLines(log, 1...2000)
        let lp = try t.start()
        let pid = lp.process.processIdentifier
        try t.waitCaughtUp(timeout: 5)
        let content = try Data(contentsOf: URL(fileURLWithPath: log))
        let copy = log + ".1"
        FileManager.default.createFile(atPath: copy, contents: content.prefix(content.count * 3 / 4))
        try #require(secondsUntilOpen(pid: pid, copy, timeout: 4) != nil, "the copy was never opened")
        try shell("truncate", "-s", "0", log)
        try appendLines(log, 2001...2010)
        pause(700_000)
        unlink(copy)
        let closedAfter = secondsUntilClosed(pid: pid, copy, timeout: 4)
        try t.waitCaughtUp(timeout: 5, only: [log])
        _ = try t.stop(lp)
        #expect(closedAfter.map { $0 < TestTime.seconds(2) } == true, "the deleted copy closed after \(closedAfter ?? -1) s (-1: not in 4 s)")
        #expect(try t.seqs() == Array(1...2010), "the copy was read again or lines were lost")
    }

    // MARK: crashes

    /// kill -9 at varied points (one cycle also rotates live), restarts on the same --state-dir and --out: every
    /// line is there, in order per file once re-deliveries are set aside, and the duplicates stay within the
    /// unacknowledged window (checkpoints are committed every --batch-timeout once the segment is fsynced).
    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func killNineAtVariedPointsLosesNothing() throws {
        let t = try TailFixture(glob: "app.log*")
        let writer = SeqWriter(path: t.logs + "/app.log")
        writer.start()
        let runFor: [useconds_t] = [700_000, 1_300_000, 350_000, 1_000_000]
        var recoveredNotes = 0
        // Small batches: most close full, are fsynced and acknowledged by the 200 ms tick, so a kill can fall
        // between the data being in a segment and its checkpoint.
        let small = ["--batch-max-entries", "100"]
        for (i, micros) in runFor.enumerated() {
            let lp = try t.start(small)
            if i == 1 {
                pause(micros / 2)
                writer.perform(.renameCreate(to: t.logs + "/app.log.1", lagLines: 30))
                pause(micros / 2)
            } else {
                pause(micros)
            }
            lp.signal(SIGKILL)
            let r = lp.wait(timeout: 5)
            #expect(r.signaled && r.status == SIGKILL, "cycle \(i): \(r.status) \(r.stderrText)")
            if r.stderrText.contains("recovered") { recoveredNotes += 1 }
            pause(150_000)
        }
        let lp = try t.start(small)
        pause(700_000)
        writer.finish()
        try t.waitCaughtUp(timeout: 8)
        let last = try t.stop(lp)
        let listing = directoryListing(t.out)
        #expect(!listing.contains { $0.hasSuffix(".open") }, "\(listing)")
        let check = try t.check(writer, allowDuplicates: true)
        #expect(check.problems.isEmpty, "\(check.problems)")
        // Bound: per kill, what was written in half a second (a 200 ms commit tick plus the batches in flight);
        // re-reading whole runs would exceed it.
        // What may be re-read after a kill is what was not yet acknowledged: up to one sync interval (the batch
        // timeout, 1 s by default) of writing, plus the fsync itself, per kill.
        let bound = runFor.count * writer.linesPerSecond * 3 / 2
        #expect(check.duplicates <= bound, "\(check.duplicates) duplicates, bound \(bound)")
        print("kill -9 × \(runFor.count): \(writer.written) lines, \(check.duplicates) duplicates (bound \(bound)); " +
              "last run: \(last.result.stderrText.split(separator: "\n").joined(separator: " | "))")
    }

    // MARK: discovery and start position

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func newMatchingFileIsPickedUpWithinASecondOrTwo() throws {
        let t = try TailFixture(glob: "*.log")
        let lp = try t.start()
        pause(1_200_000) // the first scan found nothing
        let path = t.logs + "/new.log"
        let created = Date()
        FileManager.default.createFile(atPath: path, contents: Data("seq=0000001 hello\nseq=0000002 world\n".utf8))
        let seen = try #require(secondsUntilOpen(pid: lp.process.processIdentifier, path, timeout: 4),
                                "new.log not opened within 4 s")
        #expect(seen < TestTime.seconds(1.6), "new.log opened after \(seen) s")
        try t.waitCaughtUp(timeout: 4)
        let durable = Date().timeIntervalSince(created)
        #expect(durable < TestTime.seconds(2.5), "new.log's lines durable after \(durable) s")
        _ = try t.stop(lp)
        #expect(try t.seqs() == [1, 2])
        print("new file: opened after \(String(format: "%.2f", seen)) s, checkpointed after \(String(format: "%.2f", durable)) s")
    }

    /// `--read-from end`: files seen at start are taken from their end; a file created later from its beginning;
    /// on a restart the checkpoint wins over `end`.
    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func readFromEndSkipsExistingContentOfFilesSeenFirst() throws {
        let t = try TailFixture(glob: "*.log")
        let old = t.logs + "/old.log"
        try appendLines(old, 1...100)
        var lp = try t.start(["--read-from", "end"])
        // Appended only once logpipe has the file open (taken from its end), not while it may still be starting.
        try #require(secondsUntilOpen(pid: lp.process.processIdentifier, old, timeout: 3) != nil, "old.log never opened")
        try appendLines(old, 101...120)
        pause(600_000)
        try appendLines(t.logs + "/later.log", 1001...1010)
        try t.waitCaughtUp(timeout: 5)
        _ = try t.stop(lp)
        #expect(try t.seqs().sorted() == Array(101...120) + Array(1001...1010))
        try appendLines(old, 121...130)
        lp = try t.start(["--read-from", "end"])
        try t.waitCaughtUp(timeout: 5)
        _ = try t.stop(lp)
        #expect(try t.seqs().sorted() == Array(101...130) + Array(1001...1010))
    }

    // MARK: framing

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func partialLastLineIsEmittedAfterTheTimeout() throws {
        let t = try TailFixture(glob: "*.log")
        let log = t.logs + "/app.log"
        let lp = try t.start(["--partial-line-timeout", "500ms"])
        pause(300_000)
        try append(log, "seq=0000001 complete\nseq=0000002 no newline yet")
        pause(1_800_000)
        _ = try t.stop(lp) // at stop an unfinished line is kept back: it is in the segments only if the timeout emitted it
        #expect(try t.messages() == ["seq=0000001 complete", "seq=0000002 no newline yet"])
    }

    /// With the default 5 s timeout the unfinished line waits, is not emitted at SIGTERM, and comes whole once
    /// it is completed (after a restart, from the checkpoint).
    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func partialLastLineWaitsForItsEnd() throws {
        let t = try TailFixture(glob: "*.log")
        let log = t.logs + "/app.log"
        var lp = try t.start()
        pause(300_000)
        try append(log, "seq=0000001 complete\nseq=0000002 first half")
        usleep(1_500_000) // not scaled: it must stay under the 5 s partial-line timeout
        _ = try t.stop(lp)
        #expect(try t.messages() == ["seq=0000001 complete"])
        try append(log, ", second half\n")
        lp = try t.start()
        try t.waitCaughtUp(timeout: 5)
        _ = try t.stop(lp)
        #expect(try t.messages() == ["seq=0000001 complete", "seq=0000002 first half, second half"])
    }

    /// A backlog (20,000 lines already in the file) is read in full batches; once the file has gone quiet, its
    /// last lines are cut and made durable at once, not after the batch timeout (10 min here, and with it the
    /// periodic sync). A trickle afterwards keeps the batch timeout: its lines are not cut one by one. With
    /// `--multiline off` and a backlog that ends exactly on a full batch, nothing is left to cut: an empty batch
    /// still makes the backlog durable. With multiline on the lines are JSON, which never take continuation lines
    /// (a plain-text last line may, and stays back for the batch timeout: `stackTraceRightAfterABurstStaysOneEntry`).
    @Test(.timeLimit(.minutes(TestTime.minutes(1))), arguments: ["on", "off"])
    func backlogEndIsDurableAtOnceWhileATrickleWaitsForTheBatchTimeout(multiline: String) throws {
        let t = try TailFixture(glob: "*.log")
        let log = t.logs + "/app.log"
        func appendLines(_ path: String, _ seqs: ClosedRange<Int>) throws {
            guard multiline == "on" else { return try logpipeTests.appendLines(path, seqs) }
            try append(path, seqs.map { #"{"message":"seq=\#(String(format: "%07d", $0)) line \#($0)"}"# + "\n" }.joined())
        }
        try appendLines(log, 1...20_000)
        let backlog = try #require(try FileManager.default.attributesOfItem(atPath: log)[.size] as? Int)
        let started = Date()
        let lp = try t.start(["--batch-timeout", "600s", "--batch-max-entries", "1000", "--multiline", multiline])
        try t.waitCaughtUp(timeout: 10)
        let durable = Date().timeIntervalSince(started)
        #expect(durable < TestTime.seconds(3), "durable after \(durable) s: the burst's end waited")
        try appendLines(log, 20_001...20_001)
        pause(300_000)
        try appendLines(log, 20_002...20_002)
        pause(1_000_000)
        #expect(t.latestCheckpointByInode().values.max() == Int64(backlog), "a trickle line was cut before the batch timeout")
        _ = try t.stop(lp)
        #expect(try t.seqs() == Array(1...20_002))
        print("backlog of \(backlog) bytes durable after \(String(format: "%.2f", durable)) s (batch timeout 600 s, multiline \(multiline))")
    }

    static let javaTrace = [
        "2026-11-27 09:00:00,123 ERROR [main] c.e.Checkout - payment failed",
        "\tat com.example.Pay.charge(Pay.java:42)",
        "\tat com.example.Checkout.run(Checkout.java:7)",
        "Caused by: java.net.SocketTimeoutException: read timed out",
        "\tat java.net.SocketInputStream.read(SocketInputStream.java:150)",
        "\t... 12 more",
        "2026-11-27 09:00:01,000 INFO [main] c.e.Checkout - next order",
    ]

    /// A Java stack trace written line by line (as a logger flushes it) becomes one entry with `stack`.
    @Test(.timeLimit(.minutes(TestTime.minutes(1))), arguments: ["on", "off"])
    func javaStackTraceIsOneEntry(multiline: String) throws {
        let t = try TailFixture(glob: "*.log", format: "auto")
        let log = t.logs + "/app.log"
        let lp = try t.start(["--multiline", multiline, "--batch-timeout", "1s"])
        pause(300_000)
        for line in Self.javaTrace {
            try append(log, line + "\n")
            usleep(20_000)
        }
        try t.waitCaughtUp(timeout: 6)
        _ = try t.stop(lp)
        let entries = try t.entries()
        if multiline == "off" {
            #expect(entries.count == Self.javaTrace.count)
            #expect(entries.allSatisfy { $0["stack"] == nil })
            return
        }
        try #require(entries.count == 2, "\(entries)")
        #expect(entries[0].string("level") == "ERROR")
        #expect(entries[0].string("message") == "[main] c.e.Checkout - payment failed")
        #expect(entries[0].string("stack") == Self.javaTrace[1...5].joined(separator: "\n"))
        #expect(entries[1].string("level") == "INFO")
        #expect(entries[1]["stack"] == nil)
    }

    /// A plain-text stack trace flushed line by line (10 ms apart) right after a burst: the end of the burst keeps
    /// the trace's first line back (it may continue) for the batch timeout, so the trace stays one entry.
    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func stackTraceRightAfterABurstStaysOneEntry() throws {
        let t = try TailFixture(glob: "*.log", format: "auto")
        let log = t.logs + "/app.log"
        try appendLines(log, 1...1)
        let lp = try t.start(["--batch-timeout", "1s"])
        try t.waitCaughtUp(timeout: 5)
        // The burst: 5,000 lines and the trace's first line in one write, the rest of the trace line by line.
        try append(log, (2...5001).map { "seq=\(String(format: "%07d", $0)) line \($0)\n" }.joined() + Self.javaTrace[0] + "\n")
        for line in Self.javaTrace[1...] {
            usleep(10_000)
            try append(log, line + "\n")
        }
        try t.waitCaughtUp(timeout: 5)
        _ = try t.stop(lp)
        let entries = try t.entries()
        try #require(entries.count == 5003, "\(entries.count) entries")
        #expect(entries[5001].string("level") == "ERROR")
        #expect(entries[5001].string("stack") == Self.javaTrace[1...5].joined(separator: "\n"), "\(entries[5001])")
        #expect(entries[5002].string("level") == "INFO")
    }

    // MARK: resources and hostile state

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func deletedFileIsClosedPromptly() throws {
        let t = try TailFixture(glob: "*.log")
        let log = t.logs + "/app.log"
        try appendLines(log, 1...50)
        let lp = try t.start()
        let pid = lp.process.processIdentifier
        try #require(secondsUntilOpen(pid: pid, log, timeout: 3) != nil, "app.log never opened")
        try t.waitCaughtUp(timeout: 4)
        unlink(log)
        let closedAfter = secondsUntilClosed(pid: pid, log, timeout: 4)
        let run = try t.stop(lp)
        let after = try #require(closedAfter, "the deleted file was still open \(TestTime.seconds(4)) s after rm")
        #expect(after < TestTime.seconds(2), "closed \(after) s after rm")
        print("deleted file: closed \(String(format: "%.2f", after)) s after rm")
        #expect(try t.seqs() == Array(1...50))
        #expect(run.result.status == 0)
    }

    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func corruptCheckpointFileIsMovedAsideAndTailingGoesOn() throws {
        let t = try TailFixture(glob: "*.log")
        try FileManager.default.createDirectory(atPath: t.state, withIntermediateDirectories: true)
        let garbage = Data([0x7b, 0x22, 0xff, 0x00, 0x13]) + Data("not json at all }}}".utf8)
        FileManager.default.createFile(atPath: t.state + "/checkpoints.json", contents: garbage)
        try appendLines(t.logs + "/app.log", 1...20)
        let lp = try t.start()
        pause(500_000)
        try appendLines(t.logs + "/app.log", 21...40)
        try t.waitCaughtUp(timeout: 5)
        let run = try t.stop(lp)
        let err = run.result.stderrText
        #expect(err.contains("checkpoint") && err.contains("unreadable") && err.contains("corrupt"), "\(err)")
        let aside = directoryListing(t.state).filter { $0.hasPrefix("checkpoints.json.corrupt-") }
        try #require(aside.count == 1, "\(directoryListing(t.state))")
        #expect(FileManager.default.contents(atPath: t.state + "/" + aside[0]) == garbage)
        let fresh = try readJSONObject(t.state + "/checkpoints.json")
        #expect(!fresh.isEmpty)
        #expect(try t.seqs() == Array(1...40))
    }

    /// A directory, a FIFO and an unreadable file matching the glob, links to them, and symbolic link loops in
    /// the tree: discovery neither stops nor hangs, the good file is tailed, SIGTERM still ends the run at once.
    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func directoryFifoUnreadableFileAndLinkLoopsDoNotStopTailing() throws {
        let t = try TailFixture(glob: "**/*.log")
        let fm = FileManager.default
        try fm.createDirectory(atPath: t.logs + "/dir.log", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: t.logs + "/sub/deeper", withIntermediateDirectories: true)
        #expect(mkfifo(t.logs + "/pipe.log", 0o644) == 0)
        #expect(symlink("pipe.log", t.logs + "/pipe-link.log") == 0)
        #expect(symlink("dir.log", t.logs + "/dir-link.log") == 0)
        #expect(symlink("..", t.logs + "/sub/deeper/up") == 0)          // a loop through the parent
        #expect(symlink(".", t.logs + "/sub/self") == 0)                // a loop onto itself
        #expect(symlink("b.log", t.logs + "/sub/a.log") == 0)           // a.log → b.log → a.log (ELOOP)
        #expect(symlink("a.log", t.logs + "/sub/b.log") == 0)
        #expect(symlink("nowhere.log", t.logs + "/dangling.log") == 0)
        let asRoot = getuid() == 0
        let secret = t.logs + "/secret.log"
        try appendLines(secret, 900...909)
        chmod(secret, 0o000)
        try appendLines(t.logs + "/sub/deeper/good.log", 1...10)
        let lp = try t.start()
        pause(1_300_000)
        try appendLines(t.logs + "/sub/deeper/good.log", 11...20)
        try t.waitCaughtUp(timeout: 5, only: [t.logs + "/sub/deeper/good.log"])
        #expect(lp.process.isRunning)
        let stopAsked = Date()
        let run = try t.stop(lp)
        #expect(Date().timeIntervalSince(stopAsked) < 4)
        let seqs = try t.seqs().sorted()
        if asRoot {
            // Root reads mode 000 files: the unreadable part cannot be shown here.
            #expect(seqs == Array(1...20) + Array(900...909))
        } else {
            #expect(seqs == Array(1...20))
            #expect(run.tail?.unreadable == 1, "\(run.result.stderrText)")
            #expect(run.result.stderrText.contains("secret.log"))
        }
        #expect(run.tail?.opened == (asRoot ? 2 : 1), "\(run.result.stderrText)")
    }

    /// Two files that begin with the same 300-byte banner (W3C and CSV logs do): one fingerprint, two files.
    /// The issue names device + inode as the tiebreak. Run 1 reads both; both grow while stopped; run 2 must
    /// continue each from its own position.
    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func filesWithTheSameFirstBytesKeepTheirOwnPositions() throws {
        let t = try TailFixture(glob: "*.log")
        let banner = "#Software: shop 1.0\n#Fields: " + String(repeating: "x", count: 270) + "\n"
        let a = t.logs + "/a.log", b = t.logs + "/b.log"
        try append(a, banner)
        try append(b, banner)
        try appendLines(a, 1...50)
        try appendLines(b, 1001...1200)
        // (Not waitCaughtUp: the checkpoint store holds one position for the shared fingerprint.)
        var lp = try t.start()
        pause(1_500_000)
        _ = try t.stop(lp)
        try appendLines(a, 51...400)
        try appendLines(b, 1201...1210)
        lp = try t.start()
        pause(1_500_000)
        _ = try t.stop(lp)
        var bannerLines = 0
        let seqs = try t.seqs(others: &bannerLines)
        #expect(bannerLines == 4)
        let expected = Array(1...400) + Array(1001...1210)
        let note = "\(seqs.count) entries for \(expected.count) lines; " +
            "missing \(Array(Set(expected).subtracting(seqs).sorted().prefix(10))), duplicated \(seqs.count - Set(seqs).count)"
        #expect(seqs.sorted() == expected, "\(note)")
    }

    /// Two file inputs share one checkpoint store: at a restart (or a reload that starts one) neither takes the
    /// other's file for one of its own renamed out of its glob — each file is read on from its checkpoint, once.
    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func twoFileInputsDoNotReadEachOthersFiles() throws {
        let t = try TailFixture(glob: "a.log")
        let a = t.logs + "/a.log", b = t.logs + "/b.log"
        try appendLines(a, 1...100)
        try appendLines(b, 1001...1100)
        let second = ["--input", "file:" + b]
        var lp = try t.start(second)
        try t.waitCaughtUp(timeout: 5)
        _ = try t.stop(lp)
        try appendLines(a, 101...150)
        try appendLines(b, 1101...1150)
        lp = try t.start(second)
        try t.waitCaughtUp(timeout: 5)
        let run = try t.stop(lp)
        let seqs = try t.seqs()
        let expected = Array(1...150) + Array(1001...1150)
        #expect(seqs.sorted() == expected, "\(seqs.count) entries for \(expected.count) lines, \(seqs.count - Set(seqs).count) twice: \(run.result.stderrText)")
        #expect(!run.result.stderrText.contains("renamed"), "\(run.result.stderrText)")
    }

    /// `current.log → app-1.log`, both matching the glob: one file, read once.
    @Test(.timeLimit(.minutes(TestTime.minutes(1))))
    func symlinkToATailedFileIsReadOnce() throws {
        let t = try TailFixture(glob: "*.log")
        try appendLines(t.logs + "/app-1.log", 1...30)
        #expect(symlink("app-1.log", t.logs + "/current.log") == 0)
        let lp = try t.start()
        pause(600_000)
        try appendLines(t.logs + "/app-1.log", 31...40)
        try t.waitCaughtUp(timeout: 5)
        let run = try t.stop(lp)
        let seqs = try t.seqs()
        #expect(seqs == Array(1...40), "\(seqs.count) entries: \(seqs); \(run.result.stderrText)")
    }
}

// MARK: - fixture

/// Directories of one tail test (logs, out, state) and the logpipe runs on them.
struct TailFixture {
    let dir: TempDir
    let logs: String
    let out: String
    let state: String
    let glob: String
    let format: String

    init(glob: String, format: String = "plain") throws {
        dir = TempDir("logpipe-tail")
        logs = dir.file("logs")
        out = dir.file("out")
        state = dir.file("state")
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        self.glob = logs + "/" + glob
        self.format = format
    }

    /// Starts `logpipe run` tailing the glob (200 ms batches: checkpoints every 200 ms).
    func start(_ extra: [String] = []) throws -> RunningProcess {
        try RunningProcess(executable: Harness.binary,
                           arguments: ["run", "--input", "file:" + glob, "--out", out, "--state-dir", state,
                                       "--format", format, "--batch-timeout", "200ms"] + extra,
                           environment: cleanEnvironment(), scratch: dir)
    }

    struct Stopped {
        let result: ProcessResult
        var tail: TailSummary? { TailSummary(stderr: result.stderrText) }
    }

    /// SIGTERM; expects a clean exit (0) within 10 s.
    @discardableResult
    func stop(_ p: RunningProcess) throws -> Stopped {
        p.signal(SIGTERM)
        let r = p.wait(timeout: 10)
        #expect(!r.timedOut && !r.signaled && r.status == 0, "exit \(r.status) signaled \(r.signaled): \(r.stderrText)")
        return Stopped(result: r)
    }

    /// Waits until every regular file in the logs directory (or `only`) has its size as a committed checkpoint
    /// offset: all its lines are durable in segments.
    func waitCaughtUp(timeout: Double, only: [String]? = nil) throws {
        let deadline = Date().addingTimeInterval(TestTime.seconds(timeout))
        var missing: [String] = []
        repeat {
            let offsets = checkpointOffsets()
            let latest = latestCheckpointByInode()
            missing = (only ?? regularFiles(in: logs)).filter { path in
                var st = stat()
                guard stat(path, &st) == 0, st.st_size > 0 else { return false }
                // The newest checkpoint of this very file (device:inode) decides: an older identity of the same
                // file (before a truncation) may hold an offset equal to the current size by chance.
                if let own = latest["\(st.st_dev):\(st.st_ino)"] { return own != Int64(st.st_size) }
                return !offsets.contains(Int64(st.st_size)) // a copy continued under its original's identity
            }
            if missing.isEmpty { return }
            usleep(50_000)
        } while Date() < deadline
        throw ToolError.failed("not caught up after \(TestTime.seconds(timeout)) s: \(missing); checkpoints: " +
                               String(decoding: FileManager.default.contents(atPath: state + "/checkpoints.json") ?? Data(), as: UTF8.self))
    }

    /// The most recently updated checkpoint offset per `device:inode` (keys are `fingerprint@device:inode`).
    func latestCheckpointByInode() -> [String: Int64] {
        guard let data = FileManager.default.contents(atPath: state + "/checkpoints.json"),
              let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        var best: [String: (updated: Double, offset: Int64)] = [:]
        for (key, value) in o {
            guard let at = key.firstIndex(of: "@"), let v = value as? [String: Any],
                  let offset = (v["offset"] as? NSNumber)?.int64Value else { continue }
            let inode = String(key[key.index(after: at)...])
            let updated = (v["updated"] as? NSNumber)?.doubleValue ?? 0
            if best[inode] == nil || updated >= best[inode]!.updated { best[inode] = (updated, offset) }
        }
        return best.mapValues(\.offset)
    }

    func checkpointOffsets() -> Set<Int64> {
        guard let data = FileManager.default.contents(atPath: state + "/checkpoints.json"),
              let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [] }
        return Set(o.values.compactMap { (($0 as? [String: Any])?["offset"] as? NSNumber)?.int64Value })
    }

    /// Decompressed finalized segments (real `lz4 -dc`), in write order (by sequence number).
    func segmentContents() throws -> [Data] {
        let segments = segmentFiles(in: out).sorted { sequenceNumber($0) < sequenceNumber($1) }
        return try segments.map(decompressWithTool)
    }

    func entries() throws -> [[String: Any]] {
        try segmentContents().flatMap { try jsonObjects($0) }
    }

    func messages() throws -> [String] { try entries().map { $0.string("message") ?? "<none>" } }

    /// The `seq=N` number of each entry, in segment order.
    func seqs(others: UnsafeMutablePointer<Int>? = nil) throws -> [Int] {
        var out: [Int] = []
        for data in try segmentContents() {
            for line in splitLines(data) {
                if let others, seqNumber(line) == nil { others.pointee += 1; continue }
                guard let n = seqNumber(line) else { throw ToolError.failed("entry without seq=: \(String(decoding: line, as: UTF8.self))") }
                out.append(n)
            }
        }
        return out
    }

    struct Check {
        var duplicates = 0
        var problems: [String] = []
    }

    /// Every line the writers wrote is in the segments; per file (writer generation) in order once
    /// re-deliveries (duplicates) are set aside; nothing that was never written.
    func check(_ writer: SeqWriter, allowDuplicates: Bool = false) throws -> Check {
        try check([writer], allowDuplicates: allowDuplicates)
    }

    func check(_ writers: [SeqWriter], allowDuplicates: Bool = false) throws -> Check {
        let seqs = try seqs()
        var c = Check()
        var seen = Set<Int>()
        var firstOccurrence: [Int] = []
        for s in seqs {
            if seen.insert(s).inserted { firstOccurrence.append(s) } else { c.duplicates += 1 }
        }
        var writtenSeqs = Set<Int>()
        for w in writers {
            let range = w.firstSeq..<(w.firstSeq + w.written)
            writtenSeqs.formUnion(range)
            let missing = range.filter { !seen.contains($0) }
            if w.written == 0 { c.problems.append("\(w.path): the writer wrote nothing") }
            if !missing.isEmpty {
                c.problems.append("\(w.path): \(missing.count) of \(w.written) lines missing, e.g. \(Array(missing.prefix(10)))")
            }
            let starts = w.generationStarts
            for (g, start) in starts.enumerated() {
                let end = g + 1 < starts.count ? starts[g + 1] : range.upperBound
                let inFile = firstOccurrence.filter { $0 >= start && $0 < end }
                if let i = inFile.indices.dropFirst().first(where: { inFile[$0] <= inFile[$0 - 1] }) {
                    c.problems.append("\(w.path) file \(g + 1) out of order at \(inFile[i - 1]) → \(inFile[i])")
                }
            }
        }
        let phantom = seen.subtracting(writtenSeqs)
        if !phantom.isEmpty { c.problems.append("never written: \(Array(phantom.sorted().prefix(10)))") }
        if !allowDuplicates && c.duplicates > 0 {
            let counts = Dictionary(seqs.map { ($0, 1) }, uniquingKeysWith: +).filter { $0.value > 1 }.keys.sorted()
            c.problems.append("\(c.duplicates) duplicates, e.g. \(Array(counts.prefix(10)))")
        }
        return c
    }
}

/// `tail GLOB: N files opened, N rotations, N truncations, N unreadable` from the exit summary.
struct TailSummary {
    var opened, rotations, truncations, unreadable: Int

    init?(stderr: String) {
        let pattern = #"tail \S+: (\d+) files opened, (\d+) rotations, (\d+) truncations, (\d+) unreadable"#
        guard let re = try? NSRegularExpression(pattern: pattern),
              let m = re.firstMatch(in: stderr, range: NSRange(stderr.startIndex..., in: stderr)) else { return nil }
        let ns = stderr as NSString
        let v = (1...4).map { Int(ns.substring(with: m.range(at: $0)))! }
        (opened, rotations, truncations, unreadable) = (v[0], v[1], v[2], v[3])
    }
}

// MARK: - writer

/// Appends `seq=N gen=G …` lines (one write each, O_APPEND) at a steady rate on its own thread, like an app
/// logging; rotations that the app takes part in (rename or delete, then reopen) run on that thread between two
/// lines. Bounded: at most `maxLines` lines and `maxSeconds`.
final class SeqWriter: @unchecked Sendable {
    enum Action {
        /// logrotate's default: rename, the app writes `lagLines` more to the old descriptor, then reopens.
        case renameCreate(to: String, lagLines: Int)
        /// The file is deleted; the app writes `lagLines` more to the deleted file, then recreates it.
        case deleteCreate(lagLines: Int)
    }

    let path: String
    /// The seq of the first line (writers of one test use disjoint ranges).
    let firstSeq: Int
    let linesPerSecond: Int
    let maxLines: Int
    let maxSeconds: Double
    private let lock = NSLock()
    private let cond = NSCondition()
    private var fd: Int32 = -1
    private var next: Int
    private var starts: [Int]
    private var actions: [(Action, DispatchSemaphore)] = []
    private var pauseRequested = false
    private var isPaused = false
    private var finishRequested = false
    private let finished = DispatchSemaphore(value: 0)
    private static let padding = String(repeating: "abcdefghijklmnopqrstuvwxyz0123456789", count: 2)

    init(path: String, firstSeq: Int = 1, linesPerSecond: Int = 2000, maxLines: Int = 60_000, maxSeconds: Double = 20) {
        self.path = path
        self.firstSeq = firstSeq
        next = firstSeq
        starts = [firstSeq]
        self.linesPerSecond = linesPerSecond
        self.maxLines = maxLines
        self.maxSeconds = maxSeconds
    }

    /// Lines written so far (seq firstSeq…firstSeq + written - 1).
    var written: Int { lock.withLock { next - firstSeq } }
    /// First seq of each file the writer wrote to, in order.
    var generationStarts: [Int] { lock.withLock { starts } }

    func start() {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        precondition(fd >= 0)
        let thread = Thread { self.loop() }
        thread.start()
    }

    /// Runs a rotation on the writer thread; returns when it is done.
    func perform(_ action: Action) {
        let done = DispatchSemaphore(value: 0)
        lock.withLock { actions.append((action, done)) }
        done.wait()
    }

    /// Returns once the writer has stopped between two lines.
    func pause() {
        lock.withLock { pauseRequested = true }
        while !lock.withLock({ isPaused }) { usleep(1_000) }
    }

    func resume() { lock.withLock { pauseRequested = false } }

    /// Stops the writer and waits for it.
    func finish() {
        lock.withLock { finishRequested = true; pauseRequested = false }
        finished.wait()
    }

    private func loop() {
        let began = Date()
        let interval = 1.0 / Double(linesPerSecond)
        var due = 0.0
        defer { close(fd); finished.signal() }
        while true {
            let (stop, pause, action) = lock.withLock { () -> (Bool, Bool, (Action, DispatchSemaphore)?) in
                isPaused = pauseRequested
                return (finishRequested, pauseRequested, actions.isEmpty ? nil : actions.removeFirst())
            }
            if let act = action { rotate(act.0); act.1.signal(); continue }
            if stop || next - firstSeq >= maxLines || Date().timeIntervalSince(began) > maxSeconds {
                // Keep serving rotations so nobody waits forever, but write no more.
                if stop { return }
                usleep(1_000)
                continue
            }
            if pause { usleep(1_000); due = Date().timeIntervalSince(began); continue }
            writeLine()
            // Steady pace against the clock.
            due += interval
            let ahead = due - Date().timeIntervalSince(began)
            if ahead > 0 { usleep(useconds_t(ahead * 1_000_000)) }
        }
    }

    private func writeLine() {
        let n = lock.withLock { next }
        let gen = lock.withLock { starts.count }
        let line = "seq=\(String(format: "%07d", n)) gen=\(gen) \(Self.padding)\n"
        let ok = line.utf8CString.withUnsafeBufferPointer { p in write(fd, p.baseAddress, p.count - 1) == p.count - 1 }
        precondition(ok, "write failed: \(errno)")
        lock.withLock { next += 1 }
    }

    private func rotate(_ action: Action) {
        switch action {
        case let .renameCreate(to, lag):
            precondition(rename(path, to) == 0)
            for _ in 0..<lag { writeLine(); usleep(500) }
        case let .deleteCreate(lag):
            precondition(unlink(path) == 0)
            for _ in 0..<lag { writeLine() }
        }
        close(fd)
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        precondition(fd >= 0)
        lock.withLock { starts.append(next) }
    }
}

// MARK: - helpers

/// The paths a process has open (`/proc/PID/fd`; a deleted file reads `PATH (deleted)`).
func openTargets(pid: Int32) -> [String] {
    let dir = "/proc/\(pid)/fd"
    return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).compactMap {
        try? FileManager.default.destinationOfSymbolicLink(atPath: dir + "/" + $0)
    }
}

/// Seconds from now until `pid` has `path` open; nil when not within `timeout` (scaled) seconds.
func secondsUntilOpen(pid: Int32, _ path: String, timeout: Double) -> Double? {
    secondsUntil(timeout: timeout) { openTargets(pid: pid).contains(path) }
}

/// Seconds from now until `pid` no longer holds `path` open (nor `path (deleted)`); nil when it still does after
/// `timeout` (scaled) seconds.
func secondsUntilClosed(pid: Int32, _ path: String, timeout: Double) -> Double? {
    secondsUntil(timeout: timeout) { !openTargets(pid: pid).contains { $0 == path || $0 == path + " (deleted)" } }
}

private func secondsUntil(timeout: Double, _ condition: () -> Bool) -> Double? {
    let start = Date()
    repeat {
        if condition() { return Date().timeIntervalSince(start) }
        usleep(20_000)
    } while Date().timeIntervalSince(start) < TestTime.seconds(timeout)
    return condition() ? Date().timeIntervalSince(start) : nil
}

/// Regular files (not following links) directly in or under `dir`.
func regularFiles(in dir: String) -> [String] {
    guard let e = FileManager.default.enumerator(atPath: dir) else { return [] }
    var out: [String] = []
    while let name = e.nextObject() as? String {
        var st = stat()
        let p = dir + "/" + name
        if lstat(p, &st) == 0, st.st_mode & S_IFMT == S_IFREG { out.append(p) }
    }
    return out
}

func append(_ path: String, _ text: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw ToolError.failed("cannot open \(path): \(errno)") }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    guard write(fd, bytes, bytes.count) == bytes.count else { throw ToolError.failed("short write to \(path)") }
}

func appendLines(_ path: String, _ seqs: ClosedRange<Int>) throws {
    try append(path, seqs.map { "seq=\(String(format: "%07d", $0)) line \($0)\n" }.joined())
}

/// Runs a command-line tool (cp, mv, truncate …) and requires success.
func shell(_ args: String...) throws {
    let r = try runProgram("/usr/bin/env", args, timeout: 20)
    guard r.status == 0, !r.signaled else { throw ToolError.failed("\(args.joined(separator: " ")): \(r.stderrText)") }
}

/// `…-000042.jsonl.lz4` → 42.
func sequenceNumber(_ segment: String) -> Int {
    let name = (segment as NSString).lastPathComponent
    guard let dash = name.firstIndex(of: "-") else { return 0 }
    return Int(name[name.index(after: dash)...].prefix(6)) ?? 0
}

/// The number after the first `seq=` in a line.
func seqNumber(_ line: Data) -> Int? {
    let b = [UInt8](line)
    let key = Array("seq=".utf8)
    guard b.count >= key.count else { return nil }
    for i in 0...(b.count - key.count) where b[i] == key[0] && Array(b[i..<(i + key.count)]) == key {
        var j = i + key.count
        var n = 0
        var digits = 0
        while j < b.count, b[j] >= 48, b[j] <= 57 { n = n * 10 + Int(b[j] - 48); j += 1; digits += 1 }
        return digits > 0 ? n : nil
    }
    return nil
}

/// Waits `micros` × LOGPIPE_TEST_TIME_SCALE: the steps of a rotation choreography are timed against how soon logpipe
/// notices new, renamed, truncated or deleted files, which a sanitized build does several times later.
private func pause(_ micros: useconds_t) { usleep(useconds_t(Double(micros) * TestTime.scale)) }
