/// Where a value sits in the workflow file: position, caret width and JSON Pointer.
public struct SourceSpan: Sendable, Hashable {
    public var location: SourceLocation
    public var length: Int
    public var pointer: String

    public init(location: SourceLocation, length: Int = 1, pointer: String) {
        self.location = location
        self.length = length
        self.pointer = pointer
    }
}

/// A value read from the workflow file together with where it was written.
public struct Located<Value: Sendable & Hashable>: Sendable, Hashable {
    public var value: Value
    public var span: SourceSpan

    public init(_ value: Value, _ span: SourceSpan) {
        self.value = value
        self.span = span
    }
}

/// A workflow definition (schema `hria.workflow/v1`) at one step of loading, named by what its conditions are:
///
/// - `WorkflowSyntax` (`WorkflowModel<GuardSource>`) is what the decoder reads from the file: every guard is text
///   with the file position of each character, not yet parsed.
/// - `Workflow` (`WorkflowModel<CheckedGuard>`) is what the checker gives when the file has no error: every guard
///   parsed and typed, the lookup tables built. Only the checker makes one, so the engine, which takes only a
///   `Workflow`, cannot be handed a guard it would have to guess about.
public struct WorkflowModel<Condition: GuardText>: Sendable {
    public var id: String
    public var version: Int
    public var title: String
    public var description: String?
    public var roles: [Role]
    public var facts: [Fact]
    public var evidenceTypes: [EvidenceType]
    public var initial: Located<String>
    public var stages: [StageModel<Condition>]
    /// Names declared with a mistake (a fact without a valid type, a requirement without a type): guards that
    /// read them are not reported again, since the declaration already has its own error.
    public var brokenDeclarations: Set<String> = []
    /// The conditions facts may be set under (`set_when:`), in the order the facts are declared.
    public var factRules: [FactRuleModel<Condition>] = []
    /// Positions by id, built once a workflow has loaded (`indexed()`): the engine and `verify` look stages, facts
    /// and roles up on every event.
    var lookup = Lookup()

    struct Lookup: Sendable {
        var built = false
        var stages: [String: Int] = [:]
        var facts: [String: Int] = [:]
        var evidenceTypes: [String: Int] = [:]
        var requirements: [String: (stage: Int, requirement: Int)] = [:]
        var roles: Set<String> = []
        /// The ids themselves, in order: for the few stages and roles a workflow has, comparing short strings one
        /// by one is faster than hashing one (the rules ask on every event, `verify` on every line).
        var stageIDs: [String] = []
        var roleIDs: [String] = []
    }

    /// Up to this many ids are searched one by one.
    static var linearLookupLimit: Int { 32 }

    /// The workflow with its lookup tables built; the first of duplicate ids wins, as in a linear search.
    func indexed() -> Self {
        var copy = self
        var lookup = Lookup(built: true)
        for (i, stage) in stages.enumerated() {
            if lookup.stages[stage.id] == nil { lookup.stages[stage.id] = i }
            for (j, requirement) in stage.requirements.enumerated() where lookup.requirements[requirement.id] == nil {
                lookup.requirements[requirement.id] = (i, j)
            }
        }
        for (i, fact) in facts.enumerated() where lookup.facts[fact.id] == nil { lookup.facts[fact.id] = i }
        for (i, type) in evidenceTypes.enumerated() where lookup.evidenceTypes[type.id] == nil { lookup.evidenceTypes[type.id] = i }
        lookup.roles = Set(roles.map(\.id))
        lookup.stageIDs = stages.map(\.id)
        lookup.roleIDs = roles.map(\.id)
        copy.lookup = lookup
        return copy
    }

    public func stage(_ id: String) -> StageModel<Condition>? {
        guard lookup.built else { return stages.first { $0.id == id } }
        return lookup.stages[id].map { stages[$0] }
    }

