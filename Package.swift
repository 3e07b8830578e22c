// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "hria",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "hria", targets: ["hria"]),
        .executable(name: "hria-bench", targets: ["hria-bench"]),
        .library(name: "HRIAKit", targets: ["HRIAKit"]),
        // The fuzz targets, for the Fuzz/ package that runs them under libFuzzer (scripts/fuzz).
        .library(name: "HRIAFuzz", targets: ["HRIAFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        // RFC 8941/9651 structured fields, the syntax of RFC 9421's Signature-Input and Signature headers.
        .package(url: "https://github.com/apple/swift-http-structured-headers.git", from: "1.7.0"),
        // The PostgreSQL store (docs/STORE.md): the Swift server ecosystem's PostgreSQL client, and NIO's TLS for sslmode.
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // hria serve (docs/SERVER.md): Hummingbird 2 for HTTP, service-lifecycle for draining on SIGTERM, swift-metrics
        // with swift-prometheus for /metrics. Well-kept server libraries rather than our own HTTP parsing.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // The command line's client of hria serve: NIO's HTTP client (TLS through swift-nio-ssl), since Foundation's
        // URLSession needs libcurl, which the statically linked release build cannot link.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        .target(
            name: "HRIAKit",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "RawStructuredFieldValues", package: "swift-http-structured-headers"),
            ]
        ),
        // The PostgreSQL backend of the store, apart from HRIAKit so that the fuzz targets build without NIO.
        .target(
            name: "HRIAPostgres",
            dependencies: [
                "HRIAKit",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The service: the engine behind HTTP. The library's logic stays in HRIAKit; this is routes, wire formats and
        // operations (logs, metrics, shutdown).
        .target(
            name: "HRIAServer",
            dependencies: [
                "HRIAKit",
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .target(name: "HRIAFuzz", dependencies: ["HRIAKit"]),
        .executableTarget(
            name: "hria",
            dependencies: [
                "HRIAKit",
                "HRIAPostgres",
                "HRIAServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "hria-bench",
            dependencies: [
                "HRIAKit",
                "HRIAPostgres",
                "HRIAServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // What both test targets share: the seeded generator, an independent base64url, OpenSSH's programs.
        .target(name: "HRIATestSupport", path: "Tests/Support"),
        .testTarget(
            name: "HRIAKitTests",
            dependencies: ["HRIAKit", "HRIAFuzz", "HRIATestSupport", .product(name: "Crypto", package: "swift-crypto")],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "EndToEndTests", dependencies: ["HRIAKit", "HRIAServer", "HRIATestSupport", "hria", "hria-bench"], exclude: ["Golden"]),
    ],
    swiftLanguageModes: [.v6]
)
