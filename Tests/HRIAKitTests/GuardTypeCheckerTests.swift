import Testing
@testable import HRIAKit

// Tests of the guard type checker against a fixed scope: every rule of docs/WORKFLOW-LANGUAGE.md
// "Guards" → "Names and types" / "Operators and functions", with the range each problem is reported at.

/// The scope every guard test uses: facts of each type, and three requirements of three evidence types.
enum GuardFixture {
    static let tierValues = ["low", "moderate", "substantial", "high"]

    static func field(_ type: GuardType, optional: Bool = false, confidential: Bool = false) -> GuardScope.Field {
        GuardScope.Field(type: type, optional: optional, confidential: confidential)
    }

    static let scope = GuardScope(
        facts: [
            "active": .bool,
            "flag": .bool,
            "count": .int,
            "other": .int,
            "tier": .enumeration(name: "tier", values: tierValues),
            "partner": .string,
            "alias": .string,
            "due": .date,
        ],
        evidence: [
            "impacts": "impact",
            "consultations": "consultation",
            "dpia": "document",
        ],
        evidenceTypes: [
            "impact": [
                // int(1..4) in the workflow; guards see an int
                "scale": field(.int),
                "scope": field(.int),
                "likelihood": field(.int),
                "right": field(.string),
                "note": field(.string, optional: true),
                "status": field(.enumeration(name: "impact.status", values: ["actual", "potential"])),
            ],
            "consultation": [
                "date": field(.date),
                "group": field(.string),
                "summary": field(.string, confidential: true),
                "participants": field(.string, confidential: true),
            ],
            "document": [
                "title": field(.string),
                "source": field(.string),
            ],
        ])

