// swift-tools-version: 6.0
// The fuzz entry point, kept out of the main package: it has no `main` of its own (libFuzzer supplies it), so it
// links only when built with `--sanitize fuzzer`, which `scripts/fuzz` does. The targets themselves are in the
// main package's HRIAFuzz library, where the library tests run their seeds and past findings.
import Foundation
import PackageDescription

// A path dependency is named after its folder, which is whatever the clone is called.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

let package = Package(
    name: "hria-fuzz",
    platforms: [.macOS(.v13)],
    dependencies: [.package(path: root.path)],
    targets: [
        .executableTarget(name: "hria-fuzz", dependencies: [.product(name: "HRIAFuzz", package: root.lastPathComponent)]),
    ],
    swiftLanguageModes: [.v6]
)
