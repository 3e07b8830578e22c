import Foundation
import Testing

/// Runs the built `hria` binary the way a user would, in a folder of the test's choosing.
enum HRIA {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The `hria` executable built next to this test binary.
    static let executable: URL = builtProduct("hria")

    /// A product built next to this test binary (`hria`, `hria-bench`).
    static func builtProduct(_ name: String) -> URL {
        var candidates: [URL] = []
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: path))
        }
        candidates.append(Bundle.main.bundleURL)
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]))
        for start in candidates {
            var folder = start.deletingLastPathComponent()
            for _ in 0..<5 {
                let binary = folder.appendingPathComponent(name)
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: binary.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                    return binary
                }
                folder = folder.deletingLastPathComponent()
            }
        }
        fatalError("the \(name) executable was not built next to the tests")
    }

    /// The package root, for the shipped workflows and the example workspace.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Runs `hria` (or another `program`: psql, a script) to its end, reading both its outputs as it runs.
    @discardableResult
    static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:],
                    stdin: Data? = nil, program: URL = executable) throws -> Result {
        let process = Process()
        process.executableURL = program
        process.arguments = arguments
        process.currentDirectoryURL = directory ?? packageRoot
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "HRIA_ACTOR")
        env.removeValue(forKey: "HRIA_NOW")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try? input.fileHandleForWriting.close()
        // Read both pipes while the process runs so a large output cannot block it.
        var outData = Data(), errData = Data()
        let group = DispatchGroup()
        let queue = DispatchQueue(label: "hria.e2e.read", attributes: .concurrent)
        nonisolated(unsafe) var outBox = Data(), errBox = Data()
        group.enter()
        queue.async { outBox = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        queue.async { errBox = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.wait()
        process.waitUntilExit()
        outData = outBox
        errData = errBox
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A fresh temporary folder, removed by the caller with `cleanUp`.
    static func temporaryDirectory(_ name: String = "hria-e2e") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func cleanUp(_ url: URL) {
        try? FileManager.default.removeItem(at: url)
    }

    /// Whether a program is on PATH (Graphviz's dot, for example).
    static func which(_ program: String) -> String? {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let path = "\(folder)/\(program)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    static var standardWorkflows: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: packageRoot.appendingPathComponent("workflows").path)) ?? [])
            .filter { $0.hasSuffix(".yaml") }.sorted().map { "workflows/\($0)" }
    }
}
