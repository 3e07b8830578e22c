/// The untyped syntax tree of a guard, with the range of guard characters each node covers.
public indirect enum GuardSyntax: Sendable, Equatable {
    case bool(Bool)
    case int(Int)
    case string(String)
    case list([GuardNode])
    case name(String)
    /// `target.name`
    case member(GuardNode, name: String, nameRange: Range<Int>)
    /// `name(args)`
    case call(name: String, args: [GuardNode])
    /// `target.name(args)`
    case method(GuardNode, name: String, nameRange: Range<Int>, args: [GuardNode])
    case index(GuardNode, GuardNode)
    case unary(UnaryOperator, GuardNode)
    case binary(BinaryOperator, GuardNode, GuardNode)
    case conditional(GuardNode, GuardNode, GuardNode)
}

/// A syntax node and where it is in the guard text (Unicode scalar offsets).
public struct GuardNode: Sendable, Equatable {
    public var syntax: GuardSyntax
    public var range: Range<Int>
    /// The number of nodes on the longest path down from this one (1 for a leaf). The parser refuses a guard whose
    /// tree is higher than `GuardParser.maximumHeight`, so every walk over it (type checker, evaluator, printers)
    /// may recurse without exhausting the stack.
    public let height: Int

    public init(_ syntax: GuardSyntax, _ range: Range<Int>) {
        self.syntax = syntax
        self.range = range
        height = 1 + (syntax.children.map(\.height).max() ?? 0)
    }
}

extension GuardSyntax {
    /// The nodes directly below.
    var children: [GuardNode] {
        switch self {
        case .bool, .int, .string, .name: []
        case .list(let items): items
        case .member(let target, _, _): [target]
        case .call(_, let args): args
        case .method(let target, _, _, let args): [target] + args
        case .index(let target, let index): [target, index]
        case .unary(_, let operand): [operand]
        case .binary(_, let left, let right): [left, right]
        case .conditional(let condition, let then, let otherwise): [condition, then, otherwise]
        }
    }
}

public enum UnaryOperator: String, Sendable {
    case not = "!"
    case negate = "-"
}

public enum BinaryOperator: String, Sendable {
    case or = "||"
    case and = "&&"
    case equal = "=="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
    case `in` = "in"
    case plus = "+"
    case minus = "-"
    case times = "*"

    var isOrdering: Bool { [.less, .lessOrEqual, .greater, .greaterOrEqual].contains(self) }
}

/// A problem found while reading or checking a guard, located by offsets inside the guard text.
public struct GuardProblem: Error, Sendable, Equatable {
    public var rule: LintRule
    public var range: Range<Int>
    public var message: String
    public var help: String?

    public init(_ rule: LintRule, _ range: Range<Int>, _ message: String, help: String? = nil) {
        self.rule = rule
        self.range = range
        self.message = message
        self.help = help
    }
}

/// All problems found in one guard.
public struct GuardProblems: Error, Sendable, Equatable {
    public var problems: [GuardProblem]
}
