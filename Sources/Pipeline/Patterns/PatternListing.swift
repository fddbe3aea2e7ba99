import Foundation

/// Runs a ``TemplateMiner`` over a whole log and renders the result as CSV:
/// a header `LineId,GroupId,Template`, then one row per line (LineId from 1),
/// GroupId the line's final group (after merges) and Template that group's
/// final template, quoted per RFC 4180 when it holds `,` `"` CR or LF.
public enum PatternListing {
    /// Mines every line of `logData` (LF or CRLF ends; no final empty line) and returns the CSV.
    /// Lines are masked in parallel (see ``ParallelMasking``) and grouped in order.
    public static func csv(logData: Data, miner: inout TemplateMiner) -> Data {
        var ids: [Int] = []
        logData.withUnsafeBytes { raw in
            let all = raw.bindMemory(to: UInt8.self)
            let lines = lineRanges(all)
            ids.reserveCapacity(lines.count)
            ParallelMasking.forEachBlock(text: all, lines: lines) { block in
                for i in 0..<block.count { ids.append(miner.add(block: block, at: i)) }
            }
        }
        return render(ids: ids, miner: miner)
    }

    /// The byte ranges of the lines of `text`, without their LF or CRLF ends.
    static func lineRanges(_ text: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var lines: [Range<Int>] = []
        guard let base = text.baseAddress else { return lines }
        let n = text.count
        var start = 0
        while start < n {
            let end: Int
            if let hit = memchr(base + start, 0x0A, n - start) {
                end = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            } else {
                end = n
            }
            var stop = end
            if stop > start && text[stop - 1] == 0x0D { stop -= 1 }
            lines.append(start..<stop)
            start = end + 1
        }
        return lines
    }

    /// Renders the CSV for lines whose ids ``TemplateMiner/add(_:)`` returned, in order.
    public static func render(ids: [Int], miner: TemplateMiner) -> Data {
        var out: [UInt8] = Array("LineId,GroupId,Template\n".utf8)
        out.reserveCapacity(ids.count * 48)
        var templates: [Int: [UInt8]] = [:]
        for (i, id) in ids.enumerated() {
            let group = miner.group(of: id)
            appendDecimal(i + 1, to: &out)
            out.append(0x2C)
            appendDecimal(group, to: &out)
            out.append(0x2C)
            if let t = templates[group] {
                out.append(contentsOf: t)
            } else {
                let t = Array(csvField(miner.template(ofGroup: group)).utf8)
                templates[group] = t
                out.append(contentsOf: t)
            }
            out.append(0x0A)
        }
        return Data(out)
    }

    /// A CSV field, quoted (with `"` doubled) when it holds `,` `"` CR or LF.
    public static func csvField(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        var v = value
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buf in
            repeat {
                buf[count] = UInt8(0x30 + v % 10)
                v /= 10
                count += 1
            } while v > 0
            for k in stride(from: count - 1, through: 0, by: -1) { out.append(buf[k]) }
        }
    }
}