    /// Whether the workflow has a stage of this id, without copying it.
    public func hasStage(_ id: String) -> Bool {
        guard lookup.built else { return stages.contains { $0.id == id } }
        if lookup.stageIDs.count <= Self.linearLookupLimit { return lookup.stageIDs.contains(id) }
        return lookup.stages[id] != nil
    }

    public func role(_ id: String) -> Role? { roles.first { $0.id == id } }

    /// Whether the workflow declares any of these roles.
    public func declaresAnyRole(of ids: [String]) -> Bool {
        guard lookup.built else { return roles.contains { ids.contains($0.id) } }
        if lookup.roleIDs.count <= Self.linearLookupLimit { return ids.contains { lookup.roleIDs.contains($0) } }
        return ids.contains { lookup.roles.contains($0) }
    }

    /// The condition under which the fact may be set, if the workflow gives one.
    public func setCondition(of fact: String) -> Condition? { factRules.first { $0.fact == fact }?.when }

    public func fact(_ id: String) -> Fact? {
        guard lookup.built else { return facts.first { $0.id == id } }
        return lookup.facts[id].map { facts[$0] }
    }

    /// The fact declared with this report role, if any (the checker allows at most one).
    public func fact(for role: FactReportRole) -> Fact? { facts.first { $0.report == role } }

    /// The evidence types declared with this report role.
    public func evidenceTypes(for role: EvidenceReportRole) -> [EvidenceType] { evidenceTypes.filter { $0.report == role } }

    /// The risk tiers from lowest to highest, as the risk-tier fact declares them; empty without one.
    public var riskTiers: [String] {
        if case .enumeration(let values)? = fact(for: .riskTier)?.type { return values }
        return []
    }

    public func evidenceType(_ id: String) -> EvidenceType? {
        guard lookup.built else { return evidenceTypes.first { $0.id == id } }
        return lookup.evidenceTypes[id].map { evidenceTypes[$0] }
    }

    /// The requirement with this id and the stage that declares it.
    public func requirement(_ id: String) -> (stage: StageModel<Condition>, requirement: RequirementModel<Condition>)? {
        if lookup.built {
            return lookup.requirements[id].map { (stages[$0.stage], stages[$0.stage].requirements[$0.requirement]) }
        }
        for stage in stages {
            if let requirement = stage.requirements.first(where: { $0.id == id }) { return (stage, requirement) }
        }
        return nil
    }

    /// The confidential fields of the evidence type the requirement asks for: how `--confidential` tells a field
    /// name from a value typed without its name. Nil when the workflow has no such requirement (or type).
    public func confidentialFieldNames(ofRequirement id: String) -> Set<String>? {
        requirement(id).flatMap { evidenceType($0.requirement.type.value) }.map { Set($0.fields.filter(\.confidential).map(\.name)) }
    }

    /// `confidentialFieldNames` of every requirement the workflow has, by requirement.
    public var confidentialFieldNames: [String: Set<String>] {
        var names: [String: Set<String>] = [:]
        for stage in stages {
            for requirement in stage.requirements where names[requirement.id] == nil {
                names[requirement.id] = confidentialFieldNames(ofRequirement: requirement.id)
            }
        }
        return names
    }
}

/// A role people can hold; who holds it is decided in the workspace's hria.yaml.
public struct Role: Sendable {
    public var id: String
    public var description: String
    /// How many people can hold the role, when fixed (a committee of five).
    public var seats: Int?
    public var span: SourceSpan
}

/// The type of a fact.
public enum FactType: Sendable, Hashable {
    case bool
    case int(min: Int?, max: Int?)
    case enumeration([String])
    case string
    case date

    /// The type guards see for a fact of this type.
    public func guardType(name: String) -> GuardType {
        switch self {
        case .bool: .bool
        case .int: .int
        case .enumeration(let values): .enumeration(name: name, values: values)
        case .string: .string
        case .date: .date
        }
    }

