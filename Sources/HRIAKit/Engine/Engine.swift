import Foundation

/// A file attached to evidence, already hashed and stored by the caller.
public struct EvidenceFile: Sendable, Hashable {
    public var sha256: String
    public var size: Int
    public var name: String
    public init(sha256: String, size: Int, name: String) {
        self.sha256 = sha256
        self.size = size
        self.name = name
    }
}

/// What a person asks the engine to do.
public enum Command: Sendable {
    case setFacts([(name: String, value: String)], reason: String?)
    case addEvidence(requirement: String, fields: [(name: String, value: String)], confidential: [(name: String, value: String)],
                     file: EvidenceFile?)
    case signoff(approve: Bool, comment: String?)
    case advance(to: String?, reason: String?)
    /// A note for the record; it changes nothing and voids no sign-off.
    case comment(String)
    /// Records that a confidential value's plaintext was deleted; allowed after the end too.
    case erase(digest: String, reason: String)
}

/// The events a command produces and the disclosures to keep privately.
public struct Outcome: Sendable {
    public var events: [EventDraft]
    public var disclosures: [Disclosure]
}

/// The pure core: given the workflow, the state, a command, who asks and when, it returns new events or a
/// refusal naming every blocker. No files, clocks or randomness of its own: they are passed in.
public enum Engine {
    /// Disclosure digests are padded with decoys to a multiple of this, so counts do not show.
    public static let digestBucket = 8

