// swift-tools-version:6.0
// libFuzzer targets for logpipe (issue 8). Built separately from the main package:
//   swift build -c release --package-path fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
// The main package exports no library products, so the library targets are reached through symlinks
// (fuzz/Sources/Pipeline -> ../../Sources/Pipeline, …): the fuzzers always test the current sources.
import PackageDescription

let package = Package(
    name: "logpipe-fuzz",
    targets: [
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4"),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib"),
        .systemLibrary(name: "CDeflate", pkgConfig: "libdeflate"),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd"),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto"),
        .systemLibrary(name: "CTLS", pkgConfig: "libssl"),
        .target(name: "Pipeline"),
        .target(name: "SegmentFormat", dependencies: ["Pipeline", "CLZ4", "CZlib", "CDeflate", "CZstd", "CCrypto"]),
        .target(name: "Sinks", dependencies: ["Pipeline", "SegmentFormat", "CLZ4", "CZlib", "CDeflate", "CCrypto", "CTLS"]),
        .target(name: "FuzzDriver"),
        .target(name: "FuzzSupport", dependencies: ["Pipeline", "FuzzDriver"]),
        .executableTarget(name: "FuzzEncoder", dependencies: ["Pipeline", "FuzzSupport"]),
        .executableTarget(name: "FuzzFramer", dependencies: ["Pipeline", "FuzzSupport"]),
        .executableTarget(name: "FuzzSegment", dependencies: ["Pipeline", "SegmentFormat", "FuzzSupport"]),
    ]
)
