import Foundation

/// Everything a decision report shows, gathered once from an assessment so the Markdown and HTML renderings
/// say exactly the same thing. Built for the public by default: confidential values appear only when
/// `disclosures` are passed in (the internal report), never in a public one.
public struct DecisionRecord: Sendable {
    public struct StageStep: Sendable {
        public var stage: String
        public var title: String
        public var visit: Int
        public var entered: Date
        public var enteredBy: String
        public var left: Date?
        public var terminal: Bool
    }

    public struct EvidenceLine: Sendable {
        public var seq: Int
        public var stage: String
        public var requirement: String
        public var type: String
        public var recorded: Date
        public var actor: String
        public var fields: [(name: String, value: String)]
        public var file: (name: String, sha256: String, size: Int)?
        /// "counts until DATE" / "no longer counted since DATE" for requirements with max_age.
        public var freshness: String?
        /// Confidential fields: name and, in the internal report only, the value (or "erased").
        public var confidential: [(name: String, value: String?)]
    }

    public struct ImpactTable: Sendable {
        public var requirement: String
        public var title: String
        public var rows: [ImpactRow]

        /// The refs of the impacts rated with this severity and likelihood (each 1-4; a value outside is left out):
        /// the cells of the severity × likelihood matrix, where a reader sees at once where the severe impacts sit.
        public func refs(severity: Int, likelihood: Int) -> [String] {
            rows.filter { $0.severity == severity && $0.likelihood == likelihood }.map { $0.ref.isEmpty ? "?" : $0.ref }
        }
    }

    public struct ImpactRow: Sendable {
        public var ref: String
        public var right: String
        public var rightsHolders: String
        public var severity: Int
        public var likelihood: Int
        public var scale: Int, scope: Int, irremediability: Int
        public var other: [(name: String, value: String)]
    }

    public struct ActionRow: Sendable {
        public var fields: [(name: String, value: String)]
        /// The event that recorded the item, and those that changed it since (`evidence.updated`).
        public var seq: Int = 0
        public var updates: [Int] = []
    }

    /// The measures or conditions recorded for one requirement whose type is declared `report: actions`.
    public struct ActionTable: Sendable {
        public var requirement: String
        public var title: String
        /// The type's public fields, in its order: the columns.
        public var columns: [String]
        public var rows: [ActionRow]
    }

    public struct SignoffLine: Sendable {
        public var seq: Int
        public var stage: String
        public var actor: String
        public var roles: [String]
        public var time: Date
        public var approve: Bool
        public var comment: String?
        public var voided: Bool
    }

    public struct Verification: Sendable {
        public var ok: Bool
        public var size: Int
        public var root: String
        public var checkpointSize: Int?
        public var checkpointText: String?
        public var problems: [String]
        /// Whether every event had to be signed by its actor (require_signatures).
        public var signaturesRequired: Bool
    }

    public var id: String
    public var title: String?
    public var partner: String
    public var organisation: String
    public var workflowID: String
    public var workflowTitle: String
    public var workflowVersion: Int
    public var workflowSHA256: String
    public var workflowDescription: String?
    public var created: Date
    public var createdBy: String
    public var stage: String
    public var outcome: String?
    public var facts: [(name: String, value: String)]
    public var timeline: [StageStep]
    public var evidence: [EvidenceLine]
    public var impacts: [ImpactTable]
    public var actions: [ActionTable]
    public var consultations: [EvidenceLine]
    public var signoffs: [SignoffLine]
    public var decisionFields: [(name: String, value: String)]
    public var decisionTime: Date?
    public var safetyException: [EvidenceLine]?
    public var verification: Verification
    public var isPublic: Bool
    public var generated: Date
    public var diagram: WorkflowDiagram.Highlight
    public var workflow: Workflow
    /// Each move to another workflow version, oldest first.
    public var workflowChanges: [WorkflowChange] = []

