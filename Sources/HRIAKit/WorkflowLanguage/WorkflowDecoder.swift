import Yams

/// Turns the YAML tree into a `WorkflowSyntax` (guards still text), reporting shape problems (unknown, missing and mistyped keys,
/// bad names and durations). References and guards are checked afterwards by `WorkflowChecker`.
struct WorkflowDecoder {
    var reader: NodeReader
    /// Declarations with their own errors, as "fact:NAME" and "requirement:ID".
    var broken: Set<String> = []
    /// The `set_when:` conditions of the facts read so far.
    var factRules: [FactRuleModel<GuardSource>] = []

    static let schema = "hria.workflow/v1"
    static let topKeys = ["schema", "id", "version", "title", "description", "roles", "facts", "evidence_types",
                          "initial", "stages"]
    static let stageKeys = ["title", "description", "owner", "deadline", "max_visits", "requires", "signoff",
                            "transitions", "terminal", "outcome"]
    static let requirementKeys = ["id", "type", "min", "when", "max_age", "description"]
    static let signoffKeys = ["roles", "quorum", "separation_of_duties", "when", "description"]
    static let transitionKeys = ["to", "when", "description"]
    static let factTypes = ["bool", "int", "enum", "string", "date"]

    init(source: SourceText, setAsideKeys: Set<SourceLocation>) {
        reader = NodeReader(source: source, setAsideKeys: setAsideKeys)
    }

    /// Decodes as much as can be read; the result has placeholders where the file is wrong.
    mutating func decode(_ root: Node) -> WorkflowSyntax {
        var workflow = WorkflowSyntax(id: "", version: 0, title: "", description: nil, roles: [], facts: [], evidenceTypes: [],
                                initial: Located("", SourceSpan(location: SourceLocation(line: 1, column: 1), pointer: "/initial")),
                                stages: [])
        guard let top = reader.mapping(root, "", what: "a workflow", keys: Self.topKeys,
                                       required: ["schema", "id", "version", "title", "roles", "initial", "stages"]) else {
            return workflow
        }
        if let entry = top["schema"], let schema = reader.text(entry.value, entry.pointer, what: "schema"), schema != Self.schema {
            reader.report(.unknownSchema, entry.value, entry.pointer, "unknown schema \"\(schema)\"",
                          help: "this version of hria reads schema: \(Self.schema)")
        }
        if let entry = top["id"], let id = reader.text(entry.value, entry.pointer, what: "the workflow id") {
            workflow.id = id
            if !WorkflowDecoder.isWorkflowID(id) {
                reader.report(.invalidID, entry.value, entry.pointer, "\"\(id)\" is not a valid workflow id",
                              help: "use lower-case letters, digits, _ and -, starting with a letter, at most 64 characters")
            }
        }
        if let entry = top["version"], let version = reader.int(entry.value, entry.pointer, what: "version") {
            workflow.version = version
            if version < 1 {
                reader.report(.invalidValue, entry.value, entry.pointer, "version must be 1 or more, found \(version)")
            }
        }
        if let entry = top["title"] { workflow.title = reader.text(entry.value, entry.pointer, what: "title") ?? "" }
        if let entry = top["description"] { workflow.description = reader.text(entry.value, entry.pointer, what: "description") }
        if let entry = top["roles"] { workflow.roles = roles(entry) }
        if let entry = top["facts"] { workflow.facts = facts(entry) }
        if let entry = top["evidence_types"] { workflow.evidenceTypes = evidenceTypes(entry) }
        if let entry = top["initial"], let initial = reader.identifier(entry.value, entry.pointer, what: "stage name") {
            workflow.initial = initial
        }
        if let entry = top["stages"] {
            workflow.stages = stages(entry)
            if workflow.stages.isEmpty, reader.diagnostics.isEmpty {
                reader.report(.missingKey, entry.value, entry.pointer, "the workflow has no stages")
            }
        }
        workflow.brokenDeclarations = broken
        workflow.factRules = factRules
        return workflow
    }

