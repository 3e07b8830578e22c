import ArgumentParser
import Foundation
import HRIAKit
import HRIAServer

/// Splits `NAME=VALUE`; anything else is bad input.
func nameValue(_ text: String, what: String, confidential: Bool = false) throws(HRIAError) -> (name: String, value: String) {
    guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
        // A confidential value is never repeated back, not even when it was typed wrongly.
        throw .badInput(confidential ? "malformed \(what): expected NAME=VALUE (the text given is not shown)"
                                     : "malformed \(what) \"\(text)\": expected NAME=VALUE")
    }
    return (String(text[..<equals]), String(text[text.index(after: equals)...]))
}

struct NewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "new", abstract: "Start an assessment of a partnership.")

    @Argument(help: ArgumentHelp("The new assessment's id: lower-case letters, digits and -.", valueName: "ID"))
    var id: String
    @Option(help: ArgumentHelp("The workflow to follow, from workflows/ (or a file).", valueName: "NAME"), completion: Completions.workflows)
    var workflow: String
    @Option(help: ArgumentHelp("The partner being assessed.", valueName: "TEXT"))
    var partner: String
    @Option(help: ArgumentHelp("A title for the assessment.", valueName: "TEXT"))
    var title: String?
    @Option(name: .customLong("fact"), help: ArgumentHelp("A fact known from the start.", valueName: "NAME=VALUE"))
    var facts: [String] = []
    @OptionGroup var global: GlobalOptions

    func run() throws {
        if let server = try global.server() { return try run(through: server) }
        let workspace = try global.openWorkspace()
        let actor = try global.person(in: workspace)
        let parsed = try facts.map { fact throws(HRIAError) in try nameValue(fact, what: "fact") }
        let loaded = try workspace.create(id: id, workflowName: workflow, partner: partner, title: title, facts: parsed,
                                          actor: actor, now: try global.now())
        Self.started(id, workflow: WorkflowPin(id: loaded.workflow.id, version: loaded.workflow.version, sha256: loaded.state.workflowSHA256),
                     stage: loaded.state.stage)
        let problems = TeamCheck.diagnostics(loaded.workflow, file: "assessments/\(id)/workflow.yaml", people: try workspace.team())
        Self.warnTeam(id, workflow: loaded.workflow.id, given: workflow, messages: problems.map(\.message))
    }
}

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status",
                                                    abstract: "Show where an assessment stands and what it is waiting for.")
    @Argument(help: ArgumentHelp("The assessment (with --bundle, the one the bundle holds; it may be left out).", valueName: "ID"),
              completion: Completions.assessments)
    var id: String?
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var bundle: BundleOptions
    @OptionGroup var global: ReadOptions

    func validate() throws {
        if id == nil, bundle.bundle == nil { throw ValidationError("give an assessment id, or --bundle DIR") }
    }

    func run() throws {
        let now = try global.now()
        if let opened = try bundle.open(id: id, context: global) {
            // Where the published assessment stands, as of its last checkpointed event: no team to check, no newer copy.
            let loaded = opened.assessment
            let evaluation = StageEvaluation.evaluate(workflow: loaded.workflow, state: loaded.state, now: now)
            if json {
                print(StatusReport.json(loaded, evaluation: evaluation, newer: nil, now: now).rendered(pretty: true))
            } else {
                print(StatusReport.text(loaded, evaluation: evaluation, newer: nil, now: now), terminator: "")
            }
            return
        }
        let id = id ?? ""
        if let server = try global.server() { return try run(through: server, id: id) }
        let workspace = try global.openWorkspace()
        let loaded = try workspace.current(id)
        Output.tornTailNote(loaded.tornTail)
        let evaluation = StageEvaluation.evaluate(workflow: loaded.workflow, state: loaded.state, now: now)
        // What the people of this workspace cannot do at the current stage, whatever the evidence.
        Self.warn(loaded.teamProblems(people: try workspace.team()).map { ($0.message, $0.help) })
        var newer: (version: Int, sha256: String)?
        if let current = workspace.currentWorkflow(loaded.state.workflowID), current.sha256 != loaded.state.workflowSHA256 {
            newer = (current.workflow.version, current.sha256)
        }
        if json {
            print(StatusReport.json(loaded, evaluation: evaluation, newer: newer, now: now).rendered(pretty: true))
        } else {
            print(StatusReport.text(loaded, evaluation: evaluation, newer: newer, now: now), terminator: "")
        }
    }
}

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list",
                                                    abstract: "List every assessment: partner, workflow, stage, tier, age, overdue.")
    @Option(help: ArgumentHelp("Only assessments at this stage.", valueName: "STAGE")) var stage: String?
    @Option(help: ArgumentHelp("Only assessments of this risk tier.", valueName: "TIER")) var tier: String?
    @Option(help: ArgumentHelp("Only assessments that ended with this outcome, or \"open\" for those still running.", valueName: "OUTCOME"))
    var outcome: String?
    @Flag(help: "Only assessments whose stage is past its deadline.") var overdue = false
    @Option(help: "Sort by id, partner, stage, tier, age, days-in-stage or overdue.") var sort: ListQuery.Sort = .id
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var global: ReadOptions

    func run() throws {
        if let server = try ServerClient.fromEnvironment(actor: global.actor) { return try run(through: server) }
        let workspace = try global.openWorkspace()
        let (summaries, damaged, vocabularies) = try workspace.summaries()
        let query = ListQuery(stage: stage, tier: tier, outcome: outcome, overdueOnly: overdue, sort: sort)
        let rows = try query.rows(summaries, vocabularies: vocabularies.values, now: try global.now())
        if json {
            print(ListReport.json(rows).rendered(pretty: true))
        } else if rows.isEmpty {
            print(ListReport.nothingListed(hasAssessments: !(try workspace.assessmentIDs().isEmpty), anyLeftOut: !damaged.isEmpty))
        } else {
            print(ListReport.text(rows), terminator: "")
        }
        try Self.leaveOut(damaged)
    }

    /// An assessment whose log does not verify has no standing to list: each is named, and the command fails as
    /// verify would.
    static func leaveOut(_ damaged: [(id: String, problem: String)]) throws {
        guard damaged.isEmpty else {
            for (id, problem) in damaged { Output.standardError("hria: \(id) is left out: \(problem)\n") }
            throw ListReport.leftOut(damaged)
        }
    }
}

