import Foundation

/// What a person asks the engine to do.
public enum Command: Sendable {
    case setFacts([(name: String, value: String)], reason: String?)
    case addEvidence(requirement: String, fields: [(name: String, value: String)], confidential: [(name: String, value: String)],
                     file: EvidenceFile?)
    /// New values for public fields of an item whose type has a lifecycle (`#seq` of its `evidence.added`); allowed
    /// after the end too, by the owner of the stage that recorded it.
    case updateEvidence(item: Int, fields: [(name: String, value: String)], file: EvidenceFile?, note: String?)
    case signoff(approve: Bool, comment: String?)
    case advance(to: String?, reason: String?)
    /// A note for the record; it changes nothing and voids no sign-off.
    case comment(String)
    /// Records that a confidential value's plaintext was deleted; allowed after the end too.
    case erase(digest: String, reason: String)
    /// Moves a running assessment to another workflow (`sha256` of its file), renaming stages as `stages` maps
    /// them; only an admin may.
    case migrate(to: Workflow, sha256: String, stages: [String: String], reason: String)
}

/// The events a command produces and the disclosures to keep privately.
public struct Outcome: Sendable {
    public var events: [EventDraft]
    public var disclosures: [Disclosure]
    /// Who approved the stage's current visit and must sign again, because this change of evidence or facts voids
    /// their approvals.
    public var voided: [String] = []

    public init(events: [EventDraft], disclosures: [Disclosure], voided: [String] = []) {
        self.events = events
        self.disclosures = disclosures
        self.voided = voided
    }
}

/// The pure core: given an assessment's history, a command, who asks and when, it returns new events or a
/// refusal naming every blocker. No files, clocks or randomness of its own: they are passed in. Every event it
/// proposes is recorded through `AssessmentHistory`, so it passes the same rules a reader of the log applies.
public enum Engine {
    /// Disclosure digests are padded with decoys to a multiple of this, so counts do not show.
    public static let digestBucket = 8

    /// The first event of a new assessment.
    public static func create(id: String, workflow: Workflow, workflowSHA256: String, partner: String, title: String?,
                              facts: [(name: String, value: String)], actor: Person, now: Date) throws(EngineError) -> Outcome {
        guard AssessmentID.isValid(id) else { throw .invalid(.assessmentID(id)) }
        do throws(Refusal) {
            try EventRules.requireWorkflowRole(actor: actor.id, roles: actor.roles, workflow: workflow, action: "start an assessment",
                                               summary: "\(actor.id) cannot start an assessment with \(workflow.id)")
        } catch {
            throw .refused(error)
        }
        if EventRules.isBlank(partner) { throw .invalid(.blankPartner) }
        let payload = AssessmentCreated(id: id, partner: partner, title: title,
                                        workflow: WorkflowPin(id: workflow.id, version: workflow.version, sha256: workflowSHA256),
                                        facts: try factValues(facts, workflow: workflow), roles: actor.roles)
        let event = EventDraft(actor: actor.id, stage: workflow.initial.value, time: now, payload: .assessmentCreated(payload))
        do throws(Refusal) {
            _ = try AssessmentHistory(first: event, workflow: workflow, workflowSHA256: workflowSHA256)
        } catch {
            throw .refused(error)
        }
        return Outcome(events: [event], disclosures: [])
    }