    static func isWorkflowID(_ s: String) -> Bool {
        let scalars = Array(s.unicodeScalars)
        guard let first = scalars.first, scalars.count <= 64, first.value >= 97, first.value <= 122 else { return false }
        return scalars.allSatisfy { ($0.value >= 97 && $0.value <= 122) || $0.isASCIIDigit || $0 == "_" || $0 == "-" }
    }

    /// Checks a name key (`stages: { NAME: ... }`) and gives its span.
    private mutating func name(_ entry: NodeReader.Entry, what: String) -> SourceSpan {
        let span = reader.span(entry.keyNode, entry.pointer)
        if !NodeReader.isIdentifier(entry.key) {
            let suggestion = NodeReader.suggestedIdentifier(entry.key)
            reader.report(.invalidID, span, "\"\(entry.key)\" is not a valid \(what) name",
                          help: "use lower-case letters, digits and _, starting with a letter, at most 64 characters"
                              + (NodeReader.isIdentifier(suggestion) ? " (for example \"\(suggestion)\")" : ""))
        }
        return span
    }

    private mutating func roles(_ entry: NodeReader.Entry) -> [Role] {
        var roles: [Role] = []
        for item in reader.namedEntries(entry.value, entry.pointer, what: "roles") {
            let span = name(item, what: "role")
            var role = Role(id: item.key, description: "", seats: nil, span: span)
            if let fields = reader.mapping(item.value, item.pointer, what: "role \"\(item.key)\"",
                                           keys: ["description", "seats"], required: ["description"], missingAt: item.keyNode) {
                if let d = fields["description"] { role.description = reader.text(d.value, d.pointer, what: "a description") ?? "" }
                if let s = fields["seats"], let seats = reader.int(s.value, s.pointer, what: "seats") {
                    if seats < 1 {
                        reader.report(.invalidValue, s.value, s.pointer, "seats must be 1 or more, found \(seats)")
                    } else {
                        role.seats = seats
                    }
                }
            }
            roles.append(role)
        }
        return roles
    }

    private mutating func facts(_ entry: NodeReader.Entry) -> [Fact] {
        var facts: [Fact] = []
        for item in reader.namedEntries(entry.value, entry.pointer, what: "facts") {
            let span = name(item, what: "fact")
            guard let fields = reader.mapping(item.value, item.pointer, what: "fact \"\(item.key)\"",
                                              keys: ["type", "values", "min", "max", "description", "report", "informational", "set_in", "set_when"],
                                              required: ["type"],
                                              missingAt: item.keyNode) else { broken.insert("fact:\(item.key)"); continue }
            var fact = Fact(id: item.key, type: .string, description: nil, span: span)
            if let d = fields["description"] { fact.description = reader.text(d.value, d.pointer, what: "a description") }
            if let r = fields["report"] { fact.report = reportRole(r, of: "fact") }
            if let i = fields["informational"] { fact.informational = reader.bool(i.value, i.pointer, what: "informational") ?? false }
            if let s = fields["set_in"], let stages = reader.sequence(s.value, s.pointer, what: "set_in") {
                fact.setIn = stages.compactMap { reader.identifier($0.node, $0.pointer, what: "stage name") }
            }
            if let w = fields["set_when"], let condition = reader.guardSource(w.value, w.pointer) {
                factRules.append(FactRuleModel(fact: item.key, when: condition))
            }
            guard let t = fields["type"], let typeName = reader.text(t.value, t.pointer, what: "a fact type") else {
                broken.insert("fact:\(item.key)")
                continue
            }
            guard Self.factTypes.contains(typeName) else {
                broken.insert("fact:\(item.key)")
                reader.report(.invalidValue, t.value, t.pointer, "unknown fact type \"\(typeName)\"",
                              help: Suggestions.closest(to: typeName, in: Self.factTypes).map { "did you mean \"\($0)\"?" }
                                  ?? "the fact types are " + Self.factTypes.joined(separator: ", "))
                continue
            }
            for key in ["values"] where typeName != "enum" {
                if let e = fields[key] { reader.report(.invalidValue, e.keyNode, e.pointer, "\"values\" applies to enum facts only") }
            }
            for key in ["min", "max"] where typeName != "int" {
                if let e = fields[key] { reader.report(.invalidValue, e.keyNode, e.pointer, "\"\(key)\" applies to int facts only") }
            }
            switch typeName {
            case "bool": fact.type = .bool
            case "string": fact.type = .string
            case "date": fact.type = .date
            case "int":
                let lo = fields["min"].flatMap { reader.int($0.value, $0.pointer, what: "min") }
                let hi = fields["max"].flatMap { reader.int($0.value, $0.pointer, what: "max") }
                if let lo, let hi, lo > hi, let m = fields["max"] {
                    reader.report(.invalidValue, m.value, m.pointer, "max (\(hi)) is below min (\(lo))")
                }
                fact.type = .int(min: lo, max: hi)
            default:
                guard let v = fields["values"] else {
                    reader.report(.missingKey, item.keyNode, item.pointer, "enum fact \"\(item.key)\" has no \"values\"",
                                  help: "list the values, for example values: [low, moderate, high]")
                    broken.insert("fact:\(item.key)")
                    continue
                }
                fact.type = .enumeration(enumValues(v.value, v.pointer, owner: "fact \"\(item.key)\""))
            }
            facts.append(fact)
        }
        return facts
    }