    /// The type in words, for `workflow show` and error messages.
    public var inWords: String {
        switch self {
        case .bool: "true or false"
        case .int(nil, nil): "a whole number"
        case .int(let lo?, let hi?): "a whole number from \(lo) to \(hi)"
        case .int(let lo?, nil): "a whole number, at least \(lo)"
        case .int(nil, let hi?): "a whole number, at most \(hi)"
        case .enumeration(let values): "one of " + values.joined(separator: ", ")
        case .string: "text"
        case .date: "a date (YYYY-MM-DD)"
        }
    }
}

/// A typed piece of case data (tier, decision) that guards may read.
extension Workflow {
    /// Whether the text is a name as the language writes them (stages, roles, facts, fields): lower-case letters,
    /// digits and `_`, starting with a letter, at most 64 characters.
    public static func isName(_ text: String) -> Bool { NodeReader.isIdentifier(text) }
}

/// `set_when:` of a fact: a condition that must hold, with the new value in place, for the fact to be set. A
/// decision that depends on other evidence (the agreement recorded as signed only once every precondition is
/// verified) cannot then be recorded before it.
public struct FactRuleModel<Condition: GuardText>: Sendable {
    public var fact: String
    public var when: Condition
}

public struct Fact: Sendable {
    public var id: String
    public var type: FactType
    public var description: String?
    public var span: SourceSpan
    /// What the fact means to the reports, when the workflow says (`report:`).
    public var report: FactReportRole? = nil
    /// Kept for the record only (`informational: true`): no condition needs to read it, so `unused-fact` is not
    /// reported for it.
    public var informational = false
    /// The stages in which the fact may be set (`set_in:`); empty for any stage. A gate whose sign-offs depend on
    /// a fact (the tier) cannot be walked around by setting that fact where it is decided.
    public var setIn: [Located<String>] = []

    /// Whether the fact may be set at `stage`.
    public func maySet(in stage: String) -> Bool { setIn.isEmpty || setIn.contains { $0.value == stage } }
}

/// What a fact means to the reports and `list`, declared with `report:` so that nothing is guessed from names.
public enum FactReportRole: String, Sendable, CaseIterable {
    /// The assessment's risk tier: an enum fact whose values run from the lowest risk to the highest. `list`
    /// shows it, filters and sorts by it in that order; the portfolio shows it.
    case riskTier = "risk_tier"
    /// A bool fact, true when a safety exception applies (some input withheld to protect people): the report then
    /// shows the evidence of the types declared `report: safety_exception`.
    case safetyException = "safety_exception"
}

/// What an evidence type means to the decision report, declared with `report:`.
public enum EvidenceReportRole: String, Sendable, CaseIterable {
    /// An impact register: items rate `scale`, `scope`, `irremediability` and `likelihood` (whole numbers), and
    /// may name `ref`, `right` and `rights_holders`; the report ranks them by severity (the highest of the first
    /// three), then likelihood.
    case impacts
    /// A mitigation plan: items have an `owner`, a `due` date and an `indicator`; the report lists them as measures.
    case actions
    /// Stakeholder input: the report lists these items, naming the confidential fields but never showing them
    /// in a public report.
    case consultations
    /// Records of a safety exception, shown when the fact declared `report: safety_exception` is true.
    case safetyException = "safety_exception"
    /// The reasons of the decision: the report's Decision section shows the latest items of these types (and,
    /// without any such type, the evidence of the stage from which the assessment reached its end).
    case decision
    /// What was published about the assessment: the report's Decision section shows it after the reasons.
    case publication

    /// The fields the role reads, which an evidence type declaring it must have (not confidential).
    public var requiredFields: [(name: String, kind: String)] {
        switch self {
        case .impacts: [("scale", "int"), ("scope", "int"), ("irremediability", "int"), ("likelihood", "int")]
        case .actions: [("owner", "text"), ("due", "date"), ("indicator", "text")]
        case .consultations, .safetyException, .decision, .publication: []
        }
    }

    /// Fields the role shows in columns of their own when a type has them.
    public var optionalFields: [String] {
        self == .impacts ? ["ref", "right", "rights_holders"] : []
    }
}

