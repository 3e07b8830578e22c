import Foundation

/// A command decided but not yet recorded: what a person signs when they act through a server, which never holds
/// their key (docs/SERVER.md, "Acting through the server"). The server decides on the assessment as it stands and
/// sends the unsigned lines; the person's client signs each (relinking each line to the signed one before it); the
/// server records them only if the assessment still stands where it was decided, and only with signatures that
/// verify with the person's key on the roster.
public struct PreparedCommand: Sendable, Equatable {
    public var id: String
    public var actor: String
    /// The size of the log and the hash of its last line the decision was made on.
    public var size: Int
    public var head: SHA256Hash
    /// The roster state the acts name (nil in a workspace without a roster).
    public var rosterSize: Int?
    /// Whether the roster requires every act to be signed.
    public var signaturesRequired: Bool
    public var drafts: [EventDraft]
    public var disclosures: [Disclosure]
    public var voided: [String]
    /// Evidence files to keep once the events are recorded, by SHA-256.
    public var files: [String: InputFile]
    /// The lines as they will be recorded, unsigned, each linked to the unsigned line before it.
    public var unsignedLines: [[UInt8]]
    /// Disclosure digests whose plaintext is deleted once the events are recorded (an erasure).
    public var erasing: [String] = []
    /// A new assessment's workflow file, pinned in its folder when it is created (nil for a command on one that exists).
    public var creating: [UInt8]?
    /// The workflow a move goes to (`hria migrate`), kept in the assessment's folder when the move is recorded.
    public var moving: MigrationTarget?
}

/// Why a prepared command was not recorded, when preparing it again is the answer.
public enum PreparedCommandFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The assessment or the roster moved since the command was decided.
    case stale
    /// A signature is missing, or does not verify with the person's key.
    case badSignature(seq: Int, why: String)

    public var description: String {
        switch self {
        case .stale: "the assessment changed since this was prepared: prepare it again"
        case .badSignature(let seq, let why): "the signature of event \(seq) \(why)"
        }
    }
}

extension Workspace {
    /// Decides `command` by `actor` on the assessment as it stands, without recording anything.
    public func prepare(_ id: String, command: Command, actor: Person, clock: Clock, random: inout some RandomSource,
                        files: [String: InputFile] = [:], allowVoiding: Bool = true) throws -> PreparedCommand {
        // An erasure is checked as hria erase checks it (the value is stored here, not erased yet) before it is decided.
        if case .erase(let digest, let reason) = command {
            return try prepareErasure(id, digest: digest, reason: reason, actor: actor, clock: clock, random: &random)
        }
        // A move needs the workflow it moves to kept with it, which `prepareMigration` resolves and keeps.
        if case .migrate = command {
            throw HRIAError(.internalError, "a move to another workflow is prepared with prepareMigration, which keeps the workflow it moves to")
        }
        return try decided(id, command: command, actor: actor, clock: clock, random: &random, files: files, allowVoiding: allowVoiding)
    }

    /// The engine's decision on the assessment as it stands, as the lines to sign.
    func decided(_ id: String, command: Command, actor: Person, clock: Clock, random: inout some RandomSource,
                 files: [String: InputFile], allowVoiding: Bool) throws -> PreparedCommand {
        try decidedWithStanding(id, command: command, actor: actor, clock: clock, random: &random, files: files, allowVoiding: allowVoiding).prepared
    }

    /// The same, with the standing it was decided on (what `hria migrate` compares the move with).
    func decidedWithStanding(_ id: String, command: Command, actor: Person, clock: Clock, random: inout some RandomSource,
                             files: [String: InputFile], allowVoiding: Bool) throws -> (prepared: PreparedCommand, standing: AssessmentLog.Standing) {
        let log = try requireAssessment(id)
        let rosterLock = try lockRosterShared()
        defer { if let rosterLock { fs.close(rosterLock) } }
        let (actor, rosterSize, required) = try actingUnderRoster(actor)
        var standing = try standing(id, log: log)
        // A move is recorded through the history by the workflow it moves to, as a local writer records it.
        if case .migrate(let target, let sha256, _, _) = command { standing.history.snapshots[sha256] = target }
        let outcome = try decideUnderRoster(id, standing, command: command, actor: actor, rosterSize: rosterSize, now: clock.now(),
                                            random: &random, allowVoiding: allowVoiding)
        let lines = try PreparedAppend.prepare(outcome.events, on: standing) { _, _ in nil }.lines
        let prepared = PreparedCommand(id: id, actor: actor.id, size: standing.position.eventCount, head: standing.position.headHash,
                                       rosterSize: rosterSize, signaturesRequired: required, drafts: outcome.events, disclosures: outcome.disclosures,
                                       voided: outcome.voided, files: files, unsignedLines: lines)
        return (prepared, standing)
    }

