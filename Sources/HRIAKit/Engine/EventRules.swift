import Foundation

/// The rules every event must satisfy, given the history before it: one implementation, asked by the engine
/// before it records anything and, through `AssessmentHistory.admit`, of every recorded event when a command
/// folds a log and when `verify` checks it. So no command can build on a history that `verify` rejects, and no
/// hand-written line can claim what the engine would have refused: a sign-off by someone without the role, a
/// move past a stage whose evidence or sign-offs are missing, a decision that does not follow its move.
///
/// The roles an event names are those its actor acted under, as recorded; who held which role when is checked
/// against the workspace's people by the layers above.
enum EventRules {
    /// Judges the first event of an assessment against the workflow it pins.
    static func judgeFirst(_ d: EventDraft, workflow: Workflow, workflowSHA256: String) throws(Refusal) {
        guard case .assessmentCreated(let p) = d.payload else { throw Refusal("the first event must be assessment.created", []) }
        guard p.workflow.sha256 == workflowSHA256 else {
            throw Refusal("it pins a workflow with SHA-256 \(p.workflow.sha256.prefix(12))…, not the pinned workflow.yaml", [])
        }
        guard p.workflow.id == workflow.id, p.workflow.version == workflow.version else {
            throw Refusal("it names workflow \(p.workflow.id) version \(p.workflow.version), but the pinned file is \(workflow.id) version \(workflow.version)", [])
        }
        guard AssessmentID.isValid(p.id) else { throw Refusal("\"\(p.id)\" is not a valid assessment id", []) }
        guard !isBlank(p.partner) else { throw Refusal("the partner's name is empty", []) }
        try requireWorkflowRole(actor: d.actor, roles: p.roles, workflow: workflow, action: "start an assessment",
                                summary: "\(d.actor) cannot start an assessment with \(workflow.id)")
        try checkFacts(p.facts, workflow: workflow, stage: workflow.initial.value)
        try checkFactRules(p.facts, state: AssessmentState(), workflow: workflow, time: d.time, actor: d.actor)
        guard d.stage == workflow.initial.value else {
            throw Refusal("it starts at stage \(d.stage), but the workflow starts at \(workflow.initial.value)", [])
        }
        guard d.sd.isEmpty else { throw Refusal("only evidence lists confidential digests", []) }
    }

    /// Judges any later event against the state the events before it left.
    static func judge(_ d: EventDraft, state: AssessmentState, workflow: Workflow) throws(Refusal) {
        try judgeAlone(d, workflow: workflow)
        try judgeInContext(d, state: state, workflow: workflow)
    }