struct FactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fact", abstract: "Set facts of an assessment.")
    @Argument(help: ArgumentHelp("The assessment.", valueName: "ID"), completion: Completions.assessments) var id: String
    @Argument(help: ArgumentHelp("Facts to set.", valueName: "NAME=VALUE")) var assignments: [String]
    @Option(help: ArgumentHelp("Why, for the record.", valueName: "TEXT")) var reason: String?
    @Flag(help: "Go ahead although the change voids approvals already given in this stage (they must sign again).")
    var voidSignoffs = false
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if assignments.isEmpty { throw ValidationError("give at least one NAME=VALUE") }
    }

    func run() throws {
        if let server = try global.server() {
            let parsed = try assignments.map { a throws(HRIAError) in try nameValue(a, what: "fact") }
            let (events, voided) = try server.perform(id, .setFacts(parsed, reason: reason), allowVoiding: voidSignoffs)
            Self.print(events, parsed: parsed, voided: voided)
            return
        }
        let workspace = try global.openWorkspace()
        let actor = try global.person(in: workspace)
        let parsed = try assignments.map { a throws(HRIAError) in try nameValue(a, what: "fact") }
        var random = SecureRandom()
        let (events, voided) = try workspace.performReporting(id, command: .setFacts(parsed, reason: reason), actor: actor,
                                                              clock: try global.clock(), random: &random, allowVoiding: voidSignoffs)
        Self.print(events, parsed: parsed, voided: voided)
    }

    static func print(_ events: [Event], parsed: [(name: String, value: String)], voided: [String]) {
        // The values as stored (`+5` is recorded as 5), not as typed.
        Output.recorded(events) { event in
            guard case .factSet(let set) = event.payload else { return "recorded #\(event.seq): \(event.type.rawValue)" }
            return "recorded #\(event.seq): set " + parsed.map { "\($0.name) = \(set.facts[$0.name].map(FactValues.plain) ?? $0.value)" }
                .joined(separator: ", ")
        }
        Output.voided(voided)
    }
}

