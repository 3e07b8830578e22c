import Testing
@testable import HRIAKit

// Tests of the guard parser (docs/WORKFLOW-LANGUAGE.md, "Guards" → "Grammar"): precedence and associativity,
// postfix chains, list literals, string escapes, node ranges, and every syntax error with its exact range
// (Unicode scalar offsets into the guard text), message and help.

/// Renders a syntax tree fully parenthesised so precedence can be compared as text.
func guardSExpression(_ node: GuardNode) -> String {
    let s = guardSExpression
    switch node.syntax {
    case .bool(let b): return String(b)
    case .int(let i): return String(i)
    case .string(let text): return "\"" + text + "\""
    case .list(let items): return "[" + items.map(s).joined(separator: ", ") + "]"
    case .name(let name): return name
    case .member(let target, let name, _): return s(target) + "." + name
    case .call(let name, let args): return name + "(" + args.map(s).joined(separator: ", ") + ")"
    case .method(let target, let name, _, let args): return s(target) + "." + name + "(" + args.map(s).joined(separator: ", ") + ")"
    case .index(let target, let index): return s(target) + "[" + s(index) + "]"
    case .unary(let op, let operand): return "(" + op.rawValue + s(operand) + ")"
    case .binary(let op, let lhs, let rhs): return "(" + s(lhs) + " " + op.rawValue + " " + s(rhs) + ")"
    case .conditional(let c, let a, let b): return "(" + s(c) + " ? " + s(a) + " : " + s(b) + ")"
    }
}

/// The range, in Unicode scalars, of the `occurrence`-th (0-based) appearance of `marker` in `text`.
func scalarRange(of marker: String, in text: String, occurrence: Int = 0) -> Range<Int> {
    let haystack = Array(text.unicodeScalars), needle = Array(marker.unicodeScalars)
    var seen = 0
    if needle.count <= haystack.count {
        for start in 0...(haystack.count - needle.count) where Array(haystack[start..<(start + needle.count)]) == needle {
            if seen == occurrence { return start..<(start + needle.count) }
            seen += 1
        }
    }
    Issue.record("marker \(marker) (occurrence \(occurrence)) not found in \(text)")
    return 0..<0
}

/// The problem a guard fails to parse with, or nil when it parses.
func guardParseProblem(_ text: String) -> GuardProblem? {
    do {
        _ = try GuardParser.parse(text)
        return nil
    } catch {
        return error
    }
}

struct ParseCase: Sendable, CustomTestStringConvertible {
    var text: String
    var expected: String
    init(_ text: String, _ expected: String) {
        self.text = text
        self.expected = expected
    }
    var testDescription: String { text }
}

struct SyntaxErrorCase: Sendable, CustomTestStringConvertible {
    var text: String
    var range: Range<Int>
    var message: String
    var help: String?
    init(_ text: String, _ range: Range<Int>, _ message: String, help: String? = nil) {
        self.text = text
        self.range = range
        self.message = message
        self.help = help
    }
    var testDescription: String { text.debugDescription }
}

@Suite("Guard parser")
struct GuardParserTests {
    // MARK: Precedence and associativity

    static let precedenceCases: [ParseCase] = [
        ParseCase("a || b && c", "(a || (b && c))"),
        ParseCase("a && b || c", "((a && b) || c)"),
        ParseCase("a || b || c", "((a || b) || c)"),
        ParseCase("a && b && c", "((a && b) && c)"),
        ParseCase("!a == b", "((!a) == b)"),
        ParseCase("!(a == b)", "(!(a == b))"),
        ParseCase("!!a", "(!(!a))"),
        ParseCase("!a && b", "((!a) && b)"),
        ParseCase("-x * 2", "((-x) * 2)"),
        ParseCase("-x.y", "(-x.y)"),
        ParseCase("!a.b[0]", "(!a.b[0])"),
        ParseCase("-3 * 2", "(-3 * 2)"),
        ParseCase("- 3", "-3"),
        ParseCase("--3", "3"),
        ParseCase("-(3)", "-3"),
        ParseCase("1 + 2 * 3", "(1 + (2 * 3))"),
        ParseCase("1 * 2 + 3", "((1 * 2) + 3)"),
        ParseCase("(1 + 2) * 3", "((1 + 2) * 3)"),
        ParseCase("1 - 2 - 3", "((1 - 2) - 3)"),
        ParseCase("1 - 2 + 3", "((1 - 2) + 3)"),
        ParseCase("2 * 3 * 4", "((2 * 3) * 4)"),
        ParseCase("1 - -2", "(1 - -2)"),
        ParseCase("a + 1 < b * 2", "((a + 1) < (b * 2))"),
        ParseCase("a < b && c >= d", "((a < b) && (c >= d))"),
        ParseCase("a != b || c <= d", "((a != b) || (c <= d))"),
        ParseCase("a > b == c", "((a > b) == c)"),
        ParseCase("a in [1, 2] || b", "((a in [1, 2]) || b)"),
        ParseCase("a + 1 in b", "((a + 1) in b)"),
        ParseCase("a ? b : c", "(a ? b : c)"),
        ParseCase("a ? b : c ? d : e", "(a ? b : (c ? d : e))"),
        ParseCase("a ? b ? c : d : e", "(a ? (b ? c : d) : e)"),
        ParseCase("a || b ? c : d", "((a || b) ? c : d)"),
        ParseCase("a ? b || c : d && e", "(a ? (b || c) : (d && e))"),
        ParseCase("(a ? b : c) == d", "((a ? b : c) == d)"),
        ParseCase("a\n&&\tb", "(a && b)"),
        ParseCase("  a  ||  b  ", "(a || b)"),
        ParseCase("true && false", "(true && false)"),
        ParseCase("truex || falsey", "(truex || falsey)"),
        ParseCase("inx in x", "(inx in x)"),
    ]

