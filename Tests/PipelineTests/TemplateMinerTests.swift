import Foundation
import Testing
@testable import Pipeline

// MARK: - VariableMasker

@Test func masksNumbersAndSignedNumbers() {
    let m = VariableMasker()
    #expect(m.mask("took 42 steps, -17 left") == "took <*> steps, <*> left")
    #expect(m.mask("ratio 0.75") == "ratio <*>")
}

@Test func masksHexAndUUIDs() {
    let m = VariableMasker()
    #expect(m.mask("addr 0x7fff5fbff8a8 ok") == "addr <*> ok")
    #expect(m.mask("id 123e4567-e89b-12d3-a456-426614174000") == "id <*>")
    #expect(m.mask("id deadbeef-cafe-babe-face-feedfacecafe") == "id <*>")
    #expect(m.mask("mac 00:1A:2B:3C:4D:5E") == "mac <*>")
}

@Test func masksIPsWithAndWithoutPort() {
    let m = VariableMasker()
    #expect(m.mask("from 10.0.0.1 port 22") == "from <*> port <*>")
    #expect(m.mask("peer /192.168.1.20:50010 closed") == "peer /<*> closed")
    #expect(m.mask("[203.0.113.9]") == "[<*>]")
}

@Test func masksPathsURLsAndEmails() {
    let m = VariableMasker()
    #expect(m.mask("open /var/log/app/main.log failed") == "open <*> failed")
    #expect(m.mask("load ./conf/app.yml") == "load <*>")
    #expect(m.mask("GET https://example.org/a?b=1 done") == "GET <*> done")
    #expect(m.mask("mail to ops.team@example.com sent") == "mail to <*> sent")
    #expect(m.mask("resolved build-7.example.com") == "resolved <*>")
}

@Test func masksQuotedAndKeyValueValues() {
    let m = VariableMasker()
    #expect(m.mask("user 'alice smith' logged in") == "user '<*>' logged in")
    #expect(m.mask("set \"x\" now") == "set \"<*>\" now")
    #expect(m.mask("status=ok retries=3 empty=") == "status=<*> retries=<*> empty=")
    // The grouping masker keeps word values and quoted words, masks numbers in them.
    let g = VariableMasker(kinds: .grouping)
    #expect(g.mask("status=ok retries=3 name='svc'") == "status=ok retries=<*> name='svc'")
}

@Test func masksDurationsAndSizes() {
    let m = VariableMasker()
    #expect(m.mask("done in 12ms") == "done in <*>")
    #expect(m.mask("waited 3.5s") == "waited <*>")
    #expect(m.mask("buffer 64KB full") == "buffer <*> full")
    #expect(m.mask("estimated size 5.2 KB, free 1.0 GB)") == "estimated size <*> <*>, free <*> <*>)")
}

@Test func masksIdentifiersWithNumbersButKeepsWords() {
    let m = VariableMasker()
    #expect(m.mask("block blk_-6952295868487656571 done") == "block blk_<*> done")
    #expect(m.mask("attempt_1445144423722_0020_m_000000_0 started") == "attempt_<*> started")
    #expect(m.mask("Service started normally") == "Service started normally")
    #expect(m.maskedTokens("a  b\tc") == ["a", "b", "c"])
}

@Test func masksDatesInsideMessages() {
    let m = VariableMasker()
    #expect(m.mask("seen at Fri Jun 17 07:07:00 2005 ok") == "seen at <*> <*> <*> <*> <*> ok")
    // A month-like word without a number next to it stays.
    #expect(m.mask("may I help") == "may I help")
}

// MARK: - TemplateMiner

@Test func messagesDifferingOnlyInNumbersShareAGroup() {
    var miner = TemplateMiner()
    let a = miner.add("Connection closed after 15 seconds")
    let b = miner.add("Connection closed after 301 seconds")
    #expect(a == b)
    #expect(miner.groupCount == 1)
    #expect(miner.template(ofGroup: a) == "Connection closed after <*> seconds")
}

