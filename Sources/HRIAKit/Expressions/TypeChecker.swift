/// Type-checks a guard's syntax tree against the workflow's facts and evidence, collecting every problem.
public struct GuardTypeChecker {
    let scope: GuardScope
    private var variables: [(name: String, type: GuardType)] = []
    public private(set) var problems: [GuardProblem] = []
    /// Set when the guard reads a declaration that has its own error: the guard stays unchecked, silently.
    private var readsBrokenDeclaration = false

    public init(scope: GuardScope) {
        self.scope = scope
    }

    /// Checks a whole guard: it must be a bool. Returns the typed tree when there were no problems.
    public static func check(_ node: GuardNode, in scope: GuardScope) -> Result<TypedGuard, GuardProblems> {
        var checker = GuardTypeChecker(scope: scope)
        let result = checker.expression(node)
        if checker.readsBrokenDeclaration, checker.problems.isEmpty { return .failure(GuardProblems(problems: [])) }
        if let (typed, type) = result, checker.problems.isEmpty {
            if type == .bool { return .success(typed) }
            checker.problems.append(GuardProblem(.guardType, node.range,
                                                 "a guard must be true or false, but this is \(type)",
                                                 help: notBoolHelp(type)))
        }
        return .failure(GuardProblems(problems: checker.problems))
    }

    static func notBoolHelp(_ type: GuardType) -> String? {
        switch type {
        case .int: "compare it, for example: ... > 0"
        case .string, .enumeration: "compare it, for example: ... == \"value\""
        case .list: "count it with size(...) > 0, or test items with .exists(x, ...)"
        default: nil
        }
    }

    private mutating func fail(_ rule: LintRule, _ range: Range<Int>, _ message: String, help: String? = nil)
        -> (TypedGuard, GuardType)? {
        problems.append(GuardProblem(rule, range, message, help: help))
        return nil
    }

    private func variable(_ name: String) -> GuardType? {
        variables.last(where: { $0.name == name })?.type
    }

    mutating func expression(_ node: GuardNode) -> (TypedGuard, GuardType)? {
        switch node.syntax {
        case .bool(let b): return (.literal(.bool(b)), .bool)
        case .int(let i): return (.literal(.int(i)), .int)
        case .string(let s): return (.literal(.string(s)), .string)
        case .list(let items): return listLiteral(items, node.range)
        case .name(let name): return nameReference(name, node.range)
        case .member(let target, let name, let nameRange): return member(target, name, nameRange, node.range)
        case .call(let name, let args): return call(name, args, node.range)
        case .method(let target, let name, let nameRange, let args):
            return method(target, name, nameRange, args, node.range)
        case .index(let target, let index):
            guard let (t, tType) = expression(target), let (i, iType) = expression(index) else { return nil }
            guard case .list(let element) = tType else {
                return fail(.guardType, target.range, "only lists can be indexed, but this is \(tType)")
            }
            guard iType == .int else { return fail(.guardType, index.range, "a list index must be an int, not \(iType)") }
            return (.index(t, i), element)
        case .unary(let op, let operand):
            guard let (t, type) = expression(operand) else { return nil }
            switch op {
            case .not:
                guard type == .bool else {
                    return fail(.guardType, operand.range, "! needs a bool, but this is \(type)", help: Self.notBoolHelp(type))
                }
                return (.not(t), .bool)
            case .negate:
                guard type == .int else { return fail(.guardType, operand.range, "- needs an int, but this is \(type)") }
                return (.negate(t), .int)
            }
        case .binary(let op, let lhs, let rhs): return binary(op, lhs, rhs, node.range)
        case .conditional(let c, let a, let b):
            let condition = expression(c), first = expression(a), second = expression(b)
            guard let (ct, cType) = condition, let (at, aType) = first, let (bt, bType) = second else { return nil }
            guard cType == .bool else {
                return fail(.guardType, c.range, "the condition before ? must be a bool, but this is \(cType)")
            }
            guard aType.fits(bType) else {
                return fail(.guardType, node.range, "the two results of ?: differ: \(aType) and \(bType)")
            }
            return (.conditional(ct, at, bt), aType == .any ? bType : aType)
        }
    }

