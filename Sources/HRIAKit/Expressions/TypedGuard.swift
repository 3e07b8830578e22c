/// A checked guard: names resolved and every operation known to fit its operands.
public indirect enum TypedGuard: Sendable, Hashable {
    case literal(GuardValue)
    case list([TypedGuard])
    case fact(String)
    case evidence(String)
    case variable(String)
    case field(TypedGuard, String)
    case size(TypedGuard)
    case hasFact(String)
    case hasEvidence(String)
    case hasField(TypedGuard, String)
    case not(TypedGuard)
    case negate(TypedGuard)
    case and(TypedGuard, TypedGuard)
    case or(TypedGuard, TypedGuard)
    case compare(BinaryOperator, TypedGuard, TypedGuard)
    case contains(element: TypedGuard, list: TypedGuard)
    case arithmetic(BinaryOperator, TypedGuard, TypedGuard)
    case conditional(TypedGuard, TypedGuard, TypedGuard)
    case extreme(max: Bool, [TypedGuard])
    case extremeOfList(max: Bool, TypedGuard)
    case comprehension(Comprehension, list: TypedGuard, variable: String, body: TypedGuard)
    case index(TypedGuard, TypedGuard)
    /// `today()`: the date of the moment the guard is evaluated (see `GuardInput.today`).
    case today

    /// Which list macro a comprehension is.
    public enum Comprehension: String, Sendable, Hashable {
        case all, exists, filter, map, max, min
    }

    /// Every fact the guard may read, for "unused fact" and for explaining refusals.
    public var factsRead: Set<String> {
        var names = Set<String>()
        visit { if case .fact(let n) = $0 { names.insert(n) } else if case .hasFact(let n) = $0 { names.insert(n) } }
        return names
    }

    /// Every evidence requirement the guard may read.
    public var evidenceRead: Set<String> {
        var names = Set<String>()
        visit { if case .evidence(let n) = $0 { names.insert(n) } else if case .hasEvidence(let n) = $0 { names.insert(n) } }
        return names
    }

    private func visit(_ body: (TypedGuard) -> Void) {
        body(self)
        switch self {
        case .literal, .fact, .evidence, .variable, .hasFact, .hasEvidence, .today: break
        case .list(let items), .extreme(_, let items): items.forEach { $0.visit(body) }
        case .field(let t, _), .size(let t), .hasField(let t, _), .not(let t), .negate(let t), .extremeOfList(_, let t):
            t.visit(body)
        case .and(let a, let b), .or(let a, let b), .compare(_, let a, let b), .contains(let a, let b),
             .arithmetic(_, let a, let b), .comprehension(_, let a, _, let b), .index(let a, let b):
            a.visit(body)
            b.visit(body)
        case .conditional(let a, let b, let c):
            a.visit(body)
            b.visit(body)
            c.visit(body)
        }
    }
}

/// What a guard may refer to: the declared facts and, per requirement id, the fields of its evidence type.
public struct GuardScope: Sendable {
    /// A field of an evidence type as guards see it.
    public struct Field: Sendable {
        public var type: GuardType
        public var optional: Bool
        public var confidential: Bool
        public init(type: GuardType, optional: Bool, confidential: Bool) {
            self.type = type
            self.optional = optional
            self.confidential = confidential
        }
    }

    public var facts: [String: GuardType]
    /// Requirement id → evidence type id.
    public var evidence: [String: String]
    /// Evidence type id → its fields.
    public var evidenceTypes: [String: [String: Field]]
    /// Facts ("fact:NAME") and requirements ("requirement:ID") declared with errors of their own; a guard that
    /// reads one is left unchecked rather than reported as reading something undeclared.
    public var broken: Set<String>

    public init(facts: [String: GuardType], evidence: [String: String], evidenceTypes: [String: [String: Field]],
                broken: Set<String> = []) {
        self.facts = facts
        self.evidence = evidence
        self.evidenceTypes = evidenceTypes
        self.broken = broken
    }
}