/// The type of an evidence field.
public enum FieldType: Sendable, Hashable {
    case string
    case text
    case int(ClosedRange<Int>?)
    case bool
    case date
    case enumeration([String])

    public func guardType(name: String) -> GuardType {
        switch self {
        case .string, .text: .string
        case .int: .int
        case .bool: .bool
        case .date: .date
        case .enumeration(let values): .enumeration(name: name, values: values)
        }
    }

    /// The type as written in the workflow (`int(1..4)`, `enum(a|b)`).
    public var notation: String {
        switch self {
        case .string: "string"
        case .text: "text"
        case .int(nil): "int"
        case .int(let range?): "int(\(range.lowerBound)..\(range.upperBound))"
        case .bool: "bool"
        case .date: "date"
        case .enumeration(let values): "enum(" + values.joined(separator: "|") + ")"
        }
    }
}

/// One field of an evidence type.
public struct EvidenceField: Sendable {
    public var name: String
    public var type: FieldType
    public var optional: Bool
    /// Stored only as a salted digest in the log; the plaintext stays in private/.
    public var confidential: Bool
}

/// Whether evidence of a type comes with an attached file.
public enum FilePolicy: String, Sendable {
    case required, optional, none
}

/// A kind of evidence (document, consultation, impact) and the fields its items carry.
public struct EvidenceType: Sendable {
    public var id: String
    public var description: String?
    public var fields: [EvidenceField]
    public var file: FilePolicy
    public var span: SourceSpan
    /// What the type means to the decision report, when the workflow says (`report:`).
    public var report: EvidenceReportRole? = nil
    /// The values of the `status` field that close an item (`closed_statuses:`); empty for evidence without a
    /// lifecycle. Items of a type with a lifecycle can be updated by later events (`evidence.updated`), outlive the
    /// stage and the end of the assessment, and are overdue while open past their `due` date.
    public var closedStatuses: [String] = []

    public func field(_ name: String) -> EvidenceField? { fields.first { $0.name == name } }

    /// What a later event may change of an item with a lifecycle: where it stands, by when, and who sees to it; never
    /// what it says (a condition's text, whether it is a precedent): that is recorded anew.
    public static let updatableFields: Set<String> = ["status", "due", "owner"]

    /// Whether items of this type have a lifecycle: a status that later events may change.
    public var hasLifecycle: Bool { !closedStatuses.isEmpty }

    /// Whether an item with these fields is still open: its type has a lifecycle and its status closes nothing.
    public func isOpen(_ fields: [String: JSONValue]) -> Bool {
        guard hasLifecycle else { return false }
        guard case .string(let status)? = fields["status"] else { return true }
        return !closedStatuses.contains(status)
    }

    /// The date an open item is due, when the type has a `due` date field and the item gives one.
    public func due(_ fields: [String: JSONValue]) -> CalendarDate? {
        guard case .string(let text)? = fields["due"] else { return nil }
        return CalendarDate(text)
    }
}

/// What every form of a guard has: the text as written, and where.
public protocol GuardText: Sendable {
    var text: String { get }
    var span: SourceSpan { get }
}

extension GuardText {
    /// The guard on one line, for messages and reports: line breaks and indentation become single spaces.
    public var displayText: String {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).joined(separator: " ")
    }
}

/// A guard as the file gives it, before parsing: its text, where it was written, and the file position of each
/// Unicode scalar of the text (plus one for the end), so that a problem inside it is reported where it is.
public struct GuardSource: GuardText {
    public var text: String
    public var span: SourceSpan
    public var positions: [SourceLocation]
}

/// A guard parsed and type-checked against its workflow: what the engine evaluates.
public struct CheckedGuard: GuardText {
    public var text: String
    public var span: SourceSpan
    public var typed: TypedGuard
}

public typealias WorkflowSyntax = WorkflowModel<GuardSource>
public typealias Workflow = WorkflowModel<CheckedGuard>
public typealias Stage = StageModel<CheckedGuard>
public typealias Requirement = RequirementModel<CheckedGuard>
public typealias SignoffRule = SignoffRuleModel<CheckedGuard>
public typealias Transition = TransitionModel<CheckedGuard>

