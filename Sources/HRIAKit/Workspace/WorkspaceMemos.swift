import Foundation

/// What a long-running process keeps between the workspaces it opens on one root: `hria serve` opens a workspace
/// per request, so that nothing one request learnt stands for the next unchecked, and these keep that cheap.
/// Each piece is used only while what it was made from is unchanged: the configuration and snapshots by their exact
/// bytes, checked workflows by the SHA-256 of theirs, the roster while its files keep the fingerprint they had
/// when it was verified (as a command's own roster memo is kept across its lock).
public final class WorkspaceMemos: @unchecked Sendable {
    // @unchecked: `configurationBytes`, `configuration`, `workflowMemo` and `workflowKey` are reached only under `lock`;
    // `roster` and `snapshots` lock themselves.
    private let lock = NSLock()
    private var configurationBytes: [UInt8]?
    private var configuration: WorkspaceConfiguration?
    private var workflowMemo: WorkflowMemo?
    private var workflowKey: [UInt8]?
    let roster = RosterMemo()
    let snapshots = SnapshotMemo()

    public init() {}

    func configuration(of bytes: [UInt8]) -> WorkspaceConfiguration? {
        lock.withLock { configurationBytes == bytes ? configuration : nil }
    }

    func remember(configuration loaded: WorkspaceConfiguration, of bytes: [UInt8]) {
        lock.withLock {
            configurationBytes = bytes
            configuration = loaded
        }
    }

    /// The process's checked workflows, made anew if the log key (which seals their compiled forms) changed.
    func workflows(sealedBy keyFile: [UInt8]?, make: () -> WorkflowMemo) -> WorkflowMemo {
        lock.withLock {
            if let workflowMemo, workflowKey == keyFile { return workflowMemo }
            let made = make()
            workflowMemo = made
            workflowKey = keyFile
            return made
        }
    }
}

/// Snapshots this process opened, by assessment, with the exact sealed bytes they were opened from: bytes that are
/// the same again are the same snapshot. At most one per assessment.
final class SnapshotMemo: @unchecked Sendable {
    // @unchecked: `entries` is reached only under `lock`.
    private let lock = NSLock()
    private var entries: [String: (bytes: [UInt8], snapshot: StateCache.Snapshot)] = [:]
    let capacity = 10_000

    func find(_ id: String, bytes: [UInt8]) -> StateCache.Snapshot? {
        lock.withLock {
            guard let entry = entries[id], entry.bytes == bytes else { return nil }
            return entry.snapshot
        }
    }

    func remember(_ id: String, bytes: [UInt8], snapshot: StateCache.Snapshot) {
        lock.withLock {
            if entries.count >= capacity, entries[id] == nil { entries.removeAll(keepingCapacity: true) }
            entries[id] = (bytes, snapshot)
        }
    }
}
