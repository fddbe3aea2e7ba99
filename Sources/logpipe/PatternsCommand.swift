import ArgumentParser
import Foundation
import Pipeline

/// `logpipe patterns [FILE|-]`: groups messages (one per line) by template; CSV `LineId,GroupId,Template`.
struct PatternsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "patterns",
        abstract: "Group messages by template: prints CSV LineId,GroupId,Template (LineId from 1).",
        discussion: "GroupIds are the final groups after merging; a template that widens keeps its group.")

    @Argument(help: "File with one message per line; - or nothing for stdin.")
    var file: String?

    @Option(name: .customLong("min-distinct"),
            help: "Distinct groups that must agree before a position becomes a variable (default 4; for experiments).")
    var minDistinct: Int?

    @Option(name: .customLong("varying-share"),
            help: "At most one position in N may become a variable in one merge (default 3; for experiments).")
    var varyingShare: Int?

    func run() throws {
        let data: Data
        if let file, file != "-" {
            // Mapped, not read: the miner only scans the text once.
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: file), options: .alwaysMapped)
            } catch {
                throw RuntimeFailure("cannot read \(file): \(error.localizedDescription)")
            }
        } else {
            data = FileHandle.standardInput.readDataToEndOfFile()
        }
        var configuration = TemplateMiner.Configuration()
        if let minDistinct {
            guard minDistinct >= 2 else { throw ValidationError("invalid --min-distinct \(minDistinct): expected 2 or more") }
            configuration.minDistinctValues = minDistinct
        }
        if let varyingShare {
            guard varyingShare >= 1 else { throw ValidationError("invalid --varying-share \(varyingShare): expected 1 or more") }
            configuration.varyingShare = varyingShare
        }
        var miner = TemplateMiner(configuration: configuration)
        data.withUnsafeBytes { raw in
            PatternListing.write(text: raw.bindMemory(to: UInt8.self), miner: &miner) { StandardOutput.write($0) }
        }
    }
}
