import Foundation
import HRIAKit
import NIOCore
import PostgresNIO

/// Opens the PostgreSQL store named by `store:` or `HRIA_STORE` (docs/STORE.md).
public struct PostgresStoreOpener: DatabaseStoreOpener {
    let environment: [String: String]
    let keeper: PostgresConnections?

    /// `keeping` keeps each store's connection open when the store is let go, for the next one opened: a server
    /// opens a store per request. A command opens one and lets its connection close.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment, keeping: PostgresConnections? = nil) {
        self.environment = environment
        keeper = keeping
    }

    public func open(address: String, origin: String) throws(HRIAError) -> any AssessmentStore {
        let environment = environment
        let settings = if let keeper {
            try keeper.settings(for: address) { () throws(HRIAError) in try DatabaseSettings.parse(address, environment: environment) }
        } else {
            try DatabaseSettings.parse(address, environment: environment)
        }
        return PostgresStore(session: PostgresSession(settings: settings, keeper: keeper))
    }
}

/// A workspace's assessments in a PostgreSQL database: one row per event holding its exact line, its leaf hash and,
/// on the last event of each append, the signed checkpoint of the log at that size.
public struct PostgresStore: AssessmentStore {
    let session: PostgresSession

    public var description: String { session.settings.display }

    public func record(_ id: String) -> any AssessmentRecord { PostgresAssessment(id: id, session: session) }

    public func assessmentIDs() throws(HRIAError) -> [String] {
        try session.rows("SELECT id FROM assessments ORDER BY id", doing: "list the assessments in").compactMap { try? $0.decode(String.self) }
            .filter(AssessmentID.isValid)
    }

    /// Connects and brings the schema up to date; returns the schema version before and after.
    public func migrate() throws(HRIAError) -> (before: Int, after: Int, applied: [StoreSchema.Migration]) {
        let connection = try session.open()
        let before = session.versionFoundAtOpen ?? StoreSchema.latestVersion
        let applied = try StoreSchema.migrate(session, connection: connection)
        return (before, try StoreSchema.version(session, connection: connection), session.appliedAtOpen + applied)
    }
}

/// One assessment's rows.
struct PostgresAssessment: AssessmentRecord {
    let id: String
    let session: PostgresSession

    var location: String { "assessment \(id) in \(session.settings.display)" }
    var restorePlaces: (damaged: String, checkpoints: String) {
        ("the damaged rows of assessment \(id) in \(session.settings.display)", "the checkpoints of its events (the checkpoint column of events)")
    }

    var exists: Bool {
        // hria never deletes an assessment; one deleted behind its back has no head, which a standing then finds.
        if session.knownToExist(id) { return true }
        let found = read { try session.rows("SELECT 1 FROM assessments WHERE id = \(id)", doing: "find \(id) in").isEmpty == false } ?? false
        if found { session.seen(id) }
        return found
    }

    /// A read whose failure is recorded for `readFailure` and answered with nil, as a missing file would be.
    private func read<T>(_ body: () throws -> T?) -> T? {
        do {
            return try body()
        } catch {
            session.recordFailure((error as? HRIAError) ?? HRIAError(.internalError, "could not read \(session.settings.display): \(error)"))
            return nil
        }
    }

    func readFailure() -> HRIAError? { session.readFailure }

