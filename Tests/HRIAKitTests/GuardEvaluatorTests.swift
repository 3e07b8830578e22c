import Testing
@testable import HRIAKit

// Tests of guard evaluation: truth tables, CEL's commutative treatment of errors in && and ||, list macros
// with items that cannot be evaluated, empty lists, overflow, ordering of text and dates, and the record of
// what a guard read.

/// An assessment as a guard sees it: fixed facts and evidence.
struct FakeGuardInput: GuardInput {
    var facts: [String: GuardValue] = [:]
    var evidence: [String: [EvidenceItem]] = [:]

    func fact(_ name: String) -> GuardValue? { facts[name] }
    func evidence(_ requirement: String) -> [EvidenceItem] { evidence[requirement] ?? [] }
}

/// What a guard is expected to evaluate to.
enum GuardOutcome: Sendable, Equatable, CustomStringConvertible {
    case value(Bool)
    case failure(GuardFailure)

    static let t = GuardOutcome.value(true)
    static let f = GuardOutcome.value(false)
    static func unset(_ name: String) -> GuardOutcome { .failure(.factNotSet(name)) }

    init(_ result: Result<Bool, GuardFailure>) {
        switch result {
        case .success(let b): self = .value(b)
        case .failure(let f): self = .failure(f)
        }
    }

    var description: String {
        switch self {
        case .value(let b): String(b)
        case .failure(let f): "failure(\(f))"
        }
    }
}