    /// The rules an event (not the first) satisfies or not by itself, given the workflow: who may do this at the
    /// stage it names, and whether what it records is well formed for the workflow. `verify` asks these on every
    /// core; `judgeInContext` then checks the stage it names is the one the assessment was at.
    static func judgeAlone(_ d: EventDraft, workflow: Workflow) throws(Refusal) {
        if d.type.isRosterChange {
            throw Refusal("\(d.type.rawValue) changes the roster; it belongs in the roster's log, not in an assessment's", [])
        }
        if case .recoveryTruncated = d.payload {
            guard d.actor == Person.systemID else { throw Refusal("only hria itself records a repair, not \(d.actor)", []) }
            guard d.sd.isEmpty else { throw Refusal("only evidence lists confidential digests", []) }
            return
        }
        guard d.actor != Person.systemID else { throw Refusal("\(d.type.rawValue) is an act of a person, not of hria itself", []) }
        if d.type != .evidenceAdded, !d.sd.isEmpty { throw Refusal("only evidence lists confidential digests", []) }
        guard workflow.hasStage(d.stage) else {
            throw Refusal("it is recorded at stage \(d.stage), which the pinned workflow does not have", [])
        }
        // Comments are most of a long log: judged without copying the stage.
        if case .commentAdded(let p) = d.payload {
            try requireWorkflowRole(actor: d.actor, roles: p.roles, workflow: workflow, action: "comment",
                                    summary: "\(d.actor) cannot comment")
            guard !isBlank(p.text) else { throw Refusal("the comment is empty", []) }
            return
        }
        guard let stage = workflow.stage(d.stage) else { return }
        switch d.payload {
        case .assessmentCreated:
            throw Refusal("assessment.created may only be the first event", [])
        case .recoveryTruncated, .commentAdded, .personAdded, .roleGranted, .roleRevoked, .keyRotated, .personRemoved, .policySet:
            return
        case .factSet(let p):
            try requireOwner(actor: d.actor, roles: p.roles, stage: stage, action: "set facts")
            try checkFacts(p.facts, workflow: workflow, stage: stage.id)
        case .evidenceAdded(let p):
            try judgeEvidence(p, d, stage: stage, workflow: workflow)
        case .evidenceUpdated(let p):
            // Who may update depends on the item, so the rest is judged in context.
            if let note = p.note, isBlank(note) { throw Refusal("the note of an update is empty", []) }
        case .signoffRecorded(let p):
            try checkSignoffRoles(actor: d.actor, roles: p.roles, stage: stage)
            if !p.approve, isBlank(p.comment ?? "") { throw Refusal("a rejection needs a reason", []) }
        case .stageAdvanced(let p):
            try requireOwner(actor: d.actor, roles: p.roles, stage: stage, action: "advance the assessment")
            guard p.from == stage.id else { throw Refusal("it moves from \(p.from), but it is recorded at \(stage.id)", []) }
            guard p.transition < stage.transitions.count, stage.transitions[p.transition].to.value == p.to else {
                throw Refusal("cannot advance from \(stage.id) to \(p.to)",
                              [.noSuchTransition(from: stage.id, to: p.to, available: stage.transitions.map(\.to.value))])
            }
        case .decisionRecorded(let p):
            guard stage.terminal, p.stage == stage.id else {
                throw Refusal("a decision is recorded only at the terminal stage the assessment ends in", [])
            }
            guard p.outcome == stage.outcome ?? stage.id else {
                throw Refusal("it records the outcome \(p.outcome), but stage \(stage.id) ends with \(stage.outcome ?? stage.id)", [])
            }
        case .disclosureErased(let p):
            try requireWorkflowRole(actor: d.actor, roles: p.roles, workflow: workflow, action: "erase a confidential value",
                                    summary: "\(d.actor) cannot erase confidential values")
            guard !isBlank(p.reason) else { throw Refusal("an erasure needs a reason", []) }
        case .workflowMigrated(let p):
            try requireMigrator(actor: d.actor, roles: p.roles)
            guard !isBlank(p.reason) else { throw Refusal("a move to another workflow version needs a reason", []) }
            guard p.from.id == workflow.id, p.from.version == workflow.version else {
                throw Refusal("it moves from \(p.from.inWords), but the assessment was on \(workflow.id) version \(workflow.version)", [])
            }
            for old in p.stages.keys.sorted() where !workflow.hasStage(old) {
                throw Refusal("it maps stage \(old), which \(workflow.id) version \(workflow.version) does not have", [])
            }
        }
    }

    /// Moving a running assessment to other rules is the workspace's decision, not a stage owner's: only an admin
    /// may, acting as `admin` (docs/ASSESSMENTS.md, "When the workflow changes").
    static func requireMigrator(actor: String, roles: [String]) throws(Refusal) {
        guard roles.contains(Roster.adminRole) else {
            let action = "move an assessment to another workflow version"
            throw Refusal("\(actor) cannot \(action)", [.wrongRole(actor: actor, action: action, needs: [Roster.adminRole], holds: roles)])
        }
    }

    /// The rules of a move to another workflow that need the history and the workflow moved to (`target`, found by
    /// the SHA-256 the event records among the assessment's snapshots): it starts from the pin the assessment has,
    /// moves somewhere else, and everything recorded fits the new rules (`MigrationRules.problems`).
    static func judgeMigration(_ p: WorkflowMigrated, state: AssessmentState, from workflow: Workflow, to target: Workflow?) throws(Refusal) {
        guard p.from.sha256 == state.workflowSHA256 else {
            throw Refusal("it moves from the workflow with SHA-256 \(p.from.sha256.prefix(12))…, but the assessment was on \(state.workflowSHA256.prefix(12))…", [])
        }
        guard p.to.sha256 != p.from.sha256 else { throw Refusal("it moves the assessment to the workflow it is already on", []) }
        guard let target else {
            throw Refusal("the workflow it moves to (SHA-256 \(p.to.sha256.prefix(12))…) is not among the assessment's workflow snapshots", [])
        }
        guard p.to.id == target.id, p.to.version == target.version else {
            throw Refusal("it names \(p.to.inWords), but the snapshot with its SHA-256 is \(target.id) version \(target.version)", [])
        }
        let problems = MigrationRules.problems(state: state, from: workflow, to: target, stages: p.stages)
        guard problems.isEmpty else { throw Refusal("cannot move \(state.id) to \(p.to.inWords)", problems) }
    }