    @Test("precedence and associativity", arguments: precedenceCases)
    func precedence(_ c: ParseCase) throws {
        let node = try GuardParser.parse(c.text)
        #expect(guardSExpression(node) == c.expected)
    }

    // As in CEL, relations chain left to right; the type checker decides what makes sense (`1 < 2 == true` does,
    // `1 < 2 < 3` does not).
    @Test("relations chain left to right, as in CEL",
          arguments: [("1 < 2 == true", "((1 < 2) == true)"), ("a == b == c", "((a == b) == c)"), ("a in b in c", "((a in b) in c)")])
    func relationsChain(_ text: String, _ expected: String) throws {
        #expect(guardSExpression(try GuardParser.parse(text)) == expected)
    }

    @Test("a chained comparison of ints is a type error, not a silent comparison of a bool with an int")
    func chainedComparisonIsATypeError() throws {
        let node = try GuardParser.parse("1 < 2 < 3")
        let scope = GuardScope(facts: [:], evidence: [:], evidenceTypes: [:])
        guard case .failure(let problems) = GuardTypeChecker.check(node, in: scope) else {
            Issue.record("1 < 2 < 3 must not type-check")
            return
        }
        #expect(problems.problems.map(\.rule) == [.guardType])
    }

    // MARK: Postfix chains, calls and list literals

    static let chainCases: [ParseCase] = [
        ParseCase("a.b.c", "a.b.c"),
        ParseCase("facts . tier", "facts.tier"),
        ParseCase("a[0][1].b", "a[0][1].b"),
        ParseCase("a.b(c)[d].e(f, g)", "a.b(c)[d].e(f, g)"),
        ParseCase("evidence.x.filter(i, i.a > 1).size() >= 2", "(evidence.x.filter(i, (i.a > 1)).size() >= 2)"),
        ParseCase("evidence.r.max(i, max(i.scale, i.scope)) < 4", "(evidence.r.max(i, max(i.scale, i.scope)) < 4)"),
        ParseCase("x.size()", "x.size()"),
        ParseCase("f()", "f()"),
        ParseCase("f(a, b)", "f(a, b)"),
        ParseCase("max(a.b, c[0], 3)", "max(a.b, c[0], 3)"),
        ParseCase("[]", "[]"),
        ParseCase("[1]", "[1]"),
        ParseCase("[1, [2, 3], \"x\"]", "[1, [2, 3], \"x\"]"),
        ParseCase("[a || b, !c]", "[(a || b), (!c)]"),
        ParseCase("[1, 2][0]", "[1, 2][0]"),
        ParseCase("[[]].size()", "[[]].size()"),
        ParseCase("(a).b", "a.b"),
        ParseCase("a[b[c]]", "a[b[c]]"),
        ParseCase("a[b ? 1 : 2]", "a[(b ? 1 : 2)]"),
        ParseCase("x.in", "x.in"),
    ]

    @Test("member, method and index chains; calls; list literals", arguments: chainCases)
    func chains(_ c: ParseCase) throws {
        let node = try GuardParser.parse(c.text)
        #expect(guardSExpression(node) == c.expected)
    }

