import Foundation

/// What an event says: the typed `data` of a log line, one case per kind of event. `json()` is the one encoder and
/// `EventPayload.decode` the one decoder; docs/AUDIT-LOG.md lists every member.
public enum EventPayload: Sendable, Hashable {
    case assessmentCreated(AssessmentCreated)
    case factSet(FactSet)
    case evidenceAdded(EvidenceAdded)
    case evidenceUpdated(EvidenceUpdated)
    case signoffRecorded(SignoffRecorded)
    case stageAdvanced(StageAdvanced)
    case decisionRecorded(DecisionRecorded)
    case commentAdded(CommentAdded)
    case disclosureErased(DisclosureErased)
    case recoveryTruncated(RecoveryTruncated)
    case workflowMigrated(WorkflowMigrated)
    case personAdded(PersonAdded)
    case roleGranted(RoleChange)
    case roleRevoked(RoleChange)
    case keyRotated(KeyRotated)
    case personRemoved(PersonRemoved)
    case policySet(PolicySet)

    public var type: EventType {
        switch self {
        case .assessmentCreated: .assessmentCreated
        case .factSet: .factSet
        case .evidenceAdded: .evidenceAdded
        case .evidenceUpdated: .evidenceUpdated
        case .signoffRecorded: .signoffRecorded
        case .stageAdvanced: .stageAdvanced
        case .decisionRecorded: .decisionRecorded
        case .commentAdded: .commentAdded
        case .disclosureErased: .disclosureErased
        case .recoveryTruncated: .recoveryTruncated
        case .workflowMigrated: .workflowMigrated
        case .personAdded: .personAdded
        case .roleGranted: .roleGranted
        case .roleRevoked: .roleRevoked
        case .keyRotated: .keyRotated
        case .personRemoved: .personRemoved
        case .policySet: .policySet
        }
    }

    /// The roles the actor acted under, as recorded (none for a decision, which follows its advance, or a repair).
    public var roles: [String] {
        switch self {
        case .assessmentCreated(let p): p.roles
        case .factSet(let p): p.roles
        case .evidenceAdded(let p): p.roles
        case .evidenceUpdated(let p): p.roles
        case .signoffRecorded(let p): p.roles
        case .stageAdvanced(let p): p.roles
        case .commentAdded(let p): p.roles
        case .disclosureErased(let p): p.roles
        case .workflowMigrated(let p): p.roles
        case .personAdded(let p): p.roles
        case .roleGranted(let p), .roleRevoked(let p): p.roles
        case .keyRotated(let p): p.roles
        case .personRemoved(let p): p.roles
        case .policySet(let p): p.roles
        case .decisionRecorded, .recoveryTruncated: []
        }
    }

