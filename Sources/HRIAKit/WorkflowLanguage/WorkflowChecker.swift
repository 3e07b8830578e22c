/// The semantic checks of a decoded workflow: references, guards, sign-off feasibility, the stage graph
/// and unused declarations. Every check runs; every problem is reported.
struct WorkflowChecker {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []
    /// Each guard that parsed and type-checked, by the JSON Pointer of where it was written.
    private var typedGuards: [String: TypedGuard] = [:]

    init(file: String) {
        self.file = file
    }

    private mutating func report(_ rule: LintRule, _ span: SourceSpan, _ message: String, help: String? = nil) {
        diagnostics.append(Diagnostic(rule, file: file, at: span.location, length: span.length, pointer: span.pointer,
                                      message: message, help: help))
    }

    private func defined(_ candidates: [(String, SourceSpan)], near name: String) -> String? {
        guard let match = Suggestions.closest(to: name, in: candidates.map(\.0)),
              let span = candidates.first(where: { $0.0 == match })?.1 else { return nil }
        return "did you mean \"\(match)\"? (defined at \(span.location))"
    }

    /// Runs every check on what the decoder read; returns the checked workflow, every guard typed and the lookup
    /// tables built, when nothing is wrong, and nil when anything is (the diagnostics say what).
    mutating func check(_ workflow: WorkflowSyntax) -> Workflow? {
        runChecks(workflow)
        guard !diagnostics.hasErrors else { return nil }
        let typedGuards = self.typedGuards
        return workflow.mapConditions { source in
            typedGuards[source.span.pointer].map { CheckedGuard(text: source.text, span: source.span, typed: $0) }
        }?.indexed()
    }

    private mutating func runChecks(_ workflow: WorkflowSyntax) {
        let stageNames = workflow.stages.map { ($0.id, $0.span) }
        let stageSet = Set(workflow.stages.map(\.id))
        let roleNames = workflow.roles.map { ($0.id, $0.span) }
        let roleSet = Set(workflow.roles.map(\.id))
        let typeNames = workflow.evidenceTypes.map { ($0.id, $0.span) }
        let typeSet = Set(workflow.evidenceTypes.map(\.id))

        if !workflow.initial.value.isEmpty, !stageSet.contains(workflow.initial.value) {
            report(.undefinedStage, workflow.initial.span, "initial stage \"\(workflow.initial.value)\" is not a stage of this workflow",
                   help: defined(stageNames, near: workflow.initial.value))
        }

        // References from stages.
        var requirementSpans: [String: SourceSpan] = [:]
        for stage in workflow.stages {
            if let owner = stage.owner, !owner.value.isEmpty, !roleSet.contains(owner.value) {
                report(.undefinedRole, owner.span, "owner \"\(owner.value)\" is not a role of this workflow",
                       help: defined(roleNames, near: owner.value) ?? "declare it under roles:")
            }
            for requirement in stage.requirements {
                if let first = requirementSpans[requirement.id] {
                    report(.duplicateRequirement, requirement.span, "requirement id \"\(requirement.id)\" is already used",
                           help: "requirement ids are unique in the whole workflow; the first is at \(first.location)")
                } else {
                    requirementSpans[requirement.id] = requirement.span
                }
                if !typeSet.contains(requirement.type.value) {
                    report(.undefinedEvidenceType, requirement.type.span,
                           "evidence type \"\(requirement.type.value)\" is not declared under evidence_types",
                           help: defined(typeNames, near: requirement.type.value))
                }
            }
            for rule in stage.signoffs {
                for role in rule.roles where !roleSet.contains(role.value) {
                    report(.undefinedRole, role.span, "sign-off role \"\(role.value)\" is not a role of this workflow",
                           help: defined(roleNames, near: role.value) ?? "declare it under roles:")
                }
            }
            for (index, transition) in stage.transitions.enumerated() {
                if !stageSet.contains(transition.to.value) {
                    report(.undefinedStage, transition.to.span, "transition target \"\(transition.to.value)\" is not a stage of this workflow",
                           help: defined(stageNames, near: transition.to.value))
                }
                if transition.isDefault, index < stage.transitions.count - 1 {
                    report(.defaultNotLast, transition.span,
                           "the transition to \"\(transition.to.value)\" has no condition, so the \(stage.transitions.count - 1 - index == 1 ? "transition" : "transitions") after it can never be taken",
                           help: "move it to the end of the list, or give it a when: condition")
                }
            }
            checkSignoffFeasibility(stage, workflow)
        }

        checkGuards(workflow)
        checkGraph(workflow)
        checkUnused(workflow)
        checkReportRoles(workflow)
        checkLifecycles(workflow)
    }