    static func isEnumValue(_ s: String) -> Bool {
        let scalars = Array(s.unicodeScalars)
        guard let first = scalars.first, first.isASCIIDigit || first.isNameStart && first != "_" else { return false }
        return scalars.allSatisfy { $0.isNameScalar || $0 == "." || $0 == "-" }
    }

    private mutating func enumValues(_ node: Node, _ pointer: String, owner: String) -> [String] {
        guard let items = reader.sequence(node, pointer, what: "the values of \(owner)") else { return [] }
        if items.isEmpty { reader.report(.invalidValue, node, pointer, "\(owner) needs at least one value") }
        var values: [String] = []
        for (itemNode, itemPointer) in items {
            guard let value = reader.text(itemNode, itemPointer, what: "an enum value") else { continue }
            if !Self.isEnumValue(value) {
                reader.report(.invalidValue, itemNode, itemPointer, "\"\(value)\" is not a valid enum value",
                              help: "use letters, digits, _, . and -, starting with a letter or digit")
            } else if values.contains(value) {
                reader.report(.invalidValue, itemNode, itemPointer, "\"\(value)\" is listed twice")
            }
            values.append(value)
        }
        return values
    }

    private mutating func evidenceTypes(_ entry: NodeReader.Entry) -> [EvidenceType] {
        var types: [EvidenceType] = []
        for item in reader.namedEntries(entry.value, entry.pointer, what: "evidence_types") {
            let span = name(item, what: "evidence type")
            var type = EvidenceType(id: item.key, description: nil, fields: [], file: .optional, span: span)
            guard let fields = reader.mapping(item.value, item.pointer, what: "evidence type \"\(item.key)\"",
                                              keys: ["description", "fields", "confidential", "file", "report", "closed_statuses"], required: [],
                                              missingAt: item.keyNode) else { types.append(type); continue }
            if let d = fields["description"] { type.description = reader.text(d.value, d.pointer, what: "a description") }
            if let r = fields["report"] { type.report = reportRole(r, of: "evidence type") }
            if let f = fields["file"], let policy = reader.text(f.value, f.pointer, what: "file") {
                if let p = FilePolicy(rawValue: policy) {
                    type.file = p
                } else {
                    reader.report(.invalidValue, f.value, f.pointer, "file must be required, optional or none, found \"\(policy)\"")
                }
            }
            if let f = fields["fields"] {
                for field in reader.namedEntries(f.value, f.pointer, what: "fields") {
                    _ = name(field, what: "field")
                    guard let notation = reader.text(field.value, field.pointer, what: "a field type") else { continue }
                    guard let (fieldType, optional) = Self.fieldType(notation) else {
                        reader.report(.invalidValue, field.value, field.pointer, "\"\(notation)\" is not a field type",
                                      help: "field types: string, text, int, int(1..4), bool, date, enum(a|b); add ? for optional")
                        continue
                    }
                    type.fields.append(EvidenceField(name: field.key, type: fieldType, optional: optional, confidential: false))
                }
            }
            if let c = fields["confidential"], let names = reader.sequence(c.value, c.pointer, what: "confidential") {
                for (nameNode, namePointer) in names {
                    guard let fieldName = reader.identifier(nameNode, namePointer, what: "field name") else { continue }
                    if let index = type.fields.firstIndex(where: { $0.name == fieldName.value }) {
                        type.fields[index].confidential = true
                    } else {
                        // Listed only as confidential: a free-text field whose value never enters the log in clear.
                        type.fields.append(EvidenceField(name: fieldName.value, type: .text, optional: false, confidential: true))
                    }
                }
            }
            if let c = fields["closed_statuses"], let values = reader.sequence(c.value, c.pointer, what: "closed_statuses") {
                type.closedStatuses = values.compactMap { reader.text($0.node, $0.pointer, what: "a status value") }
            }
            types.append(type)
        }
        return types
    }