    /// Checks a command against the rules and gives the events it produces.
    /// A change of evidence or facts voids the approvals already given in the stage's visit; unless
    /// `allowVoiding`, such a change is refused, naming whose approvals it would void.
    public static func decide(_ history: AssessmentHistory, command: Command, actor: Person, now: Date,
                              random: inout some RandomSource, allowVoiding: Bool = true) throws(EngineError) -> Outcome {
        let state = history.state
        // Judged at the second the log records, so that verify, replaying the stored time, judges the same moment.
        let now = Date(timeIntervalSince1970: floor(now.timeIntervalSince1970))
        // Event times are kept to the second; compare at that precision.
        if floor(now.timeIntervalSince1970) < floor(state.lastEventTime.timeIntervalSince1970) {
            throw .invalid(.clockBehind(now: now, lastEvent: state.lastEventTime))
        }
        var outcome: Outcome
        do {
            outcome = try draft(command, history: history, actor: actor, now: now, random: &random)
        } catch let refusal as Refusal {
            throw .refused(refusal)
        } catch let error as EngineError {
            throw error
        } catch {
            throw .inconsistent("\(error)")
        }
        outcome.voided = voids(command, state: state)
        if !outcome.voided.isEmpty, !allowVoiding {
            throw .refused(Refusal("\(actor.id) would void approvals already given in stage \(state.stage)",
                                   [.wouldVoidSignoffs(of: outcome.voided)]))
        }
        // Every event passes the rules every reader of the log applies, each on the state the one before left.
        var next = history
        if case .migrate(let target, let sha256, _, _) = command { next.snapshots[sha256] = target }
        do throws(Refusal) {
            for event in outcome.events { try next.record(event) }
        } catch {
            throw .refused(error)
        }
        return outcome
    }

    /// Whose approvals of the current visit a command would void: any change of evidence or facts voids them all.
    public static func voids(_ command: Command, state: AssessmentState) -> [String] {
        switch command {
        case .setFacts, .addEvidence: state.standingSignoffs().filter(\.approve).map(\.actor)
        case .updateEvidence: state.outcome == nil ? state.standingSignoffs().filter(\.approve).map(\.actor) : []
        default: []
        }
    }