    @Test("node ranges are Unicode scalar offsets")
    func ranges() throws {
        let member = try GuardParser.parse("facts.tier")
        #expect(member.range == 0..<10)
        guard case .member(let target, let name, let nameRange) = member.syntax else {
            Issue.record("expected a member, got \(member.syntax)")
            return
        }
        #expect(name == "tier")
        #expect(nameRange == 6..<10)
        #expect(target.range == 0..<5)

        #expect(try GuardParser.parse("(a)").range == 0..<3)
        #expect(try GuardParser.parse("  a || b  ").range == 2..<8)
        #expect(try GuardParser.parse("-3").range == 0..<2)
        #expect(try GuardParser.parse("a ? b : c").range == 0..<9)
        #expect(try GuardParser.parse("[1, 2]").range == 0..<6)
        #expect(try GuardParser.parse("f(x, y)").range == 0..<7)
        #expect(try GuardParser.parse("a[0]").range == 0..<4)

        let method = try GuardParser.parse("x.size()")
        #expect(method.range == 0..<8)
        if case .method(_, _, let r, let args) = method.syntax {
            #expect(r == 2..<6)
            #expect(args.isEmpty)
        } else {
            Issue.record("expected a method, got \(method.syntax)")
        }

        // Non-ASCII text counts one per Unicode scalar: é and 😀 are one scalar, 👨‍👩‍👧 is five.
        for (literal, width) in [("é", 1), ("😀", 1), ("👨‍👩‍👧", 5), ("e\u{301}", 2)] {
            let text = "\"\(literal)\" == x"
            let node = try GuardParser.parse(text)
            #expect(node.range == 0..<(width + 7), "\(text)")
            guard case .binary(.equal, let lhs, let rhs) = node.syntax else {
                Issue.record("expected ==, got \(node.syntax)")
                continue
            }
            #expect(lhs.range == 0..<(width + 2), "\(text)")
            #expect(rhs.range == (width + 6)..<(width + 7), "\(text)")
            #expect(lhs.syntax == .string(literal))
        }
    }

    // MARK: Literals

    struct LiteralCase: Sendable, CustomTestStringConvertible {
        var text: String
        var value: String
        var testDescription: String { text }
    }