    static func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }
    static func bytes(_ buffer: ByteBuffer) -> [UInt8] { Array(buffer.readableBytesView) }

    func create(workflowBytes: [UInt8], firstLine: [UInt8], signing: AssessmentLog.Signing) throws(HRIAError) {
        let leaf = firstLine.withUnsafeBytes { SHA256Hash.leaf($0) }
        let checkpoint: [UInt8]
        do {
            checkpoint = try SignedCheckpoint.sign(Checkpoint(origin: signing.origin, size: 1, rootHash: leaf, extensions: []), signer: signing.signer)
        } catch {
            throw HRIAError(.internalError, "the first checkpoint could not be signed: \(error)")
        }
        // One statement: the assessment and its first event are stored together or not at all.
        let query: PostgresQuery = """
            WITH made AS (INSERT INTO assessments (id, workflow) VALUES (\(id), \(Self.buffer(workflowBytes))))
            INSERT INTO events (assessment, seq, line, leaf, checkpoint)
            VALUES (\(id), 0, \(Self.buffer(firstLine)), \(Self.buffer(leaf.bytes)), \(Self.buffer(checkpoint)))
            """
        do {
            try session.rows(query, doing: "store the new assessment in")
        } catch {
            if error.message.contains("SQLSTATE 23505") { throw HRIAError.badInput("assessment \(id) already exists") }
            throw error
        }
    }

    func append(lockTimeout: Double, signing: AssessmentLog.Signing, now: Date,
                establish: () throws -> AssessmentLog.Standing,
                signEvent: (EventDraft, [UInt8]) throws -> String?,
                remember: (AssessmentLog.Standing, AssessmentLog.Head?) -> Void,
                decide: (AssessmentLog.Standing) throws -> [EventDraft]) throws -> (events: [Event], standing: AssessmentLog.Standing) {
        let deadline = Date().addingTimeInterval(lockTimeout)
        // Set once this writer has lost a race: it then holds the assessment's advisory lock until it has written.
        var queued = false
        defer {
            if queued {
                _ = try? session.rows("SELECT pg_advisory_unlock(hashtextextended(\(Self.appendLockKey(id)), 0)), set_config('lock_timeout', '0', false)",
                                      doing: "release the append lock of \(id) in")
            }
        }
        while true {
            let standing = try establish()
            let drafts = try decide(standing)
            guard !drafts.isEmpty else { return ([], standing) }
            let prepared = try PreparedAppend.prepare(drafts, on: standing, signEvent: signEvent)
            var after = prepared.after
            let checkpoint = try SignedCheckpoint.sign(Checkpoint(origin: signing.origin, size: after.position.eventCount,
                                                                  rootHash: after.position.tree.root(), extensions: []),
                                                       signer: signing.signer)
            // One statement at the next seq: a second writer that built on the same head fails on the primary key
            // and never overwrites; it establishes the standing again and decides anew.
            var binds = PostgresBindings(capacity: 3 + 3 * prepared.lines.count)
            binds.append(id)
            binds.append(Self.buffer(checkpoint))
            binds.append(Self.appendLockKey(id))
            var values: [String] = []
            for (offset, line) in prepared.lines.enumerated() {
                let seq = standing.position.eventCount + offset
                binds.append(seq)
                binds.append(Self.buffer(line))
                binds.append(Self.buffer(line.withUnsafeBytes { SHA256Hash.leaf($0) }.bytes))
                let n = 4 + 3 * offset
                let last = offset == prepared.lines.count - 1
                values.append("($1, $\(n), $\(n + 1), $\(n + 2), \(last ? "$2" : "NULL::bytea"))")
            }
            // A writer that has not queued passes a gate first: it writes only if nobody holds or waits for the
            // assessment's append lock (a shared try of that lock, held to the end of this statement; PostgreSQL
            // refuses it while an exclusive request waits). So once a writer has lost a race and queued, fresh
            // writers stop overtaking it: they find the gate shut and queue behind it. Without the gate, a queued
            // writer still met every fresh writer and could lose for the whole timeout (seen in CI: 8 writers on a
            // loaded 2-core machine). The gate is evaluated once, in its own WITH query, so that a statement of
            // several lines writes all of them or none. The queued writer holds the lock itself and skips the gate.
            let gate = queued ? "" : "gate AS (SELECT pg_try_advisory_xact_lock_shared(hashtextextended($3, 0)) AS open), "
            let source = "SELECT v.* FROM (VALUES " + values.joined(separator: ", ") + ") AS v"
                + (queued ? "" : ", gate WHERE gate.open")
            // The same statement reads what the head's fingerprint takes from the assessment's row, so that the
            // standing can be kept without another round trip; the new last line and checkpoint are these. ($3 is
            // read back too, so that the statement uses every parameter whether or not it has the gate.)
            let query = PostgresQuery(unsafeSQL: "WITH " + gate + "written AS (INSERT INTO events (assessment, seq, line, leaf, checkpoint) "
                                          + source + " RETURNING seq) "
                                          + "SELECT a.changes, (SELECT count(*) FROM disclosures d WHERE d.assessment = a.id), sha256(a.workflow), "
                                          + "(SELECT count(*) FROM written), $3 FROM assessments a WHERE a.id = $1",
                                      binds: binds)
            var lost = false
            var rows: [PostgresRow] = []
            do {
                rows = try session.rows(query, doing: "record the event in")
            } catch {
                guard error.message.contains("SQLSTATE 23505") else { throw error }
                lost = true
            }
            var answer: (changes: Int, disclosures: Int, workflow: ByteBuffer)?
            if !lost {
                guard let row = rows.first, let (changes, disclosures, workflow, written, _) = try? row.decode((Int, Int, ByteBuffer, Int, String).self) else {
                    throw HRIAError(.internalError, "the database's answer to recording an event of \(id) could not be read",
                                    help: "run hria verify \(id) to see whether the event was recorded")
                }
                if written == 0 {
                    lost = true
                } else {
                    guard written == prepared.lines.count else {
                        throw HRIAError(.internalError, "the database recorded \(written) of \(prepared.lines.count) events of \(id)",
                                        help: "run hria verify \(id)")
                    }
                    answer = (changes, disclosures, workflow)
                }
            }
            guard let answer else {
                guard Date() < deadline else {
                    throw HRIAError(.busy, "other hria commands kept writing to \(id); try again",
                                    help: "retried for \(Int(lockTimeout)) seconds")
                }
                // Another writer took this seq, or others are queued. A writer that lost queues for the
                // assessment's advisory lock: PostgreSQL grants it in the order asked, and the holder tries again
                // at once, meeting at most a writer already past the gate. Writers that win at once never wait
                // for the lock, so the usual append costs no more statements.
                if !queued {
                    let milliseconds = max(1, Int(deadline.timeIntervalSinceNow * 1000))
                    try session.rows("SELECT set_config('lock_timeout', \(String(milliseconds)), false)", doing: "wait for the append lock of \(id) in")
                    do {
                        try session.rows("SELECT pg_advisory_lock(hashtextextended(\(Self.appendLockKey(id)), 0))", doing: "wait for the append lock of \(id) in")
                    } catch {
                        guard error.message.contains("SQLSTATE 55P03") else { throw error }
                        throw HRIAError(.busy, "other hria commands kept writing to \(id); try again", help: "retried for \(Int(lockTimeout)) seconds")
                    }
                    queued = true
                }
                continue
            }
            after.checkpointSize = after.position.eventCount
            var head: AssessmentLog.Head?
            if let last = prepared.lines.last {
                head = Self.head(changes: answer.changes, lastSeq: after.position.eventCount - 1, leaf: last.withUnsafeBytes { SHA256Hash.leaf($0) }.bytes,
                                 checkpoint: checkpoint, disclosures: answer.disclosures, workflowSHA256: Self.bytes(answer.workflow))
            }
            remember(after, head)
            return (prepared.events, after)
        }
    }

    /// The name of the advisory lock a writer that lost a race waits in line for (hashed to PostgreSQL's bigint key).
    static func appendLockKey(_ id: String) -> String { "hria-append:" + id }

    func logBytes(upTo position: AssessmentLog.Position) throws(HRIAError) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(position.byteCount)
        let rows = try session.rows("SELECT line FROM events WHERE assessment = \(id) AND seq < \(position.eventCount) ORDER BY seq",
                                    doing: "read the log of \(id) from")
        for row in rows {
            guard let line = try? row.decode(ByteBuffer.self) else { throw HRIAError(.integrity, "an event of \(id) cannot be read") }
            bytes += Self.bytes(line)
            bytes.append(0x0A)
        }
        guard bytes.count == position.byteCount else {
            throw HRIAError(.integrity, "the log changed while it was read", help: "run the command again, or hria verify")
        }
        return bytes
    }

    func openLog() throws(FileSystemError) -> any LogByteSource {
        PostgresLogSource(record: self)
    }

    func lastLines(_ count: Int) -> [[UInt8]] {
        read {
            try session.rows("SELECT line FROM events WHERE assessment = \(id) ORDER BY seq DESC LIMIT \(count)", doing: "read the log of \(id) from")
                .compactMap { (try? $0.decode(ByteBuffer.self)).map(Self.bytes) }
        } ?? []
    }

    func latestCheckpoint() -> [UInt8]? {
        read {
            try session.rows("SELECT checkpoint FROM events WHERE assessment = \(id) AND checkpoint IS NOT NULL ORDER BY seq DESC LIMIT 1",
                             doing: "read the latest checkpoint of \(id) from")
                .first.flatMap { (try? $0.decode(ByteBuffer.self)).map(Self.bytes) }
        }
    }

    func storedCheckpoints() -> [StoredCheckpoint] {
        read {
            try session.rows("SELECT seq, checkpoint FROM events WHERE assessment = \(id) AND checkpoint IS NOT NULL ORDER BY seq",
                             doing: "read the checkpoints of \(id) from")
                .compactMap { row -> StoredCheckpoint? in
                    guard let (seq, bytes) = try? row.decode((Int, ByteBuffer).self) else { return nil }
                    return StoredCheckpoint(label: "the checkpoint stored with event \(seq)", size: seq + 1, bytes: Self.bytes(bytes), name: String(seq + 1))
                }
        } ?? []
    }

    func interruptedCheckpoints() -> [[UInt8]] { [] }

    func firstWorkflow() -> [UInt8]? {
        read {
            try session.rows("SELECT workflow FROM assessments WHERE id = \(id)", doing: "read the workflow of \(id) from")
                .first.flatMap { (try? $0.decode(ByteBuffer.self)).map(Self.bytes) }
        }
    }

    func workflowSnapshots() -> [(claimedSHA256: String, bytes: [UInt8])] {
        read {
            try session.rows("SELECT sha256, bytes FROM workflow_snapshots WHERE assessment = \(id) ORDER BY sha256",
                             doing: "read the workflows of \(id) from")
                .compactMap { row -> (claimedSHA256: String, bytes: [UInt8])? in
                    guard let (sha, bytes) = try? row.decode((String, ByteBuffer).self) else { return nil }
                    return (sha, Self.bytes(bytes))
                }
        } ?? []
    }

    func workflowFile(sha256: String) -> (name: String, bytes: [UInt8])? {
        if let known = session.knownWorkflow(id, sha256: sha256) { return known }
        guard let found = storedWorkflowFile(sha256: sha256) else { return nil }
        session.remember(workflow: found, of: id, sha256: sha256)
        return found
    }

    private func storedWorkflowFile(sha256: String) -> (name: String, bytes: [UInt8])? {
        if let first = firstWorkflow(), Digest.sha256Hex(first) == sha256 { return ("workflow.yaml", first) }
        let kept = read {
            try session.rows("SELECT bytes FROM workflow_snapshots WHERE assessment = \(id) AND sha256 = \(sha256)",
                             doing: "read the workflows of \(id) from")
                .first.flatMap { (try? $0.decode(ByteBuffer.self)).map(Self.bytes) }
        }
        guard let kept, Digest.sha256Hex(kept) == sha256 else { return nil }
        return ("workflows/\(sha256).yaml", kept)
    }

    func storeWorkflowSnapshot(_ bytes: [UInt8]) throws {
        // A row already there under this hash with other bytes was damaged: no verified event can name it yet.
        let sha = Digest.sha256Hex(bytes)
        try session.rows("""
            INSERT INTO workflow_snapshots (assessment, sha256, bytes) VALUES (\(id), \(sha), \(Self.buffer(bytes)))
            ON CONFLICT (assessment, sha256) DO UPDATE SET bytes = EXCLUDED.bytes WHERE workflow_snapshots.bytes <> EXCLUDED.bytes
            """, doing: "keep the workflow \(id) moves to in")
    }

    func evidence(sha256: String) -> [UInt8]? {
        read {
            try session.rows("SELECT bytes FROM evidence WHERE assessment = \(id) AND sha256 = \(sha256)", doing: "read evidence of \(id) from")
                .first.flatMap { (try? $0.decode(ByteBuffer.self)).map(Self.bytes) }
        }
    }

    func storeEvidence(sha256: String, bytes: [UInt8], permissions: UInt16) throws {
        try session.rows("""
            INSERT INTO evidence (assessment, sha256, bytes) VALUES (\(id), \(sha256), \(Self.buffer(bytes)))
            ON CONFLICT (assessment, sha256) DO NOTHING
            """, doing: "store evidence of \(id) in")
    }

    func evidenceDigests() -> [String] {
        read {
            try session.rows("SELECT sha256 FROM evidence WHERE assessment = \(id) ORDER BY sha256", doing: "list evidence of \(id) in")
                .compactMap { try? $0.decode(String.self) }
        } ?? []
    }

    /// One transaction: the copy is committed whole or not at all.
    func restore(_ copy: RecordCopy) throws(HRIAError) {
        let doing = "copy \(id) into"
        let connection = try session.open()
        _ = try session.run("BEGIN", on: connection, doing: doing)
        do throws(HRIAError) {
            do {
                _ = try session.run("INSERT INTO assessments (id, workflow) VALUES (\(id), \(Self.buffer(copy.firstWorkflow)))", on: connection, doing: doing)
            } catch {
                if error.message.contains("SQLSTATE 23505") { throw HRIAError.badInput("assessment \(id) already exists in \(session.settings.display)") }
                throw error
            }
            var checkpointAt: [Int: [UInt8]] = [:]
            for (size, bytes) in copy.checkpoints { checkpointAt[size - 1] = bytes }
            let batch = 1000
            for start in stride(from: 0, to: copy.lines.count, by: batch) {
                var binds = PostgresBindings(capacity: 1 + 4 * batch)
                binds.append(id)
                var values: [String] = []
                for seq in start..<min(copy.lines.count, start + batch) {
                    let line = copy.lines[seq]
                    let n = 2 + 4 * (seq - start)
                    binds.append(seq)
                    binds.append(Self.buffer(line))
                    binds.append(Self.buffer(line.withUnsafeBytes { SHA256Hash.leaf($0) }.bytes))
                    binds.append(checkpointAt[seq].map(Self.buffer))
                    values.append("($1, $\(n), $\(n + 1), $\(n + 2), $\(n + 3)::bytea)")
                }
                _ = try session.run(PostgresQuery(unsafeSQL: "INSERT INTO events (assessment, seq, line, leaf, checkpoint) VALUES "
                                                  + values.joined(separator: ", "), binds: binds), on: connection, doing: doing)
            }
            for (sha, bytes) in copy.workflowSnapshots {
                _ = try session.run("INSERT INTO workflow_snapshots (assessment, sha256, bytes) VALUES (\(id), \(sha), \(Self.buffer(bytes)))",
                                    on: connection, doing: doing)
            }
            for (sha, bytes) in copy.evidence {
                _ = try session.run("INSERT INTO evidence (assessment, sha256, bytes) VALUES (\(id), \(sha), \(Self.buffer(bytes)))",
                                    on: connection, doing: doing)
            }
            for (digest, bytes) in copy.disclosures {
                _ = try session.run("INSERT INTO disclosures (assessment, digest, value) VALUES (\(id), \(digest), \(Self.buffer(bytes)))",
                                    on: connection, doing: doing)
            }
            for (name, bytes) in copy.privateItems {
                _ = try session.run("INSERT INTO private_items (assessment, name, bytes) VALUES (\(id), \(name), \(Self.buffer(bytes)))",
                                    on: connection, doing: doing)
            }
            _ = try session.run("COMMIT", on: connection, doing: doing)
            // A bulk load leaves the planner's statistics behind until autovacuum catches up; with them the pages of
            // verify become a sort spilling to disk instead of a walk of the primary key (30× slower, measured).
            if copy.lines.count >= 1000 { _ = try? session.run("ANALYZE events", on: connection, doing: doing) }
        } catch {
            _ = try? session.run("ROLLBACK", on: connection, doing: doing)
            throw error
        }
    }

    func disclosureDigests() -> [String] {
        read {
            try session.rows("SELECT digest FROM disclosures WHERE assessment = \(id) ORDER BY digest", doing: "list the confidential values of \(id) in")
                .compactMap { try? $0.decode(String.self) }
        } ?? []
    }

    func disclosure(digest: String) -> [UInt8]? {
        read {
            try session.rows("SELECT value FROM disclosures WHERE assessment = \(id) AND digest = \(digest)", doing: "read a confidential value of \(id) from")
                .first.flatMap { (try? $0.decode(ByteBuffer.self)).map(Self.bytes) }
        }
    }

    func storeDisclosure(digest: String, bytes: [UInt8]) throws {
        try session.rows("""
            INSERT INTO disclosures (assessment, digest, value) VALUES (\(id), \(digest), \(Self.buffer(bytes)))
            ON CONFLICT (assessment, digest) DO UPDATE SET value = EXCLUDED.value WHERE disclosures.value <> EXCLUDED.value
            """, doing: "store a confidential value of \(id) in")
    }

    func removeDisclosure(digest: String) throws {
        try session.rows("DELETE FROM disclosures WHERE assessment = \(id) AND digest = \(digest)", doing: "delete a confidential value of \(id) from")
    }

    func protectDisclosures() throws {}

    /// Private items are rows of `private_items`, a table of their own beside `disclosures` (docs/STORE.md): no
    /// trigger counts their changes, since nothing `verify` reads is in them.
    func privateItems(prefix: String) -> [(name: String, bytes: [UInt8])] {
        read {
            try session.rows("""
                SELECT name, bytes FROM private_items WHERE assessment = \(id) AND left(name, char_length(\(prefix))) = \(prefix) ORDER BY name
                """, doing: "list the private items of \(id) in")
                .compactMap { row in (try? row.decode((String, ByteBuffer).self)).map { ($0.0, Self.bytes($0.1)) } }
        } ?? []
    }

    func privateItem(_ name: String) -> [UInt8]? {
        guard PrivateItemName.isValid(name) else { return nil }
        return read {
            try session.rows("SELECT bytes FROM private_items WHERE assessment = \(id) AND name = \(name)", doing: "read a private item of \(id) from")
                .first.flatMap { (try? $0.decode(ByteBuffer.self)).map(Self.bytes) }
        }
    }

    func storePrivateItem(name: String, bytes: [UInt8]) throws {
        guard PrivateItemName.isValid(name) else { throw HRIAError.badInput("\"\(DisplayText.escape(name))\" is not a name a private item can have") }
        try session.rows("""
            INSERT INTO private_items (assessment, name, bytes) VALUES (\(id), \(name), \(Self.buffer(bytes)))
            ON CONFLICT (assessment, name) DO UPDATE SET bytes = EXCLUDED.bytes
            """, doing: "store a private item of \(id) in")
    }

    func storePrivateItemIfAbsent(name: String, bytes: [UInt8]) throws -> Bool {
        guard PrivateItemName.isValid(name) else { throw HRIAError.badInput("\"\(DisplayText.escape(name))\" is not a name a private item can have") }
        return try !session.rows("""
            INSERT INTO private_items (assessment, name, bytes) VALUES (\(id), \(name), \(Self.buffer(bytes)))
            ON CONFLICT (assessment, name) DO NOTHING RETURNING 1
            """, doing: "store a private item of \(id) in").isEmpty
    }

    func removePrivateItem(_ name: String) throws {
        try session.rows("DELETE FROM private_items WHERE assessment = \(id) AND name = \(name)", doing: "delete a private item of \(id) from")
    }

    /// The fingerprint of a head from its parts, as `head(newestCheckpoint:)` reads them and as an append knows
    /// them: one function, so that a standing kept after an append matches the head read by the next command.
    static func head(changes: Int, lastSeq: Int, leaf: [UInt8], checkpoint: [UInt8], disclosures: Int, workflowSHA256: [UInt8]) -> AssessmentLog.Head? {
        var stamp = Array("postgresql\u{0}\(changes)\u{0}\(lastSeq)\u{0}\(disclosures)\u{0}".utf8)
        stamp += leaf + checkpoint + workflowSHA256
        return SHA256Hash(bytes: Digest.sha256(stamp)).map { AssessmentLog.Head(fingerprint: FolderFingerprint(digest: $0), latestCheckpoint: checkpoint) }
    }

    /// The assessment's change counter (moved by any update or deletion behind hria's back), its last event and
    /// checkpoint, and how many confidential values are stored: what a snapshot of the standing is bound to.
    func fingerprint(newestCheckpoint: Int) -> FolderFingerprint? {
        head(newestCheckpoint: newestCheckpoint).fingerprint
    }

    /// One round trip: the fingerprint's row also holds the last event's checkpoint, which is the latest one whenever
    /// the last event has one (every append stores it on its last event); otherwise it is looked for.
    func head(newestCheckpoint: Int) -> (fingerprint: FolderFingerprint?, latestCheckpoint: [UInt8]?) {
        let row = read { () throws -> (FolderFingerprint?, [UInt8])? in
            let rows = try session.rows("""
                SELECT a.changes, coalesce(e.seq, -1), coalesce(e.leaf, ''::bytea), coalesce(e.checkpoint, ''::bytea),
                       (SELECT count(*) FROM disclosures d WHERE d.assessment = a.id), sha256(a.workflow)
                FROM assessments a
                LEFT JOIN LATERAL (SELECT seq, leaf, checkpoint FROM events WHERE assessment = a.id ORDER BY seq DESC LIMIT 1) e ON true
                WHERE a.id = \(id)
                """, doing: "read the head of \(id) from")
            guard let row = rows.first,
                  let (changes, seq, leaf, checkpoint, disclosures, workflow) = try? row.decode((Int, Int, ByteBuffer, ByteBuffer, Int, ByteBuffer).self)
            else { return nil }
            let head = Self.head(changes: changes, lastSeq: seq, leaf: Self.bytes(leaf), checkpoint: Self.bytes(checkpoint),
                                 disclosures: disclosures, workflowSHA256: Self.bytes(workflow))
            return (head?.fingerprint, Self.bytes(checkpoint))
        }
        guard let (fingerprint, checkpoint) = row else { return (nil, latestCheckpoint()) }
        return (fingerprint, checkpoint.isEmpty ? latestCheckpoint() : checkpoint)
    }
}

