import Foundation

/// An assessment as its log says it stands: the fold of its events, nothing else.
public struct AssessmentState: Sendable, Codable {
    /// A fact's current value and who set it when.
    public struct RecordedFact: Sendable, Codable {
        public var value: JSONValue
        public var seq: Int
        public var actor: String
        public var time: Date
    }

    /// One item of evidence as recorded.
    public struct RecordedEvidence: Sendable, Codable {
        public var seq: Int
        public var requirement: String
        public var type: String
        public var stage: String
        public var visit: Int
        public var time: Date
        public var actor: String
        public var fields: [String: JSONValue]
        public var file: EvidenceFile?
        public var confidential: [String]
        public var digests: [String]
        /// Later changes to the item's public fields, oldest first (`fields` holds the values after them).
        public var updates: [RecordedUpdate] = []
    }

    /// One change to an item of evidence with a lifecycle.
    public struct RecordedUpdate: Sendable, Codable {
        public var seq: Int
        public var time: Date
        public var actor: String
        public var stage: String
        public var fields: [String: JSONValue]
        public var file: EvidenceFile?
        public var note: String?
    }

    /// One sign-off or rejection as recorded.
    public struct RecordedSignoff: Sendable, Codable {
        public var seq: Int
        public var stage: String
        public var visit: Int
        public var actor: String
        public var roles: [String]
        public var approve: Bool
        public var comment: String?
        public var time: Date
    }

    /// A change to evidence or facts inside a stage visit; later changes void earlier sign-offs.
    public struct Change: Sendable, Codable {
        public var seq: Int
        public var stage: String
        public var visit: Int
        public var actor: String
        /// Whether the change was a move to another workflow version rather than evidence or facts.
        public var migration = false
    }

    /// One visit of a stage along the assessment's path.
    public struct StageVisit: Sendable, Codable {
        public var stage: String
        public var visit: Int
        public var enteredAt: Date
        public var enteredSeq: Int
        public var enteredBy: String
        public var leftAt: Date?
    }

    /// A move to another workflow version, as recorded.
    public struct RecordedMigration: Sendable, Codable {
        public var seq: Int
        public var time: Date
        public var actor: String
        public var from: WorkflowPin
        public var to: WorkflowPin
        /// Old stage → new stage, for the stages renamed.
        public var stages: [String: String]
        public var reason: String
    }

    public var id = ""
    public var partner = ""
    public var title: String?
    public var workflowID = ""
    public var workflowVersion = 0
    public var workflowSHA256 = ""
    public var createdAt = Date(timeIntervalSince1970: 0)
    public var createdBy = ""
    public var stage = ""
    public var visit = 0
    public var stageEnteredAt = Date(timeIntervalSince1970: 0)
    public var visits: [String: Int] = [:]
    public var facts: [String: RecordedFact] = [:]
    public var evidence: [RecordedEvidence] = []
    public var signoffs: [RecordedSignoff] = []
    public var changes: [Change] = []
    public var path: [StageVisit] = []
    public var outcome: String?
    /// Every move to another workflow version, oldest first (the first pin is `migrations.first?.fromSHA256`, or
    /// `workflowSHA256` when there was none).
    public var migrations: [RecordedMigration] = []
    /// Every disclosure digest an event listed (decoys included), and those whose plaintext was erased.
    public var digests: Set<String> = []
    public var erasedDigests: Set<String> = []
    /// Set by a move into a terminal stage until its decision is recorded: who moved, and into which stage.
    public var pendingDecision: PendingDecision?
    /// Number of events folded.
    public var size = 0
    public var lastEventTime = Date(timeIntervalSince1970: 0)

    /// A move into a terminal stage whose decision is not yet recorded.
    public struct PendingDecision: Sendable, Codable, Hashable {
        public var actor: String
        public var stage: String
    }

    public var hasEnded: Bool { outcome != nil }

    public init() {}

    /// Folds one event that the rules have admitted (`AssessmentHistory` is the only caller): the event is
    /// known to fit, so this only records what it says.
    mutating func fold(_ event: EventDraft, seq: Int, workflow: Workflow) {
        switch event.payload {
        case .assessmentCreated(let p):
            id = p.id
            partner = p.partner
            title = p.title
            workflowID = p.workflow.id
            workflowVersion = p.workflow.version
            workflowSHA256 = p.workflow.sha256
            createdAt = event.time
            createdBy = event.actor
            enter(event.stage, event: event, seq: seq)
            for (name, value) in p.facts {
                facts[name] = RecordedFact(value: value, seq: seq, actor: event.actor, time: event.time)
            }
        case .factSet(let p):
            for (name, value) in p.facts {
                facts[name] = RecordedFact(value: value, seq: seq, actor: event.actor, time: event.time)
            }
            changes.append(Change(seq: seq, stage: stage, visit: visit, actor: event.actor))
        case .evidenceAdded(let p):
            evidence.append(RecordedEvidence(seq: seq, requirement: p.requirement, type: p.type, stage: stage, visit: visit,
                                             time: event.time, actor: event.actor, fields: p.fields, file: p.file,
                                             confidential: p.confidential, digests: event.sd))
            changes.append(Change(seq: seq, stage: stage, visit: visit, actor: event.actor))
        case .evidenceUpdated(let p):
            if let index = evidenceIndex(seq: p.item) {
                for (name, value) in p.fields { evidence[index].fields[name] = value }
                evidence[index].updates.append(RecordedUpdate(seq: seq, time: event.time, actor: event.actor, stage: stage,
                                                              fields: p.fields, file: p.file, note: p.note))
            }
            // After the end nothing is left to sign, so nothing is voided.
            if outcome == nil { changes.append(Change(seq: seq, stage: stage, visit: visit, actor: event.actor)) }
        case .signoffRecorded(let p):
            signoffs.append(RecordedSignoff(seq: seq, stage: stage, visit: visit, actor: event.actor, roles: p.roles,
                                            approve: p.approve, comment: p.comment, time: event.time))
        case .stageAdvanced(let p):
            if var last = path.popLast() {
                last.leftAt = event.time
                path.append(last)
            }
            enter(p.to, event: event, seq: seq)
            if workflow.stage(p.to)?.terminal == true { pendingDecision = PendingDecision(actor: event.actor, stage: p.to) }
        case .decisionRecorded(let p):
            outcome = p.outcome
            pendingDecision = nil
        case .disclosureErased(let p):
            erasedDigests.insert(p.digest)
        case .workflowMigrated(let p):
            migrate(p, seq: seq, event: event)
        case .commentAdded, .recoveryTruncated:
            break
        case .personAdded, .roleGranted, .roleRevoked, .keyRotated, .personRemoved, .policySet:
            // Never admitted into an assessment (`EventRules.judgeAlone` refuses them).
            break
        }
        if !event.sd.isEmpty { digests.formUnion(event.sd) }
        foldInert(time: event.time)
    }

