import Foundation

/// `hria status`: where one assessment stands and what it is waiting for.
public enum StatusReport {
    static func days(_ interval: TimeInterval) -> String {
        let d = Int((abs(interval) / 86_400).rounded(.down))
        if d == 0 { return "less than a day" }
        return "\(d) day\(d == 1 ? "" : "s")"
    }

    /// The UTC day of a moment; a year past 9999 (a deadline a very long duration away) keeps all its digits.
    static func day(_ date: Date) -> String { Timestamp.day(date).description }

    public static func text(_ loaded: some AssessmentStanding, evaluation: StageEvaluation, newer: (version: Int, sha256: String)?,
                            now: Date) -> String {
        let state = loaded.state, workflow = loaded.workflow
        var out = ""
        // One line at a time, each shown with its text escaped (DisplayText): a line break or control character in a
        // partner's name, a fact or a comment cannot start a line of its own or reach the terminal raw.
        func add(_ line: String) { out += DisplayText.escape(line) + "\n" }
        add("\(state.id)" + (state.title.map { ": \($0)" } ?? ""))
        add("  partner   \(state.partner)")
        add("  workflow  \(state.workflowID) version \(state.workflowVersion) (sha256 \(state.workflowSHA256.prefix(12))…)")
        for change in state.migrations {
            add("            #\(change.seq) (\(day(change.time)), by \(change.actor)): moved from \(change.from.inWords) to "
                + "\(change.to.inWords(after: change.from)): \(change.reason)")
        }
        if let newer, newer.version >= state.workflowVersion {
            let copy = newer.version != state.workflowVersion ? "version \(newer.version)" : "a changed copy"
            add("            the workspace now holds \(copy) of \(state.workflowID); this assessment stays on "
                + (state.migrations.isEmpty ? "the version it started with" : "the version it was moved to")
                + (newer.version > state.workflowVersion ? " (hria workflow diff --assessment \(state.id) shows what changed; an admin may hria migrate it)" : ""))
        }
        let stage = workflow.stage(state.stage)
        if let outcome = state.outcome {
            add("  outcome   \(outcome): ended at stage \(state.stage) on \(day(state.stageEnteredAt))")
        } else {
            add("  stage     \(state.stage)" + (stage?.title.map { " — \($0)" } ?? "")
                + " (visit \(state.visit)), entered \(day(state.stageEnteredAt)) by \(state.path.last?.enteredBy ?? "?")")
            if let deadline = loaded.deadline {
                if now > deadline {
                    add("  deadline  OVERDUE: due \(day(deadline)), \(days(now.timeIntervalSince(deadline))) ago")
                } else {
                    add("  deadline  \(day(deadline)) (in \(days(deadline.timeIntervalSince(now))))")
                }
            }
        }
        let facts = workflow.facts.compactMap { fact in state.facts[fact.id].map { (fact.id, $0.value) } }
        if !facts.isEmpty {
            add("  facts     " + facts.map { "\($0.0) = \(FactValues.display($0.1))" }.joined(separator: ", ") + "")
        }
        add("  log       \(state.size) event\(state.size == 1 ? "" : "s")")
        for line in OpenItem.statusLines(OpenItem.of(state, workflow: workflow), id: state.id, today: Timestamp.day(now)) { add(line) }
        guard !state.hasEnded, let stage else { return out }

        if !evaluation.requirements.isEmpty {
            add("")
            add("Evidence for \(stage.id)")
            let width = evaluation.requirements.map(\.requirement.id.count).max() ?? 0
            for r in evaluation.requirements {
                let id = r.requirement.id.padding(toLength: width, withPad: " ", startingAt: 0)
                switch r.applies {
                case .none:
                    add("  unknown  \(id)  cannot tell whether it is needed: \(r.unknownReason ?? "") (\(r.requirement.when?.displayText ?? ""))")
                case .some(false):
                    add("  not now  \(id)  not required: \(r.requirement.when?.displayText ?? "") is false")
                case .some(true) where r.requirement.min == 0:
                    add("  optional \(id)  \(r.fresh) \(r.requirement.type.value) recorded")
                case .some(true):
                    var line = "  \(r.met ? "met    " : "missing")  \(id)  \(r.fresh) of \(r.requirement.min) \(r.requirement.type.value)"
                    if r.stale > 0, let age = r.requirement.maxAge { line += " (\(r.stale) older than \(age.inWords), no longer counted)" }
                    add(line)
                }
            }
        }
        if !evaluation.signoffs.isEmpty {
            add("")
            add("Sign-off")
            for s in evaluation.signoffs {
                let roles = s.rule.roles.map(\.value).joined(separator: " or ")
                switch s.applies {
                case .none:
                    add("  unknown  \(roles): cannot tell whether it is needed: \(s.unknownReason ?? "")")
                case .some(false):
                    add("  not now  \(roles): not needed (\(s.rule.when?.displayText ?? "") is false)")
                case .some(true):
                    var line = "  \(s.met ? "met    " : "missing")  \(roles): \(s.approvedBy.count) of \(s.rule.quorum) approval\(s.rule.quorum == 1 ? "" : "s")"
                    if !s.approvedBy.isEmpty { line += " (" + s.approvedBy.joined(separator: ", ") + ")" }
                    for (person, comment) in s.rejectedBy { line += "; rejected by \(person)" + (comment.map { ": \"\($0)\"" } ?? "") }
                    add(line)
                }
            }
            // One name per person, in the order they signed, whose approval a later change voided.
            var voidedPeople: [String] = []
            for signoff in loaded.state.voidedSignoffs() where !voidedPeople.contains(signoff.actor) { voidedPeople.append(signoff.actor) }
            if !voidedPeople.isEmpty {
                add("  (" + voidedPeople.joined(separator: ", ") + ": sign-off voided by later changes in this stage)")
            }
        }
        add("")
        add("Transitions, the first that applies wins")
        let blockersBefore = evaluation.stageBlockers
        for t in evaluation.transitions {
            let to = t.transition.to.value
            if let blocker = StageEvaluation.guardBlocker(t, workflow: workflow) {
                add("  blocked  → \(to): \(blocker.description.replacingOccurrences(of: "to \(to): ", with: ""))")
            } else {
                let condition = t.transition.when.map { "\($0.displayText) holds" } ?? "otherwise"
                add("  \(blockersBefore.isEmpty ? "ready  " : "waiting")  → \(to): \(condition)")
            }
        }
        let unset = evaluation.unsetFacts
        if let next = evaluation.next {
            add("")
            add("Ready: hria advance \(state.id) moves it to \(next.transition.to.value).")
        } else if !blockersBefore.isEmpty || !unset.isEmpty {
            add("")
            add("Waiting for:")
            for blocker in blockersBefore {
                add("  - \(blocker.description)")
                if let command = command(for: blocker, id: state.id, workflow: workflow) { add("      \(command)") }
            }
            for name in unset {
                add("  - fact \(name) is not set, and a transition reads it")
                add("      " + factCommand(name, id: state.id, workflow: workflow))
            }
        } else {
            add("")
            add("No transition applies yet: see the conditions above.")
        }
        return out
    }

