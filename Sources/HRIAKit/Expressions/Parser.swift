/// Parses guard text into a syntax tree (precedence climbing), reporting the first problem with its range.
public struct GuardParser {
    private var tokens: [GuardToken]
    private var position = 0
    private let length: Int
    /// Nesting depth so far; bounded so a hostile guard cannot exhaust the stack (checker and evaluator recurse too).
    private var depth = 0
    static let maximumDepth = 64
    static let maximumChain = 256
    /// The highest tree a guard may make, whatever makes it high: nesting, a chain of operators, or a chain of
    /// `.member`, `.method()` and `[index]` after one value, which otherwise grows the tree with no nesting at all.
    static let maximumHeight = 256

    /// Parses one whole guard; the entire text must be a single expression.
    public static func parse(_ text: String) throws(GuardProblem) -> GuardNode {
        var lexer = GuardLexer(text)
        var parser = GuardParser(tokens: try lexer.tokens(), length: text.unicodeScalars.count)
        if parser.current.kind == .end {
            throw GuardProblem(.guardSyntax, 0..<max(1, parser.length), "the guard is empty",
                               help: "write a condition such as facts.tier == \"high\", or remove the key")
        }
        let node = try parser.expression()
        guard parser.current.kind == .end else {
            throw parser.unexpected(after: node)
        }
        return node
    }

    private init(tokens: [GuardToken], length: Int) {
        self.tokens = tokens
        self.length = length
    }

    private var current: GuardToken { tokens[position] }

