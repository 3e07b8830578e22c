import Foundation

/// A roster change decided but not yet recorded: what an admin (or a person setting their own key) signs when they
/// change the roster through a server, which never holds their key. The server decides it with the roster's rules as
/// `hria people` does; the person's client signs each line with the key the roster holds for them (relinking each
/// line to the signed one before it); the server records the lines only if the roster still stands where they were
/// decided, and only with signatures that verify as `verify --roster` checks them.
public struct PreparedRosterChange: Sendable, Equatable {
    public var actor: String
    /// The roster's size and the hash of its last line the change was decided on.
    public var size: Int
    public var head: SHA256Hash
    public var drafts: [EventDraft]
    /// Names and titles kept confidential, stored once the events are recorded.
    public var disclosures: [Disclosure]
    /// The lines as they will be recorded, unsigned, each linked to the unsigned line before it.
    public var unsignedLines: [[UInt8]]
    /// Roles the change names that no workflow of the workspace declares (the command notes each).
    public var undeclaredRoles: [String]
}

extension Workspace {
    /// Decides the roster change `commands` asks of the roster as it stands (a function of it: an import depends on
    /// who is on it), by `actor`, without recording anything. Refusals and mistakes are those of `hria people`.
    public func prepareRosterChange(actor: String, clock: Clock, commands: (Roster) throws -> [RosterCommand]) throws -> PreparedRosterChange {
        // Held shared while deciding, as a writer of acts holds it: no change falls between reading and deciding.
        let rosterLock = try lockRosterShared()
        defer { if let rosterLock { fs.close(rosterLock) } }
        let standing = try roster() ?? RosterLog.Standing(roster: Roster(), events: [], position: .init(), tornTail: 0)
        let asked = try commands(standing.roster)
        var random = SecureRandom()
        let (drafts, disclosures) = try decideRosterChange(asked, actor: actor, standing: standing, now: clock.now(), random: &random)
        var position = standing.position
        var lines: [[UInt8]] = []
        for draft in drafts {
            let line = EventLine.encode(draft, seq: position.eventCount, prev: position.headHash)
            lines.append(line)
            position.advance(over: line)
        }
        var roles: [String] = []
        for command in asked {
            switch command {
            case .add(_, _, _, let granted, _, _, _): roles += granted
            case .grant(_, let role, _): roles.append(role)
            default: break
            }
        }
        return PreparedRosterChange(actor: actor, size: standing.position.eventCount, head: standing.position.headHash, drafts: drafts,
                                    disclosures: disclosures, unsignedLines: lines, undeclaredRoles: undeclaredRoles(roles))
    }

    /// Records a prepared roster change with the person's signatures (one per line, standard base64 SSHSIG blobs, each
    /// by the key the roster holds for them before that change) and signs the roster's next checkpoint. Fails with
    /// `PreparedCommandFailure.stale`, writing nothing of the change, when the roster moved since it was prepared, or
    /// when an act decided against the roster as it stands is now dated after the change. What this process
    /// remembered of the roster is forgotten, so the next request reads the change.
    public func commitRosterChange(_ prepared: PreparedRosterChange, signatures: [String], clock: Clock) throws -> [Event] {
        guard signatures.count == prepared.drafts.count else {
            throw HRIAError.badInput("\(prepared.drafts.count) signature(s) are needed, \(signatures.count) were given")
        }
        let signing = try rosterSigning()
        var repairing = false
        var next = 0
        defer { rosterMemo.forget() }
        let events = try rosterLog.append(lockTimeout: Double(configuration.lockTimeoutSeconds), signing: signing, now: clock.now(), establish: {
            let standing = try rosterUnderItsLock(signing)
            repairing = standing.tornTail > 0
            return standing
        }, sign: { draft, unsigned, before in
            let index = next
            next += 1
            let seq = before.size
            let signature = signatures[index]
            guard !signature.isEmpty else { throw PreparedCommandFailure.badSignature(seq: seq, why: "is missing; every roster change must be signed") }
            // The key the roster holds for the actor before this change (for the first, the key it adds), as verify checks it.
            guard let key = before.signingKey(for: draft, seq: seq), let published = PersonKey(published: key) else {
                throw PreparedCommandFailure.badSignature(seq: seq, why: "cannot be checked: \(draft.actor) has no key on the roster")
            }
            guard published.verifies(unsigned, signature: signature) else {
                throw PreparedCommandFailure.badSignature(seq: seq, why: "does not verify with the key the roster lists for \(draft.actor)")
            }
            return signature
        }, decide: { standing in
            // An interrupted write at the end is cut and its repair recorded alone: the change was prepared to follow the
            // last complete event, so it is prepared again on the repaired roster.
            if repairing { return ([], []) }
            guard standing.position.eventCount == prepared.size, standing.position.headHash == prepared.head else {
                throw PreparedCommandFailure.stale
            }
            // An act recorded since, against this very state, and dated after the change: deciding again dates it now.
            if standing.roster.size > 0, let first = prepared.drafts.first, let (_, time) = latestAct(naming: standing.roster.size),
               floor(time.timeIntervalSince1970) > floor(first.time.timeIntervalSince1970) {
                throw PreparedCommandFailure.stale
            }
            return (prepared.drafts, prepared.disclosures)
        })
        if repairing { throw PreparedCommandFailure.stale }
        return events
    }

    /// The roster events at `size…` when they are exactly lines signed with `signatures`: a change that was recorded
    /// before its answer was lost (a server killed, a connection dropped). Nil otherwise. Every roster change is
    /// signed, so a signature pins its line: another change cannot carry it.
    public func rosterChangeRecorded(size: Int, signatures: [String]) throws -> [Event]? {
        guard !signatures.isEmpty, !signatures.contains(""), let standing = try roster() else { return nil }
        let events = standing.events
        guard size >= 0, size <= events.count, signatures.count <= events.count - size else { return nil }
        let lines = Array(events[size ..< size + signatures.count])
        return zip(lines, signatures).allSatisfy { $0.signature == $1 } ? lines : nil
    }
}