    /// What a refusal to advance waits for, as the commands that supply it: for each blocker its command (or none),
    /// then one line per fact a transition reads that is not set.
    public static func nextSteps(for blockers: [Blocker], id: String, workflow: Workflow, evaluation: StageEvaluation)
        -> (perBlocker: [String?], unsetFacts: [(name: String, command: String)]) {
        (blockers.map { command(for: $0, id: id, workflow: workflow) },
         evaluation.unsetFacts.map { ($0, factCommand($0, id: id, workflow: workflow)) })
    }


    /// The command that supplies what a blocker waits for, with the fields it needs; nil when nothing a person
    /// types resolves it (a transition's condition, a visit limit).
    static func command(for blocker: Blocker, id: String, workflow: Workflow) -> String? {
        switch blocker {
        case .missingEvidence(let requirement, let typeName, _, _, _, _):
            var words = ["hria evidence add \(id) \(requirement)"]
            if let type = workflow.evidenceType(typeName) {
                if type.file == .required { words.append("--file FILE") }
                for field in type.fields where !field.optional {
                    words.append("--\(field.confidential ? "confidential" : "field") \(field.name)=" + placeholder(field.type))
                }
            }
            return words.joined(separator: " ")
        case .missingSignoff(let roles, _, _, _):
            return "hria signoff \(id) --approve (by someone holding \(roles.joined(separator: " or ")))"
        case .signoffRejected(let by, _):
            return "hria signoff \(id) --approve (by \(by), once the rejection is answered)"
        default:
            return nil
        }
    }

    /// `hria fact ID NAME=…`, with the values an enum fact takes.
    static func factCommand(_ name: String, id: String, workflow: Workflow) -> String {
        let value: String
        switch workflow.fact(name)?.type {
        case .enumeration(let values)?: value = values.joined(separator: "|")
        case .bool?: value = "true|false"
        case .int?: value = "NUMBER"
        case .date?: value = "YYYY-MM-DD"
        default: value = "…"
        }
        return "hria fact \(id) \(name)=\(value)"
    }