    private mutating func advance() -> GuardToken {
        let token = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    private func isSymbol(_ s: String) -> Bool { current.kind == .symbol(s) }

    private mutating func expect(_ s: String, _ what: String) throws(GuardProblem) -> GuardToken {
        guard isSymbol(s) else { throw problem(at: current, "expected \(what)") }
        return advance()
    }

    private func problem(at token: GuardToken, _ message: String, help: String? = nil) -> GuardProblem {
        let range = token.kind == .end ? max(0, length - 1)..<max(1, length) : token.range
        let found = token.kind == .end ? "the end of the guard" : "\"\(describe(token))\""
        return GuardProblem(.guardSyntax, range, "\(message), found \(found)", help: help)
    }

    private func describe(_ token: GuardToken) -> String {
        switch token.kind {
        case .int(let i): String(i)
        case .string(let s): s
        case .name(let n): n
        case .symbol(let s): s
        case .end: ""
        }
    }

    private func unexpected(after node: GuardNode) -> GuardProblem {
        if case .name(let word) = current.kind {
            let help: String? = switch word {
            case "and": "write && for \"and\""
            case "or": "write || for \"or\""
            case "not": "write ! for \"not\""
            default: "join conditions with && or ||"
            }
            return GuardProblem(.guardSyntax, current.range, "unexpected name \"\(word)\" after a complete expression",
                                help: help)
        }
        return problem(at: current, "expected an operator or the end of the guard")
    }

    /// Makes a node, refusing one that would make the tree higher than `maximumHeight`.
    private func node(_ syntax: GuardSyntax, _ range: Range<Int>) throws(GuardProblem) -> GuardNode {
        let made = GuardNode(syntax, range)
        guard made.height <= Self.maximumHeight else {
            throw GuardProblem(.guardSyntax, current.range.isEmpty ? max(0, length - 1)..<max(1, length) : current.range,
                               "the guard is nested or chained more than \(Self.maximumHeight) levels deep",
                               help: "split it into simpler conditions")
        }
        return made
    }

    private mutating func enter() throws(GuardProblem) {
        depth += 1
        if depth > Self.maximumDepth {
            throw GuardProblem(.guardSyntax, current.range.isEmpty ? max(0, length - 1)..<max(1, length) : current.range,
                               "the guard nests more than \(Self.maximumDepth) levels deep",
                               help: "split it into simpler conditions")
        }
    }

    // ternary = or [ "?" ternary ":" ternary ]
    private mutating func expression() throws(GuardProblem) -> GuardNode {
        try enter()
        defer { depth -= 1 }
        let condition = try binary(minimumPrecedence: 1)
        guard isSymbol("?") else { return condition }
        _ = advance()
        let then = try expression()
        _ = try expect(":", "\":\" between the two results of ?:")
        let otherwise = try expression()
        return try node(.conditional(condition, then, otherwise), condition.range.lowerBound..<otherwise.range.upperBound)
    }

    private func binaryOperator() -> (BinaryOperator, Int)? {
        switch current.kind {
        case .symbol("||"): (.or, 1)
        case .symbol("&&"): (.and, 2)
        case .symbol("=="): (.equal, 3)
        case .symbol("!="): (.notEqual, 3)
        case .symbol("<"): (.less, 3)
        case .symbol("<="): (.lessOrEqual, 3)
        case .symbol(">"): (.greater, 3)
        case .symbol(">="): (.greaterOrEqual, 3)
        case .name("in"): (.in, 3)
        case .symbol("+"): (.plus, 4)
        case .symbol("-"): (.minus, 4)
        case .symbol("*"): (.times, 5)
        default: nil
        }
    }

    private mutating func binary(minimumPrecedence: Int) throws(GuardProblem) -> GuardNode {
        var left = try unary()
        var chain = 0
        while let (op, precedence) = binaryOperator(), precedence >= minimumPrecedence {
            // A chain builds a tree as deep as it is long; bound it like nesting, for the checker's stack.
            chain += 1
            if chain > Self.maximumChain {
                throw GuardProblem(.guardSyntax, current.range, "the guard chains more than \(Self.maximumChain) operations",
                                   help: "split it into simpler conditions")
            }
            let opToken = advance()
            if current.kind == .end || isSymbol(")") || isSymbol("]") || isSymbol(",") {
                throw problem(at: current, "expected an expression after \"\(op.rawValue)\"")
            }
            _ = opToken
            let right = try binary(minimumPrecedence: precedence + 1)
            left = try node(.binary(op, left, right), left.range.lowerBound..<right.range.upperBound)
        }
        return left
    }

    private mutating func unary() throws(GuardProblem) -> GuardNode {
        if isSymbol("!") || isSymbol("-") {
            try enter()
            defer { depth -= 1 }
            let token = advance()
            let operand = try unary()
            let op: UnaryOperator = token.kind == .symbol("!") ? .not : .negate
            if op == .negate, case .int(let value) = operand.syntax {
                return try node(.int(-value), token.range.lowerBound..<operand.range.upperBound)
            }
            return try node(.unary(op, operand), token.range.lowerBound..<operand.range.upperBound)
        }
        return try postfix()
    }

    private mutating func postfix() throws(GuardProblem) -> GuardNode {
        var target = try primary()
        while true {
            if isSymbol(".") {
                _ = advance()
                guard case .name(let name) = current.kind else {
                    throw problem(at: current, "expected a name after \".\"")
                }
                let nameToken = advance()
                if isSymbol("(") {
                    _ = advance()
                    let args = try arguments(closing: ")")
                    let close = advance()
                    target = try node(.method(target, name: name, nameRange: nameToken.range, args: args),
                                     target.range.lowerBound..<close.range.upperBound)
                } else {
                    target = try node(.member(target, name: name, nameRange: nameToken.range),
                                     target.range.lowerBound..<nameToken.range.upperBound)
                }
            } else if isSymbol("[") {
                _ = advance()
                let index = try expression()
                let close = try expect("]", "\"]\" after the index")
                target = try node(.index(target, index), target.range.lowerBound..<close.range.upperBound)
            } else {
                return target
            }
        }
    }

    /// Reads `a, b, c` up to (not including) the closing symbol.
    private mutating func arguments(closing: String) throws(GuardProblem) -> [GuardNode] {
        var args: [GuardNode] = []
        if isSymbol(closing) { return args }
        while true {
            args.append(try expression())
            if isSymbol(",") { _ = advance(); continue }
            if isSymbol(closing) { return args }
            throw problem(at: current, "expected \",\" or \"\(closing)\"")
        }
    }

    private mutating func primary() throws(GuardProblem) -> GuardNode {
        let token = current
        switch token.kind {
        case .int(let value):
            _ = advance()
            return try node(.int(value), token.range)
        case .string(let value):
            _ = advance()
            return try node(.string(value), token.range)
        case .name("true"):
            _ = advance()
            return try node(.bool(true), token.range)
        case .name("false"):
            _ = advance()
            return try node(.bool(false), token.range)
        case .name(let name):
            _ = advance()
            if isSymbol("(") {
                _ = advance()
                let args = try arguments(closing: ")")
                let close = advance()
                return try node(.call(name: name, args: args), token.range.lowerBound..<close.range.upperBound)
            }
            return try node(.name(name), token.range)
        case .symbol("("):
            _ = advance()
            let inner = try expression()
            let close = try expect(")", "\")\" to close \"(\"")
            return try node(inner.syntax, token.range.lowerBound..<close.range.upperBound)
        case .symbol("["):
            _ = advance()
            let items = try arguments(closing: "]")
            let close = advance()
            return try node(.list(items), token.range.lowerBound..<close.range.upperBound)
        default:
            throw problem(at: token, "expected a value, a name or \"(\"")
        }
    }
}