struct EvidenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "evidence", abstract: "Record evidence.", subcommands: [Add.self, Update.self])

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "update",
            abstract: "Change the status, due date or other public fields of a measure or condition already recorded.",
            discussion: "Only evidence whose type has a lifecycle (closed_statuses in the workflow) can be updated; ITEM is the number "
                + "hria log shows for it (#N). While the assessment runs, the owner of the current stage or of the stage that "
                + "recorded it may update it; after the end, the owner of the stage that recorded it.")
        @Argument(help: ArgumentHelp("The assessment.", valueName: "ID"), completion: Completions.assessments) var id: String
        @Argument(help: ArgumentHelp("The item to update: the number of the event that recorded it, as hria log and hria status show it "
                                     + "(12, or '#12' quoted: a shell reads an unquoted # as the start of a comment).", valueName: "ITEM"))
        var item: String
        @Option(name: .customLong("field"), help: ArgumentHelp("A public field and its new value.", valueName: "NAME=VALUE"))
        var fields: [String] = []
        @Option(help: ArgumentHelp("A file showing the change (a verification report); it is hashed and copied into the assessment.",
                                   valueName: "PATH")) var file: String?
        @Option(help: ArgumentHelp("Why, for the record.", valueName: "TEXT")) var note: String?
        @Flag(help: "Go ahead although the update voids approvals already given in this stage (they must sign again).")
        var voidSignoffs = false
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let digits = item.hasPrefix("#") ? String(item.dropFirst()) : item
            guard let seq = Int(digits), seq > 0, digits.allSatisfy(\.isASCII) else {
                throw HRIAError.badInput("\"\(DisplayText.escape(item))\" is not an item number", help: "give the number hria log shows, such as #12")
            }
            if let server = try global.server() { return try run(through: server, item: seq) }
            let workspace = try global.openWorkspace()
            let actor = try global.person(in: workspace)
            let changed = try fields.map { f throws(HRIAError) in try nameValue(f, what: "field") }
            let attached = try file.map { path throws(HRIAError) in try workspace.readEvidenceFile(path: path, displayName: path) }
            var random = SecureRandom()
            let (events, voided) = try workspace.performReporting(id, command: .updateEvidence(item: seq, fields: changed, file: attached?.file,
                                                                                                note: note),
                                                                  actor: actor, clock: try global.clock(), random: &random,
                                                                  files: attached.map { [$0.file.sha256: $0.content] } ?? [:],
                                                                  allowVoiding: voidSignoffs)
            Self.report(events, voided: voided, item: seq, changed: changed, file: attached?.file)
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add",
                                                        abstract: "Add evidence for a requirement of the current stage.")
        @Argument(help: ArgumentHelp("The assessment.", valueName: "ID"), completion: Completions.assessments) var id: String
        @Argument(help: ArgumentHelp("The requirement this evidence meets.", valueName: "REQUIREMENT"), completion: Completions.requirements)
        var requirement: String
        @Option(help: ArgumentHelp("A file to attach; it is hashed and copied into the assessment.", valueName: "PATH")) var file: String?
        @Option(name: .customLong("field"), help: ArgumentHelp("A field of the evidence.", valueName: "NAME=VALUE"))
        var fields: [String] = []
        @Option(name: .customLong("confidential"),
                help: ArgumentHelp("A confidential field: only its salted digest enters the log. NAME=- reads the value from standard "
                                   + "input and NAME alone asks for it without echo, so it is not seen in the process list or shell history.",
                                   valueName: "NAME[=VALUE|-]"))
        var confidential: [String] = []
        @Option(name: .customLong("confidential-file"),
                help: ArgumentHelp("A file of confidential fields, one NAME=VALUE per line (# comments and blank lines left out).",
                                   valueName: "FILE"))
        var confidentialFiles: [String] = []
        @Flag(help: "Go ahead although the new evidence voids approvals already given in this stage (they must sign again).")
        var voidSignoffs = false
        @OptionGroup var global: GlobalOptions

        func run() throws {
            if let server = try global.server() { return try run(through: server) }
            let workspace = try global.openWorkspace()
            let actor = try global.person(in: workspace)
            let publicFields = try fields.map { f throws(HRIAError) in try nameValue(f, what: "field") }
            // The confidential fields the requirement's evidence type declares, to tell a field name from a stray value.
            let names = (try? workspace.current(id))?.workflow.confidentialFieldNames(ofRequirement: requirement)
            var secretFields = try ConfidentialInput.values(confidential, fieldNames: names)
            for path in confidentialFiles { secretFields += try ConfidentialInput.file(global.absolute(path), displayName: path) }
            let attached = try file.map { path throws(HRIAError) in try workspace.readEvidenceFile(path: path, displayName: path) }
            var random = SecureRandom()
            let (events, voided) = try workspace.performReporting(id, command: .addEvidence(requirement: requirement, fields: publicFields,
                                                                                             confidential: secretFields, file: attached?.file),
                                                                  actor: actor, clock: try global.clock(), random: &random,
                                                                  files: attached.map { [$0.file.sha256: $0.content] } ?? [:],
                                                                  allowVoiding: voidSignoffs)
            Self.report(events, voided: voided, requirement: requirement, file: attached?.file, secrets: secretFields.count)
        }
    }
}

