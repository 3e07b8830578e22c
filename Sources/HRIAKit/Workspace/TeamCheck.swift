/// Can this team run this workflow? A workflow can be flawless and still impossible for the people a workspace
/// has: a stage whose owner role nobody holds, a quorum larger than the people who may sign, separation of duties
/// that leaves too few signers. Checked against the people of the workspace, with warnings (rule `team`) that say
/// who holds what, since the fix is usually in the team, not in the workflow.
public enum TeamCheck {
    public static let rule = "team"

    /// The problems of every stage, or of the stage named by `stage` alone.
    public static func diagnostics(_ workflow: Workflow, file: String, people: [Person], stage only: String? = nil) -> [Diagnostic] {
        var found: [Diagnostic] = []
        func warn(_ span: SourceSpan, _ message: String, _ help: String) {
            found.append(Diagnostic(file: file, location: span.location, length: span.length, severity: .warning, rule: rule,
                                    message: message, pointer: span.pointer, help: help))
        }
        func holders(_ role: String) -> [String] { people.filter { $0.roles.contains(role) }.map(\.id).sorted() }
        func listed(_ ids: [String]) -> String { ids.isEmpty ? "nobody" : ids.joined(separator: ", ") }
        func whoHolds(_ roles: [String]) -> String {
            "in this workspace " + roles.map { "\($0) is held by \(listed(holders($0)))" }.joined(separator: "; ")
        }

        for stage in workflow.stages where !stage.terminal && (only == nil || stage.id == only) {
            if let owner = stage.owner, holders(owner.value).isEmpty {
                warn(owner.span, "stage \"\(stage.id)\" is owned by \"\(owner.value)\", a role nobody in this workspace holds",
                     "give someone the role \(owner.value); nobody can record evidence or move the assessment on from \(stage.id)")
            }
            for rule in stage.signoffs {
                let roles = rule.roles.map(\.value)
                let owner = stage.owner?.value
                // Who may sign under this rule: a signing role, and not the owner's role where duties are separated.
                let eligible = people.filter { person in
                    !Set(person.roles).isDisjoint(with: roles) && !(rule.separationOfDuties && owner.map(person.roles.contains) == true)
                }.map(\.id).sorted()
                guard eligible.count < rule.quorum else { continue }
                let barred = rule.separationOfDuties ? people.filter { person in
                    !Set(person.roles).isDisjoint(with: roles) && owner.map(person.roles.contains) == true
                }.map(\.id).sorted() : []
                let needed = rule.quorum == 1 ? "a sign-off" : "\(rule.quorum) sign-offs from different people"
                var message = "stage \"\(stage.id)\" needs \(needed) (\(roles.joined(separator: " or "))), but "
                    + (eligible.isEmpty ? "nobody here may give one" : "only \(listed(eligible)) may give one")
                if !barred.isEmpty {
                    message += "; \(listed(barred)) also \(barred.count == 1 ? "holds" : "hold") the owner's role \(owner ?? ""), which separation of duties bars"
                }
                warn(rule.quorumSpan ?? rule.roles.first?.span ?? rule.span, message, whoHolds(roles + (owner.map { [$0] } ?? [])))
            }
        }
        return found
    }
}

extension CurrentAssessment {
    /// What the people of the workspace cannot do at the assessment's current stage, whatever the evidence, as
    /// `hria status` warns of it on a workspace and through a server alike. After a move to another version, the
    /// workflow followed is the snapshot the move kept, and the warnings name that file.
    public func teamProblems(people: [Person]) -> [Diagnostic] {
        let file = state.migrations.isEmpty ? "assessments/\(id)/workflow.yaml" : "assessments/\(id)/workflows/\(state.workflowSHA256).yaml"
        return TeamCheck.diagnostics(workflow, file: file, people: people, stage: state.stage)
    }
}
