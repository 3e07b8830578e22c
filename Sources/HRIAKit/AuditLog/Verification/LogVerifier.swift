import Foundation

/// Recomputes everything from the stored bytes and compares it with what was signed, and replays the history
/// through the same rules the engine decides by. Never repairs, never re-serialises: leaves and chain hashes are
/// taken over the exact bytes of each line.
///
/// This is also how every command reads a log it has no valid snapshot of: a command builds only on the
/// `standing` of a report that is `ok`, so it can never accept what `hria verify` rejects.
public enum LogVerifier {
    /// Inputs verification needs besides the files: the trusted key, the origin, and who may act and sign: the
    /// verified roster, and for events written before it, the people and policy of hria.yaml.
    public struct Trust: Sendable {
        public var verifier: NoteVerifier
        public var origin: String
        /// hria.yaml's people and policy, which events without a roster reference were written under.
        public var people: [Person]
        public var requireSignatures: Bool
        /// The workspace's roster, verified; nil where there is none.
        public var roster: Roster? {
            didSet { rosterKeys = Self.parse(roster) }
        }
        /// Every key the roster has listed, read once.
        var rosterKeys: [String: PersonKey] = [:]

        public init(verifier: NoteVerifier, origin: String, people: [Person], requireSignatures: Bool, roster: Roster? = nil) {
            self.verifier = verifier
            self.origin = origin
            self.people = people
            self.requireSignatures = requireSignatures
            self.roster = roster
            rosterKeys = Self.parse(roster)
        }

        static func parse(_ roster: Roster?) -> [String: PersonKey] {
            var keys: [String: PersonKey] = [:]
            for member in roster?.members.values.map({ $0 }) ?? [] {
                for key in member.keys where keys[key] == nil { keys[key] = PersonKey(published: key) }
            }
            return keys
        }

        /// Whether the events read under this trust must be signed: by the roster's policy now, else hria.yaml's.
        public var signaturesRequired: Bool { roster?.requireSignatures ?? requireSignatures }
    }

    /// What the pass over the log remembers for the file checks afterwards.
    struct Facts {
        var workflowSHA256: String?
        var evidenceFiles: [(seq: Int, sha256: String)] = []
        var digestOwner: [String: Int] = [:]
        var erased: Set<String> = []
        /// Each move to another workflow: its seq and the SHA-256 of the workflow it moved to.
        var migrations: [(seq: Int, sha256: String)] = []
    }

    /// How verification spreads its work. The defaults suit any machine; tests vary them to check that every
    /// setting gives the same report.
    struct Tuning: Sendable {
        var cores = min(8, max(1, ProcessInfo.processInfo.activeProcessorCount))
        /// Each core's part of a batch is cut into this many shares, which the cores take as they become free, so
        /// that one core reading the next batch, or slowed by the system, does not leave the other idle.
        var sharesPerCore = 4
        var chunkSize = 1 << 20
        /// A batch of fewer bytes stays on one core: handing work over would cost more than it saves.
        var minimumParallelBytes = 256 << 10
    }

    /// The pinned workflow snapshot as found: its bytes' SHA-256 and, when it loads, the workflow.
    struct WorkflowSnapshot {
        var sha256: String?
        var workflow: Workflow?
        var problem: String?
    }

    public static func verify(id: String, log: any AssessmentRecord, trust: Trust, against: [UInt8]? = nil,
                              workflows: WorkflowMemo = WorkflowMemo()) -> VerificationReport {
        verify(id: id, log: log, trust: trust, against: against, workflows: workflows, tuning: Tuning())
    }

