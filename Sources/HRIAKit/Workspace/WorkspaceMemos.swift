import Foundation

/// What a long-running process keeps between the workspaces it opens on one root: `hria serve` opens a workspace
/// per request, so that nothing one request learnt stands for the next unchecked, and these keep that cheap.
/// Each piece is used only while what it was made from is unchanged: the configuration and snapshots by their exact
/// bytes, checked workflows by the SHA-256 of theirs, the roster while its files keep the fingerprint they had
/// when it was verified (as a command's own roster memo is kept across its lock), and standings while the store's
/// head reads as it did when they were taken.
public final class WorkspaceMemos: @unchecked Sendable {
    // @unchecked: `configurationBytes`, `configuration`, `workflowMemo`, `workflowKey`, `signerKey` and `signer` are
    // reached only under `lock`;
    // `roster`, `snapshots` and `standings` lock themselves.
    private let lock = NSLock()
    private var configurationBytes: [UInt8]?
    private var configuration: WorkspaceConfiguration?
    private var workflowMemo: WorkflowMemo?
    private var workflowKey: [UInt8]?
    let roster = RosterMemo()
    let snapshots = SnapshotMemo()
    let standings = StandingMemo()

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

    /// The signer read from the private log key file's bytes, read again only when they change.
    private var signerKey: [UInt8]?
    private var signer: NoteSigner?

    func signer(of bytes: [UInt8]) -> NoteSigner? { lock.withLock { signerKey == bytes ? signer : nil } }

    func remember(signer made: NoteSigner, of bytes: [UInt8]) {
        lock.withLock {
            signerKey = bytes
            signer = made
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

/// Standings this process verified or wrote, by assessment, each with the store's head as it was then: the
/// fingerprint of everything `verify` reads, and the exact bytes of the latest checkpoint, whose signature was
/// checked (or made) by this process with the log key named here. While the head reads the same, the standing is
/// the same, so a server neither reads a snapshot file nor checks that checkpoint's signature again for each
/// request; anything else moving (a line, a file, the roster, the key) sends the command back to the full path.
final class StandingMemo: @unchecked Sendable {
    struct Entry: Sendable {
        var fingerprint: FolderFingerprint
        var checkpoint: [UInt8]
        /// The log key and origin the checkpoint was checked against.
        var verifierKey: String
        var origin: String
        var standing: AssessmentLog.Standing
        /// The roster's root at the latest state the log's acts name, when the standing was taken.
        var rosterRoot: SHA256Hash?
    }

    // @unchecked: `entries` is reached only under `lock`.
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    /// A standing holds the assessment's state and its tree's frontier: a few kilobytes each, so a few thousand
    /// assessments in use at once stay within tens of megabytes. Past it, the oldest half is dropped.
    let capacity = 4_096
    private var order: [String] = []

    func find(_ id: String) -> Entry? { lock.withLock { entries[id] } }

    func contains(_ id: String) -> Bool { lock.withLock { entries[id] != nil } }

    func remember(_ id: String, _ entry: Entry) {
        lock.withLock {
            // Two appends on one assessment may remember in the other order; the log only grows, so the longer
            // standing is the newer one (a shorter one would only be found stale and verified again).
            if let kept = entries[id], kept.standing.position.eventCount > entry.standing.position.eventCount { return }
            if entries.updateValue(entry, forKey: id) == nil { order.append(id) }
            if entries.count > capacity {
                let dropped = order.prefix(order.count / 2)
                for old in dropped { entries.removeValue(forKey: old) }
                order.removeFirst(dropped.count)
            }
        }
    }

    func forget(_ id: String) {
        lock.withLock {
            if entries.removeValue(forKey: id) != nil { order.removeAll { $0 == id } }
        }
    }
}