    /// The canonical `data` object.
    public func json() -> JSONValue {
        switch self {
        case .assessmentCreated(let p):
            var data: [String: JSONValue] = [
                "id": .string(p.id), "partner": .string(p.partner), "facts": .object(p.facts), "roles": Self.list(p.roles),
                "workflow": p.workflow.json(),
            ]
            if let title = p.title { data["title"] = .string(title) }
            return .object(data)
        case .factSet(let p):
            var data: [String: JSONValue] = ["facts": .object(p.facts), "roles": Self.list(p.roles)]
            if let reason = p.reason { data["reason"] = .string(reason) }
            return .object(data)
        case .evidenceAdded(let p):
            var data: [String: JSONValue] = ["requirement": .string(p.requirement), "type": .string(p.type),
                                             "fields": .object(p.fields), "roles": Self.list(p.roles)]
            if let file = p.file {
                data["file"] = .object(["sha256": .string(file.sha256), "size": .int(file.size), "name": .string(file.name)])
            }
            if !p.confidential.isEmpty { data["confidential"] = Self.list(p.confidential) }
            return .object(data)
        case .evidenceUpdated(let p):
            var data: [String: JSONValue] = ["item": .int(p.item), "fields": .object(p.fields), "roles": Self.list(p.roles)]
            if let file = p.file {
                data["file"] = .object(["sha256": .string(file.sha256), "size": .int(file.size), "name": .string(file.name)])
            }
            if let note = p.note { data["note"] = .string(note) }
            return .object(data)
        case .signoffRecorded(let p):
            var data: [String: JSONValue] = ["decision": .string(p.approve ? "approve" : "reject"), "roles": Self.list(p.roles),
                                             "visit": .int(p.visit)]
            if let comment = p.comment { data["comment"] = .string(comment) }
            return .object(data)
        case .stageAdvanced(let p):
            var data: [String: JSONValue] = ["from": .string(p.from), "to": .string(p.to), "transition": .int(p.transition),
                                             "visit": .int(p.visit), "roles": Self.list(p.roles), "approvals": Self.list(p.approvals)]
            if let condition = p.condition {
                data["when"] = .string(condition.text)
                data["read"] = .object(condition.read)
            }
            if let reason = p.reason { data["reason"] = .string(reason) }
            return .object(data)
        case .decisionRecorded(let p):
            var data: [String: JSONValue] = ["outcome": .string(p.outcome), "stage": .string(p.stage)]
            if !p.facts.isEmpty { data["facts"] = .object(p.facts) }
            return .object(data)
        case .commentAdded(let p):
            return .object(["text": .string(p.text), "roles": Self.list(p.roles)])
        case .disclosureErased(let p):
            return .object(["digest": .string(p.digest), "reason": .string(p.reason), "roles": Self.list(p.roles)])
        case .recoveryTruncated(let p):
            return .object(["bytes": .int(p.bytes), "sha256": .string(p.sha256), "reason": .string(p.reason)])
        case .workflowMigrated(let p):
            var data: [String: JSONValue] = ["from": p.from.json(), "to": p.to.json(), "reason": .string(p.reason), "roles": Self.list(p.roles)]
            if !p.stages.isEmpty { data["stages"] = .object(p.stages.mapValues(JSONValue.string)) }
            return .object(data)
        case .personAdded, .roleGranted, .roleRevoked, .keyRotated, .personRemoved, .policySet:
            return rosterJSON() ?? .object([:])
        }
    }

    static func list(_ items: [String]) -> JSONValue { .array(items.map(JSONValue.string)) }
}

/// The workflow an assessment is pinned to, as its first event records it.
public struct WorkflowPin: Sendable, Hashable, Codable {
    public var id: String
    public var version: Int
    /// SHA-256 of the exact bytes of `workflow.yaml`, lowercase hex.
    public var sha256: String

    public init(id: String, version: Int, sha256: String) {
        self.id = id
        self.version = version
        self.sha256 = sha256
    }

    public func json() -> JSONValue { .object(["id": .string(id), "version": .int(version), "sha256": .string(sha256)]) }

    /// "digital-platform-hria version 4".
    public var inWords: String { "\(id) version \(version)" }

    /// This pin said after `earlier`: "version 5" when the workflow is the same, else in full.
    public func inWords(after earlier: WorkflowPin) -> String { id == earlier.id ? "version \(version)" : inWords }
}

/// `assessment.created`: the first event.
public struct AssessmentCreated: Sendable, Hashable {
    public var id: String
    public var partner: String
    public var title: String?
    public var workflow: WorkflowPin
    /// Facts known from the start, by name.
    public var facts: [String: JSONValue]
    public var roles: [String]

    public init(id: String, partner: String, title: String?, workflow: WorkflowPin, facts: [String: JSONValue], roles: [String]) {
        self.id = id
        self.partner = partner
        self.title = title
        self.workflow = workflow
        self.facts = facts
        self.roles = roles
    }
}

/// `fact.set`: one or more facts given new values.
public struct FactSet: Sendable, Hashable {
    public var facts: [String: JSONValue]
    public var reason: String?
    public var roles: [String]

    public init(facts: [String: JSONValue], reason: String?, roles: [String]) {
        self.facts = facts
        self.reason = reason
        self.roles = roles
    }
}

/// A file attached to evidence: stored in the assessment under its SHA-256.
public struct EvidenceFile: Sendable, Hashable, Codable {
    public var sha256: String
    public var size: Int
    public var name: String

    public init(sha256: String, size: Int, name: String) {
        self.sha256 = sha256
        self.size = size
        self.name = name
    }
}

