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
        var miner = TemplateMiner()
        data.withUnsafeBytes { raw in
            PatternListing.write(text: raw.bindMemory(to: UInt8.self), miner: &miner) { StandardOutput.write($0) }
        }
    }
}
