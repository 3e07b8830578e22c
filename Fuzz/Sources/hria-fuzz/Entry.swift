import Foundation
import HRIAFuzz

// libFuzzer's two entry points. The target is chosen by HRIA_FUZZ_TARGET; with HRIA_FUZZ_SEEDS=FOLDER the program
// writes the target's seed inputs there and exits instead of fuzzing (scripts/fuzz does both).

nonisolated(unsafe) var selected = FuzzTarget.workflow

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> Int32 {
    let environment = ProcessInfo.processInfo.environment
    guard let name = environment["HRIA_FUZZ_TARGET"], let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        FileHandle.standardError.write(Data("hria-fuzz: set HRIA_FUZZ_TARGET to one of \(names)\n".utf8))
        exit(2)
    }
    selected = target
    if let folder = environment["HRIA_FUZZ_SEEDS"] {
        let repository = URL(fileURLWithPath: environment["HRIA_FUZZ_REPOSITORY"] ?? FileManager.default.currentDirectoryPath)
        let seeds = target.seeds(repository: repository)
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (number, seed) in seeds.enumerated() {
            _ = FileManager.default.createFile(atPath: "\(folder)/seed-\(number)", contents: Data(seed))
        }
        print("hria-fuzz: wrote \(seeds.count) seeds of \(name) to \(folder)")
        exit(0)
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    selected.run(bytes)
    return 0
}