/// `evidence.added`: one item for a requirement of the current stage.
public struct EvidenceAdded: Sendable, Hashable {
    public var requirement: String
    /// The evidence type the requirement names.
    public var type: String
    /// The public fields; confidential ones are only in `_sd`, as salted digests.
    public var fields: [String: JSONValue]
    public var file: EvidenceFile?
    /// Names of the confidential fields given, sorted (their values are disclosures in private/).
    public var confidential: [String]
    public var roles: [String]

    public init(requirement: String, type: String, fields: [String: JSONValue], file: EvidenceFile?, confidential: [String],
                roles: [String]) {
        self.requirement = requirement
        self.type = type
        self.fields = fields
        self.file = file
        self.confidential = confidential
        self.roles = roles
    }
}

/// `evidence.updated`: new values for public fields of an item whose type has a lifecycle (a measure done, a
/// condition verified, a due date moved), with an optional file showing it and a note saying why.
public struct EvidenceUpdated: Sendable, Hashable {
    /// The `seq` of the `evidence.added` event that recorded the item.
    public var item: Int
    /// The public fields changed, with their new values.
    public var fields: [String: JSONValue]
    public var file: EvidenceFile?
    public var note: String?
    public var roles: [String]

    public init(item: Int, fields: [String: JSONValue], file: EvidenceFile?, note: String?, roles: [String]) {
        self.item = item
        self.fields = fields
        self.file = file
        self.note = note
        self.roles = roles
    }
}

/// `signoff.recorded`: an approval or a rejection of the current stage visit.
public struct SignoffRecorded: Sendable, Hashable {
    public var approve: Bool
    public var comment: String?
    /// The visit of the stage signed.
    public var visit: Int
    public var roles: [String]

    public init(approve: Bool, comment: String?, visit: Int, roles: [String]) {
        self.approve = approve
        self.comment = comment
        self.visit = visit
        self.roles = roles
    }
}

/// `stage.advanced`: the assessment moved along a transition.
public struct StageAdvanced: Sendable, Hashable {
    /// The guard of the transition taken and the values it read then.
    public struct Condition: Sendable, Hashable {
        /// The guard on one line.
        public var text: String
        /// `facts.NAME` → the value read (null when unset), `evidence.ID` → the number of items that counted.
        public var read: [String: JSONValue]

        public init(text: String, read: [String: JSONValue]) {
            self.text = text
            self.read = read
        }
    }

    public var from: String
    public var to: String
    /// The transition's index among the stage's transitions.
    public var transition: Int
    /// The visit of `to` this move starts.
    public var visit: Int
    public var condition: Condition?
    /// Who had approved the stage when it was left.
    public var approvals: [String]
    public var reason: String?
    public var roles: [String]

    public init(from: String, to: String, transition: Int, visit: Int, condition: Condition?, approvals: [String], reason: String?,
                roles: [String]) {
        self.from = from
        self.to = to
        self.transition = transition
        self.visit = visit
        self.condition = condition
        self.approvals = approvals
        self.reason = reason
        self.roles = roles
    }
}

/// `decision.recorded`: the outcome, written right after the move into a terminal stage.
public struct DecisionRecorded: Sendable, Hashable {
    public var outcome: String
    /// The terminal stage.
    public var stage: String
    /// Every fact set at the time of the decision.
    public var facts: [String: JSONValue]

    public init(outcome: String, stage: String, facts: [String: JSONValue]) {
        self.outcome = outcome
        self.stage = stage
        self.facts = facts
    }
}

/// `comment.added`: a note for the record.
public struct CommentAdded: Sendable, Hashable {
    public var text: String
    public var roles: [String]

    public init(text: String, roles: [String]) {
        self.text = text
        self.roles = roles
    }
}

/// `disclosure.erased`: a confidential value's plaintext was deleted for good.
public struct DisclosureErased: Sendable, Hashable {
    /// The digest listed in an earlier event's `_sd`.
    public var digest: String
    public var reason: String
    public var roles: [String]

    public init(digest: String, reason: String, roles: [String]) {
        self.digest = digest
        self.reason = reason
        self.roles = roles
    }
}

