import Foundation

/// One assessment as a store keeps it: the log's lines in order, its signed checkpoints, the workflows it follows,
/// and the evidence files and confidential values its events commit to (docs/STORE.md).
///
/// Two stores keep assessments: files in the workspace (`AssessmentLog`, the embedded default) and PostgreSQL
/// (the HRIAPostgres module). Everything above reads and writes through this, so the bytes, the checkpoints, the
/// fail-closed rules of an append and `hria verify` are the same whichever store holds them.
public protocol AssessmentRecord: Sendable {
    var id: String { get }
    /// Where the assessment is kept, in words for messages.
    var location: String { get }
    /// Whether the store holds an assessment with this id.
    var exists: Bool { get }

    /// Stores a new assessment whole (its workflow, first event and first checkpoint) or not at all; an id already
    /// taken is bad input.
    func create(workflowBytes: [UInt8], firstLine: [UInt8], signing: AssessmentLog.Signing) throws(HRIAError)

    /// Appends the events `decide` returns, as `AssessmentLog.append` describes: `establish` says where the log
    /// stands as `verify` would judge it, nothing is written on a log it rejects, and no event is acknowledged
    /// before it and its checkpoint are durable. Two writers never both extend the same head.
    func append(lockTimeout: Double, signing: AssessmentLog.Signing, now: Date,
                establish: () throws -> AssessmentLog.Standing,
                signEvent: (_ draft: EventDraft, _ unsignedLine: [UInt8]) throws -> String?,
                remember: (_ standing: AssessmentLog.Standing, _ head: AssessmentLog.Head?) -> Void,
                decide: (_ standing: AssessmentLog.Standing) throws -> [EventDraft]) throws -> (events: [Event], standing: AssessmentLog.Standing)

    /// The bytes of the lines a verified position covers, line breaks included.
    func logBytes(upTo position: AssessmentLog.Position) throws(HRIAError) -> [UInt8]
    /// The log's bytes from the start, as one stream: each line followed by a line break.
    func openLog() throws(FileSystemError) -> any LogByteSource
    /// The last `count` lines, newest first (fewer when the log is shorter); read without verifying.
    func lastLines(_ count: Int) -> [[UInt8]]

    /// The latest signed checkpoint, if one was ever stored.
    func latestCheckpoint() -> [UInt8]?
    /// Every stored checkpoint, smallest size first.
    func storedCheckpoints() -> [StoredCheckpoint]
    /// Checkpoints an interrupted checkpoint write left aside (files only), which explain a lagging latest one.
    func interruptedCheckpoints() -> [[UInt8]]

    /// The workflow the assessment started on (`workflow.yaml`).
    func firstWorkflow() -> [UInt8]?
    /// The workflows kept for moves to other versions, by the SHA-256 their name claims (not checked here).
    func workflowSnapshots() -> [(claimedSHA256: String, bytes: [UInt8])]
    /// The workflow file with this SHA-256, the first or a kept snapshot, with its name; nil when none hashes to it.
    func workflowFile(sha256: String) -> (name: String, bytes: [UInt8])?
    /// Keeps the workflow a move goes to, under its SHA-256, before the event that names it.
    func storeWorkflowSnapshot(_ bytes: [UInt8]) throws

    /// An evidence file's bytes by its SHA-256 (as stored: not checked here).
    func evidence(sha256: String) -> [UInt8]?
    /// The SHA-256 of every stored evidence file.
    func evidenceDigests() -> [String]
    /// Stores an evidence file under its SHA-256 unless it is there already; `permissions` of the original, for files.
    func storeEvidence(sha256: String, bytes: [UInt8], permissions: UInt16) throws

    /// The digests under which confidential values are stored.
    func disclosureDigests() -> [String]
    func disclosure(digest: String) -> [UInt8]?
    func storeDisclosure(digest: String, bytes: [UInt8]) throws
    /// Deletes a stored confidential value durably; throws if it is still there afterwards.
    func removeDisclosure(digest: String) throws
    /// Keeps confidential values to their owner (folder permissions, for files).
    func protectDisclosures() throws

