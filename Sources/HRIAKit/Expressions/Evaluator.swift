/// What a guard reads from an assessment: its facts and the evidence that currently counts.
public protocol GuardInput {
    /// The fact's value, or nil while it is unset.
    func fact(_ name: String) -> GuardValue?
    /// The items recorded for a requirement that count now (stale items excluded).
    func evidence(_ requirement: String) -> [EvidenceItem]
    /// The date `today()` stands for: the day (UTC) of the act being judged, so that `verify` replaying a log
    /// reaches the answer the command reached; nil where no moment is given (then `today()` cannot be evaluated).
    var today: CalendarDate? { get }
}

extension GuardInput {
    public var today: CalendarDate? { nil }
}

/// Why a guard could not be evaluated.
public enum GuardFailure: Error, Sendable, Hashable, CustomStringConvertible {
    case factNotSet(String)
    case fieldNotGiven(String)
    case emptyList(String)
    case indexOutOfRange(Int, count: Int)
    case overflow
    case noDate

    public var description: String {
        switch self {
        case .factNotSet(let name): "fact \(name) is not set"
        case .fieldNotGiven(let name): "field \(name) was not given"
        case .emptyList(let what): "\(what) of an empty list has no value"
        case .indexOutOfRange(let i, let count): "index \(i) is outside a list of \(count)"
        case .overflow: "a number is too large"
        case .noDate: "today's date is not known here"
        }
    }
}

/// The result of evaluating a guard, with the values it read so a refusal can show them.
public struct GuardEvaluation: Sendable {
    public var result: Result<Bool, GuardFailure>
    /// Facts read, in order of first read; nil where the fact was unset.
    public var factsRead: [(name: String, value: GuardValue?)]
    /// Evidence requirements read, with how many items counted.
    public var evidenceRead: [(requirement: String, count: Int)]
    /// The date `today()` gave, when the guard read it.
    public var todayRead: CalendarDate? = nil

    public var isTrue: Bool { (try? result.get()) == true }
}

/// Evaluates checked guards. Pure: the same guard and input always give the same result.
public struct GuardEvaluator {
    private let input: any GuardInput
    private var bindings: [(String, GuardValue)] = []
    private var factsRead: [(name: String, value: GuardValue?)] = []
    private var evidenceRead: [(requirement: String, count: Int)] = []
    private var todayRead: CalendarDate?

    /// Evaluates a bool guard against an assessment's facts and evidence.
    public static func evaluate(_ guardExpression: TypedGuard, input: any GuardInput) -> GuardEvaluation {
        var evaluator = GuardEvaluator(input: input)
        let result: Result<Bool, GuardFailure>
        switch evaluator.value(guardExpression) {
        case .success(.bool(let b)): result = .success(b)
        case .success: preconditionFailure("a checked guard evaluates to a bool")
        case .failure(let failure): result = .failure(failure)
        }
        return GuardEvaluation(result: result, factsRead: evaluator.factsRead, evidenceRead: evaluator.evidenceRead,
                               todayRead: evaluator.todayRead)
    }

    private init(input: any GuardInput) {
        self.input = input
    }

