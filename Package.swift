// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "hria",
    platforms: [.macOS(.v13)],
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
    ],
    targets: [
        .target(
            name: "HRIAKit",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(name: "HRIAFuzz", dependencies: ["HRIAKit"]),
        .executableTarget(
            name: "hria",
            dependencies: [
                "HRIAKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "hria-bench",
            dependencies: [
                "HRIAKit",
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
        .testTarget(name: "EndToEndTests", dependencies: ["HRIAKit", "HRIATestSupport", "hria", "hria-bench"], exclude: ["Golden"]),
    ],
    swiftLanguageModes: [.v6]
)