@Test func differentMessagesGetDifferentGroups() {
    var miner = TemplateMiner()
    let a = miner.add("Connection closed after 15 seconds")
    let b = miner.add("Disk quota exceeded for volume 3")
    let c = miner.add("Connection opened from 10.1.1.1")
    #expect(a != b && a != c && b != c)
    #expect(miner.groupCount == 3)
    #expect(a == 1 && b == 2 && c == 3)
}

@Test func templateWidensAndKeepsItsId() {
    var miner = TemplateMiner()
    let users = ["alice", "bob", "carol", "dave", "erin", "frank"]
    var ids: [Int] = []
    for user in users { ids.append(miner.add("Accepted login for \(user) from 10.0.0.\(ids.count)")) }
    let first = ids[0]
    // Once enough distinct values were seen, every message lands in the first group.
    #expect(ids.allSatisfy { miner.group(of: $0) == first })
    #expect(ids.last == first)
    #expect(miner.template(ofGroup: first) == "Accepted login for <*> from <*>")
    #expect(miner.template(ofGroup: ids[1]) == "Accepted login for <*> from <*>")
    #expect(miner.size(ofGroup: first) == users.count)
    #expect(miner.groupCount == 1)
    // A new value joins the widened template directly.
    #expect(miner.add("Accepted login for zoe from 10.9.9.9") == first)
}

@Test func fewDistinctWordsStaySeparateEvents() {
    var miner = TemplateMiner()
    let a = miner.add("Transition from RUNNING to STOPPED")
    let b = miner.add("Transition from STARTING to RUNNING")
    let c = miner.add("Transition from STOPPED to STARTING")
    let d = miner.add("Transition from NEW to STARTING")
    #expect(Set([a, b, c, d]).count == 4)
    // Messages are never merged on their first word.
    let e = miner.add("cupsd startup succeeded")
    let f = miner.add("sshd startup succeeded")
    let g = miner.add("httpd startup succeeded")
    let h = miner.add("crond startup succeeded")
    #expect(Set([e, f, g, h]).count == 4)
}

@Test func maskedValueAndWordInSamePlaceMerge() {
    var miner = TemplateMiner()
    let a = miner.add("Invalid user 1234 from 10.0.0.1")
    let b = miner.add("Invalid user admin from 10.0.0.2")
    #expect(miner.group(of: a) == miner.group(of: b))
    #expect(miner.template(ofGroup: a) == "Invalid user <*> from <*>")
}

@Test func unknownGroupIdsAreHandled() {
    let miner = TemplateMiner()
    #expect(miner.template(ofGroup: 7) == "")
    #expect(miner.groupCount == 0)
}

// MARK: - PatternListing

@Test func listingPrintsFinalGroupsAndQuotesTemplates() {
    var miner = TemplateMiner()
    let log = "Cache hit, key 17\r\nCache hit, key 18\nDisk full on sda1\n"
    let csv = String(decoding: PatternListing.csv(logData: Data(log.utf8), miner: &miner), as: UTF8.self)
    #expect(csv == "LineId,GroupId,Template\n1,1,\"Cache hit, key <*>\"\n2,1,\"Cache hit, key <*>\"\n3,2,Disk full on sda1\n")
    #expect(PatternListing.csvField("say \"hi\"") == "\"say \"\"hi\"\"\"")
}

// MARK: - Loghub-2.0 template convention

/// The template of the one group that `messages` should form.
private func template(of messages: [String]) -> (groups: Int, template: String) {
    var miner = TemplateMiner()
    var ids = Set<Int>()
    for m in messages { ids.insert(miner.add(m)) }
    let finals = Set(ids.map { miner.group(of: $0) })
    return (finals.count, miner.template(ofGroup: finals.first ?? 0))
}

@Test func addressWithPortIsTwoVariables() {
    let r = template(of: ["Lease renewed by 192.0.2.17:8042 for job_77_3", "Lease renewed by 192.0.2.90:9001 for job_78_1"])
    #expect(r.groups == 1)
    #expect(r.template == "Lease renewed by <*>:<*> for <*>")
}