    private mutating func value(_ e: TypedGuard) -> Result<GuardValue, GuardFailure> {
        switch e {
        case .literal(let v): return .success(v)
        case .today:
            guard let today = input.today else { return .failure(.noDate) }
            todayRead = today
            return .success(.date(today))
        case .list(let items):
            var values: [GuardValue] = []
            for item in items {
                switch value(item) {
                case .success(let v): values.append(v)
                case .failure(let f): return .failure(f)
                }
            }
            return .success(.list(values))
        case .fact(let name):
            let v = input.fact(name)
            noteFact(name, v)
            guard let v else { return .failure(.factNotSet(name)) }
            return .success(v)
        case .evidence(let name):
            let items = input.evidence(name)
            noteEvidence(name, items.count)
            return .success(.list(items.map(GuardValue.item)))
        case .variable(let name):
            guard let bound = bindings.last(where: { $0.0 == name }) else {
                preconditionFailure("the type checker binds every variable")
            }
            return .success(bound.1)
        case .field(let target, let name):
            return value(target).flatMap { v in
                guard case .item(let item) = v else { preconditionFailure("checked: field of an item") }
                guard let field = item.fields[name] else { return .failure(.fieldNotGiven(name)) }
                return .success(field)
            }
        case .size(let target):
            return value(target).map { v in
                switch v {
                case .list(let items): .int(items.count)
                case .string(let s): .int(s.unicodeScalars.count)
                default: preconditionFailure("checked: size of a list or text")
                }
            }
        case .hasFact(let name):
            let v = input.fact(name)
            noteFact(name, v)
            return .success(.bool(v != nil))
        case .hasEvidence(let name):
            let count = input.evidence(name).count
            noteEvidence(name, count)
            return .success(.bool(count > 0))
        case .hasField(let target, let name):
            return value(target).map { v in
                guard case .item(let item) = v else { preconditionFailure("checked: field of an item") }
                return .bool(item.fields[name] != nil)
            }
        case .not(let operand):
            return bool(operand).map { .bool(!$0) }
        case .negate(let operand):
            return int(operand).flatMap { i in
                let (r, o) = (0).subtractingReportingOverflow(i)
                return o ? .failure(.overflow) : .success(.int(r))
            }
        case .and(let a, let b):
            // CEL's commutative rules: a false side decides even when the other cannot be evaluated.
            let left = bool(a)
            if case .success(false) = left { return .success(.bool(false)) }
            let right = bool(b)
            if case .success(false) = right { return .success(.bool(false)) }
            if case .failure(let f) = left { return .failure(f) }
            if case .failure(let f) = right { return .failure(f) }
            return .success(.bool(true))
        case .or(let a, let b):
            let left = bool(a)
            if case .success(true) = left { return .success(.bool(true)) }
            let right = bool(b)
            if case .success(true) = right { return .success(.bool(true)) }
            if case .failure(let f) = left { return .failure(f) }
            if case .failure(let f) = right { return .failure(f) }
            return .success(.bool(false))
        case .compare(let op, let a, let b):
            return pair(a, b).map { l, r in .bool(Self.compare(op, l, r)) }
        case .contains(let element, let list):
            return pair(element, list).map { e, l in
                guard case .list(let items) = l else { preconditionFailure("checked: in a list") }
                return .bool(items.contains { Self.compare(.equal, e, $0) })
            }
        case .arithmetic(let op, let a, let b):
            return pair(a, b).flatMap { l, r in
                guard case .int(let x) = l, case .int(let y) = r else { preconditionFailure("checked: ints") }
                let (result, overflow) = switch op {
                case .plus: x.addingReportingOverflow(y)
                case .minus: x.subtractingReportingOverflow(y)
                default: x.multipliedReportingOverflow(by: y)
                }
                return overflow ? .failure(.overflow) : .success(.int(result))
            }
        case .conditional(let c, let a, let b):
            return bool(c).flatMap { $0 ? value(a) : value(b) }
        case .extreme(let isMax, let items):
            var ints: [Int] = []
            for item in items {
                switch int(item) {
                case .success(let i): ints.append(i)
                case .failure(let f): return .failure(f)
                }
            }
            return .success(.int(isMax ? ints.max()! : ints.min()!))
        case .extremeOfList(let isMax, let list):
            return value(list).flatMap { v in
                guard case .list(let items) = v else { preconditionFailure("checked: list") }
                let ints = items.compactMap { if case .int(let i) = $0 { i } else { nil } }
                guard let result = isMax ? ints.max() : ints.min() else { return .failure(.emptyList(isMax ? "max" : "min")) }
                return .success(.int(result))
            }
        case .comprehension(let kind, let list, let variable, let body):
            return comprehension(kind, list, variable, body)
        case .index(let list, let index):
            return pair(list, index).flatMap { l, i in
                guard case .list(let items) = l, case .int(let n) = i else { preconditionFailure("checked: list[int]") }
                guard n >= 0, n < items.count else { return .failure(.indexOutOfRange(n, count: items.count)) }
                return .success(items[n])
            }
        }
    }