    private mutating func listLiteral(_ items: [GuardNode], _ range: Range<Int>) -> (TypedGuard, GuardType)? {
        var typed: [TypedGuard] = []
        var elementType: GuardType = .any
        var ok = true
        for item in items {
            guard let (t, type) = expression(item) else { ok = false; continue }
            if elementType == .any {
                elementType = type
            } else if !elementType.fits(type) {
                _ = fail(.guardType, item.range, "list items must all be of one type: \(type) among \(elementType.pluralDescription)")
                ok = false
            }
            typed.append(t)
        }
        return ok ? (.list(typed), .list(elementType)) : nil
    }

    private mutating func nameReference(_ name: String, _ range: Range<Int>) -> (TypedGuard, GuardType)? {
        if let type = variable(name) { return (.variable(name), type) }
        if name == "facts" { return (.variable(name), .factsNamespace) }
        if name == "evidence" { return (.variable(name), .evidenceNamespace) }
        if scope.facts[name] != nil {
            return fail(.undefinedFact, range, "unknown name \"\(name)\"", help: "facts are read as facts.\(name)")
        }
        if scope.evidence[name] != nil {
            return fail(.undefinedEvidence, range, "unknown name \"\(name)\"", help: "evidence is read as evidence.\(name)")
        }
        return fail(.guardType, range, "unknown name \"\(name)\"",
                    help: "guards read facts.NAME, evidence.ID, or a variable named in all/exists/filter/map/max/min")
    }

    private mutating func member(_ target: GuardNode, _ name: String, _ nameRange: Range<Int>, _ range: Range<Int>)
        -> (TypedGuard, GuardType)? {
        if case .name(let base) = target.syntax, variable(base) == nil {
            if base == "facts" {
                if scope.facts[name] == nil, scope.broken.contains("fact:\(name)") {
                    readsBrokenDeclaration = true
                    return nil
                }
                guard let type = scope.facts[name] else {
                    let suggestion = Suggestions.closest(to: name, in: scope.facts.keys)
                    return fail(.undefinedFact, nameRange, "\"\(name)\" is not a fact of this workflow",
                                help: suggestion.map { "did you mean \"\($0)\"?" } ?? declaredList("facts", scope.facts.keys))
                }
                return (.fact(name), type)
            }
            if base == "evidence" {
                if scope.evidence[name] == nil, scope.broken.contains("requirement:\(name)") {
                    readsBrokenDeclaration = true
                    return nil
                }
                guard let typeID = scope.evidence[name] else {
                    let suggestion = Suggestions.closest(to: name, in: scope.evidence.keys)
                    return fail(.undefinedEvidence, nameRange, "\"\(name)\" is not the id of any requirement of this workflow",
                                help: suggestion.map { "did you mean \"\($0)\"?" } ?? declaredList("requirement ids", scope.evidence.keys))
                }
                return (.evidence(name), .list(.item(typeID)))
            }
        }
        guard let (t, type) = expression(target) else { return nil }
        switch type {
        case .item(let typeID):
            let fields = scope.evidenceTypes[typeID] ?? [:]
            guard let field = fields[name] else {
                let suggestion = Suggestions.closest(to: name, in: fields.keys)
                return fail(.undefinedField, nameRange, "evidence type \"\(typeID)\" has no field \"\(name)\"",
                            help: suggestion.map { "did you mean \"\($0)\"?" } ?? declaredList("fields", fields.keys))
            }
            if field.confidential {
                return fail(.guardType, nameRange, "field \"\(name)\" of \"\(typeID)\" is confidential and cannot be read by a guard",
                            help: "confidential values never enter the log in clear, so a decision cannot depend on them")
            }
            return (.field(t, name), field.type)
        case .list(.item(let typeID)):
            return fail(.guardType, nameRange, "this is a list of items of \(typeID); a field belongs to one item",
                        help: "use .map(x, x.\(name)), .all(x, ...), .exists(x, ...) or .max(x, x.\(name))")
        default:
            return fail(.guardType, nameRange, "\(type) has no field \"\(name)\"")
        }
    }

    private func declaredList(_ what: String, _ names: Dictionary<String, some Any>.Keys) -> String {
        names.isEmpty ? "this workflow declares no \(what)" : "declared \(what): " + names.sorted().joined(separator: ", ")
    }

    static let functions = ["size", "has", "max", "min", "date", "today"]
    static let methods = ["size", "all", "exists", "filter", "map", "max", "min"]