    static func verify(id: String, log: any AssessmentRecord, trust: Trust, against: [UInt8]?, workflows: WorkflowMemo = WorkflowMemo(),
                       tuning: Tuning) -> VerificationReport {
        var report = VerificationReport(id: id)
        report.signaturesRequired = trust.signaturesRequired
        // Problems are gathered apart from the report so the checks below can also update the report's counts.
        var problems: [VerificationProblem] = []
        func problem(_ kind: VerificationProblem.Kind, _ seq: Int?, _ message: String) {
            problems.append(VerificationProblem(kind: kind, seq: seq, message: message))
        }
        // The checkpoints are read first, so that one streaming pass over the log can take the root at every size
        // they claim; their signatures are checked on another thread while the log streams.
        let checkpointFiles = CheckpointChecks.read(log: log, against: against)
        let opening = BackgroundWork { CheckpointChecks.open(checkpointFiles, trust: trust) }
        // The history is replayed against the pinned workflow, read before the first line.
        let snapshot = workflowSnapshot(log: log, workflows: workflows, id: id)
        let moves = migrationSnapshots(log: log, workflows: workflows, id: id)
        var pass = LinePass(sizes: Set(checkpointFiles.compactMap { CheckpointChecks.claimedSize($0.bytes) }), trust: trust,
                            keys: signatureVerifiers(trust), workflow: snapshot.workflow, workflowSHA256: snapshot.sha256,
                            snapshots: moves, tuning: tuning)

        // Stream the file once; only two batches of lines and the tree's O(log n) hashes are held.
        let tail: ArraySlice<UInt8>
        do {
            let source = try log.openLog()
            let reader = try LineBatchReader(source: source, chunkSize: tuning.chunkSize)
            defer { for (seq, message) in source.problems { problem(.chain, seq, message) } }
            while !reader.finished {
                reader.current.bytes.withUnsafeBufferPointer { bytes in
                    pass.process(bytes, lines: reader.current.lines, readAhead: reader.readAhead)
                }
                try reader.advance()
            }
            tail = reader.tail
        } catch {
            for message in opening.wait().misnamed { problem(.checkpoint, nil, message) }
            problem(.unreadable, nil, "the log cannot be read: \(error)")
            report.problems = problems
            return report
        }
        let (signed, forged, misnamed) = opening.wait()
        for message in misnamed { problem(.checkpoint, nil, message) }
        pass.finish()
        problems += pass.problems
        let (index, roots, facts, structureBroken) = (pass.index, pass.roots, pass.facts, pass.structureBroken)
        report.size = index
        report.root = pass.accumulator.root()
        // Said of the acts this log holds: a policy switched on later does not sign what was recorded before.
        report.signaturesRequired = index == 0 ? trust.signaturesRequired : !pass.someUnrequired
        if !tail.isEmpty {
            report.notes.append("\(tail.count) bytes of an interrupted write follow event \(index - 1); the next command repairs them")
        }
        CheckpointChecks.compare(&report, signed: signed, roots: roots, size: index,
                                 interrupted: CheckpointChecks.interruptedWrite(log: log, trust: trust), problem: problem)
        // A forged checkpoint vouches for nothing: the first event it claims beyond what genuine checkpoints
        // cover is the first one nobody trustworthy signed.
        let vouched = signed.filter { !$0.external && roots[$0.checkpoint.size] == $0.checkpoint.rootHash }.map(\.checkpoint.size).max() ?? 0
        for (label, size, reason) in forged {
            let seq = size.map { min(max(1, $0) - 1, vouched) }
            problem(.forgedCheckpoint, seq, "\(label) does not verify with the workspace's log key (\(reason)): it was forged or altered"
                        + (seq.map { "; events from #\($0) on are not vouched for by a genuine checkpoint" } ?? ""))
        }
        if !problems.isEmpty {
            report.notes.removeAll { $0.contains("not yet covered by a checkpoint") }
        }
        if !structureBroken {
            FileChecks.check(&report, log: log, facts: facts, workflow: snapshot, loadedMoves: Set(moves.keys), problem: problem)
        }
        let order: [VerificationProblem.Kind] = [.unreadable, .malformed, .sequence, .chain, .history, .roster, .signature, .truncated, .fork,
                                                 .forgedCheckpoint, .checkpoint, .workflow, .evidence, .disclosure]
        func rank(_ k: VerificationProblem.Kind) -> Int { order.firstIndex(of: k) ?? order.count }
        report.problems = problems.sorted { ($0.seq ?? Int.max, rank($0.kind)) < ($1.seq ?? Int.max, rank($1.kind)) }
        // A checkpoint given with --against that verified and matched: the reader's earlier view is a prefix of this log.
        if report.ok, let external = signed.first(where: \.external), roots[external.checkpoint.size] == external.checkpoint.rootHash {
            report.consistentWith = (external.checkpoint.size, external.checkpoint.rootHash)
        }
        if report.ok, let history = pass.history {
            report.standing = AssessmentLog.Standing(history: history, position: pass.position(), tornTail: tail.count,
                                                     checkpointSize: report.checkpointSize ?? 0, latestRoster: pass.latestRoster)
        }
        return report
    }