/// The log's rows as one stream of lines, fetched a page at a time; each row's stored leaf hash is checked against
/// its line on the way.
final class PostgresLogSource: LogByteSource {
    private let record: PostgresAssessment
    private var pending: [UInt8] = []
    private var offset = 0
    private var nextSeq = 0
    private var finished = false
    private(set) var problems: [(seq: Int, message: String)] = []
    let sizeHint: Int? = nil
    static let pageSize = 8192

    init(record: PostgresAssessment) {
        self.record = record
    }

    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(FileSystemError) -> Int {
        while offset == pending.count {
            if finished { return 0 }
            try fetch()
        }
        let n = min(count, pending.count - offset)
        pending.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
        offset += n
        return n
    }

    /// One page as one value: the server joins the lines (each with its newline) and names the rows whose stored
    /// leaf is not their line's, so a page costs one row to decode instead of thousands.
    private func fetch() throws(FileSystemError) {
        let rows: [PostgresRow]
        do {
            rows = try record.session.rows("""
                SELECT coalesce(string_agg(line || '\\x0a'::bytea, ''::bytea ORDER BY seq), ''::bytea), count(*), coalesce(max(seq), -1),
                       array_agg(seq ORDER BY seq) FILTER (WHERE leaf IS DISTINCT FROM sha256('\\x00'::bytea || line))
                FROM (SELECT seq, line, leaf FROM events WHERE assessment = \(record.id) AND seq >= \(nextSeq) ORDER BY seq LIMIT \(Self.pageSize)) AS page
                """, doing: "read the log of \(record.id) from")
        } catch {
            record.session.recordFailure(error)
            throw FileSystemError("read", record.location, code: EIO, reason: error.message)
        }
        guard let row = rows.first, let page = try? row.decode((ByteBuffer, Int, Int, [Int]?).self) else {
            throw FileSystemError("read", record.location, code: EIO, reason: "a page of the log cannot be decoded")
        }
        let (lines, count, last, edited) = page
        pending = PostgresAssessment.bytes(lines)
        offset = 0
        for seq in edited ?? [] {
            problems.append((seq, "the leaf hash stored with event \(seq) is not its line's: the row was edited"))
        }
        if count > 0 { nextSeq = last + 1 }
        if count < Self.pageSize { finished = true }
    }
}