    static func placeholder(_ type: FieldType) -> String {
        switch type {
        case .enumeration(let values): values.joined(separator: "|")
        case .bool: "true|false"
        case .int(let range): range.map { "\($0.lowerBound)..\($0.upperBound)" } ?? "NUMBER"
        case .date: "YYYY-MM-DD"
        default: "…"
        }
    }

    public static func json(_ loaded: some AssessmentStanding, evaluation: StageEvaluation, newer: (version: Int, sha256: String)?,
                            now: Date) -> JSONValue {
        let state = loaded.state
        var object: [String: JSONValue] = [
            "id": .string(state.id),
            "partner": .string(state.partner),
            "title": state.title.map(JSONValue.string) ?? .null,
            "workflow": .object(["id": .string(state.workflowID), "version": .int(state.workflowVersion),
                                 "sha256": .string(state.workflowSHA256),
                                 "newer_in_workspace": newer.flatMap { $0.version >= state.workflowVersion ? $0 : nil }
                                     .map { .object(["version": .int($0.version), "sha256": .string($0.sha256)]) } ?? .null,
                                 "changes": .array(state.migrations.map { change in
                                     .object(["seq": .int(change.seq), "time": .string(Timestamp.format(change.time)), "actor": .string(change.actor),
                                              "from": change.from.json(), "to": change.to.json(),
                                              "stages": .object(change.stages.mapValues(JSONValue.string)), "reason": .string(change.reason)])
                                 })]),
            "stage": .string(state.stage),
            "visit": .int(state.visit),
            "entered": .string(Timestamp.format(state.stageEnteredAt)),
            "outcome": state.outcome.map(JSONValue.string) ?? .null,
            "events": .int(state.size),
            "facts": .object(state.facts.mapValues(\.value)),
        ]
        if let deadline = loaded.deadline {
            object["deadline"] = .string(Timestamp.format(deadline))
            object["overdue"] = .bool(now > deadline)
        } else {
            object["deadline"] = .null
            object["overdue"] = .bool(false)
        }
        let today = Timestamp.day(now)
        object["open_items"] = .array(OpenItem.of(state, workflow: loaded.workflow).map { item in
            guard case .object(var fields) = item.json else { return item.json }
            fields["overdue"] = .bool(item.isOverdue(on: today))
            return .object(fields)
        })
        if !state.hasEnded {
            object["requirements"] = .array(evaluation.requirements.map { r in
                .object(["id": .string(r.requirement.id), "type": .string(r.requirement.type.value),
                         "applies": r.applies.map(JSONValue.bool) ?? .null, "min": .int(r.requirement.min),
                         "fresh": .int(r.fresh), "stale": .int(r.stale), "met": .bool(r.met)])
            })
            object["signoffs"] = .array(evaluation.signoffs.map { s in
                .object(["roles": .array(s.rule.roles.map { .string($0.value) }), "quorum": .int(s.rule.quorum),
                         "applies": s.applies.map(JSONValue.bool) ?? .null,
                         "approved_by": .array(s.approvedBy.map(JSONValue.string)),
                         "rejected_by": .array(s.rejectedBy.map { .string($0.0) }), "met": .bool(s.met)])
            })
            object["transitions"] = .array(evaluation.transitions.map { t in
                let blocker = StageEvaluation.guardBlocker(t, workflow: loaded.workflow)
                return .object(["to": .string(t.transition.to.value), "when": t.transition.when.map { .string($0.displayText) } ?? .null,
                                "holds": .bool(blocker == nil), "blocker": blocker.map { .string($0.description) } ?? .null])
            })
            object["blockers"] = .array(evaluation.stageBlockers.map { .object(["rule": .string($0.rule), "message": .string($0.description)]) })
            object["next"] = evaluation.next.map { .string($0.transition.to.value) } ?? .null
        }
        return .object(object)
    }
}

/// `hria list`: one line per assessment.
public enum ListReport {
    public struct Row: Sendable {
        public var id: String
        public var partner: String
        public var workflow: String
        public var stage: String
        public var tier: String
        /// The tier's place among the tiers its workflow declares, lowest risk 0; nil without a risk tier.
        public var tierRank: Int?
        public var ageDays: Int
        public var daysInStage: Int
        public var overdue: Bool
        public var outcome: String?
        /// Open measures and conditions past their due date (they outlive the end of the assessment).
        public var overdueItems: Int = 0
        /// The stage or an open item is overdue.
        public var anythingOverdue: Bool { overdue || overdueItems > 0 }
    }

