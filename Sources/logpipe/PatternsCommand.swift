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
            guard let d = FileManager.default.contents(atPath: file) else { throw RuntimeFailure("cannot read \(file)") }
            data = d
        } else {
            data = FileHandle.standardInput.readDataToEndOfFile()
        }
        var miner = TemplateMiner()
        let csv = PatternListing.csv(logData: data, miner: &miner)
        csv.withUnsafeBytes { StandardOutput.write($0.bindMemory(to: UInt8.self)) }
    }
}