    /// Reads and loads the workflow snapshot once, before the log.
    static func workflowSnapshot(log: any AssessmentRecord, workflows: WorkflowMemo, id: String) -> WorkflowSnapshot {
        guard let bytes = log.firstWorkflow() else { return WorkflowSnapshot(problem: "the workflow snapshot workflow.yaml is missing") }
        let sha = Digest.sha256Hex(bytes)
        guard let workflow = workflows.workflow(bytes: bytes, sha256: sha, fileName: "assessments/\(id)/workflow.yaml") else {
            let first = WorkflowLoader.load(bytes: bytes, fileName: "workflow.yaml").diagnostics.first { $0.severity == .error }
            return WorkflowSnapshot(sha256: sha, problem: "the workflow snapshot workflow.yaml does not load, so the history cannot be checked"
                                        + (first.map { " (\($0.location): \($0.message))" } ?? ""))
        }
        return WorkflowSnapshot(sha256: sha, workflow: workflow)
    }

    /// The workflows kept for moves to other versions (`workflows/SHA256.yaml`): those whose bytes hash to their
    /// name and load. One missing, changed or broken is reported by the file checks when an event moved to it.
    static func migrationSnapshots(log: any AssessmentRecord, workflows: WorkflowMemo, id: String) -> [String: Workflow] {
        var found: [String: Workflow] = [:]
        for (sha, bytes) in log.workflowSnapshots() {
            guard SHA256Hash(hex: sha) != nil, Digest.sha256Hex(bytes) == sha,
                  let workflow = workflows.workflow(bytes: bytes, sha256: sha, fileName: "assessments/\(id)/workflows/\(sha).yaml") else { continue }
            found[sha] = workflow
        }
        return found
    }

    static func sequenceMessage(index: Int, seq: Int, nextSeq: Int?) -> String {
        if seq == index + 1, nextSeq == index { return "events \(index) and \(index + 1) are in the wrong order" }
        if seq == index + 1 { return "event \(index) is missing (event \(seq) is in its place)" }
        if seq > index { return "events \(index) to \(seq - 1) are missing (event \(seq) is in their place)" }
        return "line \(index + 1) holds a second event \(seq): a line was inserted"
    }

    /// The keys of events written without a roster reference: hria.yaml's, else the first key the roster lists
    /// for the person (an import copies hria.yaml's keys there); hria's own repairs are signed with the log key.
    static func signatureVerifiers(_ trust: Trust) -> [String: PersonKey] {
        var keys: [String: PersonKey] = [Person.systemID: .note(trust.verifier)]
        for member in trust.roster?.members.values.map({ $0 }) ?? [] {
            if let first = member.keys.first, let key = trust.rosterKeys[first] { keys[member.id] = key }
        }
        for person in trust.people {
            if let published = person.key, let key = PersonKey(published: published) { keys[person.id] = key }
        }
        return keys
    }