/// `recovery.truncated`: hria cut an interrupted write off the end of the log and kept a copy.
public struct RecoveryTruncated: Sendable, Hashable {
    /// How many bytes were cut.
    public var bytes: Int
    /// SHA-256 of the bytes cut, lowercase hex.
    public var sha256: String
    public var reason: String

    public init(bytes: Int, sha256: String, reason: String) {
        self.bytes = bytes
        self.sha256 = sha256
        self.reason = reason
    }
}

/// `workflow.migrated`: a running assessment moved to another version of its workflow (or another workflow), by an
/// admin, with a reason. Stages renamed or replaced in the new version are mapped explicitly; the new workflow's
/// snapshot is kept beside the old one (`workflows/SHA256.yaml`), and every later event is judged by it.
public struct WorkflowMigrated: Sendable, Hashable {
    /// The pin the assessment had before: the workflow every earlier event was judged by.
    public var from: WorkflowPin
    public var to: WorkflowPin
    /// Old stage → the stage of the new workflow it becomes; stages not named keep their names.
    public var stages: [String: String]
    public var reason: String
    public var roles: [String]

    public init(from: WorkflowPin, to: WorkflowPin, stages: [String: String], reason: String, roles: [String]) {
        self.from = from
        self.to = to
        self.stages = stages
        self.reason = reason
        self.roles = roles
    }

    /// What an old stage is called after the migration.
    public func renamed(_ stage: String) -> String { stages[stage] ?? stage }
}

// MARK: - Decoding