    private mutating func call(_ name: String, _ args: [GuardNode], _ range: Range<Int>) -> (TypedGuard, GuardType)? {
        switch name {
        case "size":
            guard args.count == 1 else { return fail(.guardType, range, "size takes one argument, found \(args.count)") }
            return size(args[0])
        case "has":
            guard args.count == 1 else { return fail(.guardType, range, "has takes one argument, found \(args.count)") }
            return has(args[0])
        case "max", "min":
            if args.count == 1 {
                guard let (t, type) = expression(args[0]) else { return nil }
                guard type == .list(.int) || type == .list(.any) else {
                    return fail(.guardType, args[0].range, "\(name) of one argument needs a list of ints, but this is \(type)",
                                help: "for evidence items, write evidence.ID.\(name)(x, x.FIELD)")
                }
                return (.extremeOfList(max: name == "max", t), .int)
            }
            guard args.count >= 2 else { return fail(.guardType, range, "\(name) needs a list or at least two ints") }
            var typed: [TypedGuard] = []
            var ok = true
            for arg in args {
                guard let (t, type) = expression(arg) else { ok = false; continue }
                if type != .int {
                    _ = fail(.guardType, arg.range, "\(name) compares ints, but this is \(type)")
                    ok = false
                }
                typed.append(t)
            }
            return ok ? (.extreme(max: name == "max", typed), .int) : nil
        case "date":
            guard args.count == 1, case .string(let text) = args[0].syntax else {
                return fail(.guardType, range, "date takes one text literal such as date(\"2026-01-31\")")
            }
            guard let date = CalendarDate(text) else {
                return fail(.guardType, args[0].range, "\"\(text)\" is not a date", help: "write YYYY-MM-DD, for example \"2026-01-31\"")
            }
            return (.literal(.date(date)), .date)
        case "today":
            guard args.isEmpty else { return fail(.guardType, range, "today takes no argument: write today()") }
            return (.today, .date)
        default:
            let suggestion = Suggestions.closest(to: name, in: Self.functions)
            return fail(.guardType, range.lowerBound..<(range.lowerBound + name.unicodeScalars.count),
                        "unknown function \"\(name)\"",
                        help: suggestion.map { "did you mean \"\($0)\"?" } ?? "the functions are " + Self.functions.joined(separator: ", "))
        }
    }

    private mutating func size(_ arg: GuardNode) -> (TypedGuard, GuardType)? {
        guard let (t, type) = expression(arg) else { return nil }
        switch type {
        case .list, .string, .enumeration: return (.size(t), .int)
        default: return fail(.guardType, arg.range, "size needs a list or text, but this is \(type)")
        }
    }

    private mutating func has(_ arg: GuardNode) -> (TypedGuard, GuardType)? {
        guard case .member(let target, let name, _) = arg.syntax else {
            return fail(.guardType, arg.range, "has needs a field such as has(facts.tier) or has(evidence.dpia)")
        }
        guard let (typed, _) = member(target, name, memberNameRange(arg), arg.range) else { return nil }
        switch typed {
        case .fact(let n): return (.hasFact(n), .bool)
        case .evidence(let n): return (.hasEvidence(n), .bool)
        case .field(let item, let n): return (.hasField(item, n), .bool)
        default: return fail(.guardType, arg.range, "has needs a fact, an evidence id or an item field")
        }
    }

    private func memberNameRange(_ node: GuardNode) -> Range<Int> {
        if case .member(_, _, let r) = node.syntax { return r }
        return node.range
    }