    /// Private items: what is kept beside an assessment for its people only and is not part of its record (the web's
    /// consultation forms and the submissions awaiting review, docs/WEB.md). Never in the log, never exported in a
    /// public bundle, never read by `verify`; copied with the disclosures by `hria store copy`. Names are
    /// `PrivateItemName`s ("consultations/ID"); `prefix` selects by the start of the name ("" lists all).
    func privateItems(prefix: String) -> [(name: String, bytes: [UInt8])]
    func privateItem(_ name: String) -> [UInt8]?
    /// Stores an item durably, replacing one of the same name; a name that is not a `PrivateItemName` is refused.
    func storePrivateItem(name: String, bytes: [UInt8]) throws
    /// What a damaged log's owner restores from a backup, in the store's words: the damaged parts, and the
    /// checkpoints when they are missing.
    var restorePlaces: (damaged: String, checkpoints: String) { get }
    /// Stores an item durably only if there is none of that name, in one step no other writer can come between
    /// (a claim: of two callers at once, one gets true). False when the name was taken.
    func storePrivateItemIfAbsent(name: String, bytes: [UInt8]) throws -> Bool
    /// Deletes an item durably (nothing when there is none); throws if it is still there afterwards.
    func removePrivateItem(_ name: String) throws

    /// A stamp of everything `verify` reads, which changes whenever any of it changes (docs/AUDIT-LOG.md): a
    /// snapshot of the standing is believed only while it matches. Nil when it cannot be taken.
    func fingerprint(newestCheckpoint: Int) -> FolderFingerprint?

    /// The fingerprint and then the latest checkpoint, as a command picking up a snapshot reads them; a store that
    /// can read both at once (one round trip to a database) does.
    func head(newestCheckpoint: Int) -> (fingerprint: FolderFingerprint?, latestCheckpoint: [UInt8]?)

    /// Stores a copy of an assessment from another store whole, or nothing (`hria store copy`).
    func restore(_ copy: RecordCopy) throws(HRIAError)

    /// The first failure to reach the store while reading, if any: readers above return "nothing" on a failed
    /// read, which must then be reported as the store being unreachable, never as damage to the record.
    func readFailure() -> HRIAError?
}

extension AssessmentRecord {
    public func head(newestCheckpoint: Int) -> (fingerprint: FolderFingerprint?, latestCheckpoint: [UInt8]?) {
        (fingerprint(newestCheckpoint: newestCheckpoint), latestCheckpoint())
    }

    /// The events of the verified lines, decoded for reading (the log, reports, proofs).
    public func events(upTo position: AssessmentLog.Position) throws(HRIAError) -> [Event] {
        let bytes = try logBytes(upTo: position)
        let (lines, tail) = EventLine.split(bytes)
        guard tail.isEmpty, lines.count == position.eventCount else {
            throw HRIAError(.integrity, "the log changed while it was read", help: "run the command again, or hria verify")
        }
        var events: [Event] = []
        events.reserveCapacity(lines.count)
        for (index, line) in lines.enumerated() {
            do {
                events.append(try EventLine.decode(Array(line)))
            } catch {
                throw HRIAError(.integrity, "event \(index) of the log changed while it was read: \(error)", help: "run hria verify")
            }
        }
        return events
    }
}

/// Everything a store holds of one assessment, read from a verified record, to be stored elsewhere byte for byte.
public struct RecordCopy: Sendable {
    /// Each line, without its line break.
    public var lines: [[UInt8]]
    /// Every stored checkpoint by the size it covers, and the latest.
    public var checkpoints: [(size: Int, bytes: [UInt8])]
    public var latestCheckpoint: [UInt8]
    public var firstWorkflow: [UInt8]
    public var workflowSnapshots: [(sha256: String, bytes: [UInt8])]
    public var evidence: [(sha256: String, bytes: [UInt8])]
    public var disclosures: [(digest: String, bytes: [UInt8])]
    /// The private items (consultations, submissions awaiting review): not part of the record, but the people's.
    public var privateItems: [(name: String, bytes: [UInt8])] = []

    /// Reads what `record` holds up to a verified position.
    public static func read(_ record: any AssessmentRecord, upTo position: AssessmentLog.Position) throws(HRIAError) -> RecordCopy {
        let bytes = try record.logBytes(upTo: position)
        let lines = EventLine.split(bytes).lines.map { Array($0) }
        var checkpoints: [(size: Int, bytes: [UInt8])] = []
        for stored in record.storedCheckpoints() {
            guard let size = stored.size, size >= 1, size <= position.eventCount else {
                throw HRIAError(.integrity, "\(stored.label) of \(record.id) is not named by a size its log has", help: "run hria verify \(record.id)")
            }
            checkpoints.append((size, stored.bytes))
        }
        guard let latest = record.latestCheckpoint(), let first = record.firstWorkflow() else {
            throw HRIAError(.integrity, "\(record.id) has no latest checkpoint or no workflow", help: "run hria verify \(record.id)")
        }
        let evidence = record.evidenceDigests().compactMap { sha in record.evidence(sha256: sha).map { (sha, $0) } }
        let disclosures = record.disclosureDigests().compactMap { digest in record.disclosure(digest: digest).map { (digest, $0) } }
        if let failure = record.readFailure() { throw failure }
        return RecordCopy(lines: lines, checkpoints: checkpoints, latestCheckpoint: latest, firstWorkflow: first,
                          workflowSnapshots: record.workflowSnapshots().map { ($0.claimedSHA256, $0.bytes) },
                          evidence: evidence, disclosures: disclosures, privateItems: record.privateItems(prefix: ""))
    }
}