extension EventPayload {
    /// Reads the `data` object of an event of `type`: exactly the members that type has, each of its type; anything
    /// missing, unknown, repeated or malformed is an error naming it. Written out member by member, without closures:
    /// `verify` reads every line of a log this way.
    static func decode(_ type: EventType, _ r: inout JSONReader) throws(JSONParseError) -> EventPayload {
        let d = DataReader(type: type)
        var first = true
        try r.beginObject()
        switch type {
        case .commentAdded:
            var text: String?, roles: [String]?
            while let key = try r.nextKey(&first) {
                if key == "text" { try d.once(text == nil, key, r); text = try r.string() }
                else if key == "roles" { try d.once(roles == nil, key, r); roles = try r.strings() }
                else { throw d.unknown(key, r) }
            }
            return .commentAdded(CommentAdded(text: try d.need(text, "text", r), roles: try d.need(roles, "roles", r)))
        case .assessmentCreated:
            var id: String?, partner: String?, title: String?, workflow: WorkflowPin?, facts: [String: JSONValue]?, roles: [String]?
            while let key = try r.nextKey(&first) {
                if key == "id" { try d.once(id == nil, key, r); id = try r.string() }
                else if key == "partner" { try d.once(partner == nil, key, r); partner = try r.string() }
                else if key == "title" { try d.once(title == nil, key, r); title = try r.string() }
                else if key == "workflow" { try d.once(workflow == nil, key, r); workflow = try DataReader.workflowPin(&r) }
                else if key == "facts" { try d.once(facts == nil, key, r); facts = try r.members() }
                else if key == "roles" { try d.once(roles == nil, key, r); roles = try r.strings() }
                else { throw d.unknown(key, r) }
            }
            return .assessmentCreated(AssessmentCreated(id: try d.need(id, "id", r), partner: try d.need(partner, "partner", r), title: title,
                                                        workflow: try d.need(workflow, "workflow", r), facts: try d.need(facts, "facts", r),
                                                        roles: try d.need(roles, "roles", r)))
        case .factSet:
            var facts: [String: JSONValue]?, reason: String?, roles: [String]?
            while let key = try r.nextKey(&first) {
                if key == "facts" { try d.once(facts == nil, key, r); facts = try r.members() }
                else if key == "reason" { try d.once(reason == nil, key, r); reason = try r.string() }
                else if key == "roles" { try d.once(roles == nil, key, r); roles = try r.strings() }
                else { throw d.unknown(key, r) }
            }
            let set = try d.need(facts, "facts", r)
            guard !set.isEmpty else { throw r.error("the data of fact.set sets no facts") }
            return .factSet(FactSet(facts: set, reason: reason, roles: try d.need(roles, "roles", r)))
        case .evidenceAdded:
            var requirement: String?, evidenceType: String?, fields: [String: JSONValue]?, file: EvidenceFile?, confidential: [String]?,
                roles: [String]?
            while let key = try r.nextKey(&first) {
                if key == "requirement" { try d.once(requirement == nil, key, r); requirement = try r.string() }
                else if key == "type" { try d.once(evidenceType == nil, key, r); evidenceType = try r.string() }
                else if key == "fields" { try d.once(fields == nil, key, r); fields = try r.members() }
                else if key == "file" { try d.once(file == nil, key, r); file = try DataReader.file(&r) }
                else if key == "confidential" { try d.once(confidential == nil, key, r); confidential = try r.strings() }
                else if key == "roles" { try d.once(roles == nil, key, r); roles = try r.strings() }
                else { throw d.unknown(key, r) }
            }
            if let confidential {
                guard !confidential.isEmpty, zip(confidential, confidential.dropFirst()).allSatisfy({ $0 < $1 }) else {
                    throw r.error("the confidential names of evidence.added are not a sorted list without repeats")
                }
            }
            return .evidenceAdded(EvidenceAdded(requirement: try d.need(requirement, "requirement", r), type: try d.need(evidenceType, "type", r),
                                                fields: try d.need(fields, "fields", r), file: file, confidential: confidential ?? [],
                                                roles: try d.need(roles, "roles", r)))
        case .evidenceUpdated:
            var item: Int?, fields: [String: JSONValue]?, file: EvidenceFile?, note: String?, roles: [String]?
            while let key = try r.nextKey(&first) {
                if key == "item" { try d.once(item == nil, key, r); item = try DataReader.count(&r, atLeast: 1) }
                else if key == "fields" { try d.once(fields == nil, key, r); fields = try r.members() }
                else if key == "file" { try d.once(file == nil, key, r); file = try DataReader.file(&r) }
                else if key == "note" { try d.once(note == nil, key, r); note = try r.string() }
                else if key == "roles" { try d.once(roles == nil, key, r); roles = try r.strings() }
                else { throw d.unknown(key, r) }
            }
            let changed = try d.need(fields, "fields", r)
            guard !changed.isEmpty else { throw r.error("the data of evidence.updated changes no fields") }
            return .evidenceUpdated(EvidenceUpdated(item: try d.need(item, "item", r), fields: changed, file: file, note: note,
                                                    roles: try d.need(roles, "roles", r)))
        case .signoffRecorded:
            var approve: Bool?, comment: String?, visit: Int?, roles: [String]?
            while let key = try r.nextKey(&first) {
                if key == "decision" { try d.once(approve == nil, key, r); approve = try DataReader.decision(&r) }
                else if key == "comment" { try d.once(comment == nil, key, r); comment = try r.string() }
                else if key == "visit" { try d.once(visit == nil, key, r); visit = try DataReader.count(&r, atLeast: 1) }
                else if key == "roles" { try d.once(roles == nil, key, r); roles = try r.strings() }
                else { throw d.unknown(key, r) }
            }
            return .signoffRecorded(SignoffRecorded(approve: try d.need(approve, "decision", r), comment: comment,
                                                    visit: try d.need(visit, "visit", r), roles: try d.need(roles, "roles", r)))
        case .stageAdvanced:
            var from: String?, to: String?, transition: Int?, visit: Int?, when: String?, read: [String: JSONValue]?,
                approvals: [String]?, reason: String?, roles: [String]?
            while let key = try r.nextKey(&first) {
                if key == "from" { try d.once(from == nil, key, r); from = try r.string() }
                else if key == "to" { try d.once(to == nil, key, r); to = try r.string() }
                else if key == "transition" { try d.once(transition == nil, key, r); transition = try DataReader.count(&r, atLeast: 0) }
                else if key == "visit" { try d.once(visit == nil, key, r); visit = try DataReader.count(&r, atLeast: 1) }
                else if key == "when" { try d.once(when == nil, key, r); when = try r.string() }
                else if key == "read" { try d.once(read == nil, key, r); read = try r.members() }
                else if key == "approvals" { try d.once(approvals == nil, key, r); approvals = try r.strings() }
                else if key == "reason" { try d.once(reason == nil, key, r); reason = try r.string() }
                else if key == "roles" { try d.once(roles == nil, key, r); roles = try r.strings() }
                else { throw d.unknown(key, r) }
            }
            guard (when == nil) == (read == nil) else { throw r.error("the data of stage.advanced has when without read, or read without when") }
            return .stageAdvanced(StageAdvanced(from: try d.need(from, "from", r), to: try d.need(to, "to", r),
                                                transition: try d.need(transition, "transition", r), visit: try d.need(visit, "visit", r),
                                                condition: when.map { StageAdvanced.Condition(text: $0, read: read ?? [:]) },
                                                approvals: try d.need(approvals, "approvals", r), reason: reason,
                                                roles: try d.need(roles, "roles", r)))
        case .decisionRecorded:
            var outcome: String?, stage: String?, facts: [String: JSONValue]?
            while let key = try r.nextKey(&first) {
                if key == "outcome" { try d.once(outcome == nil, key, r); outcome = try r.string() }
                else if key == "stage" { try d.once(stage == nil, key, r); stage = try r.string() }
                else if key == "facts" { try d.once(facts == nil, key, r); facts = try r.members() }
                else { throw d.unknown(key, r) }
            }
            if let facts, facts.isEmpty { throw r.error("the data of decision.recorded lists an empty facts object") }
            return .decisionRecorded(DecisionRecorded(outcome: try d.need(outcome, "outcome", r), stage: try d.need(stage, "stage", r),
                                                      facts: facts ?? [:]))
        case .disclosureErased:
            var digest: String?, reason: String?, roles: [String]?
            while let key = try r.nextKey(&first) {
                if key == "digest" { try d.once(digest == nil, key, r); digest = try DataReader.digest(&r) }
                else if key == "reason" { try d.once(reason == nil, key, r); reason = try r.string() }
                else if key == "roles" { try d.once(roles == nil, key, r); roles = try r.strings() }
                else { throw d.unknown(key, r) }
            }
            return .disclosureErased(DisclosureErased(digest: try d.need(digest, "digest", r), reason: try d.need(reason, "reason", r),
                                                      roles: try d.need(roles, "roles", r)))
        case .workflowMigrated:
            var from: WorkflowPin?, to: WorkflowPin?, stages: [String: JSONValue]?, reason: String?, roles: [String]?
            while let key = try r.nextKey(&first) {
                if key == "from" { try d.once(from == nil, key, r); from = try DataReader.workflowPin(&r, of: type) }
                else if key == "to" { try d.once(to == nil, key, r); to = try DataReader.workflowPin(&r, of: type) }
                else if key == "stages" { try d.once(stages == nil, key, r); stages = try r.members() }
                else if key == "reason" { try d.once(reason == nil, key, r); reason = try r.string() }
                else if key == "roles" { try d.once(roles == nil, key, r); roles = try r.strings() }
                else { throw d.unknown(key, r) }
            }
            var renames: [String: String] = [:]
            if let stages {
                guard !stages.isEmpty else { throw r.error("the data of workflow.migrated lists an empty stages object") }
                for (old, new) in stages {
                    guard let name = new.stringValue else { throw r.error("the data of workflow.migrated maps stage \(old) to something other than a stage name") }
                    renames[old] = name
                }
            }
            return .workflowMigrated(WorkflowMigrated(from: try d.need(from, "from", r), to: try d.need(to, "to", r), stages: renames,
                                                      reason: try d.need(reason, "reason", r), roles: try d.need(roles, "roles", r)))
        case .personAdded, .roleGranted, .roleRevoked, .keyRotated, .personRemoved, .policySet:
            return try decodeRosterChange(type, &r, first: &first)
        case .recoveryTruncated:
            var bytes: Int?, sha256: String?, reason: String?
            while let key = try r.nextKey(&first) {
                if key == "bytes" { try d.once(bytes == nil, key, r); bytes = try DataReader.count(&r, atLeast: 1) }
                else if key == "sha256" { try d.once(sha256 == nil, key, r); sha256 = try DataReader.hexDigest(&r) }
                else if key == "reason" { try d.once(reason == nil, key, r); reason = try r.string() }
                else { throw d.unknown(key, r) }
            }
            return .recoveryTruncated(RecoveryTruncated(bytes: try d.need(bytes, "bytes", r), sha256: try d.need(sha256, "sha256", r),
                                                        reason: try d.need(reason, "reason", r)))
        }
    }

