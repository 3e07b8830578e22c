import Crypto
import Foundation
import HRIAKit

/// Where a server keeps drafts waiting for their signer and the answers it gave to commits (docs/SERVER.md, "Several
/// instances on one database"): in this process's memory (`PendingCommands`, on files), or in the store every
/// instance on it shares (`SharedDrafts`, on PostgreSQL). The routes see only this.
protocol DraftKeeping: Sendable {
    /// Keeps a prepared draft, with the evidence file uploaded for it, for its signer; its id, or nil past the bounds.
    func keep(_ prepared: PendingDraft, upload: UploadedFile?, now: Date) throws -> String?
    /// Drops expired drafts now, so that files waiting on this machine's disk go with them.
    func sweep(at now: Date)
    /// The answer already given under `answerKey`, else the draft for `signer`'s commit on `id`, marked as being
    /// committed (`PendingCommands.begin`).
    func begin(_ draft: String, id: String, signer: String, answerKey: String?, now: Date) throws -> PendingCommands.Lookup
    /// A command being committed with the bytes of the file uploaded for it.
    func withUpload(_ command: PreparedCommand, draft: String) throws -> PreparedCommand
    /// The commit of `draft` ended: the draft is gone, and the answer kept when it was recorded.
    func finish(_ draft: String, answer: KeptAnswer?, now: Date)
    /// Whether other instances share these drafts: a draft being committed may then be in the hands of one that died.
    var shared: Bool { get }
}

extension PendingCommands {
    var shared: Bool { false }
}

/// The answer given to a commit, by signer, scope and Idempotency-Key.
struct KeptAnswer: Sendable {
    var key: String
    var body: [UInt8]
    var status: Int
}

/// The bounds of drafts and answers, the same wherever they are kept.
enum DraftLimits {
    /// Two minutes: long enough to sign, short enough that a decision is not recorded long after it was made.
    static let lifetime: TimeInterval = 120
    static let total = 256 << 20
    static let perPerson = 16 << 20
    static let filesTotal = 2 << 30
    static let filesPerPerson = 512 << 20
    /// The largest answer kept (in memory, also the bound of all of them).
    static let answer = 64 << 20
    static let answerLifetime: TimeInterval = 24 * 3600
    /// How long a commit holds its draft in the shared store: longer than any commit runs (its lock timeout, the
    /// database's 30 s a call), so that a retry never takes a draft whose first commit still runs; a commit on an
    /// instance that died lets go of it when this passes.
    static let lease: TimeInterval = 300

    static func newID() -> String {
        var random = SystemRandomNumberGenerator()
        return (0 ..< 4).map { _ in String(random.next(), radix: 16) }.joined(separator: "-")
    }
}

/// Drafts and answers in the store every instance shares, through HRIAKit's `SharedServerState`: a draft prepared
/// on one instance is committed on any, and a retried commit gets the first answer from any. A draft travels in the
/// exact byte form HRIAKit gives it; an uploaded file goes into the store with it and leaves this machine's disk.
struct SharedDrafts: DraftKeeping {
    let state: any SharedServerState

    var shared: Bool { true }

    func keep(_ prepared: PendingDraft, upload: UploadedFile?, now: Date) throws -> String? {
        let id = DraftLimits.newID()
        var file: [UInt8]?
        if let upload {
            // In the store, or not kept: either way it leaves this disk now.
            defer { upload.remove() }
            file = try upload.read().bytes
        }
        let draft = SharedDraft(id: id, scope: prepared.scope, actor: prepared.actor, expires: now.addingTimeInterval(DraftLimits.lifetime),
                                draft: prepared.encoded(), file: file)
        let bounds = SharedDraftBounds(total: DraftLimits.total, perPerson: DraftLimits.perPerson, filesTotal: DraftLimits.filesTotal,
                                       filesPerPerson: DraftLimits.filesPerPerson)
        return try state.keep(draft, now: now, bounds: bounds) ? id : nil
    }

    /// The store drops expired drafts itself; nothing waits on this disk.
    func sweep(at now: Date) {}