struct SignoffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "signoff", abstract: "Approve or reject the current stage.")
    @Argument(help: ArgumentHelp("The assessment.", valueName: "ID"), completion: Completions.assessments) var id: String
    @Flag(help: "Approve the stage.") var approve = false
    @Flag(help: "Reject the stage (a comment is required).") var reject = false
    @Option(help: ArgumentHelp("A comment for the record.", valueName: "TEXT")) var comment: String?
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if approve == reject { throw ValidationError("give exactly one of --approve or --reject") }
    }

    func run() throws {
        if let server = try global.server() { return try run(through: server) }
        let workspace = try global.openWorkspace()
        let actor = try global.person(in: workspace)
        var random = SecureRandom()
        // An approval that still stands is not doubled by a second one: say so.
        let already = approve && (try? workspace.current(id))?.state.standingSignoffs().contains { $0.actor == actor.id && $0.approve } == true
        let events = try workspace.perform(id, command: .signoff(approve: approve, comment: comment), actor: actor,
                                           clock: try global.clock(), random: &random)
        Output.recorded(events) { "recorded #\($0.seq): \(actor.id) \(approve ? "approved" : "rejected") \($0.stage)" }
        Self.noteRepeated(already, events: events, person: actor.id)
    }
}

struct AdvanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "advance",
                                                    abstract: "Move an assessment to its next stage when the rules allow.")
    @Argument(help: ArgumentHelp("The assessment.", valueName: "ID"), completion: Completions.assessments) var id: String
    @Option(help: ArgumentHelp("Ask for the transition to this stage.", valueName: "STAGE")) var to: String?
    @Option(help: ArgumentHelp("Why, for the record.", valueName: "TEXT")) var reason: String?
    @OptionGroup var global: GlobalOptions

    func run() throws {
        if let server = try global.server() {
            Self.print(try server.perform(id, .advance(to: to, reason: reason)).events)
            return
        }
        let workspace = try global.openWorkspace()
        let actor = try global.person(in: workspace)
        var random = SecureRandom()
        let events: [Event]
        do {
            events = try workspace.perform(id, command: .advance(to: to, reason: reason), actor: actor, clock: try global.clock(),
                                           random: &random)
        } catch EngineError.refused(let refusal) {
            // Every blocker with the command that supplies it, and every unset fact a transition reads.
            guard let current = try? workspace.current(id) else { throw EngineError.refused(refusal) }
            let evaluation = StageEvaluation.evaluate(workflow: current.workflow, state: current.state, now: try global.now())
            let (commands, unset) = StatusReport.nextSteps(for: refusal.blockers, id: id, workflow: current.workflow, evaluation: evaluation)
            Output.refusal(refusal, next: commands, unsetFacts: unset)
            throw ExitCode(ExitStatus.refused.rawValue)
        }
        Self.print(events)
    }

    static func print(_ events: [Event]) {
        Output.recorded(events) { event in
            switch event.payload {
            case .stageAdvanced(let move):
                "recorded #\(event.seq): \(move.from) → \(move.to)"
            case .decisionRecorded(let decision):
                "recorded #\(event.seq): the assessment ended with the outcome \(decision.outcome)"
            default:
                "recorded #\(event.seq): \(event.type.rawValue)"
            }
        }
    }
}

enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, csv
}

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log", abstract: "The decision history, oldest first.",
        discussion: "Filters combine: every one given must hold. --format csv writes one row per event for a spreadsheet: seq, "
            + "time, actor, roles, stage, kind, summary, then every member of the event's data under a stable column name; "
            + "the log holds no confidential value in clear, so neither does the file.")
    @Argument(help: ArgumentHelp("The assessment (with --bundle, the one the bundle holds; it may be left out).", valueName: "ID"),
              completion: Completions.assessments)
    var id: String?
    @Option(help: "text, json or csv.") var format: LogFormat?
    @Flag(help: .hidden) var json = false
    @Option(name: .customLong("actor"), help: ArgumentHelp("Only events by this person (repeat for several).", valueName: "PERSON"))
    var actors: [String] = []
    @Option(help: ArgumentHelp("Only events from this date (YYYY-MM-DD, from its start, UTC) or time (2026-03-01T12:00:00Z) on.",
                               valueName: "WHEN"))
    var since: String?
    @Option(help: ArgumentHelp("Only events up to this date (to its end) or before this time.", valueName: "WHEN")) var until: String?
    @Option(name: .customLong("type"), help: ArgumentHelp("Only events of this kind, as docs/AUDIT-LOG.md names them: evidence.added, "
                                                            + "signoff.recorded, … (repeat for several).", valueName: "KIND"))
    var types: [String] = []
    @Option(name: .customLong("stage"), help: ArgumentHelp("Only events recorded at this stage (repeat for several).", valueName: "STAGE"))
    var stages: [String] = []
    @OptionGroup var bundle: BundleOptions
    @OptionGroup var global: ReadOptions

    func validate() throws {
        if id == nil, bundle.bundle == nil { throw ValidationError("give an assessment id, or --bundle DIR") }
        if json, format != nil, format != .json { throw ValidationError("--json and --format \(format?.rawValue ?? "") disagree") }
    }

    /// The filter the options ask for; a kind or a moment that cannot be read is bad input, with what is allowed.
    func filter() throws(HRIAError) -> LogFilter {
        try LogFilter(actors: actors, stages: stages, types: types, since: since, until: until) { "--" + $0 }
    }

    func run() throws {
        let filter = try filter()
        let loaded: LoadedAssessment
        if let opened = try bundle.open(id: id, context: global) {
            loaded = opened.assessment
        } else if let server = try global.server() {
            return try run(through: server, id: id ?? "", format: format ?? (json ? .json : .text))
        } else {
            loaded = try global.openWorkspace().load(id ?? "")
        }
        switch format ?? (json ? .json : .text) {
        case .json: print(HistoryReport.json(loaded, filter: filter).rendered(pretty: true))
        case .csv: FileHandle.standardOutput.write(Data(HistoryReport.csv(loaded, filter: filter).utf8))
        case .text: print(HistoryReport.text(loaded, filter: filter), terminator: "")
        }
    }
}

struct CommentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "comment",
                                                    abstract: "Add a note to an assessment's record; it changes nothing else.")
    @Argument(help: ArgumentHelp("The assessment.", valueName: "ID"), completion: Completions.assessments) var id: String
    @Argument(help: ArgumentHelp("The note.", valueName: "TEXT")) var text: String
    @OptionGroup var global: GlobalOptions

    func run() throws {
        if let server = try global.server() {
            let (events, _) = try server.perform(id, .comment(text))
            Output.recorded(events) { "recorded #\($0.seq): comment by \(server.person)" }
            return
        }
        let workspace = try global.openWorkspace()
        let actor = try global.person(in: workspace)
        var random = SecureRandom()
        let events = try workspace.perform(id, command: .comment(text), actor: actor, clock: try global.clock(), random: &random)
        Output.recorded(events) { "recorded #\($0.seq): comment by \(actor.id)" }
    }
}

extension ListQuery.Sort: ExpressibleByArgument {}
