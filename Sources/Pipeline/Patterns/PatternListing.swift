import Foundation

/// Runs a ``TemplateMiner`` over a whole log and renders the result as CSV:
/// a header `LineId,GroupId,Template`, then one row per line (LineId from 1),
/// GroupId the line's final group (after merges) and Template that group's
/// final template, quoted per RFC 4180 when it holds `,` `"` CR or LF.
public enum PatternListing {
    /// Mines every line of `logData` (LF or CRLF ends; no final empty line) and returns the CSV.
    public static func csv(logData: Data, miner: inout TemplateMiner) -> Data {
        var out = Data()
        logData.withUnsafeBytes { raw in
            write(text: raw.bindMemory(to: UInt8.self), miner: &miner) { out.append($0) }
        }
        return out
    }

    /// Mines every line of `text` and hands the CSV to `output` in pieces, in order.
    ///
    /// Lines are masked in parallel (see ``ParallelMasking``) and grouped in
    /// order on the calling thread; rows are rendered in parallel at the end,
    /// once every group is final.
    public static func write(text: UnsafeBufferPointer<UInt8>, miner: inout TemplateMiner,
                             to output: (UnsafeBufferPointer<UInt8>) -> Void) {
        var ids: [Int] = []
        ids.reserveCapacity(text.count / 48)
        ParallelMasking.forEachBlock(text: text) { block in
            miner.add(block: block, text: text, into: &ids)
        }
        render(ids: ids, miner: miner, to: output)
    }

    /// Renders the CSV for lines whose ids ``TemplateMiner/add(_:)`` returned, in order.
    public static func render(ids: [Int], miner: TemplateMiner) -> Data {
        var out = Data()
        render(ids: ids, miner: miner) { out.append($0) }
        return out
    }

    /// Renders the CSV for lines whose ids ``TemplateMiner/add(_:)`` returned, in
    /// order, handing it to `output` in pieces.
    public static func render(ids: [Int], miner: TemplateMiner, to output: (UnsafeBufferPointer<UInt8>) -> Void) {
        // Each id's final group and that group's template as a CSV field: `,GroupId,Template\n`.
        var tails: [[UInt8]] = Array(repeating: [], count: miner.idCount + 1)
        var fields: [Int: [UInt8]] = [:]
        let templates = miner.templates()
        for id in 1..<(miner.idCount + 1) {
            let group = miner.group(of: id)
            let field = fields[group] ?? Array(csvField(templates[group] ?? "").utf8)
            fields[group] = field
            var tail: [UInt8] = [0x2C]
            appendDecimal(group, to: &tail)
            tail.append(0x2C)
            tail.append(contentsOf: field)
            tail.append(0x0A)
            tails[id] = tail
        }
        Array("LineId,GroupId,Template\n".utf8).withUnsafeBufferPointer(output)
        let pieceLines = 65_536
        let pieces = (ids.count + pieceLines - 1) / pieceLines
        let parts = ParallelRows(count: pieces)
        let rowTails = tails
        ParallelMasking.forEach(pieces) { k in
            var out: [UInt8] = []
            out.reserveCapacity(pieceLines * 48)
            for i in (k * pieceLines)..<min(ids.count, (k + 1) * pieceLines) {
                appendDecimal(i + 1, to: &out)
                out.append(contentsOf: rowTails[ids[i]])
            }
            parts.set(k, out)
        }
        for k in 0..<pieces { parts.get(k).withUnsafeBufferPointer(output) }
    }

    /// Rendered pieces, each written by one worker before they are read.
    private final class ParallelRows: @unchecked Sendable {
        private var rows: [[UInt8]]
        private let lock = NSLock()
        init(count: Int) { rows = Array(repeating: [], count: count) }
        func set(_ k: Int, _ r: [UInt8]) { lock.withLock { rows[k] = r } }
        func get(_ k: Int) -> [UInt8] { lock.withLock { rows[k] } }
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