    func begin(_ draft: String, id: String, signer: String, answerKey: String?, now: Date) throws -> PendingCommands.Lookup {
        switch try state.begin(draft, scope: id, signer: signer, answerKey: answerKey.map(Self.storedKey), now: now,
                               leaseUntil: now.addingTimeInterval(DraftLimits.lease)) {
        case .answered(let status, let body): return .answered(body: body, status: status)
        case .committing: return .committing
        case .unknown: return .unknown
        case .notYours(let actor): return .notYours(actor: actor)
        case .otherScope: return .otherAssessment
        case .ready(let bytes, let file):
            do {
                switch try PendingDraft(encoded: bytes) {
                case .command(var command):
                    if let file { command.files = [try Self.named(file, by: command): InputFile(bytes: file, permissions: 0o600)] }
                    return .ready(command)
                case .roster(let change):
                    return .readyRoster(change)
                }
            } catch {
                finish(draft, answer: nil, now: now)
                throw error
            }
        }
    }

    /// The file came out of the store with its draft (`begin`).
    func withUpload(_ command: PreparedCommand, draft: String) throws -> PreparedCommand { command }

    func finish(_ draft: String, answer: KeptAnswer?, now: Date) {
        let kept = answer.flatMap { answer in
            answer.body.count <= DraftLimits.answer
                ? SharedAnswer(key: Self.storedKey(answer.key), status: answer.status, body: answer.body,
                               expires: now.addingTimeInterval(DraftLimits.answerLifetime)) : nil
        }
        // A store that cannot be reached now keeps the draft until its lease and its two minutes have passed, and then
        // drops it; the answer was given, and a retry is recognised by its content.
        try? state.finish(draft, answer: kept)
    }

    /// An answer's key as the store keeps it: the SHA-256 of signer, scope and Idempotency-Key, so that a key of any
    /// length fits the index.
    static func storedKey(_ key: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(key.utf8)))
    }

    /// The SHA-256 the command names the file by, checked to be the file's: the bytes that come out of the store are
    /// the ones that arrived.
    static func named(_ file: [UInt8], by command: PreparedCommand) throws -> String {
        let sha256 = HRIAKit.Digest.sha256Hex(file)
        let names = command.drafts.compactMap { draft -> EvidenceFile? in
            switch draft.payload {
            case .evidenceAdded(let added): added.file
            case .evidenceUpdated(let updated): updated.file
            default: nil
            }
        }
        guard names.contains(where: { $0.sha256 == sha256 && $0.size == file.count }) else {
            throw HRIAError(.internalError, "the uploaded file changed in the database after it arrived", help: "upload it again")
        }
        return sha256
    }
}

extension PendingDraft {
    /// One byte for the kind, then HRIAKit's exact form of it.
    func encoded() -> [UInt8] {
        switch self {
        case .command(let command): [0] + command.encoded()
        case .roster(let change): [1] + change.encoded()
        }
    }

    init(encoded bytes: [UInt8]) throws {
        switch bytes.first {
        case 0: self = .command(try PreparedCommand(encoded: Array(bytes.dropFirst())))
        case 1: self = .roster(try PreparedRosterChange(encoded: Array(bytes.dropFirst())))
        default: throw HRIAError(.internalError, "a kept draft does not read back as hria wrote it", help: "prepare the command again")
        }
    }
}

/// When this server last asked the shared store to drop what expired: once a minute, in the statement of a nonce.
final class SharedSweeps: @unchecked Sendable {
    // @unchecked: `last` is reached only under `lock`.
    private let lock = NSLock()
    private var last = 0
    static let interval = 60

    /// Whether a sweep is due at `now` (Unix seconds); if so, it counts as done.
    func due(now: Int) -> Bool {
        lock.withLock {
            guard now - last >= Self.interval else { return false }
            last = now
            return true
        }
    }
}

extension HRIAServer {
    /// Where the drafts of requests on `workspace` are kept: its store, when the store keeps what the instances
    /// share (PostgreSQL); else this process's memory.
    func drafts(in workspace: Workspace) -> any DraftKeeping {
        workspace.store.sharedServerState.map { SharedDrafts(state: $0) } ?? pending
    }

    /// Keeps a prepared draft for its signer: its id, or busy past the bounds.
    func keep(_ prepared: PendingDraft, upload: UploadedFile? = nil, in workspace: Workspace) throws -> String {
        guard let draft = try drafts(in: workspace).keep(prepared, upload: upload, now: Date()) else {
            throw HRIAError(.busy, "too many commands are waiting to be signed", help: "try again")
        }
        return draft
    }
}