    /// The checked guard; records an issue when it does not check.
    static func typed(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> TypedGuard {
        let node = try GuardParser.parse(text)
        switch GuardTypeChecker.check(node, in: scope) {
        case .success(let typed): return typed
        case .failure(let problems):
            Issue.record("\(text) does not check: \(problems.problems.map(\.message))", sourceLocation: sourceLocation)
            throw problems
        }
    }

    /// The problems of a guard that must not check.
    static func problems(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [GuardProblem] {
        do {
            let node = try GuardParser.parse(text)
            switch GuardTypeChecker.check(node, in: scope) {
            case .success:
                Issue.record("\(text) checks, but should not", sourceLocation: sourceLocation)
                return []
            case .failure(let problems): return problems.problems
            }
        } catch {
            Issue.record("\(text) does not parse: \(error.message)", sourceLocation: sourceLocation)
            return []
        }
    }
}

/// One expected type problem: the rule, the text it points at (marker, which occurrence), message and help.
struct TypeProblemCase: Sendable, CustomTestStringConvertible {
    var text: String
    var rule: LintRule
    /// The part of the guard the problem is reported at; nil for the whole guard.
    var marker: String?
    var occurrence: Int
    /// How many scalars of the marker come before the reported range.
    var skip: Int
    var message: String
    /// nil: no help expected; use `anyHelp` to skip checking it.
    var help: String?
    var checkHelp: Bool

    init(_ text: String, _ rule: LintRule, at marker: String? = nil, occurrence: Int = 0, skip: Int = 0, _ message: String,
         help: String? = nil, checkHelp: Bool = true) {
        self.text = text
        self.rule = rule
        self.marker = marker
        self.occurrence = occurrence
        self.skip = skip
        self.message = message
        self.help = help
        self.checkHelp = checkHelp
    }

    var expectedRange: Range<Int> {
        guard let marker else { return 0..<text.unicodeScalars.count }
        let range = scalarRange(of: marker, in: text, occurrence: occurrence)
        return (range.lowerBound + skip)..<range.upperBound
    }

    var testDescription: String { text }
}

@Suite("Guard type checker")
struct GuardTypeCheckerTests {
    static func verify(_ c: TypeProblemCase, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let problems = GuardFixture.problems(c.text, sourceLocation: sourceLocation)
        #expect(problems.count == 1, "problems: \(problems.map(\.message))", sourceLocation: sourceLocation)
        guard let problem = problems.first else { return }
        #expect(problem.rule == c.rule, sourceLocation: sourceLocation)
        #expect(problem.range == c.expectedRange, sourceLocation: sourceLocation)
        #expect(problem.message == c.message, sourceLocation: sourceLocation)
        if c.checkHelp {
            #expect(problem.help == c.help, sourceLocation: sourceLocation)
        }
    }

    // MARK: Names

    static let names: [TypeProblemCase] = [
        TypeProblemCase("facts.teir == \"high\"", .undefinedFact, at: "teir",
                        "\"teir\" is not a fact of this workflow", help: "did you mean \"tier\"?"),
        TypeProblemCase("facts.cuont > 1", .undefinedFact, at: "cuont",
                        "\"cuont\" is not a fact of this workflow", help: "did you mean \"count\"?"),
        TypeProblemCase("facts.zzzzzz", .undefinedFact, at: "zzzzzz",
                        "\"zzzzzz\" is not a fact of this workflow",
                        help: "declared facts: active, alias, count, due, flag, other, partner, tier"),
        TypeProblemCase("has(facts.nope)", .undefinedFact, at: "nope",
                        "\"nope\" is not a fact of this workflow", checkHelp: false),
        TypeProblemCase("evidence.impacts.all(i, facts.teir == \"low\")", .undefinedFact, at: "teir",
                        "\"teir\" is not a fact of this workflow", help: "did you mean \"tier\"?"),
        TypeProblemCase("tier == \"high\"", .undefinedFact, at: "tier",
                        "unknown name \"tier\"", help: "facts are read as facts.tier"),
        TypeProblemCase("size(evidence.impact) > 0", .undefinedEvidence, at: "impact",
                        "\"impact\" is not the id of any requirement of this workflow", help: "did you mean \"impacts\"?"),
        TypeProblemCase("has(evidence.qqqq)", .undefinedEvidence, at: "qqqq",
                        "\"qqqq\" is not the id of any requirement of this workflow",
                        help: "declared requirement ids: consultations, dpia, impacts"),
        TypeProblemCase("size(impacts) > 0", .undefinedEvidence, at: "impacts",
                        "unknown name \"impacts\"", help: "evidence is read as evidence.impacts"),
        TypeProblemCase("xyz", .guardType, at: "xyz", "unknown name \"xyz\"",
                        help: "guards read facts.NAME, evidence.ID, or a variable named in all/exists/filter/map/max/min"),
        TypeProblemCase("evidence.impacts.all(i, i.scael > 2)", .undefinedField, at: "scael",
                        "evidence type \"impact\" has no field \"scael\"", help: "did you mean \"scale\"?"),
        TypeProblemCase("evidence.dpia.exists(d, d.zzzzz == \"x\")", .undefinedField, at: "zzzzz",
                        "evidence type \"document\" has no field \"zzzzz\"", help: "declared fields: source, title"),
        TypeProblemCase("evidence.impacts.all(i, has(i.nope))", .undefinedField, at: "nope",
                        "evidence type \"impact\" has no field \"nope\"", help: "did you mean \"note\"?"),
        TypeProblemCase("evidence.impacts.scale > 1", .guardType, at: "scale",
                        "this is a list of items of impact; a field belongs to one item",
                        help: "use .map(x, x.scale), .all(x, ...), .exists(x, ...) or .max(x, x.scale)"),
        TypeProblemCase("facts.count.foo > 1", .guardType, at: "foo", "an int has no field \"foo\""),
        TypeProblemCase("facts.tier.x == \"low\"", .guardType, at: "x", "a value of tier has no field \"x\""),
    ]

    @Test("undefined facts, evidence, fields and names", arguments: names)
    func undefinedNames(_ c: TypeProblemCase) { Self.verify(c) }

    // MARK: Enum values

    static let enums: [TypeProblemCase] = [
        TypeProblemCase("facts.tier == \"hihg\"", .enumValue, at: "\"hihg\"",
                        "\"hihg\" is not a value of tier (low, moderate, substantial, high)", help: "did you mean \"high\"?"),
        TypeProblemCase("\"hihg\" == facts.tier", .enumValue, at: "\"hihg\"",
                        "\"hihg\" is not a value of tier (low, moderate, substantial, high)", help: "did you mean \"high\"?"),
        TypeProblemCase("facts.tier != 'Low'", .enumValue, at: "'Low'",
                        "\"Low\" is not a value of tier (low, moderate, substantial, high)", help: "did you mean \"low\"?"),
        TypeProblemCase("facts.tier == \"zzzzzzzz\"", .enumValue, at: "\"zzzzzzzz\"",
                        "\"zzzzzzzz\" is not a value of tier (low, moderate, substantial, high)"),
        TypeProblemCase("facts.tier == (\"hihg\")", .enumValue, at: "(\"hihg\")",
                        "\"hihg\" is not a value of tier (low, moderate, substantial, high)", help: "did you mean \"high\"?"),
        TypeProblemCase("facts.tier in [\"low\", \"hihg\"]", .enumValue, at: "\"hihg\"",
                        "\"hihg\" is not a value of tier (low, moderate, substantial, high)", help: "did you mean \"high\"?"),
        TypeProblemCase("evidence.impacts.exists(i, i.status == \"actul\")", .enumValue, at: "\"actul\"",
                        "\"actul\" is not a value of impact.status (actual, potential)", help: "did you mean \"actual\"?"),
        TypeProblemCase("facts.tier < \"high\"", .guardType,
                        "the values of tier have no order, so < cannot compare them",
                        help: "list the values you mean: in [\"low\", \"moderate\", \"substantial\", \"high\"]"),
        TypeProblemCase("\"low\" >= facts.tier", .guardType,
                        "the values of tier have no order, so >= cannot compare them",
                        help: "list the values you mean: in [\"low\", \"moderate\", \"substantial\", \"high\"]"),
        TypeProblemCase("facts.tier > facts.tier", .guardType,
                        "the values of tier have no order, so > cannot compare them", checkHelp: false),
        TypeProblemCase("facts.partner <= facts.tier", .guardType,
                        "the values of tier have no order, so <= cannot compare them", checkHelp: false),
        TypeProblemCase("evidence.impacts.all(i, i.status < \"potential\")", .guardType, at: "i.status < \"potential\"",
                        "the values of impact.status have no order, so < cannot compare them",
                        help: "list the values you mean: in [\"actual\", \"potential\"]"),
    ]

    @Test("enum values in ==, != and in; no ordering of enum values", arguments: enums)
    func enumValues(_ c: TypeProblemCase) { Self.verify(c) }

    @Test("valid enum comparisons", arguments: [
        "facts.tier == \"high\"", "facts.tier != 'low'", "\"moderate\" == facts.tier",
        "facts.tier in [\"substantial\", \"high\"]", "facts.tier == facts.tier", "facts.tier == facts.partner",
        "facts.tier in evidence.impacts.map(i, i.right)", "size(facts.tier) > 0",
        "evidence.impacts.exists(i, i.status == \"actual\" && i.status != \"potential\")",
    ])
    func validEnums(_ text: String) throws {
        _ = try GuardFixture.typed(text)
    }

    // MARK: Confidential fields

    static let confidential: [TypeProblemCase] = [
        TypeProblemCase("evidence.consultations.exists(c, c.summary == \"x\")", .guardType, at: "summary",
                        "field \"summary\" of \"consultation\" is confidential and cannot be read by a guard",
                        help: "confidential values never enter the log in clear, so a decision cannot depend on them"),
        TypeProblemCase("evidence.consultations.exists(c, has(c.participants))", .guardType, at: "participants",
                        "field \"participants\" of \"consultation\" is confidential and cannot be read by a guard",
                        help: "confidential values never enter the log in clear, so a decision cannot depend on them"),
        TypeProblemCase("size(evidence.consultations.map(c, c.summary)) > 0", .guardType, at: "summary",
                        "field \"summary\" of \"consultation\" is confidential and cannot be read by a guard", checkHelp: false),
        TypeProblemCase("evidence.consultations[0].participants == \"x\"", .guardType, at: "participants",
                        "field \"participants\" of \"consultation\" is confidential and cannot be read by a guard", checkHelp: false),
    ]

    @Test("confidential fields cannot be read", arguments: confidential)
    func confidentialFields(_ c: TypeProblemCase) { Self.verify(c) }

    // MARK: Guards must be bools

    static let notBool: [TypeProblemCase] = [
        TypeProblemCase("facts.count", .guardType, "a guard must be true or false, but this is an int",
                        help: "compare it, for example: ... > 0"),
        TypeProblemCase("1 + 2", .guardType, "a guard must be true or false, but this is an int",
                        help: "compare it, for example: ... > 0"),
        TypeProblemCase("facts.partner", .guardType, "a guard must be true or false, but this is text",
                        help: "compare it, for example: ... == \"value\""),
        TypeProblemCase("facts.tier", .guardType, "a guard must be true or false, but this is a value of tier",
                        help: "compare it, for example: ... == \"value\""),
        TypeProblemCase("evidence.impacts", .guardType,
                        "a guard must be true or false, but this is a list of items of evidence type impact",
                        help: "count it with size(...) > 0, or test items with .exists(x, ...)"),
        TypeProblemCase("[true]", .guardType, "a guard must be true or false, but this is a list of bools",
                        help: "count it with size(...) > 0, or test items with .exists(x, ...)"),
        TypeProblemCase("facts.due", .guardType, "a guard must be true or false, but this is a date"),
        TypeProblemCase("evidence.impacts[0]", .guardType,
                        "a guard must be true or false, but this is an item of evidence type impact"),
        TypeProblemCase("facts.active ? 1 : 2", .guardType, "a guard must be true or false, but this is an int",
                        help: "compare it, for example: ... > 0"),
        TypeProblemCase("  facts.count  ", .guardType, at: "facts.count", "a guard must be true or false, but this is an int",
                        help: "compare it, for example: ... > 0"),
    ]

    @Test("a guard that is not a bool is refused", arguments: notBool)
    func notBoolGuards(_ c: TypeProblemCase) { Self.verify(c) }

    // MARK: Operators

    static let operators: [TypeProblemCase] = [
        TypeProblemCase("facts.active + 1 > 0", .guardType, at: "facts.active + 1",
                        "+ works on ints, not a bool and an int"),
        TypeProblemCase("facts.partner * 2 > 1", .guardType, at: "facts.partner * 2",
                        "* works on ints, not text and an int"),
        TypeProblemCase("facts.due - facts.due > 0", .guardType, at: "facts.due - facts.due",
                        "- works on ints, not a date and a date"),
        TypeProblemCase("facts.tier + 1 > 0", .guardType, at: "facts.tier + 1",
                        "+ works on ints, not a value of tier and an int"),
        TypeProblemCase("\"a\" + \"b\" == \"ab\"", .guardType, at: "\"a\" + \"b\"",
                        "+ works on ints, not text and text"),
        TypeProblemCase("-facts.partner > 0", .guardType, at: "facts.partner", "- needs an int, but this is text"),
        TypeProblemCase("!facts.count", .guardType, at: "facts.count", "! needs a bool, but this is an int",
                        help: "compare it, for example: ... > 0"),
        TypeProblemCase("facts.count && facts.active", .guardType, at: "facts.count",
                        "&& joins bools, but this is an int", help: "compare it, for example: ... > 0"),
        TypeProblemCase("facts.active || evidence.impacts", .guardType, at: "evidence.impacts",
                        "|| joins bools, but this is a list of items of evidence type impact",
                        help: "count it with size(...) > 0, or test items with .exists(x, ...)"),
        TypeProblemCase("facts.count == \"3\"", .guardType, "cannot compare an int with text"),
        TypeProblemCase("facts.active != 1", .guardType, "cannot compare a bool with an int"),
        TypeProblemCase("facts.due == \"2026-01-01\"", .guardType, "cannot compare a date with text"),
        TypeProblemCase("facts.due < facts.count", .guardType,
                        "< compares two ints, two texts or two dates, not a date and an int"),
        TypeProblemCase("facts.active < true", .guardType,
                        "< compares two ints, two texts or two dates, not a bool and a bool"),
        TypeProblemCase("[1] <= [2]", .guardType,
                        "<= compares two ints, two texts or two dates, not a list of ints and a list of ints"),
        TypeProblemCase("facts.count in facts.count", .guardType, at: "facts.count", occurrence: 1,
                        "in needs a list on its right, but this is an int"),
        TypeProblemCase("facts.count in [\"a\"]", .guardType, "cannot look for an int in a list of texts"),
        TypeProblemCase("[1, \"a\"] == []", .guardType, at: "\"a\"", "list items must all be of one type: text among ints"),
        TypeProblemCase("(facts.active ? 1 : \"a\") == 1", .guardType, at: "(facts.active ? 1 : \"a\")",
                        "the two results of ?: differ: an int and text"),
        TypeProblemCase("facts.count ? true : false", .guardType, at: "facts.count",
                        "the condition before ? must be a bool, but this is an int"),
        TypeProblemCase("facts.count[0] > 1", .guardType, at: "facts.count",
                        "only lists can be indexed, but this is an int"),
        TypeProblemCase("evidence.impacts[\"a\"].scale > 1", .guardType, at: "\"a\"",
                        "a list index must be an int, not text"),
    ]

    @Test("operators refuse operands that do not fit", arguments: operators)
    func operatorTypes(_ c: TypeProblemCase) { Self.verify(c) }

    // MARK: Functions and methods

    static let functions: [TypeProblemCase] = [
        TypeProblemCase("size() > 0", .guardType, at: "size()", "size takes one argument, found 0"),
        TypeProblemCase("size(facts.partner, facts.alias) > 0", .guardType, at: "size(facts.partner, facts.alias)",
                        "size takes one argument, found 2"),
        TypeProblemCase("size(facts.count) > 0", .guardType, at: "facts.count", "size needs a list or text, but this is an int"),
        TypeProblemCase("facts.due.size() > 0", .guardType, at: "facts.due", "size needs a list or text, but this is a date"),
        TypeProblemCase("facts.partner.size(1) > 0", .guardType, at: "facts.partner.size(1)", ".size() takes no arguments"),
        TypeProblemCase("has()", .guardType, "has takes one argument, found 0"),
        TypeProblemCase("has(facts.active, facts.flag)", .guardType, "has takes one argument, found 2"),
        TypeProblemCase("has(facts)", .guardType, at: "facts",
                        "has needs a field such as has(facts.tier) or has(evidence.dpia)"),
        TypeProblemCase("has(1)", .guardType, at: "1", "has needs a field such as has(facts.tier) or has(evidence.dpia)"),
        TypeProblemCase("max() > 0", .guardType, at: "max()", "max needs a list or at least two ints"),
        TypeProblemCase("min() < 0", .guardType, at: "min()", "min needs a list or at least two ints"),
        TypeProblemCase("max(1) > 0", .guardType, at: "1", occurrence: 0,
                        "max of one argument needs a list of ints, but this is an int",
                        help: "for evidence items, write evidence.ID.max(x, x.FIELD)"),
        TypeProblemCase("min(evidence.impacts) > 0", .guardType, at: "evidence.impacts",
                        "min of one argument needs a list of ints, but this is a list of items of evidence type impact",
                        help: "for evidence items, write evidence.ID.min(x, x.FIELD)"),
        TypeProblemCase("max(1, facts.partner) > 0", .guardType, at: "facts.partner", "max compares ints, but this is text"),
        TypeProblemCase("min(facts.active, 1, 2) > 0", .guardType, at: "facts.active", "min compares ints, but this is a bool"),
        TypeProblemCase("date() < facts.due", .guardType, at: "date()",
                        "date takes one text literal such as date(\"2026-01-31\")"),
        TypeProblemCase("date(\"2026-01-01\", \"2026-01-02\") < facts.due", .guardType,
                        at: "date(\"2026-01-01\", \"2026-01-02\")", "date takes one text literal such as date(\"2026-01-31\")"),
        TypeProblemCase("date(facts.partner) < facts.due", .guardType, at: "date(facts.partner)",
                        "date takes one text literal such as date(\"2026-01-31\")"),
        TypeProblemCase("date(\"2026-02-30\") < facts.due", .guardType, at: "\"2026-02-30\"",
                        "\"2026-02-30\" is not a date", help: "write YYYY-MM-DD, for example \"2026-01-31\""),
        TypeProblemCase("date(\"2026-1-31\") < facts.due", .guardType, at: "\"2026-1-31\"",
                        "\"2026-1-31\" is not a date", help: "write YYYY-MM-DD, for example \"2026-01-31\""),
        TypeProblemCase("date(\"2023-02-29\") < facts.due", .guardType, at: "\"2023-02-29\"",
                        "\"2023-02-29\" is not a date", help: "write YYYY-MM-DD, for example \"2026-01-31\""),
        TypeProblemCase("date(\"2100-02-29\") < facts.due", .guardType, at: "\"2100-02-29\"",
                        "\"2100-02-29\" is not a date", help: "write YYYY-MM-DD, for example \"2026-01-31\""),
        TypeProblemCase("date(\"2026-13-01\") < facts.due", .guardType, at: "\"2026-13-01\"",
                        "\"2026-13-01\" is not a date", help: "write YYYY-MM-DD, for example \"2026-01-31\""),
        TypeProblemCase("date(\"2026-04-31\") < facts.due", .guardType, at: "\"2026-04-31\"",
                        "\"2026-04-31\" is not a date", help: "write YYYY-MM-DD, for example \"2026-01-31\""),
        TypeProblemCase("date(\"+026-01-01\") < facts.due", .guardType, at: "\"+026-01-01\"",
                        "\"+026-01-01\" is not a date", help: "write YYYY-MM-DD, for example \"2026-01-31\""),
        TypeProblemCase("foo(1)", .guardType, at: "foo", "unknown function \"foo\"",
                        help: "the functions are size, has, max, min, date, today"),
        TypeProblemCase("sise(facts.partner) > 0", .guardType, at: "sise", "unknown function \"sise\"",
                        help: "did you mean \"size\"?"),
        TypeProblemCase("evidence.impacts.exist(i, true)", .guardType, at: "exist", "unknown method \"exist\"",
                        help: "did you mean \"exists\"?"),
        TypeProblemCase("evidence.impacts.count() > 0", .guardType, at: "count", "unknown method \"count\"",
                        help: "the methods are size, all, exists, filter, map, max, min"),
        TypeProblemCase("facts.count.all(i, true)", .guardType, at: "facts.count", ".all needs a list, but this is an int"),
        TypeProblemCase("evidence.impacts.all(i)", .guardType,
                        ".all takes a variable name and an expression, as in .all(x, x.scale > 2)"),
        TypeProblemCase("evidence.impacts.exists(1, true)", .guardType,
                        ".exists takes a variable name and an expression, as in .exists(x, x.scale > 2)"),
        TypeProblemCase("evidence.impacts.all(i, true, false)", .guardType,
                        ".all takes a variable name and an expression, as in .all(x, x.scale > 2)"),
        TypeProblemCase("evidence.impacts.all(i.x, true)", .guardType,
                        ".all takes a variable name and an expression, as in .all(x, x.scale > 2)"),
        TypeProblemCase("evidence.impacts.all(facts, true)", .guardType, at: "facts", "\"facts\" cannot be a variable name"),
        TypeProblemCase("evidence.impacts.all(evidence, true)", .guardType, at: "evidence", occurrence: 1,
                        "\"evidence\" cannot be a variable name"),
        TypeProblemCase("evidence.impacts.all(i, i.scale)", .guardType, at: "i.scale",
                        "the condition of .all must be a bool, but this is an int"),
        TypeProblemCase("size(evidence.impacts.filter(i, i.right)) > 0", .guardType, at: "i.right",
                        "the condition of .filter must be a bool, but this is text"),
        TypeProblemCase("evidence.impacts.max(i, i.right) > 1", .guardType, at: "i.right",
                        ".max needs an int for each item, but this is text"),
        TypeProblemCase("evidence.impacts.min(i, i.scale > 1) > 1", .guardType, at: "i.scale > 1",
                        ".min needs an int for each item, but this is a bool"),
    ]

    @Test("functions and methods: arities and argument types", arguments: functions)
    func functionArities(_ c: TypeProblemCase) { Self.verify(c) }

    // MARK: Comprehension variables

    static let scoping: [TypeProblemCase] = [
        // the variable is not visible outside its comprehension
        TypeProblemCase("evidence.impacts.all(i, i.scale > 1) && i.scale > 2", .guardType, at: "&& i", skip: 3,
                        "unknown name \"i\"", checkHelp: false),
        TypeProblemCase("evidence.impacts.exists(i, true) || evidence.consultations.exists(c, i.scale > 1)", .guardType,
                        at: "c, i", skip: 3, "unknown name \"i\"", checkHelp: false),
        TypeProblemCase("evidence.impacts.all(i, true) && has(i.note)", .guardType, at: "has(i", skip: 4,
                        "unknown name \"i\"", checkHelp: false),
        // inside the inner comprehension `i` is the consultation, not the impact
        TypeProblemCase("evidence.impacts.all(i, evidence.consultations.exists(i, i.scale > 1))", .undefinedField,
                        at: "scale", "evidence type \"consultation\" has no field \"scale\"", checkHelp: false),
    ]

    @Test("comprehension variables are scoped to their body", arguments: scoping)
    func comprehensionScoping(_ c: TypeProblemCase) {
        Self.verify(c)
    }

    @Test("shadowing: the innermost variable wins, and the outer one is back after the inner body", arguments: [
        "evidence.impacts.all(i, evidence.consultations.exists(i, i.date < facts.due))",
        "evidence.impacts.all(i, evidence.consultations.exists(i, true) && i.scale > 1)",
        "evidence.impacts.all(i, evidence.impacts.exists(j, j.scale > i.scale))",
        "evidence.impacts.all(i, evidence.impacts.all(i, i.scale > 0))",
        "evidence.impacts.all(tier, tier.scale > 1) && facts.tier == \"low\"",
        "evidence.impacts.all(i, i.scale > 0) && evidence.consultations.all(i, i.group != \"\")",
        "[1, 2].all(x, x > 0) && [\"a\"].exists(x, x == \"a\")",
    ])
    func shadowing(_ text: String) throws {
        _ = try GuardFixture.typed(text)
    }

    @Test("a variable's type is its list's element type")
    func variableTypes() {
        let problems = GuardFixture.problems("[1, 2].exists(x, x == \"a\")")
        #expect(problems.map(\.message) == ["cannot compare an int with text"])
    }

    // MARK: Several problems at once

    @Test("independent problems are all reported, in order")
    func severalProblems() {
        let text = "facts.teir == \"x\" && facts.cuont > 1"
        let problems = GuardFixture.problems(text)
        #expect(problems.map(\.rule) == [.undefinedFact, .undefinedFact])
        #expect(problems.map(\.range) == [scalarRange(of: "teir", in: text), scalarRange(of: "cuont", in: text)])

        let text2 = "facts.count || facts.partner"
        let problems2 = GuardFixture.problems(text2)
        #expect(problems2.map(\.message) == ["|| joins bools, but this is an int", "|| joins bools, but this is text"])
    }

    // MARK: Valid guards and what they read

    struct ValidCase: Sendable, CustomTestStringConvertible {
        var text: String
        var facts: Set<String>
        var evidence: Set<String>
        var testDescription: String { text }
    }

    static let valid: [ValidCase] = [
        ValidCase(text: "facts.active", facts: ["active"], evidence: []),
        ValidCase(text: "!facts.active", facts: ["active"], evidence: []),
        ValidCase(text: "facts.tier in [\"substantial\", \"high\"]", facts: ["tier"], evidence: []),
        ValidCase(text: "size(evidence.consultations) >= 2 || has(evidence.dpia)", facts: [],
                  evidence: ["consultations", "dpia"]),
        ValidCase(text: "evidence.impacts.max(i, max(i.scale, i.scope, i.likelihood)) < 4", facts: [], evidence: ["impacts"]),
        ValidCase(text: "facts.tier != \"low\" || evidence.impacts.all(i, i.scale < 4)", facts: ["tier"], evidence: ["impacts"]),
        ValidCase(text: "has(facts.count) && facts.count > 0", facts: ["count"], evidence: []),
        ValidCase(text: "facts.due < date(\"2026-01-31\")", facts: ["due"], evidence: []),
        ValidCase(text: "date(\"2024-02-29\") < date(\"2000-02-29\")", facts: [], evidence: []),
        ValidCase(text: "evidence.impacts.all(i, has(i.note) ? i.note != \"\" : true)", facts: [], evidence: ["impacts"]),
        ValidCase(text: "size(evidence.impacts.filter(i, i.status == \"actual\")) > 0", facts: [], evidence: ["impacts"]),
        ValidCase(text: "max(evidence.impacts.map(i, i.scale)) <= 4", facts: [], evidence: ["impacts"]),
        ValidCase(text: "max([]) > 0", facts: [], evidence: []),
        ValidCase(text: "evidence.impacts[0].scale == 1", facts: [], evidence: ["impacts"]),
        ValidCase(text: "-facts.count < 0", facts: ["count"], evidence: []),
        ValidCase(text: "facts.partner < \"m\" && facts.alias >= facts.partner", facts: ["partner", "alias"], evidence: []),
        ValidCase(text: "[] == []", facts: [], evidence: []),
        ValidCase(text: "evidence.consultations.exists(c, c.date >= facts.due && c.group == \"workers\")",
                  facts: ["due"], evidence: ["consultations"]),
        ValidCase(text: "(facts.active ? facts.count : facts.other) * 2 - 1 >= 3", facts: ["active", "count", "other"],
                  evidence: []),
        ValidCase(text: "min(facts.count, facts.other, 3) == 3 && size(facts.partner) > 1", facts: ["count", "other", "partner"],
                  evidence: []),
        ValidCase(text: "facts.count in [1, 2, 3] && [facts.count] == [1]", facts: ["count"], evidence: []),
        ValidCase(text: "evidence.dpia.size() == 0 || evidence.dpia.exists(d, d.title.size() > 0)", facts: [], evidence: ["dpia"]),
    ]

    @Test("valid guards check, and report the facts and evidence they may read", arguments: valid)
    func validGuards(_ c: ValidCase) throws {
        let typed = try GuardFixture.typed(c.text)
        #expect(typed.factsRead == c.facts)
        #expect(typed.evidenceRead == c.evidence)
    }
}