    /// The rules that depend on the history before the event: order in time, the stage it was at, the end, a
    /// pending decision, and what a stage's evaluation, sign-offs and erasures depend on.
    static func judgeInContext(_ d: EventDraft, state: AssessmentState, workflow: Workflow) throws(Refusal) {
        try judgePlace(d.type, stage: d.stage, time: d.time, state: state)
        if case .factSet(let p) = d.payload { try checkFactRules(p.facts, state: state, workflow: workflow, time: d.time, actor: d.actor) }
        switch d.payload {
        case .assessmentCreated, .recoveryTruncated, .factSet, .evidenceAdded, .commentAdded:
            return
        default:
            break
        }
        guard let stage = workflow.stage(state.stage) else {
            throw Refusal("the assessment is at stage \(state.stage), which its pinned workflow does not have", [])
        }
        switch d.payload {
        case .assessmentCreated, .recoveryTruncated, .factSet, .evidenceAdded, .commentAdded, .personAdded, .roleGranted, .roleRevoked,
             .keyRotated, .personRemoved, .policySet, .workflowMigrated:
            // A move to another workflow is judged by `judgeMigration`, which needs the workflow it moves to.
            return
        case .evidenceUpdated(let p):
            try judgeUpdate(p, actor: d.actor, state: state, workflow: workflow)
        case .signoffRecorded(let p):
            try checkSignoffHistory(actor: d.actor, roles: p.roles, stage: stage, state: state)
            guard p.visit == state.visit else { throw Refusal("it signs visit \(p.visit) of \(stage.id), but this is visit \(state.visit)", []) }
        case .stageAdvanced(let p):
            try judgeAdvance(p, d, stage: stage, state: state, workflow: workflow)
        case .decisionRecorded(let p):
            guard let pending = state.pendingDecision, pending.stage == p.stage else {
                throw Refusal("a decision is recorded only right after the move into a terminal stage", [])
            }
            guard pending.actor == d.actor else {
                throw Refusal("the decision is recorded by \(d.actor), but \(pending.actor) made the move into \(pending.stage)", [])
            }
            guard p.facts == decision(enteringTerminal: stage, state: state, workflow: workflow).facts else {
                throw Refusal("the facts it records are not those set when \(stage.id) was entered", [])
            }
        case .disclosureErased(let p):
            guard state.digests.contains(p.digest) else { throw Refusal("no earlier event lists the digest \(p.digest)", []) }
            guard !state.erasedDigests.contains(p.digest) else { throw Refusal("the value with digest \(p.digest) was already erased", []) }
        }
    }

    /// Where an event may fall in the history, whatever it says: after the first, not dated before the event
    /// before it, at the stage the assessment was at, right after a move into a terminal stage only its decision,
    /// and after the end only an erasure (or hria's repair). For a comment or a repair this is all that depends on
    /// the events before it, so `verify` asks just this of them in order.
    static func judgePlace(_ type: EventType, stage: String, time: Date, state: AssessmentState) throws(Refusal) {
        if type == .assessmentCreated { throw Refusal("assessment.created may only be the first event", []) }
        // Times are kept to the second; a clock may not run backwards within one log.
        if floor(time.timeIntervalSince1970) < floor(state.lastEventTime.timeIntervalSince1970) {
            throw Refusal("it is dated \(Timestamp.format(time)), before the event before it (\(Timestamp.format(state.lastEventTime)))", [])
        }
        guard stage == state.stage else {
            throw Refusal("it is recorded at stage \(stage), but the assessment was at \(state.stage)", [])
        }
        if type == .recoveryTruncated { return }
        if let pending = state.pendingDecision, type != .decisionRecorded {
            throw Refusal("the move into \(pending.stage) must be followed by its decision, not by \(type.rawValue)", [])
        }
        // Erasure is a data-protection duty, so it stays possible after the end; so is a note for the record,
        // which changes nothing.
        // So is the lifecycle of a measure or a condition, which outlives the assessment into the partnership it governs.
        if let outcome = state.outcome, type != .disclosureErased, type != .commentAdded, type != .evidenceUpdated {
            throw Refusal("assessment \(state.id) has ended", [.ended(outcome: outcome)])
        }
    }

    // MARK: - Rules the engine also asks before it builds an event, so its refusals use the same words