/// The name of a private item: one to three parts joined by `/`, each of letters, digits, `.`, `_` and `-`, not
/// starting with a dot, at most 128 characters; never under `disclosures/`, which holds the confidential values.
/// The rule keeps a name a plain relative path in a folder and a plain key in a table.
public enum PrivateItemName {
    public static func isValid(_ name: String) -> Bool {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard (1 ... 3).contains(parts.count), parts.first != "disclosures" else { return false }
        return parts.allSatisfy { part in
            guard let first = part.utf8.first, first != UInt8(ascii: "."), part.utf8.count <= 128 else { return false }
            return part.utf8.allSatisfy { byte in
                (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            }
        }
    }

    static func check(_ name: String) throws(HRIAError) {
        guard isValid(name) else { throw HRIAError.badInput("\"\(DisplayText.escape(name))\" is not a name a private item can have") }
    }
}

/// A stored checkpoint: its label in messages, the size its place claims, its bytes.
public struct StoredCheckpoint: Sendable {
    /// How verify names it ("checkpoints/12").
    public var label: String
    /// The size its name or row claims; nil when the name is not a size.
    public var size: Int?
    public var bytes: [UInt8]
    /// The name a file copy of it takes in `checkpoints/`.
    public var name: String

    public init(label: String, size: Int?, bytes: [UInt8], name: String) {
        self.label = label
        self.size = size
        self.bytes = bytes
        self.name = name
    }
}

/// A stream of a log's bytes, read in order by `LineBatchReader`.
public protocol LogByteSource: AnyObject {
    /// Reads up to `count` bytes into `buffer`; 0 at the end.
    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(FileSystemError) -> Int
    /// How many bytes the stream holds, when known (to size buffers).
    var sizeHint: Int? { get }
    /// Damage the store itself can see while streaming (a stored leaf hash that is not its line's), by seq.
    var problems: [(seq: Int, message: String)] { get }
}

/// Where a workspace's assessments are kept.
public protocol AssessmentStore: Sendable {
    /// The store in words: "files in assessments/", or the database's address without any password.
    var description: String { get }
    func record(_ id: String) -> any AssessmentRecord
    /// Every assessment id the store holds, sorted.
    func assessmentIDs() throws(HRIAError) -> [String]
    /// What every `hria serve` on this store shares (drafts, answers to commits, nonces), when the store keeps it;
    /// nil when each server keeps its own in memory (files).
    var sharedServerState: (any SharedServerState)? { get }
}

extension AssessmentStore {
    public var sharedServerState: (any SharedServerState)? { nil }
}

/// What the stores share of an append: each draft recorded through the history's rules, serialised, signed and
/// read back exactly as it will be stored.
public enum PreparedAppend {
    public struct Result {
        /// The new lines, without line breaks.
        public var lines: [[UInt8]]
        public var events: [Event]
        public var after: AssessmentLog.Standing
    }

    public static func prepare(_ drafts: [EventDraft], on standing: AssessmentLog.Standing,
                               signEvent: (EventDraft, [UInt8]) throws -> String?) throws -> Result {
        var after = standing
        var lines: [[UInt8]] = []
        var events: [Event] = []
        for draft in drafts {
            try after.history.record(draft)
            after.latestRoster = max(after.latestRoster, draft.roster ?? 0)
            let seq = after.position.eventCount
            let unsigned = EventLine.encode(draft, seq: seq, prev: after.position.headHash)
            let signature = try signEvent(draft, unsigned)
            let line = signature.map { EventLine.encode(draft, seq: seq, prev: after.position.headHash, signature: $0) } ?? unsigned
            // What is written must read back as what was decided.
            let event: Event
            do {
                event = try EventLine.decode(line)
            } catch {
                throw HRIAError(.internalError, "event \(seq) would not read back: \(error)")
            }
            guard event.payload == draft.payload else { throw HRIAError(.internalError, "event \(seq) would not read back as written") }
            lines.append(line)
            after.position.advance(over: line)
            events.append(event)
        }
        return Result(lines: lines, events: events, after: after)
    }
}
