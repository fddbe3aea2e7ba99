import Foundation
import Testing

/// The libFuzzer package (fuzz/Package.swift) builds the Pipeline and Sinks sources through symlinks, with its own
/// target list. When Sinks gained a C module (CTLS) the fuzz package stopped building and nobody noticed for a
/// session; `make test` does not build it (an ASan build takes minutes), so this checks the lists agree.
@Suite struct FuzzPackageTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The dependency names of `.target(name: "NAME", dependencies: [...])` in a package manifest.
    static func dependencies(of target: String, in manifest: String) -> Set<String>? {
        guard let range = manifest.range(of: ".target(name: \"\(target)\"") else { return nil }
        let rest = manifest[range.upperBound...]
        guard let close = rest.firstIndex(of: ")") else { return nil }
        let call = rest[..<close]
        guard let open = call.range(of: "dependencies: [") , let end = call[open.upperBound...].firstIndex(of: "]") else {
            return []
        }
        let names = call[open.upperBound..<end].split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return Set(names.filter { !$0.isEmpty })
    }

    @Test func fuzzPackageBuildsTheSameModulesAsTheMainPackage() throws {
        let main = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let fuzz = try String(contentsOf: Self.root.appendingPathComponent("fuzz/Package.swift"), encoding: .utf8)
        for target in ["Pipeline", "SegmentFormat", "Sinks"] {
            let wanted = try #require(Self.dependencies(of: target, in: main), "\(target) in Package.swift")
            let fuzzed = try #require(Self.dependencies(of: target, in: fuzz), "\(target) in fuzz/Package.swift")
            #expect(fuzzed == wanted, "fuzz/Package.swift: \(target) depends on \(fuzzed.sorted()), Package.swift on \(wanted.sorted())")
            for module in wanted {
                #expect(fuzz.contains("name: \"\(module)\""), "fuzz/Package.swift declares no \(module)")
                let link = Self.root.appendingPathComponent("fuzz/Sources/\(module)").path
                #expect(FileManager.default.fileExists(atPath: link), "fuzz/Sources/\(module) is missing")
            }
        }
    }
}