    /// A row from an indexed summary: overdue and day counts are computed for `now`.
    public static func row(_ s: AssessmentSummary, now: Date) -> Row {
        Row(id: s.id, partner: s.partner, workflow: "\(s.workflowID) v\(s.workflowVersion)", stage: s.stage, tier: s.tier ?? "-",
            tierRank: s.tierRank, ageDays: max(0, Int(now.timeIntervalSince(s.createdAt) / 86_400)),
            daysInStage: max(0, Int(now.timeIntervalSince(s.stageEnteredAt) / 86_400)),
            overdue: s.outcome == nil && (s.deadline.map { now > $0 } ?? false), outcome: s.outcome,
            overdueItems: s.openItemsDue.filter { $0 < Timestamp.day(now) }.count)
    }

    public static func row(_ loaded: some AssessmentStanding, now: Date) -> Row {
        let state = loaded.state, workflow = loaded.workflow
        var tier = "-", rank: Int?
        if let fact = workflow.fact(for: .riskTier), case .string(let t)? = state.facts[fact.id]?.value {
            tier = t
            rank = workflow.riskTiers.firstIndex(of: t)
        }
        return Row(id: state.id, partner: state.partner, workflow: "\(state.workflowID) v\(state.workflowVersion)", stage: state.stage,
                   tier: tier, tierRank: rank, ageDays: max(0, Int(now.timeIntervalSince(state.createdAt) / 86_400)),
                   daysInStage: max(0, Int(now.timeIntervalSince(state.stageEnteredAt) / 86_400)),
                   overdue: loaded.isOverdue(now: now), outcome: state.outcome,
                   overdueItems: OpenItem.of(state, workflow: workflow).filter { $0.isOverdue(on: Timestamp.day(now)) }.count)
    }

    /// What `hria list` says instead of rows when none is listed: that there is no assessment at all, that none
    /// matches, or that none of those that verify matches (the others are left out).
    public static func nothingListed(hasAssessments: Bool, anyLeftOut: Bool) -> String {
        !hasAssessments ? "no assessments yet; start one with hria new" : anyLeftOut ? "no assessment that verifies matches" : "no assessment matches"
    }

    /// The error `hria list` ends with when assessments were left out because they do not verify.
    public static func leftOut(_ damaged: [(id: String, problem: String)]) -> HRIAError {
        HRIAError(.integrity, "\(damaged.count) assessment\(damaged.count == 1 ? " does" : "s do") not verify",
                  help: "hria verify " + damaged.map(\.id).joined(separator: " "))
    }

    public static func text(_ rows: [Row]) -> String {
        let headers = ["ID", "PARTNER", "WORKFLOW", "STAGE", "TIER", "AGE", "IN STAGE", "OVERDUE"]
        let cells = rows.map { r in
            let overdue = [r.overdue ? "yes" : nil, r.overdueItems > 0 ? "\(r.overdueItems) item\(r.overdueItems == 1 ? "" : "s")" : nil]
                .compactMap { $0 }
            return [r.id, r.partner, r.workflow, r.outcome.map { "\(r.stage) (ended: \($0))" } ?? r.stage, r.tier, "\(r.ageDays)d",
                    r.outcome == nil ? "\(r.daysInStage)d" : "-", overdue.isEmpty ? "no" : overdue.joined(separator: ", ")]
                .map { DisplayText.escape($0) }
        }
        var widths = headers.map(\.count)
        for row in cells { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], min(cell.count, 40)) } }
        func line(_ row: [String]) -> String {
            row.enumerated().map { i, cell in
                let clipped = cell.count > 40 ? String(cell.prefix(39)) + "…" : cell
                return i == row.count - 1 ? clipped : clipped.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return ([line(headers)] + cells.map(line)).joined(separator: "\n") + "\n"
    }

    public static func json(_ rows: [Row]) -> JSONValue {
        .array(rows.map { r in
            .object(["id": .string(r.id), "partner": .string(r.partner), "workflow": .string(r.workflow), "stage": .string(r.stage),
                     "tier": r.tier == "-" ? .null : .string(r.tier), "age_days": .int(r.ageDays), "days_in_stage": .int(r.daysInStage),
                     "overdue": .bool(r.overdue), "overdue_items": .int(r.overdueItems), "outcome": r.outcome.map(JSONValue.string) ?? .null])
        })
    }
}