    /// Records a prepared command with the person's signatures (one per line, standard base64 SSHSIG blobs; empty
    /// where the roster does not require one and none was made). Fails with `PreparedCommandFailure.stale` when the
    /// assessment or the roster moved since it was prepared; nothing is written then.
    public func commit(_ prepared: PreparedCommand, signatures: [String], clock: Clock) throws -> [Event] {
        if let workflow = prepared.creating { return try commitCreation(prepared, workflow: workflow, signatures: signatures) }
        // Every file an event names is kept with it; a command whose file did not arrive is never recorded.
        for draft in prepared.drafts {
            let named: EvidenceFile? = switch draft.payload {
            case .evidenceAdded(let added): added.file
            case .evidenceUpdated(let updated): updated.file
            default: nil
            }
            if let named, prepared.files[named.sha256] == nil {
                throw HRIAError.badInput("the file \(DisplayText.escape(named.name)) this command names was not received with it")
            }
        }
        if prepared.drafts.isEmpty {
            // An erasure recorded already: only its plaintext is left to delete.
            try finishErasure(prepared)
            return []
        }
        let log = try requireAssessment(prepared.id)
        guard signatures.count == prepared.drafts.count else {
            throw HRIAError.badInput("\(prepared.drafts.count) signature(s) are needed, \(signatures.count) were given")
        }
        let signing = try signing(for: prepared.id)
        let rosterLock = try lockRosterShared()
        defer { if let rosterLock { fs.close(rosterLock) } }
        let (actor, rosterSize, required) = try actingUnderRoster(try person(prepared.actor))
        guard rosterSize == prepared.rosterSize else { throw PreparedCommandFailure.stale }
        var next = 0
        let (appended, _) = try log.append(lockTimeout: Double(configuration.lockTimeoutSeconds), signing: signing, now: clock.now(),
                                           establish: {
                                               var standing = try standing(prepared.id, log: log)
                                               if let target = prepared.moving { standing.history.snapshots[target.sha256] = target.workflow }
                                               return standing
                                           },
                                           signEvent: { _, unsigned in
                                               let index = next
                                               next += 1
                                               let seq = prepared.size + index
                                               let signature = signatures[index]
                                               if signature.isEmpty {
                                                   guard !required else { throw PreparedCommandFailure.badSignature(seq: seq, why: "is missing, and the roster requires one") }
                                                   return nil
                                               }
                                               guard let key = actor.key, let published = PersonKey(published: key) else {
                                                   throw PreparedCommandFailure.badSignature(seq: seq, why: "cannot be checked: \(actor.id) has no key on the roster")
                                               }
                                               guard published.verifies(unsigned, signature: signature) else {
                                                   throw PreparedCommandFailure.badSignature(seq: seq, why: "does not verify with the key the roster lists for \(actor.id)")
                                               }
                                               return signature
                                           },
                                           remember: { standing, head in
                                               if let head { remember(prepared.id, standing, head: head, signing: signing, trust: nil) }
                                           }) { standing in
            guard standing.position.eventCount == prepared.size, standing.position.headHash == prepared.head else {
                throw PreparedCommandFailure.stale
            }
            try keep(files: prepared.files, workflowSnapshot: prepared.moving?.bytes, disclosures: prepared.disclosures, in: log)
            return prepared.drafts
        }
        if !prepared.erasing.isEmpty { try finishErasure(prepared) }
        return appended
    }

    /// The events at `size…` when they are exactly the prepared lines signed with `signatures`: a commit that was
    /// recorded before its answer was lost (a server killed, a connection dropped). Nil otherwise.
    public func alreadyRecorded(_ id: String, size: Int, count: Int, signatures: [String]) throws -> [Event]? {
        let log = try requireAssessment(id)
        let standing = try standing(id, log: log)
        let recorded = standing.position.eventCount
        guard size >= 0, size <= recorded, count <= recorded - size, count == signatures.count else { return nil }
        let events = try log.events(upTo: standing.position)
        let lines = Array(events[size ..< size + count])
        return zip(lines, signatures).allSatisfy { $0.signature == ($1.isEmpty ? nil : $1) } ? lines : nil
    }
}

/// What a person's client does with prepared lines: links each to the signed line before it, and signs it.
public enum PreparedLines {
    /// Signs `unsigned` (as `Workspace.prepare` made them) in order: line i's `prev` becomes the hash of signed line
    /// i−1, exactly as the server's writer will link it. Returns each signature (nil where `sign` gave none) and the
    /// signed lines.
    public static func sign(_ unsigned: [[UInt8]], sign: ([UInt8]) throws -> String?) throws -> (signatures: [String?], lines: [[UInt8]]) {
        var signatures: [String?] = []
        var lines: [[UInt8]] = []
        var previous: SHA256Hash?
        for line in unsigned {
            let event: Event
            do {
                event = try EventLine.decode(line)
            } catch {
                throw HRIAError(.internalError, "the server prepared a line that does not read as an event: \(error)")
            }
            let prev = previous ?? event.prev
            let relinked = EventLine.encode(event.draft, seq: event.seq, prev: prev)
            let signature = try sign(relinked)
            let signed = signature.map { EventLine.encode(event.draft, seq: event.seq, prev: prev, signature: $0) } ?? relinked
            signatures.append(signature)
            lines.append(signed)
            previous = signed.withUnsafeBytes { SHA256Hash.leaf($0) }
        }
        return (signatures, lines)
    }
}