    private mutating func checkSignoffFeasibility(_ stage: StageModel<GuardSource>, _ workflow: WorkflowSyntax) {
        for rule in stage.signoffs {
            let roles = Array(Set(rule.roles.map(\.value)))
            if rule.quorum < 1 {
                report(.quorumImpossible, rule.quorumSpan ?? rule.span, "quorum must be at least 1, found \(rule.quorum)",
                       help: "to need no sign-off, remove the signoff")
                continue
            }
            let owner = stage.owner?.value
            if rule.separationOfDuties, let owner, !roles.isEmpty, roles.allSatisfy({ $0 == owner }) {
                report(.separationImpossible, rule.roles.first?.span ?? rule.span,
                       "only \"\(owner)\" may sign, but separation of duties bars the stage owner's role from signing",
                       help: "add a role other than \"\(owner)\", or set separation_of_duties: false")
                continue
            }
            let eligible = roles.filter { !(rule.separationOfDuties && $0 == owner) }
            let seats = eligible.map { workflow.role($0)?.seats }
            if !seats.isEmpty, seats.allSatisfy({ $0 != nil }) {
                let total = seats.reduce(0) { $0 + ($1 ?? 0) }
                if rule.quorum > total {
                    let barred = rule.separationOfDuties && owner.map { roles.contains($0) } == true
                    report(.quorumImpossible, rule.quorumSpan ?? rule.span,
                           "a quorum of \(rule.quorum) cannot be reached: the roles that may sign have \(total) \(total == 1 ? "seat" : "seats") in all"
                               + (barred ? " once separation of duties bars the owner's role \"\(owner ?? "")\"" : ""),
                           help: "lower the quorum, or add roles that may sign")
                }
            }
        }
    }

    private func scope(_ workflow: WorkflowSyntax) -> GuardScope {
        var facts: [String: GuardType] = [:]
        for fact in workflow.facts { facts[fact.id] = fact.type.guardType(name: fact.id) }
        var evidence: [String: String] = [:]
        for stage in workflow.stages {
            for requirement in stage.requirements where evidence[requirement.id] == nil {
                evidence[requirement.id] = requirement.type.value
            }
        }
        var types: [String: [String: GuardScope.Field]] = [:]
        for type in workflow.evidenceTypes {
            var fields: [String: GuardScope.Field] = [:]
            for field in type.fields {
                fields[field.name] = GuardScope.Field(type: field.type.guardType(name: "\(type.id).\(field.name)"),
                                                      optional: field.optional, confidential: field.confidential)
            }
            types[type.id] = fields
        }
        return GuardScope(facts: facts, evidence: evidence, evidenceTypes: types, broken: workflow.brokenDeclarations)
    }

    private mutating func checkGuards(_ workflow: WorkflowSyntax) {
        let scope = scope(workflow)
        for s in workflow.stages.indices {
            for r in workflow.stages[s].requirements.indices {
                check(workflow.stages[s].requirements[r].when, scope, context: .requirement)
            }
            for r in workflow.stages[s].signoffs.indices {
                check(workflow.stages[s].signoffs[r].when, scope, context: .signoff)
            }
            for t in workflow.stages[s].transitions.indices {
                check(workflow.stages[s].transitions[t].when, scope, context: .transition)
            }
        }
        for rule in workflow.factRules { check(rule.when, scope, context: .factRule) }
    }

    /// What a guard decides, for messages that say what to do about it.
    enum GuardContext {
        case transition, requirement, signoff, factRule
    }

    private mutating func check(_ guardExpression: GuardSource?, _ scope: GuardScope, context: GuardContext) {
        guard let g = guardExpression else { return }
        let syntax: GuardNode
        do {
            syntax = try GuardParser.parse(g.text)
        } catch {
            report(error, in: g)
            return
        }
        if case .bool(let value) = syntax.syntax {
            let help: String = switch (context, value) {
            case (.transition, true): "remove the when: to make this the default transition"
            case (.requirement, true): "remove the when: so the requirement always applies"
            case (.signoff, true): "remove the when: so the sign-off is always needed"
            case (.transition, false): "this transition can never be taken; remove it"
            case (.requirement, false): "this requirement never applies; remove it"
            case (.signoff, false): "this sign-off is never needed; remove it"
            case (.factRule, true): "remove set_when: so the fact may always be set"
            case (.factRule, false): "the fact could never be set; remove set_when:"
            }
            report(.constantGuard, g.span, "this condition is always \(value)", help: help)
        }
        switch GuardTypeChecker.check(syntax, in: scope) {
        case .success(let typed): typedGuards[g.span.pointer] = typed
        case .failure(let failure): failure.problems.forEach { report($0, in: g) }
        }
    }