/// `hria log`: the decision history in plain words, oldest first.
public enum HistoryReport {
    public static func text(_ loaded: LoadedAssessment, filter: LogFilter = LogFilter()) -> String {
        var out = ""
        for event in loaded.events where filter.matches(event) {
            let when = Timestamp.format(event.time).replacingOccurrences(of: "T", with: " ").dropLast(4)
            out += "#\(event.seq)  \(when)  \(event.actor)  \(DisplayText.escape(sentence(event, workflow: loaded.workflow)))\n"
        }
        return out
    }

    static func sentence(_ event: Event, loaded: LoadedAssessment) -> String { sentence(event, workflow: loaded.workflow) }

    /// One event in plain words; the workflow, when known, orders an item's fields as its type declares them.
    public static func sentence(_ event: Event, workflow: Workflow?) -> String {
        let roles = event.roles
        let who = roles.isEmpty ? "" : " (as \(roles.joined(separator: ", ")))"
        func values(_ map: [String: JSONValue]) -> String {
            map.sorted { $0.key < $1.key }.map { "\($0.key) = \(FactValues.display($0.value))" }.joined(separator: ", ")
        }
        switch event.payload {
        case .assessmentCreated(let p):
            var s = "started the assessment of \"\(p.partner)\" with \(p.workflow.id) version \(p.workflow.version)"
                + " (sha256 \(p.workflow.sha256.prefix(12))…) at stage \(event.stage)\(who)"
            if !p.facts.isEmpty { s += "; facts " + values(p.facts) }
            return s
        case .factSet(let p):
            return "set " + values(p.facts) + " in \(event.stage)" + (p.reason.map { " — \($0)" } ?? "")
        case .evidenceUpdated(let p):
            var s = "updated evidence #\(p.item) in \(event.stage): " + values(p.fields)
            if let file = p.file { s += "; file \(file.name) (sha256 \(file.sha256.prefix(12))…, \(file.size) bytes)" }
            if let note = p.note { s += " — \(note)" }
            return s
        case .evidenceAdded(let p):
            var s = "added evidence \(p.requirement) (\(p.type)) in \(event.stage)"
            // Every public field, in the order the type declares them: the log is the record in plain words.
            let declared = workflow?.evidenceType(p.type)?.fields.map(\.name) ?? []
            let order = declared.filter { p.fields[$0] != nil } + p.fields.keys.sorted().filter { !declared.contains($0) }
            if !order.isEmpty {
                s += ": " + order.compactMap { key in
                    guard let value = p.fields[key] else { return nil }
                    if key == "title", case .string(let title) = value { return "\"\(title)\"" }
                    return "\(key) \(FactValues.display(value))"
                }.joined(separator: ", ")
            }
            if let file = p.file {
                s += "; file \(file.name) (sha256 \(file.sha256.prefix(12))…, \(file.size) bytes)"
            }
            if !p.confidential.isEmpty {
                s += "; confidential " + p.confidential.joined(separator: ", ") + " kept out of the log"
            }
            return s
        case .signoffRecorded(let p):
            return "\(p.approve ? "approved" : "rejected") stage \(event.stage)\(who)" + (p.comment.map { ": \"\($0)\"" } ?? "")
        case .stageAdvanced(let p):
            var s = "moved \(p.from) → \(p.to)"
            if let condition = p.condition {
                s += " because \(condition.text)"
                if !condition.read.isEmpty { s += " (" + values(condition.read) + ")" }
            }
            if !p.approvals.isEmpty { s += "; signed off by " + p.approvals.joined(separator: ", ") }
            if let reason = p.reason { s += " — \(reason)" }
            return s
        case .decisionRecorded(let p):
            return "decision recorded: \(p.outcome)"
        case .commentAdded(let p):
            return "commented: \"\(p.text)\""
        case .disclosureErased(let p):
            return "erased a confidential value (digest \(p.digest.prefix(12))…) — \(p.reason)"
        case .recoveryTruncated(let p):
            return "repaired the log after an interrupted write: removed \(p.bytes) incomplete bytes"
        case .workflowMigrated(let p):
            var s = "moved the assessment from \(p.from.inWords) to \(p.to.inWords) (sha256 \(p.to.sha256.prefix(12))…)\(who)"
            if !p.stages.isEmpty { s += "; stages renamed: " + p.stages.sorted { $0.key < $1.key }.map { "\($0.key) → \($0.value)" }.joined(separator: ", ") }
            return s + " — \(p.reason)"
        case .personAdded, .roleGranted, .roleRevoked, .keyRotated, .personRemoved, .policySet:
            return RosterReport.sentence(event.payload)
        }
    }

