import Foundation

/// What guards see of an assessment: its facts, and the evidence that counts now.
struct AssessmentGuardInput: GuardInput {
    let workflow: Workflow
    let state: AssessmentState
    let now: Date

    var today: CalendarDate? { Timestamp.day(now) }

    func fact(_ name: String) -> GuardValue? {
        guard let recorded = state.facts[name], let type = workflow.fact(name)?.type else { return nil }
        return FactValues.guardValue(recorded.value, as: type)
    }

    func evidence(_ requirement: String) -> [EvidenceItem] {
        guard let (stage, declared) = workflow.requirement(requirement) else { return [] }
        let fieldTypes = workflow.evidenceType(declared.type.value)
        return StageEvaluation.fresh(state.latestEvidence(for: requirement, declaredIn: stage.id), maxAge: declared.maxAge, now: now)
            .map { item in
                var fields: [String: GuardValue] = [:]
                for (name, value) in item.fields {
                    if let field = fieldTypes?.field(name), !field.confidential,
                       let converted = FactValues.guardValue(value, as: field.type) {
                        fields[name] = converted
                    }
                }
                return EvidenceItem(fields: fields)
            }
    }
}

/// Where the current stage stands: requirements, sign-offs and transitions, each met or not and why.
public struct StageEvaluation: Sendable {
    public struct RequirementStatus: Sendable {
        public var requirement: Requirement
        /// nil when the `when` condition cannot be evaluated.
        public var applies: Bool?
        public var unknownReason: String?
        public var fresh: Int
        public var stale: Int
        public var met: Bool { applies == false || (applies == true && fresh >= requirement.min) }
    }

    public struct SignoffStatus: Sendable {
        public var rule: SignoffRule
        public var applies: Bool?
        public var unknownReason: String?
        public var approvedBy: [String]
        public var rejectedBy: [(String, String?)]
        /// Approvals of this visit that count no more, each with the event that voided it: "ravi, voided by #29".
        public var voided: [String] = []
        public var met: Bool { applies == false || (applies == true && approvedBy.count >= rule.quorum && rejectedBy.isEmpty) }
    }

    public struct TransitionStatus: Sendable {
        public var transition: Transition
        public var evaluation: GuardEvaluation?
        public var visitsExhausted: Bool
        public var guardHolds: Bool { transition.when == nil || evaluation?.isTrue == true }
    }

    public var requirements: [RequirementStatus]
    public var signoffs: [SignoffStatus]
    public var transitions: [TransitionStatus]

    /// Facts the stage's transitions read that are not set yet, in the order they are first read.
    public var unsetFacts: [String] {
        var names: [String] = []
        for t in transitions {
            for read in t.evaluation?.factsRead ?? [] where read.value == nil && !names.contains(read.name) { names.append(read.name) }
        }
        return names
    }

    /// The stage's requirements and sign-offs, before any transition's own condition.
    public var stageBlockers: [Blocker] {
        var blockers: [Blocker] = []
        var rejections = Set<String>()
        for r in requirements {
            if r.applies == nil {
                blockers.append(.conditionUnknown(what: "evidence \(r.requirement.id) is required", condition: r.requirement.when?.displayText ?? "",
                                                  reason: r.unknownReason ?? "a value is missing"))
            } else if !r.met {
                blockers.append(.missingEvidence(requirement: r.requirement.id, type: r.requirement.type.value, have: r.fresh,
                                                 need: r.requirement.min, stale: r.stale, maxAge: r.requirement.maxAge?.inWords))
            }
        }
        for s in signoffs {
            if s.applies == nil {
                blockers.append(.conditionUnknown(what: "the sign-off of " + s.rule.roles.map(\.value).joined(separator: "/") + " is needed",
                                                  condition: s.rule.when?.displayText ?? "", reason: s.unknownReason ?? "a value is missing"))
                continue
            }
            guard s.applies == true else { continue }
            // A rejection blocks once, whichever rules the signer's roles touch.
            for (person, comment) in s.rejectedBy where rejections.insert(person).inserted {
                blockers.append(.signoffRejected(by: person, comment: comment))
            }
            if s.approvedBy.count < s.rule.quorum {
                blockers.append(.missingSignoff(roles: s.rule.roles.map(\.value), quorum: s.rule.quorum, approvedBy: s.approvedBy,
                                                voided: s.voided))
            }
        }
        return blockers
    }

    /// The transition first-match picks, looking past false guards and exhausted targets but stopping at a guard
    /// that cannot be evaluated; with the reasons each earlier transition was passed over.
    public var firstMatch: (transition: TransitionStatus?, passedOver: [TransitionStatus]) {
        var passed: [TransitionStatus] = []
        for t in transitions {
            if t.guardHolds && !t.visitsExhausted { return (t, passed) }
            passed.append(t)
            if case .failure? = t.evaluation?.result { return (nil, passed) }
        }
        return (nil, passed)
    }