    /// The events a command asks for, with the refusals and bad-input messages a person can act on.
    static func draft(_ command: Command, history: AssessmentHistory, actor: Person, now: Date,
                      random: inout some RandomSource) throws -> Outcome {
        let state = history.state, workflow = history.workflow
        func event(_ payload: EventPayload, stage: String? = nil, sd: [String] = []) -> EventDraft {
            EventDraft(actor: actor.id, stage: stage ?? state.stage, time: now, payload: payload, sd: sd)
        }
        if case .erase(let digest, let reason) = command {
            try EventRules.requireWorkflowRole(actor: actor.id, roles: actor.roles, workflow: workflow, action: "erase a confidential value",
                                               summary: "\(actor.id) cannot erase confidential values of \(state.id)")
            guard !EventRules.isBlank(reason) else { throw EngineError.invalid(.erasureWithoutReason) }
            guard !state.erasedDigests.contains(digest) else { throw EngineError.invalid(.alreadyErased(digest: digest)) }
            return Outcome(events: [event(.disclosureErased(DisclosureErased(digest: digest, reason: reason, roles: actor.roles)))],
                           disclosures: [])
        }
        // A note on an ended assessment is normal (monitoring, a correction) and reopens nothing.
        if case .comment(let text) = command, state.outcome != nil, state.pendingDecision == nil {
            try EventRules.requireWorkflowRole(actor: actor.id, roles: actor.roles, workflow: workflow, action: "comment",
                                               summary: "\(actor.id) cannot comment on \(state.id)")
            guard !EventRules.isBlank(text) else { throw EngineError.invalid(.emptyComment) }
            return Outcome(events: [event(.commentAdded(CommentAdded(text: text, roles: actor.roles)))], disclosures: [])
        }
        if case .updateEvidence(let item, let fields, let file, let note) = command, state.pendingDecision == nil {
            return Outcome(events: [event(.evidenceUpdated(try update(item: item, fields: fields, file: file, note: note,
                                                                     actor: actor, state: state, workflow: workflow)))],
                           disclosures: [])
        }
        if let outcome = state.outcome {
            throw Refusal("assessment \(state.id) has ended", [.ended(outcome: outcome)])
        }
        guard let stage = workflow.stage(state.stage) else {
            throw EngineError.inconsistent("the assessment is at stage \(state.stage), which its pinned workflow does not have")
        }
        // A move into a terminal stage whose decision was lost to an interrupted write: record the decision.
        if let pending = state.pendingDecision {
            guard case .advance = command else {
                throw Refusal("the move into \(pending.stage) still needs its decision recorded", [])
            }
            guard pending.actor == actor.id else {
                throw Refusal("the move into \(pending.stage) still needs its decision recorded, by \(pending.actor), who made it", [])
            }
            let decision = EventRules.decision(enteringTerminal: stage, state: state, workflow: workflow)
            return Outcome(events: [event(.decisionRecorded(decision))], disclosures: [])
        }
        switch command {
        case .setFacts(let facts, let reason):
            try EventRules.requireOwner(actor: actor.id, roles: actor.roles, stage: stage, action: "set facts")
            guard !facts.isEmpty else { throw EngineError.invalid(.noFacts) }
            let values = try factValues(facts, workflow: workflow)
            try EventRules.checkFacts(values, workflow: workflow, stage: stage.id)
            try EventRules.checkFactRules(values, state: state, workflow: workflow, time: now, actor: actor.id)
            return Outcome(events: [event(.factSet(FactSet(facts: values, reason: reason, roles: actor.roles)))], disclosures: [])

        case .addEvidence(let requirementID, let fields, let confidential, let file):
            guard let (declaringStage, requirement) = workflow.requirement(requirementID) else {
                let all = workflow.stages.flatMap { $0.requirements.map(\.id) }
                throw EngineError.invalid(.unknownRequirement(id: requirementID, workflow: workflow.id,
                                                              suggestion: Suggestions.closest(to: requirementID, in: all), stage: stage.id,
                                                              stageRequires: stage.requirements.map(\.id)))
            }
            guard declaringStage.id == stage.id else {
                throw EngineError.invalid(.requirementOfAnotherStage(id: requirementID, declaredIn: declaringStage.id, stage: stage.id,
                                                                     stageRequires: stage.requirements.map(\.id)))
            }
            try EventRules.requireOwner(actor: actor.id, roles: actor.roles, stage: stage, action: "add evidence")
            guard let type = workflow.evidenceType(requirement.type.value) else {
                throw EngineError.inconsistent("evidence type \(requirement.type.value) is missing from the pinned workflow")
            }
            let (publicFields, disclosures) = try evidenceFields(type: type, fields: fields, confidential: confidential, random: &random)
            switch (type.file, file) {
            case (.required, nil):
                throw EngineError.invalid(.fileRequired(evidenceType: type.id))
            case (.none, .some):
                throw EngineError.invalid(.fileNotAllowed(evidenceType: type.id))
            default: break
            }
            let payload = EvidenceAdded(requirement: requirementID, type: type.id, fields: publicFields, file: file,
                                        confidential: Array(Set(disclosures.map(\.name))).sorted(), roles: actor.roles)
            return Outcome(events: [event(.evidenceAdded(payload), sd: paddedDigests(disclosures, random: &random))],
                           disclosures: disclosures)

        case .signoff(let approve, let comment):
            // Who may sign first (a refusal), then whether a rejection says why (bad input).
            try EventRules.checkSignoff(actor: actor.id, roles: actor.roles, stage: stage, state: state)
            if !approve, EventRules.isBlank(comment ?? "") {
                throw EngineError.invalid(.rejectionWithoutReason)
            }
            return Outcome(events: [event(.signoffRecorded(SignoffRecorded(approve: approve, comment: comment, visit: state.visit,
                                                                           roles: actor.roles)))], disclosures: [])

        case .erase, .updateEvidence:
            preconditionFailure("handled above")

        case .migrate(let target, let sha256, let stages, let reason):
            try EventRules.requireMigrator(actor: actor.id, roles: actor.roles)
            guard !EventRules.isBlank(reason) else { throw EngineError.invalid(.migrationWithoutReason) }
            guard sha256 != state.workflowSHA256 else { throw EngineError.invalid(.alreadyOnWorkflow(target.id, version: target.version)) }
            for old in stages.keys.sorted() where !workflow.hasStage(old) {
                throw EngineError.invalid(.unknownStage(name: old, suggestion: Suggestions.closest(to: old, in: workflow.stages.map(\.id))))
            }
            let problems = MigrationRules.problems(state: state, from: workflow, to: target, stages: stages)
            guard problems.isEmpty else { throw Refusal("cannot move \(state.id) to \(target.id) version \(target.version)", problems) }
            let payload = WorkflowMigrated(from: WorkflowPin(id: workflow.id, version: workflow.version, sha256: state.workflowSHA256),
                                           to: WorkflowPin(id: target.id, version: target.version, sha256: sha256),
                                           stages: stages, reason: reason, roles: actor.roles)
            return Outcome(events: [event(.workflowMigrated(payload))], disclosures: [])

        case .comment(let text):
            try EventRules.requireWorkflowRole(actor: actor.id, roles: actor.roles, workflow: workflow, action: "comment",
                                               summary: "\(actor.id) cannot comment on \(state.id)")
            guard !EventRules.isBlank(text) else { throw EngineError.invalid(.emptyComment) }
            return Outcome(events: [event(.commentAdded(CommentAdded(text: text, roles: actor.roles)))], disclosures: [])

        case .advance(let target, let reason):
            try EventRules.requireOwner(actor: actor.id, roles: actor.roles, stage: stage, action: "advance the assessment")
            let evaluation = StageEvaluation.evaluate(workflow: workflow, state: state, now: now)
            var candidates = evaluation.transitions
            if let target {
                guard workflow.stage(target) != nil else {
                    throw EngineError.invalid(.unknownStage(name: target, suggestion: Suggestions.closest(to: target, in: workflow.stages.map(\.id))))
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
            let payload = StageAdvanced(from: stage.id, to: to, transition: index, visit: (state.visits[to] ?? 0) + 1,
                                        condition: EventRules.condition(of: chosen),
                                        approvals: state.standingSignoffs().filter(\.approve).map(\.actor), reason: reason,
                                        roles: actor.roles)
            var events = [event(.stageAdvanced(payload))]
            if let terminal = workflow.stage(to), terminal.terminal {
                // The decision follows its move: judged on the state the move leaves.
                var moved = history
                try moved.record(events[0])
                let decision = EventRules.decision(enteringTerminal: terminal, state: moved.state, workflow: workflow)
                events.append(event(.decisionRecorded(decision), stage: to))
            }
            return Outcome(events: events, disclosures: [])
        }
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

    static func factValues(_ facts: [(name: String, value: String)], workflow: Workflow) throws(EngineError) -> [String: JSONValue] {
        var values: [String: JSONValue] = [:]
        for (name, text) in facts {
            guard let fact = workflow.fact(name) else {
                throw .invalid(.unknownFact(name: name, workflow: workflow.id, suggestion: Suggestions.closest(to: name, in: workflow.facts.map(\.id)),
                                            facts: workflow.facts.map(\.id)))
            }
            guard values[name] == nil else { throw .invalid(.factGivenTwice(name)) }
            switch FactValues.parse(text, as: fact.type, fact: name) {
            case .success(let value): values[name] = value
            case .failure(let problem): throw .invalid(.value(problem))
            }
        }
        return values
    }

    /// The update of an item, its values read as the item's type says; who may make it is left to the rules.
    static func update(item: Int, fields: [(name: String, value: String)], file: EvidenceFile?, note: String?, actor: Person,
                       state: AssessmentState, workflow: Workflow) throws -> EvidenceUpdated {
        guard let index = state.evidenceIndex(seq: item) else { throw EngineError.invalid(.unknownItem(item)) }
        let recorded = state.evidence[index]
        guard let type = workflow.evidenceType(recorded.type) else {
            throw EngineError.inconsistent("evidence type \(recorded.type) is missing from the pinned workflow")
        }
        guard type.hasLifecycle else { throw EngineError.invalid(.noLifecycle(item: item, requirement: recorded.requirement, evidenceType: type.id)) }
        guard !fields.isEmpty else { throw EngineError.invalid(.noFieldsToUpdate) }
        if let note, EventRules.isBlank(note) { throw EngineError.invalid(.emptyComment) }
        var values: [String: JSONValue] = [:]
        for (name, text) in fields {
            guard let field = type.field(name) else {
                throw EngineError.invalid(.unknownField(name: name, evidenceType: type.id,
                                                        suggestion: Suggestions.closest(to: name, in: type.fields.map(\.name)),
                                                        fields: type.fields.map(\.name)))
            }
            guard EvidenceType.updatableFields.contains(name) else { throw EngineError.invalid(.notUpdatable(field: name, item: item)) }
            if field.confidential { throw EngineError.invalid(.confidentialFieldInClear(name)) }
            guard values[name] == nil else { throw EngineError.invalid(.fieldGivenTwice(name)) }
            try requireContent(text, of: field)
            switch FactValues.parse(text, as: field.type, field: name) {
            case .success(let value): values[name] = value
            case .failure(let problem): throw EngineError.invalid(.value(problem))
            }
        }
        if file != nil, type.file == .none { throw EngineError.invalid(.fileNotAllowed(evidenceType: type.id)) }
        let update = EvidenceUpdated(item: item, fields: values, file: file, note: note, roles: actor.roles)
        // Who may update, and whether it changes anything, before whose approvals it would void.
        try EventRules.judgeUpdate(update, actor: actor.id, state: state, workflow: workflow)
        return update
    }

    static func evidenceFields(type: EvidenceType, fields: [(name: String, value: String)], confidential: [(name: String, value: String)],
                               random: inout some RandomSource) throws(EngineError) -> ([String: JSONValue], [Disclosure]) {
        var values: [String: JSONValue] = [:]
        for (name, text) in fields {
            guard let field = type.field(name) else {
                throw .invalid(.unknownField(name: name, evidenceType: type.id, suggestion: Suggestions.closest(to: name, in: type.fields.map(\.name)),
                                             fields: type.fields.map(\.name)))
            }
            if field.confidential { throw .invalid(.confidentialFieldInClear(name)) }
            guard values[name] == nil else { throw .invalid(.fieldGivenTwice(name)) }
            try requireContent(text, of: field)
            switch FactValues.parse(text, as: field.type, field: name) {
            case .success(let value): values[name] = value
            case .failure(let problem): throw .invalid(.value(problem))
            }
        }
        var disclosures: [Disclosure] = []
        for (name, text) in confidential {
            guard let field = type.field(name) else {
                throw .invalid(.unknownField(name: name, evidenceType: type.id, suggestion: Suggestions.closest(to: name, in: type.fields.map(\.name)),
                                             fields: type.fields.map(\.name)))
            }
            guard field.confidential else { throw .invalid(.clearFieldAsConfidential(name)) }
            try requireContent(text, of: field)
            // Never echo a confidential value, not even in an error message.
            if case .failure = FactValues.parse(text, as: field.type, field: name) {
                throw .invalid(.confidentialValue(field: name, expected: field.type.notation))
            }
            disclosures.append(Disclosure(saltBytes: random.bytes(16), name: name, value: text))
        }
        let given = Set(values.keys).union(disclosures.map(\.name))
        let missing = type.fields.filter { !$0.optional && !given.contains($0.name) }
        if !missing.isEmpty {
            throw .invalid(.missingFields(evidenceType: type.id, fields: missing.map(\.name), confidential: missing.filter(\.confidential).map(\.name)))
        }
        return (values, disclosures)
    }

    /// A required text field is not satisfied by spaces: `--field title=` would otherwise meet the requirement with
    /// nothing. An optional field (`string?`) may be left blank. Earlier versions recorded blank values, and their
    /// logs still verify: this is a rule for what is typed, not for what was recorded.
    static func requireContent(_ text: String, of field: EvidenceField) throws(EngineError) {
        switch field.type {
        case .string, .text:
            guard field.optional || !EventRules.isBlank(text) else {
                throw .invalid(.blankRequiredField(name: field.name, confidential: field.confidential))
            }
        default:
            break
        }
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