/// Evidence a stage needs before it can be left.
public struct RequirementModel<Condition: GuardText>: Sendable {
    public var id: String
    public var type: Located<String>
    public var min: Int
    public var when: Condition?
    public var maxAge: ISODuration?
    public var description: String?
    public var span: SourceSpan
    /// `when` was given but is not a usable guard (its own error is reported).
    public var malformedCondition = false
}

/// Approvals a stage needs before it can be left.
public struct SignoffRuleModel<Condition: GuardText>: Sendable {
    public var roles: [Located<String>]
    public var quorum: Int
    public var quorumSpan: SourceSpan?
    public var separationOfDuties: Bool
    public var when: Condition?
    public var description: String?
    public var span: SourceSpan
    public var malformedCondition = false
}

/// A possible move to another stage, taken when its guard holds.
public struct TransitionModel<Condition: GuardText>: Sendable {
    public var to: Located<String>
    public var when: Condition?
    public var description: String?
    public var span: SourceSpan
    public var malformedCondition = false

    public var isDefault: Bool { when == nil && !malformedCondition }
}

/// A stage of the workflow.
public struct StageModel<Condition: GuardText>: Sendable {
    public var id: String
    public var title: String?
    public var description: String?
    public var owner: Located<String>?
    public var deadline: ISODuration?
    public var maxVisits: Int?
    public var requirements: [RequirementModel<Condition>]
    public var signoffs: [SignoffRuleModel<Condition>]
    public var transitions: [TransitionModel<Condition>]
    public var terminal: Bool
    public var outcome: String?
    /// The transitions could not all be read (their own errors are reported), so graph checks skip this stage.
    public var transitionsMalformed = false
    /// The stage's key in the `stages` mapping.
    public var span: SourceSpan

    public var displayTitle: String { title ?? id }
}

// MARK: From one step to the next

extension WorkflowModel {
    /// The same workflow with each condition replaced by `convert`'s result; nil if any conversion gives nil.
    func mapConditions<Other: GuardText>(_ convert: (Condition) -> Other?) -> WorkflowModel<Other>? {
        var failed = false
        func map(_ condition: Condition?) -> Other? {
            guard let condition else { return nil }
            guard let converted = convert(condition) else {
                failed = true
                return nil
            }
            return converted
        }
        let stages = self.stages.map { stage in
            StageModel<Other>(id: stage.id, title: stage.title, description: stage.description, owner: stage.owner, deadline: stage.deadline,
                              maxVisits: stage.maxVisits,
                              requirements: stage.requirements.map { r in
                                  RequirementModel<Other>(id: r.id, type: r.type, min: r.min, when: map(r.when), maxAge: r.maxAge,
                                                          description: r.description, span: r.span, malformedCondition: r.malformedCondition)
                              },
                              signoffs: stage.signoffs.map { s in
                                  SignoffRuleModel<Other>(roles: s.roles, quorum: s.quorum, quorumSpan: s.quorumSpan,
                                                          separationOfDuties: s.separationOfDuties, when: map(s.when), description: s.description,
                                                          span: s.span, malformedCondition: s.malformedCondition)
                              },
                              transitions: stage.transitions.map { t in
                                  TransitionModel<Other>(to: t.to, when: map(t.when), description: t.description, span: t.span,
                                                         malformedCondition: t.malformedCondition)
                              },
                              terminal: stage.terminal, outcome: stage.outcome, transitionsMalformed: stage.transitionsMalformed, span: stage.span)
        }
        let rules = factRules.compactMap { rule in map(rule.when).map { FactRuleModel(fact: rule.fact, when: $0) } }
        guard !failed else { return nil }
        return WorkflowModel<Other>(id: id, version: version, title: title, description: description, roles: roles, facts: facts,
                                    evidenceTypes: evidenceTypes, initial: initial, stages: stages, brokenDeclarations: brokenDeclarations,
                                    factRules: rules)
    }
}
