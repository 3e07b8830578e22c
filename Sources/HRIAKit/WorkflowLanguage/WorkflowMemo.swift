import Foundation

/// Where compiled workflows are kept between commands (the workspace keeps them sealed in `.hria/cache/`).
public protocol CompiledWorkflowStore: Sendable {
    func read(sha256: String) -> [UInt8]?
    /// Best effort: a compiled form that cannot be kept only costs speed.
    func write(sha256: String, _ bytes: [UInt8])
}

/// Checked workflows by the SHA-256 of their bytes: each is loaded once per process, and with a store, compiled
/// once per machine, so a command does not parse the YAML of a workflow it has seen before.
public final class WorkflowMemo: @unchecked Sendable {
    private let lock = NSLock()
    private var workflows: [String: Workflow] = [:]
    private let store: (any CompiledWorkflowStore)?

    public init(store: (any CompiledWorkflowStore)? = nil) {
        self.store = store
    }

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
    /// The workflow these bytes hold, loaded once per SHA-256: from the store's compiled form when it has one for
    /// exactly these bytes (the checker runs on it all the same), else from the file, compiling it for next time.
    /// Nil when the bytes do not load. `sha256` must be the SHA-256 of `bytes`: callers have just checked it.
    public func workflow(bytes: [UInt8], sha256: String, fileName: String) -> Workflow? {
        try? workflow(sha256: sha256) { () throws(WorkflowLoadFailure) -> Workflow in
            if let store, let compiled = store.read(sha256: sha256), let syntax = CompiledWorkflow.decode(compiled, sha256: sha256) {
                var checker = WorkflowChecker(file: fileName)
                if let workflow = checker.check(syntax), !checker.diagnostics.hasErrors { return workflow }
            }
            let loaded = WorkflowLoader.load(bytes: bytes, fileName: fileName)
            guard let workflow = loaded.workflow else { throw WorkflowLoadFailure() }
            if let store, let syntax = loaded.syntax { store.write(sha256: sha256, CompiledWorkflow.encode(syntax, sha256: sha256)) }
            return workflow
        }
    }
}

struct WorkflowLoadFailure: Error {}
