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
        public var file: JSONValue?
        public var confidential: [String]
        public var digests: [String]
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
    public var erasedDigests: Set<String> = []
    /// Number of events folded.
    public var size = 0
    /// The chain hash of the last line: the next event's `prev`.
    public var headHash = Event.genesisPrev
    public var lastEventTime = Date(timeIntervalSince1970: 0)

    public var hasEnded: Bool { outcome != nil }

    public init() {}

    /// Folds a whole log. The first event must create the assessment.
    public static func replay(_ events: some Sequence<Event>) throws(StateError) -> AssessmentState {
        var state = AssessmentState()
        for event in events { try state.apply(event) }
        return state
    }

    /// Applies one event. Throws when the log does not make sense as an assessment's history.
    public mutating func apply(_ event: Event) throws(StateError) {
        func fail(_ reason: String) -> StateError { StateError(seq: event.seq, reason: reason) }
        guard event.seq == size else { throw fail("expected event \(size), found \(event.seq)") }
        if size == 0, event.type != .assessmentCreated { throw fail("the first event must be assessment.created") }
        if size > 0, event.type == .assessmentCreated { throw fail("assessment.created may only be the first event") }
        let data = event.data
        let roles = data["roles"]?.arrayValue?.compactMap(\.stringValue) ?? []
        switch event.type {
        case .assessmentCreated:
            guard let workflow = data["workflow"], let workflowID = workflow["id"]?.stringValue,
                  let version = workflow["version"]?.intValue, let sha = workflow["sha256"]?.stringValue,
                  let id = data["id"]?.stringValue, let partner = data["partner"]?.stringValue else {
                throw fail("assessment.created lacks id, partner or workflow")
            }
            self.id = id
            self.partner = partner
            title = data["title"]?.stringValue
            self.workflowID = workflowID
            workflowVersion = version
            workflowSHA256 = sha
            createdAt = event.time
            createdBy = event.actor
            enter(event.stage, event: event)
            for (name, value) in data["facts"]?.objectValue ?? [:] {
                facts[name] = RecordedFact(value: value, seq: event.seq, actor: event.actor, time: event.time)
            }
        case .factSet:
            guard let values = data["facts"]?.objectValue, !values.isEmpty else { throw fail("fact.set sets no facts") }
            for (name, value) in values {
                facts[name] = RecordedFact(value: value, seq: event.seq, actor: event.actor, time: event.time)
            }
            changes.append(Change(seq: event.seq, stage: stage, visit: visit, actor: event.actor))
        case .evidenceAdded:
            guard let requirement = data["requirement"]?.stringValue, let type = data["type"]?.stringValue else {
                throw fail("evidence.added lacks requirement or type")
            }
            evidence.append(RecordedEvidence(seq: event.seq, requirement: requirement, type: type, stage: stage, visit: visit,
                                             time: event.time, actor: event.actor, fields: data["fields"]?.objectValue ?? [:],
                                             file: data["file"], confidential: data["confidential"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                                             digests: event.sd))
            changes.append(Change(seq: event.seq, stage: stage, visit: visit, actor: event.actor))
        case .signoffRecorded:
            guard let decision = data["decision"]?.stringValue, decision == "approve" || decision == "reject" else {
                throw fail("signoff.recorded has no decision")
            }
            signoffs.append(RecordedSignoff(seq: event.seq, stage: stage, visit: visit, actor: event.actor, roles: roles,
                                            approve: decision == "approve", comment: data["comment"]?.stringValue, time: event.time))
        case .stageAdvanced:
            guard let from = data["from"]?.stringValue, let to = data["to"]?.stringValue else {
                throw fail("stage.advanced lacks from or to")
            }
            guard from == stage else { throw fail("stage.advanced from \(from), but the assessment is at \(stage)") }
            guard !hasEnded else { throw fail("the assessment had already ended") }
            if var last = path.popLast() {
                last.leftAt = event.time
                path.append(last)
            }
            enter(to, event: event)
        case .decisionRecorded:
            guard let outcome = data["outcome"]?.stringValue else { throw fail("decision.recorded has no outcome") }
            self.outcome = outcome
        case .disclosureErased:
            guard let digest = data["digest"]?.stringValue else { throw fail("disclosure.erased names no digest") }
            erasedDigests.insert(digest)
        case .commentAdded, .recoveryTruncated:
            break
        }
        size += 1
        headHash = LogLine.chainHash(event.line)
        lastEventTime = event.time
    }

    private mutating func enter(_ newStage: String, event: Event) {
        stage = newStage
        visits[newStage, default: 0] += 1
        visit = visits[newStage]!
        stageEnteredAt = event.time
        path.append(StageVisit(stage: newStage, visit: visit, enteredAt: event.time, enteredSeq: event.seq,
                               enteredBy: event.actor, leftAt: nil))
    }

    /// The stage the events leave the assessment at, without folding everything (nil for no events).
    public static func currentStage(of events: [Event]) -> String? {
        for event in events.reversed() {
            if event.type == .stageAdvanced, let to = event.data["to"]?.stringValue { return to }
            if event.type == .assessmentCreated { return event.stage }
        }
        return nil
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

/// A log whose events do not form a valid assessment history.
public struct StateError: Error, Sendable, CustomStringConvertible {
    public var seq: Int
    public var reason: String
    public var description: String { "event \(seq): \(reason)" }
}