    /// Helpers for reading one type's `data`, naming the type in every message.
    struct DataReader {
        let type: EventType

        /// Refuses a member seen before (`isFirst` false).
        @inline(__always)
        func once(_ isFirst: Bool, _ key: JSONKey, _ r: JSONReader) throws(JSONParseError) {
            guard isFirst else { throw r.error("the data of \(type.rawValue) repeats \"\(key.string)\"", at: key.offset) }
        }

        func need<T>(_ value: T?, _ name: String, _ r: JSONReader) throws(JSONParseError) -> T {
            guard let value else { throw r.error("the data of \(type.rawValue) lacks \(name)") }
            return value
        }

        func unknown(_ key: JSONKey, _ r: JSONReader) -> JSONParseError {
            r.error("the data of \(type.rawValue) has an unknown member \"\(key.string)\"", at: key.offset)
        }

        static func count(_ r: inout JSONReader, atLeast minimum: Int) throws(JSONParseError) -> Int {
            let start = r.offset
            let value = try r.int()
            guard value >= minimum else { throw r.error("a count of at least \(minimum) was expected, not \(value)", at: start) }
            return value
        }

        static func hexDigest(_ r: inout JSONReader) throws(JSONParseError) -> String {
            let start = r.offset
            let text = try r.string()
            guard SHA256Hash(hex: text) != nil else { throw r.error("a SHA-256 digest in lowercase hex was expected", at: start) }
            return text
        }

