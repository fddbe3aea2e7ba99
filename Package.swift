// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "logpipe",
    products: [
        .executable(name: "logpipe", targets: ["logpipe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .target(name: "Pipeline", swiftSettings: fast),
        .target(name: "Ingest", dependencies: ["Pipeline", "Sinks"], swiftSettings: fast),
        .target(name: "Sinks", dependencies: ["Pipeline", "CLZ4", "CZlib", "CDeflate", "CCrypto"], swiftSettings: fast),
        .executableTarget(
            name: "logpipe",
            dependencies: [
                "Pipeline", "Ingest", "Sinks",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: fast
        ),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline"]),
        .testTarget(name: "IngestTests", dependencies: ["Ingest", "Pipeline"]),
        .testTarget(name: "SinksTests", dependencies: ["Sinks", "Pipeline"]),
        .testTarget(name: "logpipeTests", dependencies: ["Sinks", "Pipeline"]),
    ]
)

/// The hot path scans bytes through unsafe pointers; exclusivity checks cost ~10% there and buy nothing.
var fast: [SwiftSetting] { [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))] }