    /// Folds an event that changes nothing but the count and the time (a comment, a repair).
    mutating func foldInert(time: Date) {
        size += 1
        lastEventTime = time
    }

    /// Moves the state onto the new pin: every stage renamed as the event maps it, and the current visit changed,
    /// so approvals given under the old rules no longer count.
    private mutating func migrate(_ p: WorkflowMigrated, seq: Int, event: EventDraft) {
        migrations.append(RecordedMigration(seq: seq, time: event.time, actor: event.actor, from: p.from, to: p.to, stages: p.stages,
                                            reason: p.reason))
        workflowID = p.to.id
        workflowVersion = p.to.version
        workflowSHA256 = p.to.sha256
        if !p.stages.isEmpty {
            stage = p.renamed(stage)
            visits = Dictionary(visits.map { (p.renamed($0.key), $0.value) }, uniquingKeysWith: max)
            for i in path.indices { path[i].stage = p.renamed(path[i].stage) }
            for i in evidence.indices {
                evidence[i].stage = p.renamed(evidence[i].stage)
                for j in evidence[i].updates.indices { evidence[i].updates[j].stage = p.renamed(evidence[i].updates[j].stage) }
            }
            for i in signoffs.indices { signoffs[i].stage = p.renamed(signoffs[i].stage) }
            for i in changes.indices { changes[i].stage = p.renamed(changes[i].stage) }
        }
        changes.append(Change(seq: seq, stage: stage, visit: visit, actor: event.actor, migration: true))
    }

    /// The SHA-256 of the workflow the assessment started on.
    public var firstWorkflowSHA256: String { migrations.first?.from.sha256 ?? workflowSHA256 }

    private mutating func enter(_ newStage: String, event: EventDraft, seq: Int) {
        stage = newStage
        visit = visits[newStage, default: 0] + 1
        visits[newStage] = visit
        stageEnteredAt = event.time
        path.append(StageVisit(stage: newStage, visit: visit, enteredAt: event.time, enteredSeq: seq,
                               enteredBy: event.actor, leftAt: nil))
    }

    /// Where the item recorded by event `seq` is in `evidence` (kept in order of `seq`).
    public func evidenceIndex(seq: Int) -> Int? {
        var low = 0, high = evidence.count
        while low < high {
            let mid = (low + high) / 2
            if evidence[mid].seq < seq { low = mid + 1 } else { high = mid }
        }
        return low < evidence.count && evidence[low].seq == seq ? low : nil
    }

    /// Evidence for a requirement from the most recent visit of the stage that declares it.
    public func latestEvidence(for requirement: String, declaredIn stageID: String) -> [RecordedEvidence] {
        let items = evidence.filter { $0.requirement == requirement && $0.stage == stageID }
        guard let latestVisit = (stageID == stage ? visit : visits[stageID]) else { return [] }
        return items.filter { $0.visit == latestVisit }
    }

    /// Each person's latest sign-off in the current visit that still stands: an approval stands until evidence
    /// or facts change after it; a rejection stands until that person signs again, whatever changes, so a
    /// reviewer's "no" cannot be undone by someone else adding a note.
    public func standingSignoffs() -> [RecordedSignoff] {
        let lastChange = changes.last { $0.stage == stage && $0.visit == visit }?.seq ?? -1
        var latest: [String: RecordedSignoff] = [:]
        for signoff in signoffs where signoff.stage == stage && signoff.visit == visit {
            latest[signoff.actor] = signoff
        }
        return latest.values.filter { !$0.approve || $0.seq > lastChange }.sorted { $0.seq < $1.seq }
    }

    /// Approvals of the current visit voided by evidence or facts recorded after them.
    public func voidedSignoffs() -> [RecordedSignoff] {
        let lastChange = changes.last { $0.stage == stage && $0.visit == visit }?.seq ?? -1
        return signoffs.filter { $0.stage == stage && $0.visit == visit && $0.approve && $0.seq < lastChange }
    }

    /// People who recorded evidence or set facts in the current visit.
    public var contributorsThisVisit: Set<String> {
        Set(changes.filter { $0.stage == stage && $0.visit == visit }.map(\.actor))
    }
}

/// Why a recorded event does not fit the assessment's history: the rules would not have allowed it there.
public struct HistoryViolation: Error, Sendable, CustomStringConvertible {
    public var seq: Int
    public var reason: String

    public init(seq: Int, reason: String) {
        self.seq = seq
        self.reason = reason
    }

    public var description: String { "event \(seq): \(reason)" }
}
