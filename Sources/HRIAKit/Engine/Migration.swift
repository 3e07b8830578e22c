import Foundation

/// Whether what an assessment has recorded fits another workflow: the check a `workflow.migrated` event must pass,
/// asked by the engine before it records one and by every reader of the log when it admits one.
///
/// The events before a migration were judged by the rules in force when they were recorded, and stay so judged
/// (`verify` replays them against the old snapshot). What must hold under the new rules is what the assessment
/// carries forward: every stage it has been in, every fact it has set and every item of evidence it holds, read
/// as the new workflow's types say. Each problem names the item and what the new workflow wants instead.
enum MigrationRules {
    static func problems(state: AssessmentState, from: Workflow, to: Workflow, stages map: [String: String]) -> [Blocker] {
        let target = "\(to.id) version \(to.version)"
        var problems: [Blocker] = []
        for (old, new) in map.sorted(by: { $0.key < $1.key }) where !to.hasStage(new) {
            problems.append(.incompatible(.stage, "stage \(old) is mapped to \(new), which \(target) does not have"))
        }
        func renamed(_ stage: String) -> String { map[stage] ?? stage }
        // Every stage the assessment has been in must be one of the new workflow's, and no two may become one: their
        // visits, evidence and sign-offs would mix.
        var becomes: [String: String] = [:]
        for old in state.visits.keys.sorted() {
            let new = renamed(old)
            let visits = state.visits[old] ?? 0
            let here = old == state.stage ? "where the assessment is now" : "visited \(visits) time\(visits == 1 ? "" : "s")"
            if !to.hasStage(new) {
                if map[old] == nil {
                    problems.append(.incompatible(.stage, "stage \(old) (\(here)) is not in \(target): map it to one of its stages"))
                }
                continue
            }
            if let other = becomes[new] {
                problems.append(.incompatible(.stage, "stages \(other) and \(old) would both become \(new): their visits would mix"))
            }
            becomes[new] = old
            if old == state.stage, to.stage(new)?.terminal == true {
                problems.append(.incompatible(.stage, "stage \(old) (\(here)) would become \(new), which ends the assessment in \(target)"))
            }
        }
        for (name, recorded) in state.facts.sorted(by: { $0.key < $1.key }) {
            let what = "fact \(name) (set by #\(recorded.seq) to \(recorded.value.rendered()))"
            guard let fact = to.fact(name) else {
                problems.append(.incompatible(.fact, "\(what): \(target) does not declare it"))
                continue
            }
            if !FactValues.conforms(recorded.value, to: fact.type) {
                problems.append(.incompatible(.fact, "\(what): \(target) wants \(fact.type.inWords)"))
            }
        }
        for item in state.evidence {
            problems += evidenceProblems(item, stage: renamed(item.stage), to: to, target: target).map { .incompatible(.evidence, $0) }
        }
        return problems
    }

    /// What is wrong with one item under the new workflow: its requirement, its type, its fields and its file.
    static func evidenceProblems(_ item: AssessmentState.RecordedEvidence, stage: String, to: Workflow, target: String) -> [String] {
        let what = "evidence #\(item.seq) (\(item.requirement))"
        guard let (declaring, requirement) = to.requirement(item.requirement) else {
            return ["\(what): \(target) has no requirement \(item.requirement)"]
        }
        guard declaring.id == stage else {
            return ["\(what): \(target) asks for \(item.requirement) in stage \(declaring.id), but the item was recorded in \(stage)"]
        }
        guard requirement.type.value == item.type, let type = to.evidenceType(item.type) else {
            return ["\(what): \(target) takes evidence of type \(requirement.type.value) for it, not \(item.type)"]
        }
        var problems: [String] = []
        for (name, value) in item.fields.sorted(by: { $0.key < $1.key }) {
            guard let field = type.field(name), !field.confidential else {
                problems.append("\(what): type \(type.id) in \(target) has no public field \(name)")
                continue
            }
            if !FactValues.conforms(value, to: field.type) {
                problems.append("\(what): field \(name) holds \(value.rendered()), which is not \(field.type.notation) in \(target)")
            }
        }
        for name in item.confidential where type.field(name)?.confidential != true {
            problems.append("\(what): type \(type.id) in \(target) has no confidential field \(name)")
        }
        let given = Set(item.fields.keys).union(item.confidential)
        let missing = type.fields.filter { !$0.optional && !given.contains($0.name) }.map(\.name)
        if !missing.isEmpty {
            problems.append("\(what): type \(type.id) in \(target) requires " + missing.joined(separator: ", ") + ", which the item lacks")
        }
        let hasFile = item.file != nil || item.updates.contains { $0.file != nil }
        switch (type.file, hasFile) {
        case (.required, false): problems.append("\(what): type \(type.id) in \(target) needs a file")
        case (.none, true): problems.append("\(what): type \(type.id) in \(target) takes no file")
        default: break
        }
        return problems
    }
}

/// What a move to another workflow changes for the people working on the assessment: what it now needs that it did
/// not before, and whose approvals of the current stage no longer count.
public struct MigrationEffect: Sendable {
    /// Stage blockers under the new workflow that were not there under the old, in words.
    public var newlyNeeded: [Blocker]
    /// Stage blockers under the old workflow that the new one no longer has.
    public var noLongerNeeded: [Blocker]
    /// Facts the new version's transitions from the current stage read that are not set, and that the old ones did not
    /// wait for.
    public var newlyUnsetFacts: [String]
    /// Approvals of the current visit that stood before the move and no longer count.
    public var voidedApprovals: [AssessmentState.RecordedSignoff]
    /// Old stage → new stage, for the stages renamed.
    public var renamed: [String: String]

    /// Compares where the assessment stood before the move with where it stands after, at `now`.
    public static func between(before: AssessmentHistory, after: AssessmentHistory, now: Date) -> MigrationEffect {
        let oldEvaluation = StageEvaluation.evaluate(workflow: before.workflow, state: before.state, now: now)
        let newEvaluation = StageEvaluation.evaluate(workflow: after.workflow, state: after.state, now: now)
        let old = oldEvaluation.stageBlockers, new = newEvaluation.stageBlockers
        let oldWords = Set(old.map(\.description)), newWords = Set(new.map(\.description))
        let stood = before.state.standingSignoffs().filter(\.approve)
        let stands = Set(after.state.standingSignoffs().filter(\.approve).map(\.seq))
        return MigrationEffect(newlyNeeded: new.filter { !oldWords.contains($0.description) },
                               noLongerNeeded: old.filter { !newWords.contains($0.description) },
                               newlyUnsetFacts: newEvaluation.unsetFacts.filter { !oldEvaluation.unsetFacts.contains($0) },
                               voidedApprovals: stood.filter { !stands.contains($0.seq) },
                               renamed: after.state.migrations.last?.stages ?? [:])
    }
}