    private mutating func comprehension(_ kind: TypedGuard.Comprehension, _ list: TypedGuard, _ variable: String,
                                        _ body: TypedGuard) -> Result<GuardValue, GuardFailure> {
        let items: [GuardValue]
        switch value(list) {
        case .success(.list(let values)): items = values
        case .success: preconditionFailure("checked: comprehension over a list")
        case .failure(let f): return .failure(f)
        }
        var results: [Result<GuardValue, GuardFailure>] = []
        for item in items {
            bindings.append((variable, item))
            results.append(value(body))
            bindings.removeLast()
        }
        switch kind {
        case .all, .exists:
            // As CEL: a deciding item wins over an item that cannot be evaluated.
            let decisive = kind == .exists
            if results.contains(where: { if case .success(.bool(decisive)) = $0 { true } else { false } }) {
                return .success(.bool(decisive))
            }
            if let failure = results.lazy.compactMap({ if case .failure(let f) = $0 { f } else { nil } }).first {
                return .failure(failure)
            }
            return .success(.bool(!decisive))
        case .filter:
            var kept: [GuardValue] = []
            for (item, result) in zip(items, results) {
                switch result {
                case .success(.bool(true)): kept.append(item)
                case .success: break
                case .failure(let f): return .failure(f)
                }
            }
            return .success(.list(kept))
        case .map:
            var mapped: [GuardValue] = []
            for result in results {
                switch result {
                case .success(let v): mapped.append(v)
                case .failure(let f): return .failure(f)
                }
            }
            return .success(.list(mapped))
        case .max, .min:
            var ints: [Int] = []
            for result in results {
                switch result {
                case .success(.int(let i)): ints.append(i)
                case .success: preconditionFailure("checked: int body")
                case .failure(let f): return .failure(f)
                }
            }
            guard let result = kind == .max ? ints.max() : ints.min() else {
                return .failure(.emptyList(kind.rawValue))
            }
            return .success(.int(result))
        }
    }

    private mutating func bool(_ e: TypedGuard) -> Result<Bool, GuardFailure> {
        value(e).map { v in
            guard case .bool(let b) = v else { preconditionFailure("checked: bool") }
            return b
        }
    }

    private mutating func int(_ e: TypedGuard) -> Result<Int, GuardFailure> {
        value(e).map { v in
            guard case .int(let i) = v else { preconditionFailure("checked: int") }
            return i
        }
    }

    private mutating func pair(_ a: TypedGuard, _ b: TypedGuard) -> Result<(GuardValue, GuardValue), GuardFailure> {
        let left = value(a)
        let right = value(b)
        switch (left, right) {
        case (.success(let l), .success(let r)): return .success((l, r))
        case (.failure(let f), _), (_, .failure(let f)): return .failure(f)
        }
    }

    static func compare(_ op: BinaryOperator, _ l: GuardValue, _ r: GuardValue) -> Bool {
        switch op {
        case .equal: return same(l, r)
        case .notEqual: return !same(l, r)
        default: break
        }
        let order: Bool? = switch (l, r) {
        case (.int(let a), .int(let b)): a < b
        case (.string(let a), .string(let b)): Array(a.unicodeScalars.map(\.value)).lexicographicallyPrecedes(b.unicodeScalars.map(\.value))
        case (.date(let a), .date(let b)): a < b
        default: nil
        }
        guard let less = order else { preconditionFailure("checked: ordered comparison of one type") }
        switch op {
        case .less: return less
        case .lessOrEqual: return less || same(l, r)
        case .greater: return !less && !same(l, r)
        default: return !less
        }
    }

    /// Equality as CEL defines it: text is equal when its code points are, so == agrees with < and >.
    static func same(_ l: GuardValue, _ r: GuardValue) -> Bool {
        switch (l, r) {
        case (.string(let a), .string(let b)): Array(a.unicodeScalars) == Array(b.unicodeScalars)
        case (.list(let a), .list(let b)): a.count == b.count && zip(a, b).allSatisfy { same($0, $1) }
        default: l == r
        }
    }

    private mutating func noteFact(_ name: String, _ v: GuardValue?) {
        if !factsRead.contains(where: { $0.name == name }) { factsRead.append((name, v)) }
    }

    private mutating func noteEvidence(_ name: String, _ count: Int) {
        if !evidenceRead.contains(where: { $0.requirement == name }) { evidenceRead.append((name, count)) }
    }
}