    /// The actor must hold the role that owns the stage.
    static func requireOwner(actor: String, roles: [String], stage: Stage, action: String) throws(Refusal) {
        let owner = stage.owner?.value ?? ""
        guard roles.contains(owner) else {
            throw Refusal("\(actor) cannot \(action) in stage \(stage.id)", [.wrongRole(actor: actor, action: action, needs: [owner], holds: roles)])
        }
    }

    /// The actor must hold some role of the workflow.
    static func requireWorkflowRole(actor: String, roles: [String], workflow: Workflow, action: String, summary: String) throws(Refusal) {
        guard workflow.declaresAnyRole(of: roles) else {
            throw Refusal(summary, [.wrongRole(actor: actor, action: action, needs: workflow.roles.map(\.id), holds: roles)])
        }
    }

    /// Who may sign off a stage: someone holding one of its sign-off roles, and, where separation of duties holds
    /// for every rule they could sign under, neither the owner nor anyone who changed evidence or facts in this
    /// visit.
    static func checkSignoff(actor: String, roles: [String], stage: Stage, state: AssessmentState) throws(Refusal) {
        try checkSignoffRoles(actor: actor, roles: roles, stage: stage)
        try checkSignoffHistory(actor: actor, roles: roles, stage: stage, state: state)
    }

    /// The part that depends only on the roles: a signing role, and not the owner's role under separation of duties.
    static func checkSignoffRoles(actor: String, roles: [String], stage: Stage) throws(Refusal) {
        guard !stage.signoffs.isEmpty else { throw Refusal("stage \(stage.id) needs no sign-off", []) }
        let allRoles = Array(Set(stage.signoffs.flatMap { $0.roles.map(\.value) })).sorted()
        guard !Set(allRoles).isDisjoint(with: roles) else {
            throw Refusal("\(actor) cannot sign off stage \(stage.id)",
                          [.wrongRole(actor: actor, action: "sign off this stage", needs: allRoles, holds: roles)])
        }
        let owner = stage.owner?.value ?? ""
        if separated(roles: roles, stage: stage), roles.contains(owner) {
            throw Refusal("\(actor) cannot sign off stage \(stage.id)",
                          [.separationOfDuties(actor: actor, reason: "\(actor) holds \(owner), the role that owns this stage")])
        }
    }

    /// The part that depends on the visit: under separation of duties, nobody who changed evidence or facts in it.
    static func checkSignoffHistory(actor: String, roles: [String], stage: Stage, state: AssessmentState) throws(Refusal) {
        if separated(roles: roles, stage: stage), state.contributorsThisVisit.contains(actor) {
            let theirs = state.changes.filter { $0.stage == state.stage && $0.visit == state.visit && $0.actor == actor }
            let reason = theirs.allSatisfy(\.migration)
                ? "\(actor) moved the assessment to another workflow version in this visit (#\(theirs.last?.seq ?? 0))"
                : "\(actor) recorded evidence or facts in this stage"
            throw Refusal("\(actor) cannot sign off stage \(stage.id)", [.separationOfDuties(actor: actor, reason: reason)])
        }
    }

    /// Whether separation of duties holds for every sign-off rule these roles could sign under.
    static func separated(roles: [String], stage: Stage) -> Bool {
        stage.signoffs.filter { !Set($0.roles.map(\.value)).isDisjoint(with: roles) }.allSatisfy(\.separationOfDuties)
    }

    /// What a move along `status`'s transition records about why it could be taken.
    static func condition(of status: StageEvaluation.TransitionStatus) -> StageAdvanced.Condition? {
        guard let g = status.transition.when, let evaluation = status.evaluation else { return nil }
        let read = evaluation.factsRead.map { ("facts.\($0.name)", $0.value.map(Engine.jsonValue) ?? JSONValue.null) }
            + evaluation.evidenceRead.map { ("evidence.\($0.requirement)", JSONValue.int($0.count)) }
            + (evaluation.todayRead.map { [("today", JSONValue.string($0.description))] } ?? [])
        return StageAdvanced.Condition(text: g.displayText, read: Dictionary(read, uniquingKeysWith: { first, _ in first }))
    }

    /// The decision recorded when an assessment enters the terminal `stage`: its outcome and the facts then set.
    static func decision(enteringTerminal stage: Stage, state: AssessmentState, workflow: Workflow) -> DecisionRecorded {
        var facts: [String: JSONValue] = [:]
        for fact in workflow.facts { if let recorded = state.facts[fact.id] { facts[fact.id] = recorded.value } }
        return DecisionRecorded(outcome: stage.outcome ?? stage.id, stage: stage.id, facts: facts)
    }