        /// A disclosure digest: base64url (no padding) of 32 bytes.
        static func digest(_ r: inout JSONReader) throws(JSONParseError) -> String {
            let start = r.offset
            let text = try r.string()
            guard DisclosureDigest.isWellFormed(text) else { throw r.error("a disclosure digest (43 base64url characters) was expected", at: start) }
            return text
        }

        static func decision(_ r: inout JSONReader) throws(JSONParseError) -> Bool {
            let start = r.offset
            switch try r.string() {
            case "approve": return true
            case "reject": return false
            default: throw r.error("the decision must be approve or reject", at: start)
            }
        }

        static func workflowPin(_ r: inout JSONReader, of type: EventType = .assessmentCreated) throws(JSONParseError) -> WorkflowPin {
            var id: String?, version: Int?, sha256: String?
            let d = DataReader(type: type)
            var first = true
            try r.beginObject()
            while let key = try r.nextKey(&first) {
                if key == "id" { try d.once(id == nil, key, r); id = try r.string() }
                else if key == "version" { try d.once(version == nil, key, r); version = try count(&r, atLeast: 1) }
                else if key == "sha256" { try d.once(sha256 == nil, key, r); sha256 = try hexDigest(&r) }
                else { throw d.unknown(key, r) }
            }
            return WorkflowPin(id: try d.need(id, "workflow.id", r), version: try d.need(version, "workflow.version", r),
                               sha256: try d.need(sha256, "workflow.sha256", r))
        }

        static func file(_ r: inout JSONReader) throws(JSONParseError) -> EvidenceFile {
            var sha256: String?, size: Int?, name: String?
            let d = DataReader(type: .evidenceAdded)
            var first = true
            try r.beginObject()
            while let key = try r.nextKey(&first) {
                if key == "sha256" { try d.once(sha256 == nil, key, r); sha256 = try hexDigest(&r) }
                else if key == "size" { try d.once(size == nil, key, r); size = try count(&r, atLeast: 0) }
                else if key == "name" { try d.once(name == nil, key, r); name = try r.string() }
                else { throw d.unknown(key, r) }
            }
            return EvidenceFile(sha256: try d.need(sha256, "file.sha256", r), size: try d.need(size, "file.size", r),
                                name: try d.need(name, "file.name", r))
        }
    }
}

/// The form of a disclosure digest: base64url without padding of a SHA-256 value, 43 characters.
public enum DisclosureDigest {
    public static func isWellFormed(_ text: String) -> Bool {
        text.utf8.count == 43 && text.utf8.allSatisfy { c in
            (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x5F
        }
    }
}