    /// The transition `hria advance` would take now, if any.
    public var next: TransitionStatus? {
        guard stageBlockers.isEmpty else { return nil }
        return firstMatch.transition
    }

    /// Items recorded within `maxAge` of `now`.
    static func fresh(_ items: [AssessmentState.RecordedEvidence], maxAge: ISODuration?, now: Date) -> [AssessmentState.RecordedEvidence] {
        guard let maxAge else { return items }
        return items.filter { maxAge.added(to: $0.time) >= now }
    }

    /// Evaluates the current stage of an assessment at a moment.
    public static func evaluate(workflow: Workflow, state: AssessmentState, now: Date) -> StageEvaluation {
        let input = AssessmentGuardInput(workflow: workflow, state: state, now: now)
        guard let stage = workflow.stage(state.stage) else {
            return StageEvaluation(requirements: [], signoffs: [], transitions: [])
        }
        func condition(_ g: CheckedGuard?) -> (Bool?, String?) {
            guard let g else { return (true, nil) }
            let evaluation = GuardEvaluator.evaluate(g.typed, input: input)
            switch evaluation.result {
            case .success(let value): return (value, nil)
            case .failure(let failure): return (nil, failure.description)
            }
        }
        let requirements = stage.requirements.map { requirement in
            let (applies, reason) = condition(requirement.when)
            let items = state.latestEvidence(for: requirement.id, declaredIn: stage.id)
            let fresh = Self.fresh(items, maxAge: requirement.maxAge, now: now).count
            return RequirementStatus(requirement: requirement, applies: applies, unknownReason: reason, fresh: fresh,
                                     stale: items.count - fresh)
        }
        let standing = state.standingSignoffs()
        let owner = stage.owner?.value
        let contributors = state.contributorsThisVisit
        let signoffs = stage.signoffs.map { rule in
            let (applies, reason) = condition(rule.when)
            let ruleRoles = Set(rule.roles.map(\.value))
            let eligible = standing.filter { signoff in
                guard !ruleRoles.isDisjoint(with: signoff.roles) else { return false }
                if rule.separationOfDuties {
                    if let owner, signoff.roles.contains(owner) { return false }
                    if contributors.contains(signoff.actor) { return false }
                }
                return true
            }
            let approvers = Set(eligible.filter(\.approve).map(\.actor))
            var voided: [String] = []
            for signoff in state.voidedSignoffs() where !ruleRoles.isDisjoint(with: signoff.roles) && !approvers.contains(signoff.actor) {
                guard let by = state.changes.first(where: { $0.stage == state.stage && $0.visit == state.visit && $0.seq > signoff.seq })?.seq
                else { continue }
                let text = "\(signoff.actor), voided by #\(by)"
                if !voided.contains(text) { voided.append(text) }
            }
            return SignoffStatus(rule: rule, applies: applies, unknownReason: reason,
                                 approvedBy: eligible.filter(\.approve).map(\.actor),
                                 rejectedBy: eligible.filter { !$0.approve }.map { ($0.actor, $0.comment) }, voided: voided)
        }
        let transitions = stage.transitions.map { transition in
            let evaluation = transition.when.map { GuardEvaluator.evaluate($0.typed, input: input) }
            let limit = workflow.stage(transition.to.value)?.maxVisits
            let exhausted = limit.map { (state.visits[transition.to.value] ?? 0) >= $0 } ?? false
            return TransitionStatus(transition: transition, evaluation: evaluation, visitsExhausted: exhausted)
        }
        return StageEvaluation(requirements: requirements, signoffs: signoffs, transitions: transitions)
    }

    /// Why a transition's own condition blocks it (nil when it holds).
    public static func guardBlocker(_ status: TransitionStatus, workflow: Workflow) -> Blocker? {
        let to = status.transition.to.value
        if status.visitsExhausted, let limit = workflow.stage(to)?.maxVisits {
            return .maxVisits(stage: to, limit: limit)
        }
        guard let g = status.transition.when, let evaluation = status.evaluation else { return nil }
        switch evaluation.result {
        case .success(true): return nil
        case .success(false): return .guardFalse(to: to, condition: g.displayText, read: readValues(evaluation))
        case .failure(let failure): return .guardUnknown(to: to, condition: g.displayText, reason: failure.description)
        }
    }

    /// The values a guard read, for the refusal: `facts.tier = "moderate"`, `evidence.scan: 2 items`.
    static func readValues(_ evaluation: GuardEvaluation) -> [String] {
        evaluation.factsRead.map { "facts.\($0.name) = \($0.value?.description ?? "not set")" }
            + evaluation.evidenceRead.map { "evidence.\($0.requirement): \($0.count) item\($0.count == 1 ? "" : "s")" }
            + (evaluation.todayRead.map { ["today() = \($0)"] } ?? [])
    }
}