enum GuardEval {
    static func run(_ text: String, _ input: FakeGuardInput,
                    sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> GuardEvaluation {
        let typed = try GuardFixture.typed(text, sourceLocation: sourceLocation)
        return GuardEvaluator.evaluate(typed, input: input)
    }

    static func outcome(_ text: String, _ input: FakeGuardInput,
                        sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> GuardOutcome {
        GuardOutcome(try run(text, input, sourceLocation: sourceLocation).result)
    }
}

/// Items of the fixture's `impact` evidence type.
enum Impacts {
    static func item(scale: Int, note: String? = nil, status: String = "actual", right: String = "privacy") -> EvidenceItem {
        var fields: [String: GuardValue] = ["scale": .int(scale), "scope": .int(1), "likelihood": .int(1),
                                            "right": .string(right), "status": .string(status)]
        if let note { fields["note"] = .string(note) }
        return EvidenceItem(fields: fields)
    }

    /// scale 1, note "x"
    static let a = item(scale: 1, note: "x")
    /// scale 3, no note (the optional field was not given)
    static let b = item(scale: 3, status: "potential")
    /// scale 4, note "y"
    static let c = item(scale: 4, note: "y")
}

struct EvalCase: Sendable, CustomTestStringConvertible {
    var text: String
    var facts: [String: GuardValue]
    var impacts: [EvidenceItem]
    var expected: GuardOutcome
    var label: String

    init(_ text: String, facts: [String: GuardValue] = [:], impacts: [EvidenceItem] = [], _ expected: GuardOutcome,
         label: String = "") {
        self.text = text
        self.facts = facts
        self.impacts = impacts
        self.expected = expected
        self.label = label
    }

    var input: FakeGuardInput { FakeGuardInput(facts: facts, evidence: ["impacts": impacts]) }
    var testDescription: String { label.isEmpty ? text : "\(text) [\(label)]" }
}

@Suite("Guard evaluator")
struct GuardEvaluatorTests {
    static func verify(_ c: EvalCase, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let evaluation = try GuardEval.run(c.text, c.input, sourceLocation: sourceLocation)
        #expect(GuardOutcome(evaluation.result) == c.expected, sourceLocation: sourceLocation)
        #expect(evaluation.isTrue == (c.expected == .t), sourceLocation: sourceLocation)
    }

    // MARK: Truth tables, with nil for an unset fact

    static let values: [Bool?] = [true, false, nil]

    static func facts(_ a: Bool?, _ b: Bool?) -> [String: GuardValue] {
        var facts: [String: GuardValue] = [:]
        if let a { facts["active"] = .bool(a) }
        if let b { facts["flag"] = .bool(b) }
        return facts
    }

    /// CEL: `false && x` is false and `true || x` is true whatever x is, on either side; otherwise an error
    /// of the left side is reported first.
    static func expectedAnd(_ a: Bool?, _ b: Bool?) -> GuardOutcome {
        if a == false || b == false { return .f }
        if a == nil { return .unset("active") }
        if b == nil { return .unset("flag") }
        return .t
    }

    static func expectedOr(_ a: Bool?, _ b: Bool?) -> GuardOutcome {
        if a == true || b == true { return .t }
        if a == nil { return .unset("active") }
        if b == nil { return .unset("flag") }
        return .f
    }

    @Test("&& truth table with unset facts (CEL commutative error absorption)", arguments: values, values)
    func andTable(_ a: Bool?, _ b: Bool?) throws {
        #expect(try GuardEval.outcome("facts.active && facts.flag", FakeGuardInput(facts: Self.facts(a, b))) == Self.expectedAnd(a, b))
    }

    @Test("|| truth table with unset facts (CEL commutative error absorption)", arguments: values, values)
    func orTable(_ a: Bool?, _ b: Bool?) throws {
        #expect(try GuardEval.outcome("facts.active || facts.flag", FakeGuardInput(facts: Self.facts(a, b))) == Self.expectedOr(a, b))
    }

    @Test("!, == and != truth tables", arguments: values, values)
    func otherOperators(_ a: Bool?, _ b: Bool?) throws {
        let input = FakeGuardInput(facts: Self.facts(a, b))
        let expectedNot: GuardOutcome = a.map { .value(!$0) } ?? .unset("active")
        #expect(try GuardEval.outcome("!facts.active", input) == expectedNot)
        let expectedEqual: GuardOutcome, expectedNotEqual: GuardOutcome
        if let a, let b {
            expectedEqual = .value(a == b)
            expectedNotEqual = .value(a != b)
        } else {
            expectedEqual = .unset(a == nil ? "active" : "flag")
            expectedNotEqual = expectedEqual
        }
        #expect(try GuardEval.outcome("facts.active == facts.flag", input) == expectedEqual)
        #expect(try GuardEval.outcome("facts.active != facts.flag", input) == expectedNotEqual)
    }

    static let absorption: [EvalCase] = [
        EvalCase("false && facts.active", .f, label: "false && unset"),
        EvalCase("facts.active && false", .f, label: "unset && false"),
        EvalCase("facts.active && true", .unset("active"), label: "unset && true"),
        EvalCase("true && facts.active", .unset("active"), label: "true && unset"),
        EvalCase("facts.active || true", .t, label: "unset || true"),
        EvalCase("true || facts.active", .t, label: "true || unset"),
        EvalCase("facts.active || false", .unset("active"), label: "unset || false"),
        EvalCase("facts.count > 1 || facts.flag", facts: ["flag": .bool(true)], .t),
        EvalCase("facts.count > 1 && facts.flag", facts: ["flag": .bool(false)], .f),
        EvalCase("facts.count > 1 && facts.flag", facts: ["flag": .bool(true)], .unset("count")),
        EvalCase("(facts.active || facts.flag) && facts.tier == \"low\"", facts: ["tier": .string("high")], .f),
        EvalCase("!(facts.active && false)", .t),
        EvalCase("!facts.active || true", .t),
        EvalCase("(facts.flag ? facts.count : 0) == 0", facts: ["flag": .bool(false)], .t, label: "untaken branch unset"),
        EvalCase("(facts.flag ? facts.count : 0) == 0", facts: ["flag": .bool(true)], .unset("count")),
        EvalCase("(facts.flag ? 1 : 0) == 0", .unset("flag")),
        EvalCase("facts.count == facts.other", facts: ["other": .int(1)], .unset("count")),
        EvalCase("facts.count == facts.other", facts: ["count": .int(1)], .unset("other")),
        EvalCase("facts.tier in [\"substantial\", \"high\"]", .unset("tier")),
        EvalCase("max(facts.count, 2) > 1", .unset("count")),
        EvalCase("has(facts.count) && facts.count > 1", .f, label: "has guards an unset fact"),
        EvalCase("!has(facts.count) || facts.count > 1", .t),
        EvalCase("!has(facts.count) || facts.count > 1", facts: ["count": .int(0)], .f),
    ]

    @Test("errors are absorbed only by a deciding side", arguments: absorption)
    func errorAbsorption(_ c: EvalCase) throws { try Self.verify(c) }

    // MARK: List macros

    static let lists: [EvalCase] = [
        EvalCase("evidence.impacts.exists(i, i.note == \"x\")", impacts: [Impacts.a, Impacts.b], .t, label: "deciding item first"),
        EvalCase("evidence.impacts.exists(i, i.note == \"x\")", impacts: [Impacts.b, Impacts.a], .t, label: "deciding item last"),
        EvalCase("evidence.impacts.exists(i, i.note == \"x\")", impacts: [Impacts.b], .failure(.fieldNotGiven("note"))),
        EvalCase("evidence.impacts.exists(i, i.note == \"x\")", impacts: [Impacts.c, Impacts.b], .failure(.fieldNotGiven("note"))),
        EvalCase("evidence.impacts.exists(i, i.note == \"x\")", impacts: [Impacts.c], .f),
        EvalCase("evidence.impacts.all(i, i.note == \"x\")", impacts: [Impacts.c, Impacts.b], .f, label: "deciding item first"),
        EvalCase("evidence.impacts.all(i, i.note == \"x\")", impacts: [Impacts.b, Impacts.c], .f, label: "deciding item last"),
        EvalCase("evidence.impacts.all(i, i.note == \"x\")", impacts: [Impacts.a, Impacts.b], .failure(.fieldNotGiven("note"))),
        EvalCase("evidence.impacts.all(i, i.note == \"x\")", impacts: [Impacts.a], .t),
        EvalCase("evidence.impacts.all(i, i.scale > 100)", .t, label: "all of nothing"),
        EvalCase("evidence.impacts.exists(i, i.scale > 0)", .f, label: "exists in nothing"),
        EvalCase("evidence.impacts.all(i, has(i.note))", impacts: [Impacts.a, Impacts.b], .f),
        EvalCase("evidence.impacts.exists(i, has(i.note))", impacts: [Impacts.a, Impacts.b], .t),
        EvalCase("evidence.impacts.all(i, !has(i.note) || i.note == \"x\")", impacts: [Impacts.a, Impacts.b], .t),
        EvalCase("size(evidence.impacts.filter(i, i.note == \"x\")) == 1", impacts: [Impacts.a, Impacts.b],
                 .failure(.fieldNotGiven("note"))),
        EvalCase("size(evidence.impacts.filter(i, i.note == \"x\")) == 1", impacts: [Impacts.a, Impacts.c], .t),
        EvalCase("evidence.impacts.filter(i, i.scale > 1).map(i, i.scale) == [3, 4]",
                 impacts: [Impacts.a, Impacts.b, Impacts.c], .t),
        EvalCase("evidence.impacts.map(i, i.note) == [\"x\"]", impacts: [Impacts.a, Impacts.b], .failure(.fieldNotGiven("note"))),
        EvalCase("evidence.impacts.map(i, i.scale) == [1, 4]", impacts: [Impacts.a, Impacts.c], .t),
        EvalCase("evidence.impacts.max(i, i.scale) == 4", impacts: [Impacts.b, Impacts.c, Impacts.a], .t),
        EvalCase("evidence.impacts.min(i, i.scale) == 1", impacts: [Impacts.b, Impacts.c, Impacts.a], .t),
        EvalCase("evidence.impacts.max(i, i.scale * 10 - i.likelihood) == 39", impacts: [Impacts.a, Impacts.c], .t),
        EvalCase("evidence.impacts.max(i, i.scale) > 0", .failure(.emptyList("max"))),
        EvalCase("evidence.impacts.min(i, i.scale) > 0", .failure(.emptyList("min"))),
        EvalCase("max(evidence.impacts.map(i, i.scale)) > 0", .failure(.emptyList("max"))),
        EvalCase("min(evidence.impacts.map(i, i.scale)) > 0", .failure(.emptyList("min"))),
        EvalCase("max([]) > 0", .failure(.emptyList("max"))),
        EvalCase("min([]) < 0", .failure(.emptyList("min"))),
        EvalCase("max([3, 9, 2]) == 9 && min([3, 9, 2]) == 2", .t),
        EvalCase("max(3, 9, 2) == 9 && min(3, 9, 2) == 2", .t),
        EvalCase("evidence.impacts.max(i, i.scale) > 0 || true", .t, label: "empty max absorbed by ||"),
        EvalCase("evidence.impacts.max(i, i.scale) > 9 && false", .f, label: "empty max absorbed by &&"),
        EvalCase("evidence.impacts[0].scale == 1", impacts: [Impacts.a], .t),
        EvalCase("evidence.impacts[0].scale == 1", .failure(.indexOutOfRange(0, count: 0))),
        EvalCase("[1, 2][1] == 2", .t),
        EvalCase("[1, 2][5] == 1", .failure(.indexOutOfRange(5, count: 2))),
        EvalCase("[1, 2][-1] == 1", .failure(.indexOutOfRange(-1, count: 2))),
        EvalCase("size(evidence.impacts) == 3 && evidence.impacts.size() == 3", impacts: [Impacts.a, Impacts.b, Impacts.c], .t),
        EvalCase("has(evidence.impacts)", .f),
        EvalCase("has(evidence.impacts)", impacts: [Impacts.b], .t),
        EvalCase("3 in [] || [1] in [[2], [1]]", .t),
        EvalCase("evidence.impacts.exists(i, i.status == \"potential\")", impacts: [Impacts.a, Impacts.b], .t),
        // shadowing at run time: the inner variable is the inner item, the outer is back afterwards
        EvalCase("evidence.impacts.all(i, evidence.impacts.exists(i, i.scale == 4) && i.scale < 4)",
                 impacts: [Impacts.a, Impacts.b], .f),
        EvalCase("evidence.impacts.exists(i, evidence.impacts.exists(i, i.scale == 4) && i.scale == 1)",
                 impacts: [Impacts.a, Impacts.b, Impacts.c], .t),
        EvalCase("evidence.impacts.all(i, evidence.impacts.exists(j, j.scale >= i.scale))",
                 impacts: [Impacts.a, Impacts.b, Impacts.c], .t),
        EvalCase("evidence.impacts.exists(i, evidence.impacts.all(j, j.scale <= i.scale))",
                 impacts: [Impacts.a, Impacts.b, Impacts.c], .t),
    ]

    @Test("all, exists, filter, map, max, min, index", arguments: lists)
    func listMacros(_ c: EvalCase) throws { try Self.verify(c) }

    // MARK: Integers

    static let integers: [EvalCase] = [
        EvalCase("9223372036854775807 + 1 > 0", .failure(.overflow)),
        EvalCase("-9223372036854775807 - 2 < 0", .failure(.overflow)),
        EvalCase("9223372036854775807 * 2 > 0", .failure(.overflow)),
        EvalCase("-9223372036854775807 * 2 < 0", .failure(.overflow)),
        EvalCase("facts.count * facts.count > 0", facts: ["count": .int(3_037_000_500)], .failure(.overflow)),
        EvalCase("facts.count * facts.count > 0", facts: ["count": .int(3_037_000_499)], .t),
        EvalCase("-facts.count > 0", facts: ["count": .int(Int.min)], .failure(.overflow)),
        EvalCase("facts.count - 1 < 0", facts: ["count": .int(Int.min)], .failure(.overflow)),
        EvalCase("-9223372036854775807 - 1 < 0", .t, label: "exactly Int.min"),
        EvalCase("9223372036854775807 - 1 == 9223372036854775806", .t),
        EvalCase("9223372036854775807 + 1 > 0 || true", .t, label: "overflow absorbed by ||"),
        EvalCase("false && 9223372036854775807 + 1 > 0", .f),
        EvalCase("1 + 2 * 3 == 7 && (1 + 2) * 3 == 9 && 10 - 3 - 2 == 5", .t),
        EvalCase("-facts.count == 5", facts: ["count": .int(-5)], .t),
        EvalCase("facts.count >= 0 && facts.count <= 500", facts: ["count": .int(500)], .t),
        EvalCase("facts.count > facts.other", facts: ["count": .int(-1), "other": .int(-2)], .t),
    ]

    @Test("integer arithmetic and overflow", arguments: integers)
    func integerArithmetic(_ c: EvalCase) throws { try Self.verify(c) }

    // MARK: Text and dates

    static let ordering: [EvalCase] = [
        EvalCase("\"a\" < \"b\"", .t),
        EvalCase("\"b\" < \"a\"", .f),
        EvalCase("\"B\" < \"a\"", .t, label: "upper case before lower case"),
        EvalCase("\"ab\" < \"abc\"", .t, label: "a prefix comes first"),
        EvalCase("\"\" < \"a\"", .t),
        EvalCase("\"abc\" <= \"abc\"", .t),
        EvalCase("\"abc\" < \"abc\"", .f),
        EvalCase("\"abc\" >= \"abc\"", .t),
        EvalCase("\"abc\" > \"abc\"", .f),
        EvalCase("\"b\" > \"a\"", .t),
        EvalCase("\"a\" >= \"b\"", .f),
        EvalCase("\"z\" < \"é\"", .t),
        EvalCase("\"é\" < \"😀\"", .t),
        EvalCase("\"\u{FF61}\" < \"😀\"", .t, label: "Unicode scalar order, not UTF-16 order"),
        EvalCase("facts.partner < facts.alias", facts: ["partner": .string("Acme"), "alias": .string("acme")], .t),
        EvalCase("facts.partner == \"Acme\"", facts: ["partner": .string("Acme")], .t),
        EvalCase("facts.partner != \"acme\"", facts: ["partner": .string("Acme")], .t),
        EvalCase("size(facts.partner) == 4 && size(\"\") == 0 && \"é\".size() == 1", facts: ["partner": .string("Acme")], .t),
        EvalCase("facts.tier in [\"substantial\", \"high\"]", facts: ["tier": .string("high")], .t),
        EvalCase("facts.tier in [\"substantial\", \"high\"]", facts: ["tier": .string("low")], .f),
        EvalCase("facts.tier == facts.partner", facts: ["tier": .string("low"), "partner": .string("low")], .t),
    ]

    @Test("text ordering is by Unicode scalars", arguments: ordering)
    func textOrdering(_ c: EvalCase) throws { try Self.verify(c) }

    static let due: [String: GuardValue] = ["due": .date(CalendarDate(year: 2026, month: 1, day: 15))]

    static let dates: [EvalCase] = [
        EvalCase("facts.due < date(\"2026-01-31\")", facts: due, .t),
        EvalCase("facts.due == date(\"2026-01-15\")", facts: due, .t),
        EvalCase("facts.due != date(\"2026-01-15\")", facts: due, .f),
        EvalCase("facts.due > date(\"2025-12-31\")", facts: due, .t),
        EvalCase("facts.due >= date(\"2026-01-16\")", facts: due, .f),
        EvalCase("facts.due <= date(\"2026-01-15\")", facts: due, .t),
        EvalCase("facts.due < date(\"2026-01-15\")", facts: due, .f),
        EvalCase("date(\"2025-12-31\") < date(\"2026-01-01\")", .t),
        EvalCase("date(\"2026-02-01\") > date(\"2026-01-31\")", .t),
        EvalCase("date(\"2024-02-29\") > date(\"2024-02-28\")", .t),
        EvalCase("date(\"0999-12-31\") < date(\"1000-01-01\")", .t),
        EvalCase("facts.due in [date(\"2026-01-15\")]", facts: due, .t),
        EvalCase("facts.due < date(\"2026-01-31\")", .unset("due")),
    ]

    @Test("dates compare in calendar order", arguments: dates)
    func dateComparisons(_ c: EvalCase) throws { try Self.verify(c) }

    @Test("dates of evidence fields")
    func evidenceDates() throws {
        let consultation = { (d: CalendarDate) in
            EvidenceItem(fields: ["date": .date(d), "group": .string("workers")])
        }
        let input = FakeGuardInput(facts: Self.due, evidence: ["consultations": [
            consultation(CalendarDate(year: 2025, month: 12, day: 1)),
            consultation(CalendarDate(year: 2026, month: 2, day: 1)),
        ]])
        #expect(try GuardEval.outcome("evidence.consultations.exists(c, c.date >= facts.due)", input) == .t)
        #expect(try GuardEval.outcome("evidence.consultations.all(c, c.date >= facts.due)", input) == .f)
        #expect(try GuardEval.outcome("evidence.consultations.all(c, c.date > date(\"2025-11-30\"))", input) == .t)
    }

    // Exactly one of <, ==, > holds for any two texts, and <=, >= agree with them (a total order). Swift's
    // String == treats canonically equivalent texts as equal, while the ordering compares scalars.
    @Test("text comparison is a total order", arguments: [
        ("abc", "abd"),
        ("abd", "abc"),
        ("abc", "abc"),
        ("", "a"),
        ("\u{E9}", "\u{1F600}"),
    ])
    func textTotalOrder(_ a: String, _ b: String) throws {
        try Self.checkTotalOrder(a, b)
    }

    @Test("text comparison is a total order also for canonically equivalent texts",
          arguments: [
              ("\u{E9}", "e\u{301}"),
              ("e\u{301}", "\u{E9}"),
              ("\u{212B}", "\u{C5}"),
              ("\u{C5}", "\u{212B}"),
          ])
    func textTotalOrderCanonicalEquivalence(_ a: String, _ b: String) throws {
        try Self.checkTotalOrder(a, b)
    }

    static func checkTotalOrder(_ a: String, _ b: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let input = FakeGuardInput(facts: ["partner": .string(a), "alias": .string(b)])
        func holds(_ op: String) throws -> Bool {
            try GuardEval.outcome("facts.partner \(op) facts.alias", input) == .t
        }
        let less = try holds("<"), equal = try holds("=="), greater = try holds(">")
        #expect([less, equal, greater].filter { $0 }.count == 1, "< \(less), == \(equal), > \(greater)",
                sourceLocation: sourceLocation)
        #expect(try holds("<=") == (less || equal), sourceLocation: sourceLocation)
        #expect(try holds(">=") == (greater || equal), sourceLocation: sourceLocation)
        #expect(try holds("!=") == !equal, sourceLocation: sourceLocation)
        #expect(try GuardEval.outcome("facts.partner in [facts.alias]", input) == .value(equal), sourceLocation: sourceLocation)
    }

    // MARK: What a guard read

    static func describe(_ reads: [(name: String, value: GuardValue?)]) -> [String] {
        reads.map { "\($0.name)=\($0.value?.description ?? "unset")" }
    }

    static func describe(_ reads: [(requirement: String, count: Int)]) -> [String] {
        reads.map { "\($0.requirement)=\($0.count)" }
    }

    @Test("facts read, in order of first read, once each")
    func factsRead() throws {
        var e = try GuardEval.run("facts.active && facts.count > 1 || facts.active",
                                  FakeGuardInput(facts: ["active": .bool(true), "count": .int(5)]))
        #expect(Self.describe(e.factsRead) == ["active=true", "count=5"])
        #expect(e.isTrue)

        e = try GuardEval.run("facts.count > 0 || facts.tier == \"low\"", FakeGuardInput(facts: ["tier": .string("low")]))
        #expect(Self.describe(e.factsRead) == ["count=unset", "tier=\"low\""])
        #expect(GuardOutcome(e.result) == .t)

        e = try GuardEval.run("facts.tier == \"low\" || facts.count > 0", FakeGuardInput(facts: ["tier": .string("high")]))
        #expect(Self.describe(e.factsRead) == ["tier=\"high\"", "count=unset"])
        #expect(GuardOutcome(e.result) == .unset("count"))

        e = try GuardEval.run("has(facts.tier) && facts.tier == \"high\"", FakeGuardInput())
        #expect(Self.describe(e.factsRead) == ["tier=unset"])
        #expect(GuardOutcome(e.result) == .f)

        e = try GuardEval.run("evidence.impacts.exists(i, i.scale > facts.count)",
                              FakeGuardInput(facts: ["count": .int(3)], evidence: ["impacts": [Impacts.a, Impacts.b, Impacts.c]]))
        #expect(Self.describe(e.factsRead) == ["count=3"])
        #expect(e.isTrue)

        e = try GuardEval.run("facts.due < date(\"2030-01-01\") && facts.partner != \"\"",
                              FakeGuardInput(facts: ["due": .date(CalendarDate(year: 2026, month: 1, day: 31)), "partner": .string("A")]))
        #expect(Self.describe(e.factsRead) == ["due=2026-01-31", "partner=\"A\""])
    }

    @Test("evidence read, with how many items counted")
    func evidenceRead() throws {
        let dpiaNone = FakeGuardInput(evidence: ["impacts": [Impacts.a]])
        var e = try GuardEval.run("size(evidence.impacts) >= 2 || has(evidence.dpia)", dpiaNone)
        #expect(Self.describe(e.evidenceRead) == ["impacts=1", "dpia=0"])
        #expect(GuardOutcome(e.result) == .f)

        e = try GuardEval.run("has(evidence.impacts) && size(evidence.impacts) > 1",
                              FakeGuardInput(evidence: ["impacts": [Impacts.a, Impacts.b]]))
        #expect(Self.describe(e.evidenceRead) == ["impacts=2"])
        #expect(e.isTrue)

        e = try GuardEval.run("evidence.impacts.all(i, evidence.consultations.exists(c, c.group == i.right))", FakeGuardInput())
        #expect(Self.describe(e.evidenceRead) == ["impacts=0"])
        #expect(e.isTrue)

        let both = FakeGuardInput(evidence: [
            "impacts": [Impacts.a, Impacts.b],
            "consultations": [EvidenceItem(fields: ["group": .string("privacy")])],
        ])
        e = try GuardEval.run("evidence.impacts.all(i, evidence.consultations.exists(c, c.group == i.right))", both)
        #expect(Self.describe(e.evidenceRead) == ["impacts=2", "consultations=1"])
        #expect(e.isTrue)
        #expect(e.factsRead.isEmpty)
    }

    @Test("evaluation is pure: the same guard and input give the same evaluation")
    func purity() throws {
        let input = FakeGuardInput(facts: ["tier": .string("high"), "count": .int(2)],
                                   evidence: ["impacts": [Impacts.a, Impacts.b, Impacts.c]])
        let text = "facts.tier in [\"substantial\", \"high\"] && evidence.impacts.max(i, i.scale) >= facts.count"
        let first = try GuardEval.run(text, input), second = try GuardEval.run(text, input)
        #expect(first.result == second.result)
        #expect(Self.describe(first.factsRead) == Self.describe(second.factsRead))
        #expect(Self.describe(first.evidenceRead) == Self.describe(second.evidenceRead))
        #expect(first.isTrue)
    }

    @Test("failures describe themselves")
    func failureDescriptions() {
        #expect(GuardFailure.factNotSet("tier").description == "fact tier is not set")
        #expect(GuardFailure.fieldNotGiven("note").description == "field note was not given")
        #expect(GuardFailure.emptyList("max").description == "max of an empty list has no value")
        #expect(GuardFailure.indexOutOfRange(5, count: 2).description == "index 5 is outside a list of 2")
        #expect(GuardFailure.overflow.description == "a number is too large")
    }
}
