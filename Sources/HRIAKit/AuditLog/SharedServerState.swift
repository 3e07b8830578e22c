import Foundation

/// What every instance of `hria serve` on one store must share so that any of them can answer any request
/// (docs/SERVER.md, "Several instances on one database"): the nonces of request signatures seen within the signature
/// window, drafts waiting for their signer's commit (with the evidence file uploaded for one), and the answers already
/// given to commits by Idempotency-Key. A store that keeps them (PostgreSQL) gives one through
/// `AssessmentStore.sharedServerState`; with files, each server keeps its own in memory.
///
/// Drafts and answers are opaque bytes here: the server encodes them (PreparedCommand.encoded()). Every call is one
/// statement on the database, so a call is all or nothing.
public protocol SharedServerState: Sendable {
    /// Records the nonce of a signature `keyid` made at `created` (Unix seconds), already found fresh and valid.
    /// `sweepBefore`, when given, also drops nonces made before that moment, and drafts and answers expired by `now`.
    func record(nonce: String, keyid: String, created: Int, sweepBefore: Int?, now: Date) throws(HRIAError) -> SharedNonceVerdict

    /// Keeps a draft if its signer's drafts and all drafts stay within `bounds` with it (expired drafts do not count);
    /// false when they would not, and nothing is kept.
    func keep(_ draft: SharedDraft, now: Date, bounds: SharedDraftBounds) throws(HRIAError) -> Bool

    /// The answer already given under `answerKey` if there is one; otherwise takes draft `id` for `signer`'s commit on
    /// `scope` until `leaseUntil`, so that no other commit takes it meanwhile, and says why not when it cannot.
    func begin(_ id: String, scope: String, signer: String, answerKey: [UInt8]?, now: Date, leaseUntil: Date) throws(HRIAError) -> SharedDraftLookup

    /// The commit of draft `id` ended: the draft is dropped and, when it was recorded, its answer kept.
    func finish(_ id: String, answer: SharedAnswer?) throws(HRIAError)
}

/// What the shared nonces say of a signature.
public enum SharedNonceVerdict: Sendable, Equatable {
    case fresh
    /// Its nonce was seen before.
    case replayed
    /// Made before the store's memory of nonces began (a database restarted since may have lost them).
    case signedBeforeStart
}

/// A draft as it is kept: who may commit it where, until when, and its bytes.
public struct SharedDraft: Sendable {
    public var id: String
    /// The assessment's id, or the roster's log name.
    public var scope: String
    public var actor: String
    public var expires: Date
    public var draft: [UInt8]
    /// The evidence file uploaded with it, whole.
    public var file: [UInt8]?

    public init(id: String, scope: String, actor: String, expires: Date, draft: [UInt8], file: [UInt8]?) {
        (self.id, self.scope, self.actor, self.expires, self.draft, self.file) = (id, scope, actor, expires, draft, file)
    }
}

/// How many bytes drafts may hold: in all and per person, the drafts themselves and their files apart.
public struct SharedDraftBounds: Sendable {
    public var total: Int
    public var perPerson: Int
    public var filesTotal: Int
    public var filesPerPerson: Int

    public init(total: Int, perPerson: Int, filesTotal: Int, filesPerPerson: Int) {
        (self.total, self.perPerson, self.filesTotal, self.filesPerPerson) = (total, perPerson, filesTotal, filesPerPerson)
    }
}

/// The answer given to a commit, kept under its key until it expires.
public struct SharedAnswer: Sendable {
    public var key: [UInt8]
    public var status: Int
    public var body: [UInt8]
    public var expires: Date

    public init(key: [UInt8], status: Int, body: [UInt8], expires: Date) {
        (self.key, self.status, self.body, self.expires) = (key, status, body, expires)
    }
}

/// What a commit finds.
public enum SharedDraftLookup: Sendable {
    /// A commit with the same key was answered already.
    case answered(status: Int, body: [UInt8])
    /// Taken for this commit.
    case ready(draft: [UInt8], file: [UInt8]?)
    /// Another commit of it is running.
    case committing
    /// No such draft, or it expired.
    case unknown
    case notYours(actor: String)
    case otherScope
}