    /// A `report:` role: one of the roles defined for facts or for evidence types.
    private mutating func reportRole<Role: RawRepresentable & CaseIterable>(_ entry: NodeReader.Entry, of what: String) -> Role?
        where Role.RawValue == String {
        guard let text = reader.text(entry.value, entry.pointer, what: "a report role") else { return nil }
        if let role = Role(rawValue: text) { return role }
        let roles = Role.allCases.map(\.rawValue)
        reader.report(.invalidValue, entry.value, entry.pointer, "\"\(text)\" is not a report role of a \(what)",
                      help: Suggestions.closest(to: text, in: roles).map { "did you mean \"\($0)\"?" }
                          ?? "the report roles of a \(what) are " + roles.joined(separator: ", "))
        return nil
    }

    /// Parses a field type notation: `string`, `int(1..4)`, `enum(a|b)`, with an optional trailing `?`.
    static func fieldType(_ notation: String) -> (FieldType, Bool)? {
        var text = notation.trimmingCharacters(in: .whitespaces)
        var optional = false
        if text.hasSuffix("?") {
            optional = true
            text.removeLast()
        }
        switch text {
        case "string": return (.string, optional)
        case "text": return (.text, optional)
        case "int": return (.int(nil), optional)
        case "bool": return (.bool, optional)
        case "date": return (.date, optional)
        default: break
        }
        if text.hasPrefix("int("), text.hasSuffix(")") {
            let inner = text.dropFirst(4).dropLast()
            let bounds = inner.components(separatedBy: "..")
            guard bounds.count == 2, let lo = Int(bounds[0].trimmingCharacters(in: .whitespaces)),
                  let hi = Int(bounds[1].trimmingCharacters(in: .whitespaces)), lo <= hi else { return nil }
            return (.int(lo...hi), optional)
        }
        if text.hasPrefix("enum("), text.hasSuffix(")") {
            let values = text.dropFirst(5).dropLast().split(separator: "|", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard !values.isEmpty, values.allSatisfy(isEnumValue), Set(values).count == values.count else { return nil }
            return (.enumeration(values), optional)
        }
        return nil
    }

    private mutating func stages(_ entry: NodeReader.Entry) -> [StageModel<GuardSource>] {
        var stages: [StageModel<GuardSource>] = []
        for item in reader.namedEntries(entry.value, entry.pointer, what: "stages") {
            let span = name(item, what: "stage")
            var stage = StageModel<GuardSource>(id: item.key, title: nil, description: nil, owner: nil, deadline: nil, maxVisits: nil,
                              requirements: [], signoffs: [], transitions: [], terminal: false, outcome: nil, span: span)
            guard let fields = reader.mapping(item.value, item.pointer, what: "stage \"\(item.key)\"",
                                              keys: Self.stageKeys, required: [], missingAt: item.keyNode) else {
                stages.append(stage)
                continue
            }
            if let t = fields["terminal"] {
                // A mistyped `terminal: yes` is reported, then read as meant so no error cascades from it.
                stage.terminal = reader.bool(t.value, t.pointer, what: "terminal")
                    ?? (t.value.string.map { ["yes", "y", "on"].contains($0.lowercased()) } ?? false)
            }
            if let t = fields["title"] { stage.title = reader.text(t.value, t.pointer, what: "a title") }
            if let d = fields["description"] { stage.description = reader.text(d.value, d.pointer, what: "a description") }
            if stage.terminal {
                for key in ["owner", "deadline", "max_visits", "requires", "signoff", "transitions"] {
                    if let e = fields[key] {
                        reader.report(.terminalStageKeys, e.keyNode, e.pointer,
                                      "terminal stage \"\(item.key)\" ends the assessment, so it cannot have \"\(key)\"",
                                      help: "remove \"\(key)\", or remove terminal: true")
                    }
                }
                if let o = fields["outcome"] {
                    stage.outcome = reader.text(o.value, o.pointer, what: "an outcome")
                } else {
                    reader.report(.missingKey, item.keyNode, item.pointer, "terminal stage \"\(item.key)\" has no \"outcome\"",
                                  help: NodeReader.missingHelp["outcome"])
                }
                stages.append(stage)
                continue
            }
            if let o = fields["outcome"] {
                reader.report(.invalidValue, o.keyNode, o.pointer, "only a terminal stage has an outcome",
                              help: "add terminal: true, or remove the outcome")
            }
            if let o = fields["owner"] {
                stage.owner = reader.identifier(o.value, o.pointer, what: "role name")
            } else {
                reader.report(.missingKey, item.keyNode, item.pointer, "stage \"\(item.key)\" has no \"owner\"",
                              help: NodeReader.missingHelp["owner"])
            }
            if let d = fields["deadline"] { stage.deadline = reader.duration(d.value, d.pointer, what: "deadline") }
            if let m = fields["max_visits"], let visits = reader.int(m.value, m.pointer, what: "max_visits") {
                if visits < 1 {
                    reader.report(.invalidValue, m.value, m.pointer, "max_visits must be 1 or more, found \(visits)")
                } else {
                    stage.maxVisits = visits
                }
            }
            if let r = fields["requires"] { stage.requirements = requirements(r) }
            if let s = fields["signoff"] { stage.signoffs = signoffs(s) }
            if let t = fields["transitions"] {
                let read = transitions(t)
                stage.transitions = read.transitions
                stage.transitionsMalformed = !read.complete
            } else {
                reader.report(.missingKey, item.keyNode, item.pointer, "stage \"\(item.key)\" has no \"transitions\"",
                              help: NodeReader.missingHelp["transitions"])
            }
            stages.append(stage)
        }
        return stages
    }

    private mutating func requirements(_ entry: NodeReader.Entry) -> [RequirementModel<GuardSource>] {
        guard let items = reader.sequence(entry.value, entry.pointer, what: "requires") else { return [] }
        var result: [RequirementModel<GuardSource>] = []
        for (node, pointer) in items {
            guard let fields = reader.mapping(node, pointer, what: "a requirement", keys: Self.requirementKeys,
                                              required: ["id", "type"]),
                  let idEntry = fields["id"], let id = reader.identifier(idEntry.value, idEntry.pointer, what: "requirement id") else {
                continue
            }
            guard let typeEntry = fields["type"],
                  let type = reader.identifier(typeEntry.value, typeEntry.pointer, what: "evidence type name") else {
                broken.insert("requirement:\(id.value)")
                continue
            }
            var requirement = RequirementModel<GuardSource>(id: id.value, type: type, min: 1, when: nil, maxAge: nil, description: nil,
                                          span: id.span)
            if let m = fields["min"], let min = reader.int(m.value, m.pointer, what: "min") {
                if min < 0 {
                    reader.report(.invalidValue, m.value, m.pointer, "min must be 0 or more, found \(min)")
                } else {
                    requirement.min = min
                }
            }
            if let w = fields["when"] {
                requirement.when = reader.guardSource(w.value, w.pointer)
                requirement.malformedCondition = requirement.when == nil
            }
            if let a = fields["max_age"] { requirement.maxAge = reader.duration(a.value, a.pointer, what: "max_age") }
            if let d = fields["description"] { requirement.description = reader.text(d.value, d.pointer, what: "a description") }
            result.append(requirement)
        }
        return result
    }

    private mutating func signoffs(_ entry: NodeReader.Entry) -> [SignoffRuleModel<GuardSource>] {
        let items: [(node: Node, pointer: String)]
        if case .sequence = entry.value {
            items = reader.sequence(entry.value, entry.pointer, what: "signoff") ?? []
        } else {
            items = [(entry.value, entry.pointer)]
        }
        var result: [SignoffRuleModel<GuardSource>] = []
        for (node, pointer) in items {
            guard let fields = reader.mapping(node, pointer, what: "a sign-off", keys: Self.signoffKeys, required: ["roles"],
                                              missingAt: items.count == 1 ? entry.keyNode : node) else { continue }
            var rule = SignoffRuleModel<GuardSource>(roles: [], quorum: 1, quorumSpan: nil, separationOfDuties: true, when: nil,
                                   description: nil, span: reader.span(node, pointer))
            if let r = fields["roles"], let roles = reader.sequence(r.value, r.pointer, what: "roles") {
                if roles.isEmpty { reader.report(.invalidValue, r.value, r.pointer, "a sign-off needs at least one role") }
                rule.roles = roles.compactMap { reader.identifier($0.node, $0.pointer, what: "role name") }
            }
            if let q = fields["quorum"], let quorum = reader.int(q.value, q.pointer, what: "quorum") {
                rule.quorum = quorum
                rule.quorumSpan = reader.span(q.value, q.pointer)
            }
            if let s = fields["separation_of_duties"] {
                rule.separationOfDuties = reader.bool(s.value, s.pointer, what: "separation_of_duties") ?? true
            }
            if let w = fields["when"] {
                rule.when = reader.guardSource(w.value, w.pointer)
                rule.malformedCondition = rule.when == nil
            }
            if let d = fields["description"] { rule.description = reader.text(d.value, d.pointer, what: "a description") }
            result.append(rule)
        }
        return result
    }

    private mutating func transitions(_ entry: NodeReader.Entry) -> (transitions: [TransitionModel<GuardSource>], complete: Bool) {
        guard let items = reader.sequence(entry.value, entry.pointer, what: "transitions") else { return ([], false) }
        var result: [TransitionModel<GuardSource>] = []
        var complete = true
        for (node, pointer) in items {
            guard let fields = reader.mapping(node, pointer, what: "a transition", keys: Self.transitionKeys, required: ["to"]),
                  let toEntry = fields["to"],
                  let to = reader.identifier(toEntry.value, toEntry.pointer, what: "stage name") else {
                complete = false
                continue
            }
            var transition = TransitionModel<GuardSource>(to: to, when: nil, description: nil, span: reader.span(node, pointer))
            if let w = fields["when"] {
                transition.when = reader.guardSource(w.value, w.pointer)
                transition.malformedCondition = transition.when == nil
            }
            if let d = fields["description"] { transition.description = reader.text(d.value, d.pointer, what: "a description") }
            result.append(transition)
        }
        return (result, complete)
    }
}