    public static func json(_ loaded: LoadedAssessment, filter: LogFilter = LogFilter()) -> JSONValue {
        .array(loaded.events.filter(filter.matches).map { event in
            (try? JSONParser.parse(event.line)) ?? .null
        })
    }

    /// One row per event for a spreadsheet (RFC 4180): seq, time, actor, roles, stage, kind and the event in words,
    /// then every member of its data flattened under a stable column name (`data.fields.owner`, `data.file.sha256`),
    /// the columns sorted so that the same events give the same header. The log holds no confidential value in
    /// clear, so neither does this. A cell that a spreadsheet would read as a formula (=, +, -, @, tab, CR first) is
    /// prefixed with an apostrophe.
    public static func csv(_ loaded: LoadedAssessment, filter: LogFilter = LogFilter()) -> String {
        let events = loaded.events.filter(filter.matches)
        var rows: [[String: String]] = []
        var columns = Set<String>()
        for event in events {
            var flat: [String: String] = [:]
            func flatten(_ value: JSONValue, _ path: String) {
                switch value {
                case .object(let members):
                    for (key, member) in members where !(path == "data" && key == "roles") { flatten(member, path + "." + key) }
                case .array(let items):
                    flat[path] = items.map { item in
                        if case .string(let text) = item { return text }
                        return item.rendered()
                    }.joined(separator: "; ")
                case .string(let text): flat[path] = text
                case .null: flat[path] = ""
                default: flat[path] = value.rendered()
                }
            }
            flatten(event.payload.json(), "data")
            columns.formUnion(flat.keys)
            rows.append(flat)
        }
        let dataColumns = columns.sorted()
        var out = csvLine(["seq", "time", "actor", "roles", "stage", "kind", "summary"] + dataColumns)
        for (event, flat) in zip(events, rows) {
            out += csvLine(["\(event.seq)", event.timeText, event.actor, event.roles.joined(separator: "; "), event.stage, event.type.rawValue,
                            sentence(event, workflow: loaded.workflow)] + dataColumns.map { flat[$0] ?? "" })
        }
        return out
    }

    /// One CSV record: every cell quoted where RFC 4180 needs it, formula-leading cells neutralised, control characters
    /// shown as escapes (as everywhere hria prints text that came from a person: the file may well go to a terminal),
    /// CRLF at the end.
    static func csvLine(_ cells: [String]) -> String {
        cells.map { cell in
            var text = DisplayText.escape(cell, keepingLineBreaks: true)
            if let first = text.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) { text = "'" + text }
            guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }.joined(separator: ",") + "\r\n"
    }
}

/// Which events `hria log` shows: by who acted, when, what kind of event and at which stage. Every condition given
/// must hold; none given shows everything.
public struct LogFilter: Sendable {
    public var actors: Set<String> = []
    /// From this moment on (inclusive).
    public var since: Date?
    /// Up to this moment (exclusive): a date given alone means up to the end of that day.
    public var until: Date?
    public var types: Set<EventType> = []
    public var stages: Set<String> = []

    public init(actors: Set<String> = [], since: Date? = nil, until: Date? = nil, types: Set<EventType> = [], stages: Set<String> = []) {
        self.actors = actors
        self.since = since
        self.until = until
        self.types = types
        self.stages = stages
    }

    public func matches(_ event: Event) -> Bool {
        (actors.isEmpty || actors.contains(event.actor))
            && (types.isEmpty || types.contains(event.type))
            && (stages.isEmpty || stages.contains(event.stage))
            && (since.map { event.time >= $0 } ?? true)
            && (until.map { event.time < $0 } ?? true)
    }

    /// The kinds of event an assessment's log holds, by their documented names (docs/AUDIT-LOG.md).
    public static var assessmentTypes: [EventType] { EventType.allCases.filter { !$0.isRosterChange } }

    /// A moment as `--since`/`--until` take it: a date (`2026-03-01`, the start of that day, UTC; for `until`, the
    /// start of the next) or a time as HRIA_NOW takes it (`2026-03-01T12:00:00Z`).
    public static func moment(_ text: String, endOfDay: Bool) -> Date? {
        if let day = CalendarDate(text) {
            let start = Timestamp.startOfDay(day)
            return endOfDay ? start.addingTimeInterval(86_400) : start
        }
        return Timestamp.parse(text)
    }
}
