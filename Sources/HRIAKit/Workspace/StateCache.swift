import Foundation

/// A per-assessment snapshot of the folded state in `.hria/cache/`, keyed by where in the log it was taken
/// (byte count, event count and the hash of the last line). Status, advance and list pick up from it and
/// fold only newer events; a snapshot that no longer matches the log is rebuilt. `verify` never reads it.
struct StateCache {
    struct Snapshot: Codable {
        static let version = 1
        var version: Int
        var workflowSHA256: String
        var position: AssessmentLog.Position
        var state: AssessmentState
    }

    let folder: URL
    let fs: any FileSystem

    func path(_ id: String) -> String { folder.appendingPathComponent("\(id).json").path }

    func read(_ id: String) -> Snapshot? {
        guard let bytes = try? fs.readAll(path(id)),
              let snapshot = try? JSONDecoder().decode(Snapshot.self, from: Data(bytes)),
              snapshot.version == Snapshot.version else { return nil }
        return snapshot
    }

    /// Best effort: a cache that cannot be written only costs speed.
    func write(_ id: String, _ snapshot: Snapshot) {
        guard let data = try? JSONEncoder().encode(snapshot) else { return }
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let temporary = "\(path(id)).tmp-\(getpid())"
        guard (try? data.write(to: URL(fileURLWithPath: temporary))) != nil else { return }
        if (try? fs.rename(temporary, path(id))) == nil { fs.unlink(temporary) }
    }
}

/// Parsed workflows by the SHA-256 of their bytes, so listing thousands of assessments parses each workflow once.
final class WorkflowMemo: @unchecked Sendable {
    private let lock = NSLock()
    private var workflows: [String: Workflow] = [:]

    func workflow(sha256: String, load: () throws -> Workflow) rethrows -> Workflow {
        lock.lock()
        if let known = workflows[sha256] {
            lock.unlock()
            return known
        }
        lock.unlock()
        let loaded = try load()
        lock.lock()
        workflows[sha256] = loaded
        lock.unlock()
        return loaded
    }
}
