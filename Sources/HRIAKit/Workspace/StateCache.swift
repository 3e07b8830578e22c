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

/// What `hria list` shows of one assessment, kept in one workspace-wide index (`.hria/cache/list.json`) so that
/// listing thousands of assessments reads one file and checks each log's stamp, instead of folding every log.
public struct AssessmentSummary: Sendable, Codable {
    public var id: String
    public var partner: String
    public var workflowID: String
    public var workflowVersion: Int
    public var stage: String
    public var tier: String?
    public var createdAt: Date
    public var stageEnteredAt: Date
    public var deadline: Date?
    public var outcome: String?
    public var workflowSHA256: String

    init(_ current: CurrentAssessment) {
        let state = current.state, workflow = current.workflow
        id = current.id
        partner = state.partner
        workflowID = state.workflowID
        workflowVersion = state.workflowVersion
        stage = state.stage
        if case .string(let t)? = state.facts["tier"]?.value { tier = t }
        createdAt = state.createdAt
        stageEnteredAt = state.stageEnteredAt
        deadline = StatusReport.deadline(current)
        outcome = state.outcome
        workflowSHA256 = state.workflowSHA256
        _ = workflow
    }
}

/// What a pinned workflow allows, to tell a `list` filter that can never match from one that matches nothing now.
public struct WorkflowVocabulary: Sendable, Codable {
    public var stages: [String]
    public var tiers: [String]
    public var outcomes: [String]

    init(_ workflow: Workflow) {
        stages = workflow.stages.map(\.id)
        if case .enumeration(let values)? = workflow.fact("tier")?.type { tiers = values } else { tiers = [] }
        outcomes = workflow.stages.compactMap(\.outcome)
    }
}

struct ListIndex: Codable {
    static let version = 1
    struct Entry: Codable {
        var stamp: FileStamp
        var summary: AssessmentSummary
    }
    var version = ListIndex.version
    var entries: [String: Entry] = [:]
    /// By workflow SHA-256: each distinct workflow once.
    var vocabularies: [String: WorkflowVocabulary] = [:]
}