    /// Whether text holds nothing but white space (Unicode's notion, as `trimmingCharacters` has it).
    static func isBlank(_ text: String) -> Bool {
        // Most text is ASCII and starts with a letter: answer from the first bytes without Foundation.
        for byte in text.utf8 {
            if byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) { continue }
            if byte < 0x80 { return false }
            return text.unicodeScalars.allSatisfy { $0.properties.isWhitespace }
        }
        return true
    }

    // MARK: - Per kind

    static func checkFacts(_ facts: [String: JSONValue], workflow: Workflow, stage: String? = nil) throws(Refusal) {
        for (name, value) in facts.sorted(by: { $0.key < $1.key }) {
            guard let fact = workflow.fact(name) else { throw Refusal("it sets fact \(name), which workflow \(workflow.id) does not declare", []) }
            if let stage, !fact.maySet(in: stage) {
                throw Refusal("fact \(name) may be set only in " + fact.setIn.map(\.value).joined(separator: ", ") + ", not in \(stage)", [])
            }
            guard FactValues.conforms(value, to: fact.type) else {
                throw Refusal("it sets fact \(name) to \(value.rendered()), which is not \(fact.type.inWords)", [])
            }
        }
    }

    /// Each fact set that has a `set_when:` condition: it must hold on the assessment with the new values in place, on
    /// the day of the act.
    static func checkFactRules(_ facts: [String: JSONValue], state: AssessmentState, workflow: Workflow, time: Date,
                               actor: String) throws(Refusal) {
        guard !workflow.factRules.isEmpty else { return }
        let ruled = facts.keys.sorted().compactMap { name in workflow.setCondition(of: name).map { (name, $0) } }
        guard !ruled.isEmpty else { return }
        var after = state
        for (name, value) in facts {
            after.facts[name] = AssessmentState.RecordedFact(value: value, seq: state.size, actor: actor, time: time)
        }
        let input = AssessmentGuardInput(workflow: workflow, state: after, now: time)
        var refused: [String] = [], blockers: [Blocker] = []
        for (name, condition) in ruled {
            let evaluation = GuardEvaluator.evaluate(condition.typed, input: input)
            switch evaluation.result {
            case .success(true): continue
            case .success(false):
                blockers.append(.factCondition(fact: name, condition: condition.displayText, read: StageEvaluation.readValues(evaluation),
                                               reason: nil))
            case .failure(let failure):
                blockers.append(.factCondition(fact: name, condition: condition.displayText, read: [], reason: failure.description))
            }
            refused.append(name)
        }
        guard blockers.isEmpty else { throw Refusal("cannot set " + refused.joined(separator: ", ") + " now", blockers) }
    }

    static func judgeEvidence(_ p: EvidenceAdded, _ d: EventDraft, stage: Stage, workflow: Workflow) throws(Refusal) {
        guard let (declaring, requirement) = workflow.requirement(p.requirement) else {
            throw Refusal("it records evidence for \(p.requirement), which workflow \(workflow.id) does not require", [])
        }
        guard declaring.id == stage.id else {
            throw Refusal("requirement \(p.requirement) belongs to stage \(declaring.id), but the assessment was at \(stage.id)", [])
        }
        try requireOwner(actor: d.actor, roles: p.roles, stage: stage, action: "add evidence")
        guard p.type == requirement.type.value, let type = workflow.evidenceType(p.type) else {
            throw Refusal("requirement \(p.requirement) takes evidence of type \(requirement.type.value), not \(p.type)", [])
        }
        for (name, value) in p.fields.sorted(by: { $0.key < $1.key }) {
            guard let field = type.field(name), !field.confidential else {
                throw Refusal("evidence of type \(type.id) has no public field \(name)", [])
            }
            guard FactValues.conforms(value, to: field.type) else {
                throw Refusal("field \(name) holds \(value.rendered()), which is not \(field.type.notation)", [])
            }
        }
        for name in p.confidential {
            guard type.field(name)?.confidential == true else { throw Refusal("evidence of type \(type.id) has no confidential field \(name)", []) }
        }
        let given = Set(p.fields.keys).union(p.confidential)
        let missing = type.fields.filter { !$0.optional && !given.contains($0.name) }.map(\.name)
        guard missing.isEmpty else { throw Refusal("evidence of type \(type.id) lacks " + missing.joined(separator: ", "), []) }
        switch (type.file, p.file) {
        case (.required, nil): throw Refusal("evidence of type \(type.id) needs a file", [])
        case (.none, .some): throw Refusal("evidence of type \(type.id) takes no file", [])
        default: break
        }
        // One digest per confidential value, padded with decoys to a multiple of the bucket.
        if p.confidential.isEmpty {
            guard d.sd.isEmpty else { throw Refusal("it lists confidential digests but names no confidential field", []) }
        } else {
            guard d.sd.count >= p.confidential.count, d.sd.count % Engine.digestBucket == 0 else {
                throw Refusal("it lists \(d.sd.count) confidential digests for \(p.confidential.count) confidential fields", [])
            }
        }
    }

    /// An update changes public fields of an item whose type has a lifecycle, to values its fields allow. While the
    /// assessment runs, the owner of the current stage or of the stage that recorded the item may update it; after
    /// the end, the owner of the stage that recorded it.
    static func judgeUpdate(_ p: EvidenceUpdated, actor: String, state: AssessmentState, workflow: Workflow) throws(Refusal) {
        guard let index = state.evidenceIndex(seq: p.item) else {
            throw Refusal("no event #\(p.item) of \(state.id) recorded evidence", [])
        }
        let item = state.evidence[index]
        guard let type = workflow.evidenceType(item.type) else {
            throw Refusal("evidence #\(p.item) is of type \(item.type), which the pinned workflow does not have", [])
        }
        guard type.hasLifecycle else {
            throw Refusal("evidence #\(p.item) (\(item.requirement)) cannot be updated: type \(type.id) has no lifecycle", [])
        }
        let owners = [state.outcome == nil ? workflow.stage(state.stage)?.owner?.value : nil, workflow.stage(item.stage)?.owner?.value]
            .compactMap { $0 }
        guard owners.contains(where: p.roles.contains) else {
            let action = "update evidence #\(p.item)"
            throw Refusal("\(actor) cannot \(action)", [.wrongRole(actor: actor, action: action, needs: Array(Set(owners)).sorted(), holds: p.roles)])
        }
        for (name, value) in p.fields.sorted(by: { $0.key < $1.key }) {
            guard EvidenceType.updatableFields.contains(name) else {
                throw Refusal("field \(name) of evidence #\(p.item) cannot be updated: only its status, due date and owner can", [])
            }
            guard let field = type.field(name), !field.confidential else {
                throw Refusal("evidence of type \(type.id) has no public field \(name)", [])
            }
            guard FactValues.conforms(value, to: field.type) else {
                throw Refusal("field \(name) holds \(value.rendered()), which is not \(field.type.notation)", [])
            }
        }
        guard p.fields.contains(where: { item.fields[$0.key] != $0.value }) else {
            throw Refusal("the update of evidence #\(p.item) changes no field's value", [])
        }
        if p.file != nil, type.file == .none { throw Refusal("evidence of type \(type.id) takes no file", []) }
    }

    /// Whether the move could be taken when it was recorded (its form was checked by `judgeAlone`).
    static func judgeAdvance(_ p: StageAdvanced, _ d: EventDraft, stage: Stage, state: AssessmentState, workflow: Workflow) throws(Refusal) {
        // The same evaluation `status` and `advance` make, at the moment the event records.
        let evaluation = StageEvaluation.evaluate(workflow: workflow, state: state, now: d.time)
        let status = evaluation.transitions[p.transition]
        var blockers = evaluation.stageBlockers
        if let guardBlocker = StageEvaluation.guardBlocker(status, workflow: workflow) { blockers.append(guardBlocker) }
        guard blockers.isEmpty else { throw Refusal("cannot advance \(state.id) from \(stage.id) to \(p.to)", blockers) }
        let visit = (state.visits[p.to] ?? 0) + 1
        guard p.visit == visit else { throw Refusal("it starts visit \(p.visit) of \(p.to), but that is visit \(visit)", []) }
        guard p.condition == condition(of: status) else {
            throw Refusal("what it records of the condition to \(p.to) is not what the condition read then", [])
        }
        let approvals = state.standingSignoffs().filter(\.approve).map(\.actor)
        guard p.approvals == approvals else {
            throw Refusal("it lists the approvals of " + (p.approvals.isEmpty ? "nobody" : p.approvals.joined(separator: ", "))
                          + ", but " + (approvals.isEmpty ? "nobody" : approvals.joined(separator: ", ")) + " had approved", [])
        }
    }
}