    /// Places a problem found inside a guard at its line and column in the file.
    private mutating func report(_ problem: GuardProblem, in g: GuardSource) {
        if g.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            report(problem.rule, g.span, problem.message, help: problem.help)
            return
        }
        let lower = min(max(0, problem.range.lowerBound), g.positions.count - 1)
        let upper = min(max(lower + 1, problem.range.upperBound), g.positions.count - 1)
        let start = g.positions[lower]
        let last = g.positions[max(lower, upper - 1)]
        let length = last.line == start.line ? last.column - start.column + 1 : 1
        let span = SourceSpan(location: start, length: max(1, length), pointer: g.span.pointer)
        report(problem.rule, span, problem.message, help: problem.help)
    }

    // MARK: The stage graph

    private mutating func checkGraph(_ workflow: WorkflowSyntax) {
        let stages = workflow.stages
        guard !stages.isEmpty else { return }
        var index: [String: Int] = [:]
        for (i, stage) in stages.enumerated() where index[stage.id] == nil { index[stage.id] = i }
        let edges: [[Int]] = stages.map { stage in stage.transitions.compactMap { index[$0.to.value] } }

        for stage in stages where !stage.terminal && stage.transitions.isEmpty && !stage.transitionsMalformed {
            report(.deadEnd, stage.span, "stage \"\(stage.id)\" is not terminal but has no transitions",
                   help: "add a transition, or mark it terminal: true with an outcome")
        }

        // A misspelt target hides where the path really goes; report reachability once the names are fixed.
        let targetsKnown = stages.allSatisfy { stage in
            !stage.transitionsMalformed && stage.transitions.allSatisfy { index[$0.to.value] != nil }
        }
        guard let start = index[workflow.initial.value], targetsKnown else { return }
        var reachable = [Bool](repeating: false, count: stages.count)
        var queue = [start]
        reachable[start] = true
        var head = 0
        while head < queue.count {
            let current = queue[head]
            head += 1
            for next in edges[current] where !reachable[next] {
                reachable[next] = true
                queue.append(next)
            }
        }
        for (i, stage) in stages.enumerated() where !reachable[i] {
            report(.unreachableStage, stage.span, "stage \"\(stage.id)\" cannot be reached from the initial stage \"\(workflow.initial.value)\"",
                   help: "add a transition to it, or remove it")
        }

        let terminals = stages.indices.filter { stages[$0].terminal }
        if terminals.isEmpty {
            report(.noTerminalReachable, workflow.initial.span, "this workflow has no terminal stage, so no assessment can ever finish",
                   help: "add a stage with terminal: true and an outcome")
            return
        }
        var reverse = [[Int]](repeating: [], count: stages.count)
        for (from, targets) in edges.enumerated() { for to in targets { reverse[to].append(from) } }
        var finishes = [Bool](repeating: false, count: stages.count)
        queue = terminals
        for t in terminals { finishes[t] = true }
        head = 0
        while head < queue.count {
            let current = queue[head]
            head += 1
            for previous in reverse[current] where !finishes[previous] {
                finishes[previous] = true
                queue.append(previous)
            }
        }
        for (i, stage) in stages.enumerated() where reachable[i] && !finishes[i] && !stage.transitions.isEmpty {
            report(.noTerminalReachable, stage.span, "no terminal stage can be reached from stage \"\(stage.id)\"",
                   help: "every path from here loops or stops; add a transition that leads to a terminal stage")
        }

        for component in StronglyConnected.components(count: stages.count, edges: edges) {
            let isCycle = component.count > 1 || edges[component[0]].contains(component[0])
            guard isCycle, component.allSatisfy({ stages[$0].maxVisits == nil }) else { continue }
            let members = component.sorted().map { stages[$0].id }
            let first = component.min()!
            report(.unboundedLoop, stages[first].span,
                   members.count == 1
                       ? "stage \"\(members[0])\" can loop to itself without limit"
                       : "stages \(Suggestions.list(members, conjunction: "and")) form a loop without limit",
                   help: "set max_visits on one of them so the loop cannot run forever")
        }
    }

    // MARK: Report roles

    /// What `report:` declares must be what the reports can read: one risk tier, an enum; one safety-exception
    /// fact, a bool; evidence types with the fields their role reads.
    private mutating func checkReportRoles(_ workflow: WorkflowSyntax) {
        var declared: [FactReportRole: Fact] = [:]
        for fact in workflow.facts {
            guard let role = fact.report else { continue }
            if let first = declared[role] {
                report(.reportRole, fact.span, "fact \"\(fact.id)\" is declared report: \(role.rawValue), as \"\(first.id)\" already is",
                       help: "a workflow has one \(role.rawValue) fact (defined at \(first.span.location))")
                continue
            }
            declared[role] = fact
            switch (role, fact.type) {
            case (.riskTier, .enumeration), (.safetyException, .bool): break
            case (.riskTier, _):
                report(.reportRole, fact.span, "the risk tier \"\(fact.id)\" must be an enum fact",
                       help: "list its values from the lowest risk to the highest, for example values: [low, moderate, high]")
            case (.safetyException, _):
                report(.reportRole, fact.span, "the safety-exception fact \"\(fact.id)\" must be a bool fact",
                       help: "type: bool, set true when a safety exception applies")
            }
        }
        for type in workflow.evidenceTypes {
            guard let role = type.report else { continue }
            var problems: [String] = []
            for (name, kind) in role.requiredFields {
                guard let field = type.field(name) else {
                    problems.append("no field \(name) (\(kind))")
                    continue
                }
                let fits = switch (kind, field.type) {
                case ("int", .int), ("date", .date), ("text", .string), ("text", .text), ("text", .enumeration): true
                default: false
                }
                if !fits { problems.append("\(name) is \(field.type.notation), not \(kind)") }
                if field.confidential { problems.append("\(name) is confidential") }
            }
            if !problems.isEmpty {
                report(.reportRole, type.span,
                       "evidence type \"\(type.id)\" is declared report: \(role.rawValue), but " + problems.joined(separator: "; "),
                       help: "a type declared report: \(role.rawValue) has the non-confidential fields "
                           + role.requiredFields.map { "\($0.name) (\($0.kind))" }.joined(separator: ", "))
            }
            if role == .safetyException, declared[.safetyException] == nil {
                report(.reportRole, type.span, "evidence type \"\(type.id)\" is declared report: safety_exception, but no fact is",
                       help: "declare the bool fact that says a safety exception applies with report: safety_exception")
            }
        }
    }

    // MARK: Lifecycles

    /// `closed_statuses:` names values of the type's own `status` enum field, and the engine reads `status` and
    /// `due` in the clear: both must be public fields of the right kinds.
    private mutating func checkLifecycles(_ workflow: WorkflowSyntax) {
        for type in workflow.evidenceTypes where type.hasLifecycle {
            guard let status = type.field("status"), case .enumeration(let values) = status.type, !status.confidential else {
                report(.lifecycle, type.span, "evidence type \"\(type.id)\" declares closed_statuses but has no public enum field status",
                       help: "add a field such as status: enum(open|done|dropped) and list the values that close an item")
                continue
            }
            for value in type.closedStatuses where !values.contains(value) {
                let suggestion = Suggestions.closest(to: value, in: values)
                report(.lifecycle, type.span, "closed status \"\(value)\" of evidence type \"\(type.id)\" is not a value of its status field",
                       help: suggestion.map { "did you mean \"\($0)\"?" } ?? "status takes " + values.joined(separator: ", "))
            }
            if values.allSatisfy(type.closedStatuses.contains) {
                report(.lifecycle, type.span, "every status of evidence type \"\(type.id)\" closes an item, so none is ever open",
                       help: "leave out of closed_statuses the values an item has while work on it goes on")
            }
            if Set(type.closedStatuses).count != type.closedStatuses.count {
                report(.lifecycle, type.span, "closed_statuses of evidence type \"\(type.id)\" lists a value twice")
            }
            if let due = type.field("due"), due.type != .date || due.confidential {
                report(.lifecycle, type.span, "the due field of evidence type \"\(type.id)\" must be a public date, to tell when an item is overdue")
            }
        }
    }

    private func factsRead(_ g: GuardSource?) -> Set<String> { g.flatMap { typedGuards[$0.span.pointer]?.factsRead } ?? [] }
    private func isTyped(_ g: GuardSource?) -> Bool { g.map { typedGuards[$0.span.pointer] != nil } ?? false }

    private mutating func checkUnused(_ workflow: WorkflowSyntax) {
        var usedRoles = Set<String>(), usedFacts = Set<String>(), usedTypes = Set<String>()
        for stage in workflow.stages {
            if let owner = stage.owner { usedRoles.insert(owner.value) }
            for rule in stage.signoffs {
                rule.roles.forEach { usedRoles.insert($0.value) }
                usedFacts.formUnion(factsRead(rule.when))
            }
            for requirement in stage.requirements {
                usedTypes.insert(requirement.type.value)
                usedFacts.formUnion(factsRead(requirement.when))
            }
            for transition in stage.transitions { usedFacts.formUnion(factsRead(transition.when)) }
        }
        for rule in workflow.factRules { usedFacts.formUnion(factsRead(rule.when)) }
        // A guard that failed to check still shows intent; do not add "unused" noise on top of its error.
        let anyUncheckedGuard = workflow.stages.contains { stage in
            stage.requirements.contains { ($0.when != nil && !isTyped($0.when)) || $0.malformedCondition }
                || stage.signoffs.contains { ($0.when != nil && !isTyped($0.when)) || $0.malformedCondition }
                || stage.transitions.contains { ($0.when != nil && !isTyped($0.when)) || $0.malformedCondition }
                || stage.transitionsMalformed
        }
        for fact in workflow.facts {
            for stage in fact.setIn where !workflow.stages.contains(where: { $0.id == stage.value }) {
                report(.undefinedStage, stage.span, "fact \"\(fact.id)\" may be set in \"\(stage.value)\", which is not a stage of this workflow",
                       help: Suggestions.closest(to: stage.value, in: workflow.stages.map(\.id)).map { "did you mean \"\($0)\"?" })
            }
        }
        for role in workflow.roles where !usedRoles.contains(role.id) {
            report(.unusedRole, role.span, "role \"\(role.id)\" neither owns a stage nor signs off",
                   help: "remove it, or use it as an owner or sign-off role")
        }
        if !anyUncheckedGuard {
            // A fact the reports read by its declared role is used even if no guard reads it.
            for fact in workflow.facts where !usedFacts.contains(fact.id) && fact.report == nil && !fact.informational {
                report(.unusedFact, fact.span, "fact \"\(fact.id)\" is never read by a condition",
                       help: "remove it, use it in a when: condition, or mark it informational: true if it is kept for the record")
            }
        }
        for type in workflow.evidenceTypes where !usedTypes.contains(type.id) {
            report(.unusedEvidenceType, type.span, "evidence type \"\(type.id)\" is not used by any requirement",
                   help: "remove it, or require it in a stage")
        }
    }
}