    static let stringCases: [LiteralCase] = [
        LiteralCase(text: #""a\"b""#, value: "a\"b"),
        LiteralCase(text: #"'a\'b'"#, value: "a'b"),
        LiteralCase(text: #""a\'b""#, value: "a'b"),
        LiteralCase(text: #"'a\"b'"#, value: "a\"b"),
        LiteralCase(text: #""a\\b""#, value: "a\\b"),
        LiteralCase(text: #""\\\\""#, value: "\\\\"),
        LiteralCase(text: #""a\nb""#, value: "a\nb"),
        LiteralCase(text: #""a\tb""#, value: "a\tb"),
        LiteralCase(text: #"'say "hi"'"#, value: "say \"hi\""),
        LiteralCase(text: #""it's""#, value: "it's"),
        LiteralCase(text: #""""#, value: ""),
        LiteralCase(text: #"''"#, value: ""),
        LiteralCase(text: #""é😀""#, value: "é😀"),
        LiteralCase(text: "\"a\tb\"", value: "a\tb"),
        LiteralCase(text: #""  spaced  ""#, value: "  spaced  "),
    ]

    @Test("string literals and their escapes", arguments: stringCases)
    func stringLiterals(_ c: LiteralCase) throws {
        let node = try GuardParser.parse(c.text)
        #expect(node.syntax == .string(c.value))
        #expect(node.range == 0..<c.text.unicodeScalars.count)
    }

    @Test("integer literals, booleans and negation folding")
    func numbers() throws {
        #expect(try GuardParser.parse("0").syntax == .int(0))
        #expect(try GuardParser.parse("007").syntax == .int(7))
        #expect(try GuardParser.parse("9223372036854775807").syntax == .int(Int.max))
        #expect(try GuardParser.parse("-9223372036854775807").syntax == .int(-Int.max))
        #expect(try GuardParser.parse("true").syntax == .bool(true))
        #expect(try GuardParser.parse("false").syntax == .bool(false))
        #expect(try GuardParser.parse("-x").syntax == .unary(.negate, GuardNode(.name("x"), 1..<2)))
    }

    // MARK: Syntax errors

    static let errorCases: [SyntaxErrorCase] = [
        // empty
        SyntaxErrorCase("", 0..<1, "the guard is empty",
                        help: "write a condition such as facts.tier == \"high\", or remove the key"),
        SyntaxErrorCase("   ", 0..<3, "the guard is empty",
                        help: "write a condition such as facts.tier == \"high\", or remove the key"),
        SyntaxErrorCase("\n\t", 0..<2, "the guard is empty",
                        help: "write a condition such as facts.tier == \"high\", or remove the key"),
        // trailing or dangling operators
        SyntaxErrorCase("facts.tier ==", 12..<13, "expected an expression after \"==\", found the end of the guard"),
        SyntaxErrorCase("a &&", 3..<4, "expected an expression after \"&&\", found the end of the guard"),
        SyntaxErrorCase("a ||", 3..<4, "expected an expression after \"||\", found the end of the guard"),
        SyntaxErrorCase("a in", 3..<4, "expected an expression after \"in\", found the end of the guard"),
        SyntaxErrorCase("a *", 2..<3, "expected an expression after \"*\", found the end of the guard"),
        SyntaxErrorCase("a && )", 5..<6, "expected an expression after \"&&\", found \")\""),
        SyntaxErrorCase("(a ||)", 5..<6, "expected an expression after \"||\", found \")\""),
        SyntaxErrorCase("[a +]", 4..<5, "expected an expression after \"+\", found \"]\""),
        SyntaxErrorCase("f(a ||, b)", 6..<7, "expected an expression after \"||\", found \",\""),
        SyntaxErrorCase("a ==== b", 4..<6, "expected a value, a name or \"(\", found \"==\""),
        SyntaxErrorCase("!", 0..<1, "expected a value, a name or \"(\", found the end of the guard"),
        SyntaxErrorCase("-", 0..<1, "expected a value, a name or \"(\", found the end of the guard"),
        // characters that are not operators
        SyntaxErrorCase("a = b", 2..<3, "unexpected character \"=\"", help: "compare with == (one = is not an operator)"),
        SyntaxErrorCase("a => b", 2..<3, "unexpected character \"=\"", help: "compare with == (one = is not an operator)"),
        SyntaxErrorCase("a !== b", 4..<5, "unexpected character \"=\"", help: "compare with == (one = is not an operator)"),
        SyntaxErrorCase("a & b", 2..<3, "unexpected character \"&\"", help: "write && for \"and\""),
        SyntaxErrorCase("a | b", 2..<3, "unexpected character \"|\"", help: "write || for \"or\""),
        SyntaxErrorCase("a / 2", 2..<3, "unexpected character \"/\"", help: "guards have +, - and * only"),
        SyntaxErrorCase("a % 2", 2..<3, "unexpected character \"%\"", help: "guards have +, - and * only"),
        SyntaxErrorCase("a # b", 2..<3, "unexpected character \"#\""),
        SyntaxErrorCase("a == é", 5..<6, "unexpected character \"é\""),
        SyntaxErrorCase("\"😀\" == x &", 9..<10, "unexpected character \"&\"", help: "write && for \"and\""),
        // the lexer runs first: a bad character wins over a later parse error
        SyntaxErrorCase("(a & b", 3..<4, "unexpected character \"&\"", help: "write && for \"and\""),
        // words instead of operators
        SyntaxErrorCase("a and b", 2..<5, "unexpected name \"and\" after a complete expression", help: "write && for \"and\""),
        SyntaxErrorCase("a or b", 2..<4, "unexpected name \"or\" after a complete expression", help: "write || for \"or\""),
        SyntaxErrorCase("a not b", 2..<5, "unexpected name \"not\" after a complete expression", help: "write ! for \"not\""),
        SyntaxErrorCase("a b", 2..<3, "unexpected name \"b\" after a complete expression", help: "join conditions with && or ||"),
        SyntaxErrorCase("facts.x == 1 and facts.y == 2", 13..<16, "unexpected name \"and\" after a complete expression",
                        help: "write && for \"and\""),
        // text
        SyntaxErrorCase("\"abc", 0..<4, "the text starting here has no closing \""),
        SyntaxErrorCase("x == 'abc", 5..<9, "the text starting here has no closing '"),
        SyntaxErrorCase("\"ab\ncd\"", 0..<3, "the text starting here has no closing \""),
        SyntaxErrorCase(#""abc\"#, 0..<4, "the text starting here has no closing \""),
        SyntaxErrorCase(#""abc\""#, 0..<6, "the text starting here has no closing \""),
        SyntaxErrorCase(#""a\qb""#, 2..<4, "unknown escape \"\\q\" in text", help: #"the escapes are \" \' \\ \n \t"#),
        SyntaxErrorCase(#"x == "\u00e9""#, 6..<8, "unknown escape \"\\u\" in text", help: #"the escapes are \" \' \\ \n \t"#),
        SyntaxErrorCase(#"'é\r'"#, 2..<4, "unknown escape \"\\r\" in text", help: #"the escapes are \" \' \\ \n \t"#),
        // numbers
        SyntaxErrorCase("99999999999999999999", 0..<20, "the number is too large"),
        SyntaxErrorCase("9223372036854775808", 0..<19, "the number is too large"),
        SyntaxErrorCase("x > 99999999999999999999 + 1", 4..<24, "the number is too large"),
        SyntaxErrorCase("x > 1.5", 4..<6, "guards have whole numbers only", help: "write an integer such as 3"),
        SyntaxErrorCase("1.0 == x", 0..<2, "guards have whole numbers only", help: "write an integer such as 3"),
        SyntaxErrorCase("x > 3abc", 4..<6, "guards have whole numbers only", help: "write an integer such as 3"),
        // brackets
        SyntaxErrorCase(")", 0..<1, "expected a value, a name or \"(\", found \")\""),
        SyntaxErrorCase("a)", 1..<2, "expected an operator or the end of the guard, found \")\""),
        SyntaxErrorCase("(a))", 3..<4, "expected an operator or the end of the guard, found \")\""),
        SyntaxErrorCase("a == 1)", 6..<7, "expected an operator or the end of the guard, found \")\""),
        SyntaxErrorCase("(a", 1..<2, "expected \")\" to close \"(\", found the end of the guard"),
        SyntaxErrorCase("(a b)", 3..<4, "expected \")\" to close \"(\", found \"b\""),
        SyntaxErrorCase("a ? b", 4..<5, "expected \":\" between the two results of ?:, found the end of the guard"),
        SyntaxErrorCase("a ? b , c", 6..<7, "expected \":\" between the two results of ?:, found \",\""),
        SyntaxErrorCase("a.", 1..<2, "expected a name after \".\", found the end of the guard"),
        SyntaxErrorCase("a.1", 2..<3, "expected a name after \".\", found \"1\""),
        SyntaxErrorCase("a.(b)", 2..<3, "expected a name after \".\", found \"(\""),
        SyntaxErrorCase("f(a", 2..<3, "expected \",\" or \")\", found the end of the guard"),
        SyntaxErrorCase("f(a b)", 4..<5, "expected \",\" or \")\", found \"b\""),
        SyntaxErrorCase("x.all(i, i", 9..<10, "expected \",\" or \")\", found the end of the guard"),
        SyntaxErrorCase("f(a,)", 4..<5, "expected a value, a name or \"(\", found \")\""),
        SyntaxErrorCase("[1, 2", 4..<5, "expected \",\" or \"]\", found the end of the guard"),
        SyntaxErrorCase("[1 2]", 3..<4, "expected \",\" or \"]\", found \"2\""),
        SyntaxErrorCase("[1, ]", 4..<5, "expected a value, a name or \"(\", found \"]\""),
        SyntaxErrorCase("a[1", 2..<3, "expected \"]\" after the index, found the end of the guard"),
        SyntaxErrorCase("a[]", 2..<3, "expected a value, a name or \"(\", found \"]\""),
        // a call is NAME "(" args ")"; postfix has no call form
        SyntaxErrorCase("f(a)(b)", 4..<5, "expected an operator or the end of the guard, found \"(\""),
        SyntaxErrorCase("a \"x\"", 2..<5, "expected an operator or the end of the guard, found \"x\""),
    ]

    @Test("syntax errors: range, message and help", arguments: errorCases)
    func syntaxErrors(_ c: SyntaxErrorCase) {
        guard let problem = guardParseProblem(c.text) else {
            Issue.record("\(c.text.debugDescription) parsed, but should not")
            return
        }
        #expect(problem.rule == .guardSyntax)
        #expect(problem.range == c.range)
        #expect(problem.message == c.message)
        #expect(problem.help == c.help)
    }

    @Test("every syntax error range lies inside the guard (or is the first character of an empty one)", arguments: errorCases)
    func syntaxErrorRangesAreInside(_ c: SyntaxErrorCase) {
        guard let problem = guardParseProblem(c.text) else { return }
        let length = c.text.unicodeScalars.count
        #expect(problem.range.lowerBound >= 0)
        #expect(!problem.range.isEmpty)
        #expect(problem.range.upperBound <= max(1, length))
    }
}