    /// A move to another workflow version, as the report tells it.
    public struct WorkflowChange: Sendable {
        public var seq: Int
        public var time: Date
        public var actor: String
        public var from: String
        public var to: String
        public var renamed: [String: String]
        public var reason: String

        /// "review version 1 → review version 2 on 2026-03-03 by admin (#4): reason; stages renamed: a → b".
        public func inWords(day: (Date) -> String) -> String {
            "\(from) → \(to) on \(day(time)) by \(actor) (#\(seq)): \(reason)"
                + (renamed.isEmpty ? "" : "; stages renamed: " + renamed.sorted { $0.key < $1.key }.map { "\($0.key) → \($0.value)" }.joined(separator: ", "))
        }
    }

    /// Gathers the record. `disclosures` maps digest → disclosure for the internal report; pass none for public.
    /// `names` maps a person's id to how the roster lets them be named ("Name, Title (id)"); anyone else is shown
    /// by id.
    public static func build(_ loaded: LoadedAssessment, organisation: String, verification: VerificationReport,
                             checkpointText: String?, disclosures: [String: Disclosure]?, now: Date,
                             names: [String: String] = [:]) -> DecisionRecord {
        var record = gather(loaded, organisation: organisation, verification: verification, checkpointText: checkpointText,
                            disclosures: disclosures, now: now)
        guard !names.isEmpty else { return record }
        func named(_ id: String) -> String { names[id] ?? id }
        record.createdBy = named(record.createdBy)
        for i in record.workflowChanges.indices { record.workflowChanges[i].actor = named(record.workflowChanges[i].actor) }
        for i in record.timeline.indices { record.timeline[i].enteredBy = named(record.timeline[i].enteredBy) }
        for i in record.evidence.indices { record.evidence[i].actor = named(record.evidence[i].actor) }
        for i in record.consultations.indices { record.consultations[i].actor = named(record.consultations[i].actor) }
        for i in record.signoffs.indices { record.signoffs[i].actor = named(record.signoffs[i].actor) }
        if let safety = record.safetyException {
            record.safetyException = safety.map { var line = $0; line.actor = named(line.actor); return line }
        }
        return record
    }

