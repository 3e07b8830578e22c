import Foundation
@testable import HRIAKit
import HRIATestSupport
import Testing

/// Every write the library makes goes through the `FileSystem` seam, so fault injection and crash tests reach all
/// of them: whatever appears or changes in a workspace while the library works was named to the seam.
@Suite("One seam for side effects")
struct FileSystemSeamTests {
    /// Passes everything to the real file system and notes every path a call could create or change.
    final class RecordingFileSystem: FileSystem, @unchecked Sendable {
        let inner = PosixFileSystem()
        private let lock = NSLock()
        private var paths: Set<String> = []
        private var renamedTo: Set<String> = []
        private var descriptors: [Int32: String] = [:]

        var touched: Set<String> { lock.withLock { paths } }
        /// Named to the seam: written, made or renamed there, or inside a folder renamed there (a staging folder
        /// moved into place takes everything written in it).
        func covers(_ path: String) -> Bool {
            lock.withLock { paths.contains(path) || renamedTo.contains { path.hasPrefix($0 + "/") } }
        }
        private func note(_ path: String) { _ = lock.withLock { paths.insert(path) } }
        private func opened(_ fd: Int32, _ path: String) -> Int32 {
            lock.withLock {
                paths.insert(path)
                descriptors[fd] = path
            }
            return fd
        }

        func openForAppend(_ path: String) throws(FileSystemError) -> Int32 { opened(try inner.openForAppend(path), path) }
        func openForWriting(_ path: String, exclusive: Bool) throws(FileSystemError) -> Int32 {
            opened(try inner.openForWriting(path, exclusive: exclusive), path)
        }
        func openForReading(_ path: String) throws(FileSystemError) -> Int32 { try inner.openForReading(path) }
        func close(_ fd: Int32) { inner.close(fd) }
        func write(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FileSystemError) { try inner.write(fd, bytes, path: path) }
        func fsync(_ fd: Int32, path: String) throws(FileSystemError) { try inner.fsync(fd, path: path) }
        func truncate(_ fd: Int32, to size: Int, path: String) throws(FileSystemError) { try inner.truncate(fd, to: size, path: path) }
        func lockExclusive(_ fd: Int32, timeout: Double) -> Bool { inner.lockExclusive(fd, timeout: timeout) }
        func readAll(_ path: String) throws(FileSystemError) -> [UInt8] { try inner.readAll(path) }
        func rename(_ from: String, _ to: String) throws(FileSystemError) {
            note(to)
            _ = lock.withLock { renamedTo.insert(to) }
            try inner.rename(from, to)
        }
        func link(_ from: String, _ to: String) throws(FileSystemError) {
            note(to)
            try inner.link(from, to)
        }
        func unlink(_ path: String) {
            note(path)
            inner.unlink(path)
        }
        func makeDirectory(_ path: String, mode: mode_t) throws(FileSystemError) {
            note(path)
            try inner.makeDirectory(path, mode: mode)
        }
        func fsyncDirectory(_ path: String) throws(FileSystemError) { try inner.fsyncDirectory(path) }
        func fileExists(_ path: String) -> Bool { inner.fileExists(path) }
        func listDirectory(_ path: String) -> [String] { inner.listDirectory(path) }
        func changePermissions(_ path: String, to mode: mode_t) throws(FileSystemError) {
            note(path)
            try inner.changePermissions(path, to: mode)
        }
        func changePermissions(_ fd: Int32, to mode: mode_t, path: String) throws(FileSystemError) {
            note(path)
            try inner.changePermissions(fd, to: mode, path: path)
        }
        func removeTree(_ path: String) {
            note(path)
            inner.removeTree(path)
        }
    }

    /// Every file and folder under `root` with what would show any change to it.
    static func listing(_ root: URL) -> [String: String] {
        var result: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root.path)
        while let relative = enumerator?.nextObject() as? String {
            let path = root.appendingPathComponent(relative).path
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            let isFolder = info.st_mode & S_IFMT == S_IFDIR
            #if canImport(Darwin)
            let modified = info.st_mtimespec
            #else
            let modified = info.st_mtim
            #endif
            // A folder changes when an entry is added or removed, which the entry's own check covers.
            result[path] = isFolder ? "folder \(info.st_mode)" : "\(info.st_ino) \(info.st_size) \(modified.tv_sec).\(modified.tv_nsec) \(info.st_mode)"
        }
        return result
    }

    static let workflow = """
    schema: hria.workflow/v1
    id: seam
    version: 1
    title: One stage
    roles:
      requester: { description: Asks }
    evidence_types:
      consultation:
        fields: { group: string }
        confidential: [statement]
        file: none
    initial: review
    stages:
      review:
        owner: requester
        requires:
          - { id: talks, type: consultation }
        transitions: [ { to: done } ]
      done: { terminal: true, outcome: done }
    """

    @Test("initialising, starting, recording, reading and listing change only what was named to the seam")
    func everyWriteThroughTheSeam() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hria-seam-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let fs = RecordingFileSystem()
        var before = Self.listing(root)

        func check(_ step: String) {
            let after = Self.listing(root)
            let changed = after.filter { before[$0.key] != $0.value }.map(\.key)
            let unnamed = changed.filter { !fs.covers($0) }.sorted()
            #expect(unnamed.isEmpty, "\(step) changed files the seam never saw: \(unnamed)")
            #expect(!changed.isEmpty || step == "status", "\(step) changed nothing: the check would prove nothing")
            before = after
        }

        _ = try WorkspaceInitializer.initialize(at: root.path, organisation: "Seam Office", origin: "seam.example/hria", fs: fs)
        // The workspace folder itself existed; everything in it is the initialiser's.
        check("init")
        // Its people in hria.yaml, as in a workspace without a roster.
        let configurationPath = root.appendingPathComponent("hria.yaml").path
        try DurableFile.write(try fs.readAll(configurationPath) + Array(TestWorkflows.legacyPeople.utf8), to: configurationPath, fs: fs)
        check("people")
        let workflowPath = root.appendingPathComponent("workflows/seam.yaml").path
        try DurableFile.write(Array(Self.workflow.utf8), to: workflowPath, fs: fs)
        check("writing a workflow")

        let workspace = try Workspace.open(root: root.path, fs: fs)
        let person = try #require(workspace.configuration.people.first { $0.roles.contains("requester") })
        _ = try workspace.create(id: "s1", workflowName: "seam", partner: "Seam Ltd", title: nil, facts: [], actor: person,
                                 now: Date(timeIntervalSince1970: 1_800_000_000))
        check("new")
        var random = SecureRandom()
        let clock = Clock { Date(timeIntervalSince1970: 1_800_000_100) }
        _ = try workspace.perform("s1", command: .comment("a note"), actor: person, clock: clock, random: &random)
        check("comment")
        _ = try workspace.perform("s1", command: .addEvidence(requirement: "talks", fields: [("group", "Residents")],
                                                             confidential: [("statement", "said in confidence")], file: nil),
                                  actor: person, clock: clock, random: &random)
        check("evidence with a confidential value")
        _ = try workspace.current("s1")
        check("status")
        _ = try workspace.summaries()
        check("list")
        #expect(fs.touched.contains { $0.contains("/.hria/cache/workflows") }, "no compiled workflow was written")
    }
}
