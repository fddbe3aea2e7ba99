// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "logpipe",
    products: [
        .executable(name: "logpipe", targets: ["logpipe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Network inputs (TCP/TLS syslog, HTTP, OTLP, Fluent forward): SwiftNIO's server engine (DESIGN.md §2).
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CTLS", pkgConfig: "libssl", providers: [.apt(["libssl-dev"])]),
        .target(name: "CSocket"),
        .target(name: "Pipeline", swiftSettings: fast),
        // Segment names, frames, manifests, codecs, reading and salvage: shared by writing, replay, cat and verify.
        .target(name: "SegmentFormat", dependencies: ["Pipeline", "CLZ4", "CZlib", "CDeflate", "CZstd", "CCrypto"], swiftSettings: fast),
        // Sources: stdin, UDP, file tail, replay, and the inputs that hold connections (Network/, TCP/, HTTP/, OTLP/,
        // Forward/) on SwiftNIO's server engine.
        .target(
            name: "Ingest",
            dependencies: [
                "Pipeline", "SegmentFormat", "CSocket", "CZlib", "CZstd",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: fast
        ),
        .target(name: "Sinks", dependencies: ["Pipeline", "SegmentFormat", "CLZ4", "CZlib", "CDeflate", "CCrypto", "CTLS"], swiftSettings: fast),
        .executableTarget(
            name: "logpipe",
            dependencies: [
                "Pipeline", "SegmentFormat", "Ingest", "Sinks",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: fast
        ),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline"]),
        .testTarget(name: "IngestTests", dependencies: [
            "Ingest", "Pipeline", "SegmentFormat", "TestSupport",
            // HTTP handlers tested in memory (EmbeddedChannel); OTLP requests built with the generated types.
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),
        // Test doubles more than one test target needs (a real HTTP receiver on 127.0.0.1).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "SinksTests", dependencies: ["Sinks", "SegmentFormat", "Pipeline", "TestSupport"]),
        // The checks every Source and every Sink passes (one test body, a list of conformers).
        .testTarget(name: "ComplianceTests", dependencies: ["Pipeline", "Ingest", "Sinks", "SegmentFormat", "TestSupport"]),
        .testTarget(name: "logpipeTests", dependencies: ["Sinks", "SegmentFormat", "Pipeline", "TestSupport"]),
    ]
)

/// The hot path scans bytes through unsafe pointers; exclusivity checks cost ~10% there and buy nothing.
var fast: [SwiftSetting] { [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))] }