    /// The first event of a new assessment.
    public static func create(id: String, workflow: Workflow, workflowSHA256: String, partner: String, title: String?,
                              facts: [(name: String, value: String)], actor: Person, now: Date) throws -> Outcome {
        guard AssessmentID.isValid(id) else {
            throw HRIAError.badInput("\"\(id)\" is not a valid assessment id",
                                     help: "use lower-case letters, digits and -, starting with a letter or digit, at most 64 characters")
        }
        let workflowRoles = Set(workflow.roles.map(\.id))
        guard !workflowRoles.isDisjoint(with: actor.roles) else {
            throw Refusal("\(actor.id) cannot start an assessment with \(workflow.id)",
                          [.wrongRole(actor: actor.id, action: "start an assessment", needs: workflow.roles.map(\.id), holds: actor.roles)])
        }
        if partner.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw HRIAError.badInput("the partner's name is empty", help: "name the partner with --partner")
        }
        let values = try factValues(facts, workflow: workflow)
        var data: [String: JSONValue] = [
            "id": .string(id),
            "partner": .string(partner),
            "workflow": .object(["id": .string(workflow.id), "version": .int(workflow.version), "sha256": .string(workflowSHA256)]),
            "facts": .object(values),
            "roles": .array(actor.roles.map(JSONValue.string)),
        ]
        if let title { data["title"] = .string(title) }
        let event = EventDraft(type: .assessmentCreated, actor: actor.id, stage: workflow.initial.value, time: now, data: .object(data))
        return Outcome(events: [event], disclosures: [])
    }

    /// Checks a command against the rules and gives the events it produces.
    public static func decide(workflow: Workflow, state: AssessmentState, command: Command, actor: Person,
                              now: Date, random: inout some RandomSource) throws -> Outcome {
        // Event times are kept to the second; compare at that precision.
        if floor(now.timeIntervalSince1970) < floor(state.lastEventTime.timeIntervalSince1970) {
            throw HRIAError.badInput("the clock says \(Timestamp.format(now)), earlier than the log's last event (\(Timestamp.format(state.lastEventTime)))",
                                     help: "check the system clock, or HRIA_NOW")
        }
        if case .erase(let digest, let reason) = command {
            return try erase(digest: digest, reason: reason, workflow: workflow, state: state, actor: actor, now: now)
        }
        if let outcome = state.outcome {
            throw Refusal("assessment \(state.id) has ended", [.ended(outcome: outcome)])
        }
        guard let stage = workflow.stage(state.stage) else {
            throw HRIAError(.integrity, "the assessment is at stage \(state.stage), which its pinned workflow does not have")
        }
        let owner = stage.owner?.value ?? ""
        func requireOwner(_ action: String) throws {
            guard actor.roles.contains(owner) else {
                throw Refusal("\(actor.id) cannot \(action) in stage \(stage.id)",
                              [.wrongRole(actor: actor.id, action: action, needs: [owner], holds: actor.roles)])
            }
        }
        let roles = JSONValue.array(actor.roles.map(JSONValue.string))
        switch command {
        case .setFacts(let facts, let reason):
            try requireOwner("set facts")
            guard !facts.isEmpty else { throw HRIAError.badInput("give at least one NAME=VALUE") }
            var data: [String: JSONValue] = ["facts": .object(try factValues(facts, workflow: workflow)), "roles": roles]
            if let reason { data["reason"] = .string(reason) }
            return Outcome(events: [EventDraft(type: .factSet, actor: actor.id, stage: stage.id, time: now, data: .object(data))],
                           disclosures: [])

        case .addEvidence(let requirementID, let fields, let confidential, let file):
            guard let (declaringStage, requirement) = workflow.requirement(requirementID) else {
                let all = workflow.stages.flatMap { $0.requirements.map(\.id) }
                throw HRIAError.badInput("unknown requirement \"\(requirementID)\" in workflow \(workflow.id)",
                                         help: Suggestions.closest(to: requirementID, in: all).map { "did you mean \"\($0)\"?" }
                                             ?? "stage \(stage.id) requires: " + stage.requirements.map(\.id).joined(separator: ", "))
            }
            guard declaringStage.id == stage.id else {
                throw HRIAError.badInput("requirement \(requirementID) belongs to stage \(declaringStage.id), but the assessment is at \(stage.id)",
                                         help: stage.requirements.isEmpty ? "stage \(stage.id) requires no evidence"
                                             : "stage \(stage.id) requires: " + stage.requirements.map(\.id).joined(separator: ", "))
            }
            try requireOwner("add evidence")
            guard let type = workflow.evidenceType(requirement.type.value) else {
                throw HRIAError(.integrity, "evidence type \(requirement.type.value) is missing from the pinned workflow")
            }
            let (publicFields, disclosures) = try evidenceFields(type: type, fields: fields, confidential: confidential, random: &random)
            switch (type.file, file) {
            case (.required, nil):
                throw HRIAError.badInput("evidence of type \(type.id) needs a file", help: "attach it with --file PATH")
            case (.none, .some):
                throw HRIAError.badInput("evidence of type \(type.id) takes no file", help: "remove --file")
            default: break
            }
            var data: [String: JSONValue] = [
                "requirement": .string(requirementID),
                "type": .string(type.id),
                "fields": .object(publicFields),
                "roles": roles,
            ]
            if let file {
                data["file"] = .object(["sha256": .string(file.sha256), "size": .int(file.size), "name": .string(file.name)])
            }
            if !disclosures.isEmpty {
                data["confidential"] = .array(Array(Set(disclosures.map(\.name))).sorted().map(JSONValue.string))
            }
            let sd = paddedDigests(disclosures, random: &random)
            return Outcome(events: [EventDraft(type: .evidenceAdded, actor: actor.id, stage: stage.id, time: now, data: .object(data), sd: sd)],
                           disclosures: disclosures)

        case .signoff(let approve, let comment):
            guard !stage.signoffs.isEmpty else {
                throw Refusal("stage \(stage.id) needs no sign-off", [])
            }
            let allRoles = Array(Set(stage.signoffs.flatMap { $0.roles.map(\.value) })).sorted()
            guard !Set(allRoles).isDisjoint(with: actor.roles) else {
                throw Refusal("\(actor.id) cannot sign off stage \(stage.id)",
                              [.wrongRole(actor: actor.id, action: "sign off this stage", needs: allRoles, holds: actor.roles)])
            }
            let rulesForActor = stage.signoffs.filter { !Set($0.roles.map(\.value)).isDisjoint(with: actor.roles) }
            if rulesForActor.allSatisfy(\.separationOfDuties) {
                if actor.roles.contains(owner) {
                    throw Refusal("\(actor.id) cannot sign off stage \(stage.id)",
                                  [.separationOfDuties(actor: actor.id, reason: "\(actor.id) holds \(owner), the role that owns this stage")])
                }
                if state.contributorsThisVisit.contains(actor.id) {
                    throw Refusal("\(actor.id) cannot sign off stage \(stage.id)",
                                  [.separationOfDuties(actor: actor.id, reason: "\(actor.id) recorded evidence or facts in this stage")])
                }
            }
            if !approve, (comment ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw HRIAError.badInput("a rejection needs a reason", help: "add --comment \"what must change\"")
            }
            var data: [String: JSONValue] = ["decision": .string(approve ? "approve" : "reject"), "roles": roles,
                                             "visit": .int(state.visit)]
            if let comment { data["comment"] = .string(comment) }
            return Outcome(events: [EventDraft(type: .signoffRecorded, actor: actor.id, stage: stage.id, time: now, data: .object(data))],
                           disclosures: [])

        case .erase:
            preconditionFailure("handled above")

        case .comment(let text):
            let workflowRoles = Set(workflow.roles.map(\.id))
            guard !workflowRoles.isDisjoint(with: actor.roles) else {
                throw Refusal("\(actor.id) cannot comment on \(state.id)",
                              [.wrongRole(actor: actor.id, action: "comment", needs: workflow.roles.map(\.id), holds: actor.roles)])
            }
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw HRIAError.badInput("the comment is empty")
            }
            return Outcome(events: [EventDraft(type: .commentAdded, actor: actor.id, stage: stage.id, time: now,
                                               data: .object(["text": .string(text), "roles": roles]))], disclosures: [])

        case .advance(let target, let reason):
            try requireOwner("advance the assessment")
            let evaluation = StageEvaluation.evaluate(workflow: workflow, state: state, now: now)
            var candidates = evaluation.transitions
            if let target {
                guard workflow.stage(target) != nil else {
                    throw HRIAError.badInput("unknown stage \"\(target)\"",
                                             help: Suggestions.closest(to: target, in: workflow.stages.map(\.id)).map { "did you mean \"\($0)\"?" })
                }
                candidates = candidates.filter { $0.transition.to.value == target }
                guard !candidates.isEmpty else {
                    throw Refusal("cannot advance \(state.id) from \(stage.id) to \(target)",
                                  [.noSuchTransition(from: stage.id, to: target, available: stage.transitions.map(\.to.value))])
                }
            }
            let stageBlockers = evaluation.stageBlockers
            let chosen: StageEvaluation.TransitionStatus?
            var passedOver: [StageEvaluation.TransitionStatus]
            if target != nil {
                chosen = candidates.first { $0.guardHolds && !$0.visitsExhausted }
                passedOver = chosen == nil ? candidates : []
            } else {
                (chosen, passedOver) = evaluation.firstMatch
            }
            guard stageBlockers.isEmpty, let chosen else {
                // When a transition would be taken, only the stage's own blockers matter; otherwise say why each
                // transition in order was passed over, up to one whose condition cannot be evaluated.
                var blockers = stageBlockers
                if chosen == nil {
                    blockers += passedOver.compactMap { StageEvaluation.guardBlocker($0, workflow: workflow) }
                }
                throw Refusal("cannot advance \(state.id) from \(stage.id)" + (target.map { " to \($0)" } ?? ""), blockers)
            }
            let to = chosen.transition.to.value
            let index = stage.transitions.firstIndex { $0.span == chosen.transition.span } ?? 0
            var data: [String: JSONValue] = [
                "from": .string(stage.id),
                "to": .string(to),
                "transition": .int(index),
                "visit": .int((state.visits[to] ?? 0) + 1),
                "roles": roles,
            ]
            if let g = chosen.transition.when, let evaluation = chosen.evaluation {
                data["when"] = .string(g.displayText)
                data["read"] = .object(Dictionary(uniqueKeysWithValues: evaluation.factsRead.map { ("facts.\($0.name)", $0.value.map(jsonValue) ?? .null) }
                    + evaluation.evidenceRead.map { ("evidence.\($0.requirement)", JSONValue.int($0.count)) }))
            }
            data["approvals"] = .array(state.standingSignoffs().filter(\.approve).map { .string($0.actor) })
            if let reason { data["reason"] = .string(reason) }
            var events = [EventDraft(type: .stageAdvanced, actor: actor.id, stage: stage.id, time: now, data: .object(data))]
            if let terminal = workflow.stage(to), terminal.terminal {
                var decision: [String: JSONValue] = ["outcome": .string(terminal.outcome ?? to), "stage": .string(to)]
                let decided = workflow.facts.filter { state.facts[$0.id] != nil }
                if !decided.isEmpty {
                    decision["facts"] = .object(Dictionary(uniqueKeysWithValues: decided.map { ($0.id, state.facts[$0.id]!.value) }))
                }
                events.append(EventDraft(type: .decisionRecorded, actor: actor.id, stage: to, time: now, data: .object(decision)))
            }
            return Outcome(events: events, disclosures: [])
        }
    }

    /// Erasure is a data-protection duty, so it stays possible after the assessment ends.
    static func erase(digest: String, reason: String, workflow: Workflow, state: AssessmentState, actor: Person,
                      now: Date) throws -> Outcome {
        let workflowRoles = Set(workflow.roles.map(\.id))
        guard !workflowRoles.isDisjoint(with: actor.roles) else {
            throw Refusal("\(actor.id) cannot erase confidential values of \(state.id)",
                          [.wrongRole(actor: actor.id, action: "erase a confidential value", needs: workflow.roles.map(\.id), holds: actor.roles)])
        }
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw HRIAError.badInput("an erasure needs a reason", help: "add --reason \"why\"")
        }
        guard !state.erasedDigests.contains(digest) else {
            throw HRIAError.badInput("the value with digest \(digest) was already erased")
        }
        let data: [String: JSONValue] = ["digest": .string(digest), "reason": .string(reason),
                                         "roles": .array(actor.roles.map(JSONValue.string))]
        return Outcome(events: [EventDraft(type: .disclosureErased, actor: actor.id, stage: state.stage, time: now, data: .object(data))],
                       disclosures: [])
    }

    static func jsonValue(_ value: GuardValue) -> JSONValue {
        switch value {
        case .bool(let b): .bool(b)
        case .int(let i): .int(i)
        case .string(let s): .string(s)
        case .date(let d): .string(d.description)
        case .list(let items): .array(items.map(jsonValue))
        case .item(let item): .object(item.fields.mapValues(jsonValue))
        }
    }

    static func factValues(_ facts: [(name: String, value: String)], workflow: Workflow) throws -> [String: JSONValue] {
        var values: [String: JSONValue] = [:]
        for (name, text) in facts {
            guard let fact = workflow.fact(name) else {
                throw HRIAError.badInput("unknown fact \"\(name)\" in workflow \(workflow.id)",
                                         help: Suggestions.closest(to: name, in: workflow.facts.map(\.id)).map { "did you mean \"\($0)\"?" }
                                             ?? "its facts are " + workflow.facts.map(\.id).joined(separator: ", "))
            }
            guard values[name] == nil else { throw HRIAError.badInput("fact \(name) is given twice") }
            values[name] = try FactValues.parse(text, as: fact.type, fact: name).get()
        }
        return values
    }

    static func evidenceFields(type: EvidenceType, fields: [(name: String, value: String)], confidential: [(name: String, value: String)],
                               random: inout some RandomSource) throws -> ([String: JSONValue], [Disclosure]) {
        var values: [String: JSONValue] = [:]
        for (name, text) in fields {
            guard let field = type.field(name) else {
                throw HRIAError.badInput("evidence type \(type.id) has no field \"\(name)\"",
                                         help: Suggestions.closest(to: name, in: type.fields.map(\.name)).map { "did you mean \"\($0)\"?" }
                                             ?? "its fields are " + type.fields.map(\.name).joined(separator: ", "))
            }
            if field.confidential {
                throw HRIAError.badInput("field \(name) is confidential: give it with --confidential so it stays out of the log")
            }
            guard values[name] == nil else { throw HRIAError.badInput("field \(name) is given twice") }
            values[name] = try FactValues.parse(text, as: field.type, field: name).get()
        }
        var disclosures: [Disclosure] = []
        for (name, text) in confidential {
            guard let field = type.field(name) else {
                throw HRIAError.badInput("evidence type \(type.id) has no field \"\(name)\"",
                                         help: Suggestions.closest(to: name, in: type.fields.map(\.name)).map { "did you mean \"\($0)\"?" })
            }
            guard field.confidential else {
                throw HRIAError.badInput("field \(name) is not confidential: give it with --field")
            }
            // Never echo a confidential value, not even in an error message.
            if case .failure = FactValues.parse(text, as: field.type, field: name) {
                throw HRIAError.badInput("the confidential field \(name) must be \(field.type.notation); the value given is not (not shown)")
            }
            disclosures.append(Disclosure(saltBytes: random.bytes(16), name: name, value: text))
        }
        let given = Set(values.keys).union(disclosures.map(\.name))
        let missing = type.fields.filter { !$0.optional && !given.contains($0.name) }.map(\.name)
        if !missing.isEmpty {
            let missingPublic = missing.filter { type.field($0)?.confidential == false }
            let missingConfidential = missing.filter { type.field($0)?.confidential == true }
            var parts: [String] = []
            if !missingPublic.isEmpty { parts.append(missingPublic.map { "--field \($0)=..." }.joined(separator: " ")) }
            if !missingConfidential.isEmpty { parts.append(missingConfidential.map { "--confidential \($0)=..." }.joined(separator: " ")) }
            throw HRIAError.badInput("evidence of type \(type.id) needs the field\(missing.count == 1 ? "" : "s") " + missing.joined(separator: ", "),
                                     help: "add " + parts.joined(separator: " "))
        }
        return (values, disclosures)
    }

    /// Sorted digests of the disclosures plus decoys up to the next multiple of `digestBucket`.
    static func paddedDigests(_ disclosures: [Disclosure], random: inout some RandomSource) -> [String] {
        guard !disclosures.isEmpty else { return [] }
        var digests = disclosures.map(\.digest)
        let target = (digests.count + digestBucket - 1) / digestBucket * digestBucket
        while digests.count < target { digests.append(Disclosure.decoy(randomBytes: random.bytes(32))) }
        return digests.sorted()
    }
}

/// Assessment ids: `[a-z0-9][a-z0-9-]{0,63}`, safe as folder names.
public enum AssessmentID {
    public static func isValid(_ id: String) -> Bool {
        let scalars = Array(id.unicodeScalars)
        guard let first = scalars.first, scalars.count <= 64, (first.value >= 97 && first.value <= 122) || first.isASCIIDigit else {
            return false
        }
        return scalars.allSatisfy { ($0.value >= 97 && $0.value <= 122) || $0.isASCIIDigit || $0 == "-" }
    }
}
