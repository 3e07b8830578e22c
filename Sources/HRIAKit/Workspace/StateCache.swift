import Crypto
import Foundation

/// A per-assessment snapshot in `.hria/cache/`: the verified state of an assessment, where its lines end (with the
/// Merkle frontier) and the fingerprint of every file `verify` reads. A command builds on a snapshot only while the
/// fingerprint still matches and the latest checkpoint signs the snapshot's root; otherwise it verifies the log in
/// full and takes a new one. Snapshots are sealed with a key derived from the workspace's private log key, so an
/// edited one is never believed: it is rebuilt. `verify` never reads them.
struct StateCache {
    struct Snapshot: Codable {
        static let version = 8
        var version: Int
        var id: String
        var position: AssessmentLog.Position
        var tornTail: Int
        var checkpointSize: Int
        var fingerprint: FolderFingerprint
        var state: AssessmentState
        /// The latest roster state the log's acts name, and the roster's root at that state when the snapshot was taken.
        var latestRoster: Int
        var rosterRoot: SHA256Hash?
    }

    let folder: String
    let fs: any FileSystem
    let seal: CacheSeal
    var memo: SnapshotMemo?

    func path(_ id: String) -> String { Paths.join(folder, "\(id).json") }

    func read(_ id: String) -> Snapshot? {
        guard let bytes = try? fs.readAll(path(id)) else { return nil }
        // The very bytes this process already opened and decoded: the same snapshot, without the seal or JSON again.
        if let known = memo?.find(id, bytes: bytes) { return known }
        guard let body = seal.open(bytes),
              let snapshot = try? JSONDecoder().decode(Snapshot.self, from: Data(body)),
              snapshot.version == Snapshot.version, snapshot.id == id else { return nil }
        memo?.remember(id, bytes: bytes, snapshot: snapshot)
        return snapshot
    }

    /// Best effort: a cache that cannot be written only costs speed.
    func write(_ id: String, _ snapshot: Snapshot) {
        guard let body = try? JSONEncoder().encode(snapshot) else { return }
        CacheSeal.writeBestEffort(seal.seal(Array(body)), to: path(id), folder: folder, fs: fs)
    }
}

/// Seals cache files with HMAC-SHA256 under a key derived from the workspace's private log key: a cache whose
/// seal does not match what it holds is ignored and rebuilt. Whoever can read the log key can also sign
/// checkpoints, so the seal protects against edits by anyone who cannot, and against damage.
struct CacheSeal: Sendable {
    let key: SymmetricKey

    init(logKeyFile: [UInt8]) {
        key = SymmetricKey(data: SHA256.hash(data: Array("hria cache seal v1\n".utf8) + logKeyFile))
    }

    /// The body followed by a line with its seal.
    func seal(_ body: [UInt8]) -> [UInt8] {
        body + [0x0A] + Array(Digest.hex(HMAC<SHA256>.authenticationCode(for: body, using: key)).utf8)
    }

    /// The body, if the seal matches it.
    func open(_ bytes: [UInt8]) -> [UInt8]? {
        guard let newline = bytes.lastIndex(of: 0x0A) else { return nil }
        let body = Array(bytes[..<newline])
        guard let code = SHA256Hash(hex: Array(bytes[(newline + 1)...])),
              HMAC<SHA256>.isValidAuthenticationCode(code.bytes, authenticating: body, using: key) else { return nil }
        return body
    }

    /// Writes a cache file without fsync, replacing the old one atomically; losing it only costs speed. Its folder
    /// (and the cache folder above it) is private to the workspace's owner.
    static func writeBestEffort(_ bytes: [UInt8], to path: String, folder: String, fs: any FileSystem) {
        for directory in [Paths.parent(folder), folder] where !fs.fileExists(directory) {
            try? fs.makeDirectory(directory, mode: 0o700)
        }
        try? DurableFile.write(bytes, to: path, fs: fs, durability: .cacheOnly)
    }
}

/// What `hria list` shows of one assessment, kept in one workspace-wide index (`.hria/cache/list.json`) so that
/// listing thousands of assessments reads one file and checks each log's stamp, instead of folding every log.
public struct AssessmentSummary: Sendable, Codable {
    public var id: String
    public var partner: String
    public var workflowID: String
    public var workflowVersion: Int
    public var stage: String
    /// The value of the workflow's risk-tier fact, and its place among the tiers the workflow declares (0 lowest).
    public var tier: String?
    public var tierRank: Int?
    public var createdAt: Date
    public var stageEnteredAt: Date
    public var deadline: Date?
    public var outcome: String?
    public var workflowSHA256: String
    /// The due dates of open measures and conditions, to count those overdue on the day `list` runs.
    public var openItemsDue: [CalendarDate]

    init(_ current: CurrentAssessment) {
        let state = current.state, workflow = current.workflow
        id = current.id
        partner = state.partner
        workflowID = state.workflowID
        workflowVersion = state.workflowVersion
        stage = state.stage
        if let fact = workflow.fact(for: .riskTier), case .string(let t)? = state.facts[fact.id]?.value {
            tier = t
            tierRank = workflow.riskTiers.firstIndex(of: t)
        }
        createdAt = state.createdAt
        stageEnteredAt = state.stageEnteredAt
        deadline = current.deadline
        outcome = state.outcome
        workflowSHA256 = state.workflowSHA256
        openItemsDue = OpenItem.of(state, workflow: workflow).compactMap(\.due)
    }
}

/// What a pinned workflow allows, to tell a `list` filter that can never match from one that matches nothing now.
public struct WorkflowVocabulary: Sendable, Codable {
    public var stages: [String]
    public var tiers: [String]
    public var outcomes: [String]

    init(_ workflow: Workflow) {
        stages = workflow.stages.map(\.id)
        tiers = workflow.riskTiers
        outcomes = workflow.stages.compactMap(\.outcome)
    }
}

struct ListIndex: Codable {
    static let version = 6
    struct Entry: Codable {
        /// The assessment's files when the summary was taken from its verified standing (that of its snapshot).
        var fingerprint: FolderFingerprint
        var checkpointSize: Int
        /// As in the snapshot: the roster state its acts name, and the roster's root there.
        var latestRoster: Int
        var rosterRoot: SHA256Hash?
        var summary: AssessmentSummary
    }
    var version = ListIndex.version
    var entries: [String: Entry] = [:]
    /// By workflow SHA-256: each distinct workflow once.
    var vocabularies: [String: WorkflowVocabulary] = [:]
}