@Test func identifierWithAVariablePartIsOneVariable() {
    let r = template(of: ["Dropped chunk chk_-41 from /198.51.100.4", "Dropped chunk chk_977 from /198.51.100.5"])
    #expect(r.template == "Dropped chunk <*> from <*>")
}

@Test func constantWordsWithDigitsStay() {
    // `v4` and `md5sum` are the same in every message: words, not variables.
    let r = template(of: ["Checked file 12 with md5sum over v4", "Checked file 13 with md5sum over v4"])
    #expect(r.template == "Checked file <*> with md5sum over v4")
}

@Test func pathsUnitsAndDottedNumbersAreOneVariable() {
    let r = template(of: ["Cached /srv/app/a.bin (size 1.5 KB, took 3 ms)", "Cached /srv/app/b.bin (size 20.25 KB, took 9 ms)"])
    #expect(r.template == "Cached <*> (size <*>, took <*>)")
}

@Test func writtenOutDateIsOneVariable() {
    let r = template(of: ["Backup started at Tue Mar 3 04:05:06 2020", "Backup started at Wed Mar 4 14:15:16 2020"])
    #expect(r.template == "Backup started at <*>:<*>:<*>")
}

@Test func keyOfAMergedValueStays() {
    let users = ["amy", "ben", "cid", "dot", "eve"]
    let r = template(of: users.map { "Login refused tty=pts rhost=203.0.113.8 user=\($0)" })
    #expect(r.groups == 1)
    #expect(r.template == "Login refused tty=pts rhost=<*> user=<*>")
}

@Test func leadingProgramNameVariesInLongMessages() {
    let programs = ["alpha.exe", "beta.exe", "gamma.exe", "delta.exe", "omega.exe"]
    let r = template(of: programs.enumerated().map { i, p in
        "\(p) - relay.example.net:\(3000 + i) open through proxy relay.example.net:\(3000 + i) HTTPS"
    })
    #expect(r.groups == 1)
    #expect(r.template == "<*> - <*>:<*> open through proxy <*>:<*> HTTPS")
}

@Test func identifiersOfTwoKindsInOnePlaceMerge() {
    let r = template(of: ["Stored piece_3_1 in memory (free 3 MB)", "Stored shard_4 in memory (free 2 MB)"])
    #expect(r.groups == 1)
    #expect(r.template == "Stored <*> in memory (free <*>)")
}

@Test func tokenAtomsFollowTheConventionDelimiters() {
    let atoms = TokenAtoms.split(Array("node-7/10.0.0.1:80,".utf8)[...]).map { String(decoding: $0.bytes, as: UTF8.self) }
    #expect(atoms == ["node", "-", "7", "/", "10", ".", "0", ".", "0", ".", "1", ":", "80", ","])
    let host = TokenAtoms.split(Array("[db-eu-12.example.com:5432]".utf8)[...])
    #expect(host.map(\.kind) == [.delimiter, .host, .delimiter, .word, .delimiter])
    #expect(TokenAtoms.isVariableWord(Array("0x1f".utf8)[...]))
    #expect(TokenAtoms.isVariableWord(Array("256K".utf8)[...]))
    #expect(!TokenAtoms.isVariableWord(Array("ssh2".utf8)[...]))
}

@Test func windowsPathsAreOneVariable() {
    #expect(VariableMasker(kinds: .grouping).mask("Loaded stack from C:\\Sys\\x64\\core7.dll now") == "Loaded stack from <*> now")
    let r = template(of: ["Loaded stack 2.1 from C:\\Sys\\x64\\core7.dll", "Loaded stack 2.2 from D:\\Other\\lib.dll"])
    #expect(r.template == "Loaded stack <*> from <*>")
}

@Test func booleansAndNullAreValues() {
    let g = VariableMasker(kinds: .grouping)
    #expect(g.mask("saver enabled=false (null) TRUE") == "saver enabled=<*> (<*>) <*>")
    #expect(g.mask("trust none") == "trust none")
    let r = template(of: ["Power saver changed: enabled=true", "Power saver changed: enabled=false"])
    #expect(r.groups == 1)
    #expect(r.template == "Power saver changed: enabled=<*>")
}