/// Tarjan's strongly connected components, iterative so a 5,000-stage chain cannot overflow the stack.
enum StronglyConnected {
    static func components(count: Int, edges: [[Int]]) -> [[Int]] {
        var indexOf = [Int](repeating: -1, count: count)
        var lowLink = [Int](repeating: 0, count: count)
        var onStack = [Bool](repeating: false, count: count)
        var stack: [Int] = []
        var result: [[Int]] = []
        var nextIndex = 0
        for root in 0..<count where indexOf[root] == -1 {
            var work: [(node: Int, edge: Int)] = [(root, 0)]
            indexOf[root] = nextIndex
            lowLink[root] = nextIndex
            nextIndex += 1
            stack.append(root)
            onStack[root] = true
            while let (node, edge) = work.last {
                if edge < edges[node].count {
                    work[work.count - 1].edge += 1
                    let next = edges[node][edge]
                    if indexOf[next] == -1 {
                        indexOf[next] = nextIndex
                        lowLink[next] = nextIndex
                        nextIndex += 1
                        stack.append(next)
                        onStack[next] = true
                        work.append((next, 0))
                    } else if onStack[next] {
                        lowLink[node] = min(lowLink[node], indexOf[next])
                    }
                } else {
                    work.removeLast()
                    if let parent = work.last?.node { lowLink[parent] = min(lowLink[parent], lowLink[node]) }
                    if lowLink[node] == indexOf[node] {
                        var component: [Int] = []
                        while let member = stack.popLast() {
                            onStack[member] = false
                            component.append(member)
                            if member == node { break }
                        }
                        result.append(component)
                    }
                }
            }
        }
        return result
    }
}