    /// The problem with an event's signature, if any: required and missing, by someone without a published key,
    /// or not matching the line. An act that names a roster state is checked against the key and the policy of
    /// that state; anything else against hria.yaml's.
    static func signatureProblem(_ line: UnsafeBufferPointer<UInt8>, event: Event, keys: [String: PersonKey], trust: Trust) -> String? {
        let required: Bool
        let key: PersonKey?
        let source: String
        if let n = event.roster {
            // Without a roster, the roster check says what is wrong.
            guard let roster = trust.roster, n <= roster.size else { return nil }
            required = roster.requireSignatures(atSize: n)
            key = roster.member(event.actor)?.key(atSize: n).flatMap { trust.rosterKeys[$0] }
            source = "the roster (at state \(n)) lists no key for \(event.actor)"
        } else {
            // hria's own repairs are always signed with the log key where a roster exists.
            required = trust.requireSignatures || (event.actor == Person.systemID && trust.roster != nil)
            key = keys[event.actor]
            source = "hria.yaml lists no key for \(event.actor)"
        }
        guard event.signature != nil || required else { return nil }
        guard let (message, signature) = EventLine.signedBytes(of: Array(line)) else {
            return event.signature == nil ? "event \(event.seq) by \(event.actor) is not signed, and "
                + (event.roster != nil ? "the roster requires signatures" : "hria.yaml requires signatures")
                : "the signature of \(event.actor) on event \(event.seq) cannot be read"
        }
        guard let key else {
            return "event \(event.seq) is signed by \(event.actor), but \(source)"
        }
        guard key.verifies(message, signature: signature) else {
            return "the signature of \(event.actor) on event \(event.seq) does not verify: the event was changed or signed by someone else"
        }
        return nil
    }

    /// Whether an act dated `time` may name roster state `n`: the state existed by then and no later roster event was
    /// dated before it (naming none, it predates the roster). The rest of `rosterProblem` depends only on the actor, roles and
    /// state, which a recognised comment shares with the one it is recognised by.
    static func rosterTimeHolds(_ n: Int?, time: Date, trust: Trust) -> Bool {
        let t = floor(time.timeIntervalSince1970)
        guard let n else {
            // An act naming no state must predate a roster imported later, as `rosterProblem` asks.
            guard let roster = trust.roster else { return true }
            guard roster.acceptsEarlierActs, let start = roster.times.first else { return false }
            return t <= floor(start.timeIntervalSince1970)
        }
        guard let roster = trust.roster, n >= 1, n <= roster.size else { return false }
        guard t >= floor(roster.times[n - 1].timeIntervalSince1970) else { return false }
        return n == roster.size || floor(roster.times[n].timeIntervalSince1970) >= t
    }

    /// What is wrong with an act as the roster sees it: the roster state it names did not exist or was not the
    /// current one when it was dated, or the actor was not on the roster or lacked a role they acted under; or, for
    /// an act that names no roster state, that it is dated after the roster began (so it skipped the roster's
    /// checks).
    static func rosterProblem(_ event: Event, trust: Trust) -> String? {
        guard event.actor != Person.systemID else { return nil }
        guard event.roster != nil else {
            if let roster = trust.roster, !roster.acceptsEarlierActs {
                return "event \(event.seq) by \(event.actor) names no roster state, but the roster began with the workspace, so every act must name one"
            }
            if let roster = trust.roster, let start = roster.times.first,
               floor(event.time.timeIntervalSince1970) > floor(start.timeIntervalSince1970) {
                return "event \(event.seq) by \(event.actor) is dated \(event.timeText), after the roster began (\(Timestamp.format(start))), "
                    + "but names no roster state, so who may act was never checked"
            }
            return nil
        }
        guard let roster = trust.roster else {
            return "event \(event.seq) names roster state \(event.roster!), but the workspace has no roster"
        }
        do throws(Refusal) {
            try RosterRules.judgeAct(event.draft, roster: roster)
            return nil
        } catch {
            return "event \(event.seq): " + error.inWords
        }
    }
}
