import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension DeliverySpool {
    /// Rebuilds the state from disk: validates every file still holding undelivered entries, moves damage to
    /// `quarantine/` (keeping the valid records before it), and places the committed position.
    func recover() throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var seqs = names.compactMap(Self.sequence(ofSpoolFile:)).sorted()
        for n in names where n.hasSuffix(".spool") && Self.sequence(ofSpoolFile: n) == nil {
            log("spool \(directory): ignoring \(n) (not a spool file name: 16 digits, then .spool)")
        }
        var position = readCommitted(firstSeq: seqs.first ?? 1)
        // Files wholly before the committed one were delivered (their deletion did not happen before a stop).
        for seq in seqs where seq < position.file { unlink(path(seq)) }
        seqs.removeAll { $0 < position.file }
        if seqs.first.map({ $0 > position.file }) ?? false {
            position = Position(file: seqs[0], offset: SpoolRecord.magic.count)
        }
        var entries = 0, bytes = 0
        for seq in seqs {
            guard let scan = validate(seq) else { continue }
            var ends = scan.ends
            if seq == position.file {
                if position.offset != SpoolRecord.magic.count, !ends.contains(position.offset) {
                    log("spool \(directory): committed offset \(position) is not on an entry boundary; " +
                        "re-sending \(path(seq)) from its start (receivers drop duplicates by requestId)")
                    quarantine(directory + "/committed", reason: "offset not on an entry boundary", copy: true)
                    position.offset = SpoolRecord.magic.count
                }
                ends.removeAll { $0 <= position.offset }
                bytes += scan.validEnd - position.offset
            } else {
                bytes += scan.validEnd - SpoolRecord.magic.count
            }
            entries += ends.count
            files.append((seq, scan.validEnd))
        }
        if let first = files.first, first.seq != position.file {
            position = Position(file: first.seq, offset: SpoolRecord.magic.count)
        }
        restore(committed: position, pendingEntries: entries, pendingBytes: bytes)
        if entries > 0 { log("spool \(directory): \(entries) undelivered entr\(entries == 1 ? "y" : "ies") from an earlier run go first") }
        // Fully delivered files are removed as the next file is created.
        while files.count > 0, files[0].size <= committed.offset, files[0].seq == committed.file {
            unlink(path(files.removeFirst().seq))
            if let next = files.first { restore(committed: Position(file: next.seq, offset: SpoolRecord.magic.count),
                                                pendingEntries: entries, pendingBytes: bytes) }
        }
    }

    /// The sequence number in a spool file's name (`<16 digits>.spool`), nil for any other name.
    static func sequence(ofSpoolFile name: String) -> Int? {
        let digits = name.utf8.prefix(16)
        guard name.utf8.count == 22, name.hasSuffix(".spool"), digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int(name.prefix(16))
    }

    /// The committed position from `committed`; a damaged file is quarantined and delivery restarts at the
    /// oldest spool file (duplicates, never gaps).
    private func readCommitted(firstSeq: Int) -> Position {
        let p = directory + "/committed"
        let start = Position(file: firstSeq, offset: SpoolRecord.magic.count)
        guard let data = FileManager.default.contents(atPath: p) else { return start }
        let parts = String(decoding: data, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" })
        if parts.count == 2, let f = Int(parts[0]), let o = Int(parts[1]), f > 0, o >= SpoolRecord.magic.count {
            return Position(file: f, offset: o)
        }
        quarantine(p, reason: "unreadable committed offset", copy: false)
        log("spool \(directory): re-sending every spooled entry (receivers drop duplicates by requestId)")
        return start
    }

    /// Checks file `seq`; damage is moved to quarantine and the valid prefix written back under the same name.
    /// Nil when nothing of the file is usable.
    private func validate(_ seq: Int) -> SpoolRecord.Scan? {
        let p = path(seq)
        guard let data = FileManager.default.contents(atPath: p) else { return nil }
        let scan = data.withUnsafeBytes { SpoolRecord.scan($0.bindMemory(to: UInt8.self)) }
        guard let damage = scan.damage else { return scan }
        let moved = quarantine(p, reason: damage, copy: false)
        guard scan.validEnd > 0 else { return nil }
        let fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        let ok = data.withUnsafeBytes { write(fd, $0.baseAddress!, scan.validEnd) == scan.validEnd } && fsync(fd) == 0
        guard ok else { return nil }
        log("spool: kept the \(scan.ends.count) whole entr\(scan.ends.count == 1 ? "y" : "ies") before the damage in \(p)" +
            (moved.map { " (the damaged file is \($0))" } ?? ""))
        return scan
    }

    /// Moves (or copies) `file` to `quarantine/<name>.<time>` and says so on stderr. Returns the new path.
    @discardableResult
    func quarantine(_ file: String, reason: String, copy: Bool) -> String? {
        let dir = directory + "/quarantine"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let target = dir + "/" + (file as NSString).lastPathComponent + ".\(Int64(Date().timeIntervalSince1970 * 1000))"
        let done = copy ? (try? FileManager.default.copyItem(atPath: file, toPath: target)) != nil
                        : rename(file, target) == 0
        log("spool: \(file) is damaged (\(reason)); " + (done ? "moved to \(target)" : "could not move it aside") + "; continuing")
        return done ? target : nil
    }
}
