import Foundation

/// Parsed workflows by the SHA-256 of their bytes, so listing thousands of assessments parses each workflow once.
public final class WorkflowMemo: @unchecked Sendable {
    private let lock = NSLock()
    private var workflows: [String: Workflow] = [:]

    public init() {}

    public func workflow(sha256: String, load: () throws -> Workflow) rethrows -> Workflow {
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


extension WorkflowMemo {
    /// The workflow these bytes hold, parsed once per SHA-256; nil when they do not load.
    public func workflow(bytes: [UInt8], sha256: String, fileName: String) -> Workflow? {
        try? workflow(sha256: sha256) { () throws(WorkflowLoadFailure) -> Workflow in
            guard let workflow = WorkflowLoader.load(bytes: bytes, fileName: fileName).workflow else { throw WorkflowLoadFailure() }
            return workflow
        }
    }
}

struct WorkflowLoadFailure: Error {}