    static func gather(_ loaded: LoadedAssessment, organisation: String, verification: VerificationReport,
                       checkpointText: String?, disclosures: [String: Disclosure]?, now: Date) -> DecisionRecord {
        let state = loaded.state, workflow = loaded.workflow
        let isPublic = disclosures == nil
        func show(_ value: JSONValue) -> String {
            switch value {
            case .string(let s): s
            default: FactValues.display(value)
            }
        }
        let facts = workflow.facts.compactMap { fact in state.facts[fact.id].map { (fact.id, show($0.value)) } }
        let timeline = state.path.map { step in
            StageStep(stage: step.stage, title: workflow.stage(step.stage)?.displayTitle ?? step.stage, visit: step.visit,
                      entered: step.enteredAt, enteredBy: step.enteredBy, left: step.leftAt,
                      terminal: workflow.stage(step.stage)?.terminal ?? false)
        }
        // Which stage visit each evidence item belongs to, to compute freshness for the items that still count.
        var lines: [EvidenceLine] = []
        for item in state.evidence {
            let type = workflow.evidenceType(item.type)
            let declared = type?.fields.map(\.name) ?? []
            let order = declared.filter { item.fields[$0] != nil } + item.fields.keys.sorted().filter { !declared.contains($0) }
            var freshness: String?
            if let maxAge = workflow.requirement(item.requirement)?.requirement.maxAge {
                let until = maxAge.added(to: item.time)
                // In a stage already left, what mattered is whether the item counted when it was left.
                if let left = state.path.first(where: { $0.stage == item.stage && $0.visit == item.visit })?.leftAt {
                    freshness = until >= left ? "counted when the stage was left on \(StatusReport.day(left)) (valid until \(StatusReport.day(until)))"
                        : "no longer counted when the stage was left on \(StatusReport.day(left)) (valid until \(StatusReport.day(until)))"
                } else {
                    freshness = until >= now ? "counts until \(StatusReport.day(until))" : "no longer counted since \(StatusReport.day(until))"
                }
            }
            let event = loaded.events[item.seq]
            var confidential: [(String, String?)] = []
            let names = item.confidential
            if !names.isEmpty {
                let erasedCount = event.sd.filter { state.erasedDigests.contains($0) }.count
                if let disclosures {
                    let opened = event.sd.compactMap { disclosures[$0] }
                    for name in names {
                        let values = opened.filter { $0.name == name }.map(\.value)
                        confidential.append((name, values.isEmpty ? (erasedCount > 0 ? "erased" : "not available here") : values.joined(separator: "; ")))
                    }
                } else {
                    confidential = names.map { ($0, nil) }
                }
                // Erasure leaves a trace in both versions: how many values of this item were deleted for good.
                if erasedCount > 0 {
                    confidential.append(("erased", isPublic ? "\(erasedCount) value\(erasedCount == 1 ? "" : "s")"
                                                            : "\(erasedCount) value\(erasedCount == 1 ? " was" : "s were") erased"))
                }
            }
            let file = item.file.map { ($0.name, $0.sha256, $0.size) }
            lines.append(EvidenceLine(seq: item.seq, stage: item.stage, requirement: item.requirement, type: item.type,
                                      recorded: item.time, actor: item.actor, fields: order.compactMap { key in item.fields[key].map { (key, show($0)) } },
                                      file: file, freshness: freshness, confidential: confidential))
        }

        // Impact registers: evidence of the types the workflow declares `report: impacts`.
        var impacts: [ImpactTable] = []
        let ratingFields = EvidenceReportRole.impacts.requiredFields.map(\.name)
        for stage in workflow.stages {
            for requirement in stage.requirements {
                guard let type = workflow.evidenceType(requirement.type.value), type.report == .impacts else { continue }
                let items = state.latestEvidence(for: requirement.id, declaredIn: stage.id)
                guard !items.isEmpty else { continue }
                let rows = items.map { item -> ImpactRow in
                    func int(_ n: String) -> Int { item.fields[n]?.intValue ?? 0 }
                    let other = type.fields.map(\.name).filter {
                        !ratingFields.contains($0) && !EvidenceReportRole.impacts.optionalFields.contains($0) && !(type.field($0)?.confidential ?? true)
                    }.compactMap { name in item.fields[name].map { (name, show($0)) } }
                    return ImpactRow(ref: item.fields["ref"].map(show) ?? "", right: item.fields["right"].map(show) ?? "",
                                     rightsHolders: item.fields["rights_holders"].map(show) ?? "",
                                     severity: max(int("scale"), int("scope"), int("irremediability")), likelihood: int("likelihood"),
                                     scale: int("scale"), scope: int("scope"), irremediability: int("irremediability"), other: other)
                }.sorted { ($0.severity, $0.likelihood) > ($1.severity, $1.likelihood) }
                impacts.append(ImpactTable(requirement: requirement.id, title: requirement.description ?? requirement.id, rows: rows))
            }
        }

        // The mitigation plan: evidence of the types declared `report: actions`.
        // One table per requirement, since a measure and a condition carry different fields.
        var actions: [ActionTable] = []
        for stage in workflow.stages {
            for requirement in stage.requirements {
                guard let type = workflow.evidenceType(requirement.type.value), type.report == .actions else { continue }
                let items = state.latestEvidence(for: requirement.id, declaredIn: stage.id)
                guard !items.isEmpty else { continue }
                let names = type.fields.filter { !$0.confidential }.map(\.name)
                actions.append(ActionTable(requirement: requirement.id, title: requirement.description ?? requirement.id, columns: names,
                                           rows: items.map { item in
                                               ActionRow(fields: names.compactMap { n in item.fields[n].map { (n, show($0)) } }, seq: item.seq,
                                                         updates: item.updates.map(\.seq))
                                           }))
            }
        }

        let consultationTypes = Set(workflow.evidenceTypes(for: .consultations).map(\.id))
        let consultations = lines.filter { consultationTypes.contains($0.type) }

        let changes = state.changes
        let signoffs = state.signoffs.map { s in
            SignoffLine(seq: s.seq, stage: s.stage, actor: s.actor, roles: s.roles, time: s.time, approve: s.approve,
                        comment: s.comment,
                        voided: changes.contains { $0.stage == s.stage && $0.visit == s.visit && $0.seq > s.seq })
        }

        // The decision: the facts and evidence of the stage from which the assessment reached its end.
        var decisionFields: [(String, String)] = []
        var decisionTime: Date?
        if state.hasEnded, let last = loaded.events.last(where: { $0.type == .stageAdvanced }),
           case .stageAdvanced(let move) = last.payload {
            decisionTime = last.time
            // Items of the types the workflow declares `report: decision`, then `report: publication`, from the
            // latest visit of the stage that requires them; without either, the stage the end was reached from.
            let declared = [EvidenceReportRole.decision, .publication].flatMap { role in
                workflow.evidenceTypes(for: role).map(\.id)
            }
            if declared.isEmpty {
                let from = move.from
                let visit = state.path.last(where: { $0.stage == from })?.visit
                for item in lines where item.stage == from {
                    if let visit, state.evidence.first(where: { $0.seq == item.seq })?.visit != visit { continue }
                    decisionFields += item.fields
                }
            } else {
                for type in declared {
                    for stage in workflow.stages {
                        for requirement in stage.requirements where requirement.type.value == type {
                            let latest = Set(state.latestEvidence(for: requirement.id, declaredIn: stage.id).map(\.seq))
                            for item in lines where latest.contains(item.seq) { decisionFields += item.fields }
                        }
                    }
                }
            }
            if let reason = move.reason { decisionFields.append(("reason given", reason)) }
        }

        var safety: [EvidenceLine]?
        if let fact = workflow.fact(for: .safetyException), case .bool(true)? = state.facts[fact.id]?.value {
            let safetyTypes = Set(workflow.evidenceTypes(for: .safetyException).map(\.id))
            safety = lines.filter { safetyTypes.contains($0.type) }
        }

        // Moves made before a change of workflow are drawn under the stage names the change gave them.
        var taken = Set<[String]>()
        for event in loaded.events {
            if case .stageAdvanced(let move) = event.payload { taken.insert([move.from, move.to]) }
            if case .workflowMigrated(let change) = event.payload, !change.stages.isEmpty {
                taken = Set(taken.map { $0.map(change.renamed) })
            }
        }
        let highlight = WorkflowDiagram.Highlight(stages: Set(state.path.map(\.stage)), transitions: taken,
                                                  current: state.stage)
        let verificationSummary = Verification(
            ok: verification.ok, size: verification.size, root: verification.root.base64,
            checkpointSize: verification.checkpointSize, checkpointText: checkpointText,
            problems: verification.problems.map { "[\($0.kind.rawValue)] \($0.message)" },
            signaturesRequired: verification.signaturesRequired)

        return DecisionRecord(
            id: state.id, title: state.title, partner: state.partner, organisation: organisation, workflowID: workflow.id,
            workflowTitle: workflow.title, workflowVersion: workflow.version, workflowSHA256: state.workflowSHA256,
            workflowDescription: workflow.description, created: state.createdAt, createdBy: state.createdBy, stage: state.stage,
            outcome: state.outcome, facts: facts, timeline: timeline, evidence: lines, impacts: impacts, actions: actions,
            consultations: consultations, signoffs: signoffs, decisionFields: decisionFields, decisionTime: decisionTime,
            safetyException: safety, verification: verificationSummary, isPublic: isPublic, generated: now, diagram: highlight,
            workflow: workflow,
            workflowChanges: state.migrations.map {
                WorkflowChange(seq: $0.seq, time: $0.time, actor: $0.actor, from: $0.from.inWords, to: $0.to.inWords, renamed: $0.stages,
                               reason: $0.reason)
            })
    }
}