    private mutating func method(_ target: GuardNode, _ name: String, _ nameRange: Range<Int>, _ args: [GuardNode],
                                 _ range: Range<Int>) -> (TypedGuard, GuardType)? {
        if name == "size" {
            guard args.isEmpty else { return fail(.guardType, range, ".size() takes no arguments") }
            return size(target)
        }
        guard let comprehension = TypedGuard.Comprehension(rawValue: name) else {
            let suggestion = Suggestions.closest(to: name, in: Self.methods)
            return fail(.guardType, nameRange, "unknown method \"\(name)\"",
                        help: suggestion.map { "did you mean \"\($0)\"?" } ?? "the methods are " + Self.methods.joined(separator: ", "))
        }
        guard let (list, listType) = expression(target) else { return nil }
        guard case .list(let element) = listType else {
            return fail(.guardType, target.range, ".\(name) needs a list, but this is \(listType)")
        }
        guard args.count == 2, case .name(let variableName) = args[0].syntax else {
            return fail(.guardType, range, ".\(name) takes a variable name and an expression, as in .\(name)(x, x.scale > 2)")
        }
        if variableName == "facts" || variableName == "evidence" {
            return fail(.guardType, args[0].range, "\"\(variableName)\" cannot be a variable name")
        }
        variables.append((variableName, element))
        defer { variables.removeLast() }
        guard let (body, bodyType) = expression(args[1]) else { return nil }
        switch comprehension {
        case .all, .exists, .filter:
            guard bodyType == .bool else {
                return fail(.guardType, args[1].range, "the condition of .\(name) must be a bool, but this is \(bodyType)")
            }
            let result: GuardType = comprehension == .filter ? listType : .bool
            return (.comprehension(comprehension, list: list, variable: variableName, body: body), result)
        case .map:
            return (.comprehension(.map, list: list, variable: variableName, body: body), .list(bodyType))
        case .max, .min:
            guard bodyType == .int else {
                return fail(.guardType, args[1].range, ".\(name) needs an int for each item, but this is \(bodyType)")
            }
            return (.comprehension(comprehension, list: list, variable: variableName, body: body), .int)
        }
    }

    private mutating func binary(_ op: BinaryOperator, _ lhs: GuardNode, _ rhs: GuardNode, _ range: Range<Int>)
        -> (TypedGuard, GuardType)? {
        let left = expression(lhs), right = expression(rhs)
        guard let (l, lType) = left, let (r, rType) = right else { return nil }
        switch op {
        case .and, .or:
            var ok = true
            for (side, type) in [(lhs, lType), (rhs, rType)] where type != .bool {
                _ = fail(.guardType, side.range, "\(op.rawValue) joins bools, but this is \(type)", help: Self.notBoolHelp(type))
                ok = false
            }
            guard ok else { return nil }
            return (op == .and ? .and(l, r) : .or(l, r), .bool)
        case .equal, .notEqual:
            guard lType.fits(rType) else {
                return fail(.guardType, range, "cannot compare \(lType) with \(rType)")
            }
            guard checkEnumLiteral(lType, rhs), checkEnumLiteral(rType, lhs) else { return nil }
            return (.compare(op, l, r), .bool)
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            if case .enumeration(let name, let values) = lType.isTextLike && rType.isTextLike ? (isEnum(lType) ? lType : rType) : .any {
                return fail(.guardType, range, "the values of \(name) have no order, so \(op.rawValue) cannot compare them",
                            help: "list the values you mean: in [" + values.map { "\"\($0)\"" }.joined(separator: ", ") + "]")
            }
            guard lType == rType, [.int, .string, .date].contains(lType) else {
                return fail(.guardType, range, "\(op.rawValue) compares two ints, two texts or two dates, not \(lType) and \(rType)")
            }
            return (.compare(op, l, r), .bool)
        case .in:
            guard case .list(let element) = rType else {
                return fail(.guardType, rhs.range, "in needs a list on its right, but this is \(rType)")
            }
            guard element.fits(lType) else {
                return fail(.guardType, range, "cannot look for \(lType) in \(rType)")
            }
            if case .list(let items) = rhs.syntax {
                for item in items where !checkEnumLiteral(lType, item) { return nil }
            }
            return (.contains(element: l, list: r), .bool)
        case .plus, .minus, .times:
            guard lType == .int, rType == .int else {
                return fail(.guardType, range, "\(op.rawValue) works on ints, not \(lType) and \(rType)")
            }
            return (.arithmetic(op, l, r), .int)
        }
    }

    private func isEnum(_ type: GuardType) -> Bool {
        if case .enumeration = type { return true }
        return false
    }

    /// When one side is an enum and the other a text literal, the literal must be one of the enum's values.
    private mutating func checkEnumLiteral(_ type: GuardType, _ literal: GuardNode) -> Bool {
        guard case .enumeration(let name, let values) = type, case .string(let text) = literal.syntax,
              !values.contains(text) else { return true }
        let suggestion = Suggestions.closest(to: text, in: values)
        problems.append(GuardProblem(.enumValue, literal.range,
                                     "\"\(text)\" is not a value of \(name) (\(values.joined(separator: ", ")))",
                                     help: suggestion.map { "did you mean \"\($0)\"?" }))
        return false
    }
}
