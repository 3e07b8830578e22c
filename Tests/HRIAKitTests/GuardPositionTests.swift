import Testing
@testable import HRIAKit

// A problem inside a guard is reported at the line and column of the file where the offending characters are,
// whatever YAML style the guard is written in (docs/WORKFLOW-LANGUAGE.md, "Positions inside guards").
// Columns count Unicode scalars. The expected position is found independently: it is where the marker
// (a misspelt name that occurs once in the file) is written.

struct PositionCase: Sendable, CustomTestStringConvertible {
    var name: String
    /// The lines of stage `review` after its `owner:` line.
    var body: String
    var rule: String
    /// Text written once in the file where the problem is.
    var marker: String
    /// The expected underline length; nil to leave it unchecked.
    var length: Int?
    var lineEnding: String

    init(_ name: String, rule: String = "undefined-fact", marker: String = "tirr", length: Int? = 4,
         lineEnding: String = "\n", _ body: String) {
        self.name = name
        self.body = body
        self.rule = rule
        self.marker = marker
        self.length = length
        self.lineEnding = lineEnding
    }

    var testDescription: String { name }

    /// A small workflow around the case's stage body.
    var text: String { PositionCase.workflow(body, lineEnding: lineEnding) }

    static func workflow(_ body: String, lineEnding: String = "\n") -> String {
        let head = """
            schema: hria.workflow/v1
            id: positions
            version: 1
            title: Guard positions
            roles:
              assessor: { description: Runs it }
              approver: { description: Signs it }
            facts:
              tier: { type: enum, values: [low, high] }
              flag: { type: bool }
            evidence_types:
              document: { fields: { title: string } }
            initial: review
            stages:
              review:
                owner: assessor
            """
        let tail = "  done: { terminal: true, outcome: proceed }\n"
        return (head + "\n" + body + "\n" + tail).replacingOccurrences(of: "\n", with: lineEnding)
    }

    /// Transitions whose first `when` is given as its full lines (8 spaces of indentation for block style).
    static func transitions(_ when: String) -> String {
        "    transitions:\n      - to: done\n" + when + "\n      - to: done"
    }

    /// Where the marker is written: 1-based line and column in Unicode scalars.
    var expectedLocation: HRIAKit.SourceLocation? {
        // Split on U+000A only (a Swift Character "\r\n" is one grapheme, so split the scalars).
        let lines = Array(text.unicodeScalars).split(separator: "\n", omittingEmptySubsequences: false)
        var found: [HRIAKit.SourceLocation] = []
        for (index, line) in lines.enumerated() {
            var scalars = Array(line)
            if scalars.last == "\r" { scalars.removeLast() }
            let needle = Array(marker.unicodeScalars)
            guard needle.count <= scalars.count else { continue }
            for start in 0...(scalars.count - needle.count) where Array(scalars[start..<(start + needle.count)]) == needle {
                found.append(HRIAKit.SourceLocation(line: index + 1, column: start + 1))
            }
        }
        return found.count == 1 ? found[0] : nil
    }
}

@Suite("Guard positions in the file")
struct GuardPositionTests {
    static let t = PositionCase.transitions

    static let cases: [PositionCase] = [
        PositionCase("plain scalar", t(#"        when: facts.flag && facts.tirr == "high""#)),
        PositionCase("plain scalar, multi-line", t("""
                    when: facts.flag &&
                      facts.tirr == "high"
            """)),
        PositionCase("plain scalar, multi-line with a blank line", t("""
                    when: facts.flag &&

                      facts.tirr == "high"
            """)),
        PositionCase("plain scalar, continuation indented further", t("""
                    when: facts.flag
                           && facts.tirr == "high"
            """)),
        PositionCase("single-quoted with '' escapes before the error",
                     t(#"        when: 'facts.tier == ''high'' && ''it\''s'' != ''x'' && facts.tirr'"#)),
        PositionCase("single-quoted, multi-line", t("""
                    when: 'facts.tier == ''high'' &&
                      facts.tirr'
            """)),
        PositionCase("single-quoted with a tab inside", t("        when: 'facts.flag &&\tfacts.tirr'")),
        PositionCase("double-quoted with \\\" and \\u00e9 escapes before the error",
                     t(#"        when: "facts.tier == \"high\" && \"\u00e9\" != \"\x41\" && facts.tirr""#)),
        PositionCase("double-quoted with \\U, \\t and \\\\ escapes before the error",
                     t(#"        when: "\"\U0001F600\" != \"\t\\\\\" && facts.tirr""#)),
        PositionCase("double-quoted, multi-line", t("""
                    when: "facts.tier == \\"high\\" &&
                      facts.tirr"
            """)),
        PositionCase("literal block |, error on the 2nd content line", t("""
                    when: |
                      facts.flag &&
                      facts.tirr == "high"
            """)),
        PositionCase("literal block |, error on the 1st content line", t("""
                    when: |
                      facts.tirr == "high" &&
                      facts.flag
            """)),
        PositionCase("folded block >", t("""
                    when: >
                      facts.flag &&
                      facts.tirr == "high"
            """)),
        PositionCase("literal block |-", t("""
                    when: |-
                      facts.flag &&
                      facts.tirr == "high"
            """)),
        PositionCase("folded block >-", t("""
                    when: >-
                      facts.flag &&
                      facts.tirr == "high"
            """)),
        PositionCase("literal block |+", t("""
                    when: |+
                      facts.flag &&
                      facts.tirr == "high"

            """)),
        PositionCase("literal block |2 (content at the indicated indentation)", t("""
                    when: |2
                      facts.flag &&
                      facts.tirr == "high"
            """)),
        PositionCase("literal block |2- (content at the indicated indentation)", t("""
                    when: |2-
                      facts.flag &&
                      facts.tirr == "high"
            """)),
        PositionCase("literal block, 2nd line more indented", t("""
                    when: |
                      facts.flag &&
                        facts.tirr == "high"
            """)),
        PositionCase("folded block, 2nd line more indented", t("""
                    when: >
                      facts.flag &&
                        facts.tirr == "high"
            """)),
        PositionCase("literal block with a leading blank line", t("""
                    when: |

                      facts.tirr == "high"
            """)),
        PositionCase("literal block with a comment after the indicator", t("""
                    when: | # the exclusion check
                      facts.flag &&
                      facts.tirr == "high"
            """)),
        PositionCase("flow mapping, single-quoted", "    transitions:\n"
                     + #"      - { to: done, when: 'facts.tirr == "high"' }"# + "\n      - to: done"),
        PositionCase("flow mapping, double-quoted", "    transitions:\n"
                     + #"      - { to: done, when: "facts.flag && facts.tirr" }"# + "\n      - to: done"),
        PositionCase("flow mapping, plain", "    transitions:\n"
                     + "      - { to: done, when: facts.flag && facts.tirr }\n      - to: done"),
        PositionCase("flow mapping after non-ASCII text", "    transitions:\n"
                     + "      - { to: done, description: Prüfung 😀 für alle, when: 'facts.flag && facts.tirr' }\n      - to: done"),
        PositionCase("é before the error", t(#"        when: '"é" != "ü" && facts.tirr'"#)),
        PositionCase("emoji before the error", t(#"        when: '"😀" != "x" && facts.tirr'"#)),
        PositionCase("emoji ZWJ sequence (5 scalars) before the error", t(#"        when: '"👨‍👩‍👧" != "x" && facts.tirr'"#)),
        PositionCase("combining accent before the error", t("        when: '\"e\u{301}\" != \"x\" && facts.tirr'")),
        PositionCase("non-ASCII in a literal block's first line", t("""
                    when: |
                      "Ünïcödé 😀" != "x" &&
                      facts.tirr == "high"
            """)),
        PositionCase("CRLF line endings, multi-line plain", lineEnding: "\r\n", t("""
                    when: facts.flag &&
                      facts.tirr == "high"
            """)),
        PositionCase("CRLF line endings, literal block", lineEnding: "\r\n", t("""
                    when: |
                      facts.flag &&
                      facts.tirr == "high"
            """)),
        PositionCase("requirement when", """
                requires:
                  - id: scan
                    type: document
                    when: 'facts.flag || facts.tirr == "low"'
                transitions:
                  - to: done
            """),
        PositionCase("sign-off when", """
                signoff: { roles: [approver], when: "facts.tirr == \\"high\\"" }
                transitions:
                  - to: done
            """),
        PositionCase("enum value inside a double-quoted guard", rule: "enum-value", marker: #"\"hihg"#, length: nil,
                     t(#"        when: "facts.flag && facts.tier == \"hihg\"""#)),
        PositionCase("enum value inside a literal block", rule: "enum-value", marker: #""hihg""#, length: 6, t("""
                    when: |
                      facts.flag &&
                      facts.tier == "hihg"
            """)),
        PositionCase("syntax error at the end of a quoted guard", rule: "guard-syntax", marker: "&'", length: 1,
                     t("        when: 'facts.flag &&'")),
        PositionCase("syntax error inside a folded block", rule: "guard-syntax", marker: "and", length: 3, t("""
                    when: >-
                      facts.flag
                      and facts.tier == "low"
            """)),
        PositionCase("unknown character after escapes", rule: "guard-syntax", marker: "= true", length: 1,
                     t(#"        when: "\"\u00e9\" != \"\" && facts.flag = true""#)),
    ]

    /// Cases the loader gets wrong today; see the reasons in `knownBugs`.
    static let buggyCases: [PositionCase] = [
        PositionCase("double-quoted with an escaped line break", t("""
                    when: "facts.flag && \\
                      facts.tirr"
            """)),
        PositionCase("literal block |2 with more-indented content (spaces kept in the value)", t("""
                    when: |2
                        facts.flag &&
                        facts.tirr == "high"
            """)),
        PositionCase("folded block >2 with more-indented content (spaces kept in the value)", t("""
                    when: >2
                        facts.flag &&
                        facts.tirr == "high"
            """)),
        PositionCase("a U+2028 LINE SEPARATOR in text before the guard", """
                description: "first\u{2028}second"
            """ + "\n" + t("        when: 'facts.flag && facts.tirr'")),
        PositionCase("a U+0085 NEXT LINE in text before the guard", """
                description: "first\u{85}second"
            """ + "\n" + t("        when: 'facts.flag && facts.tirr'")),
        PositionCase("a lone CR in text before the guard", """
                description: "first\rsecond"
            """ + "\n" + t("        when: 'facts.flag && facts.tirr'")),
    ]

    @Test("the template workflow loads without errors")
    func templateLoads() {
        let text = PositionCase.workflow(PositionCase.transitions("        when: facts.flag && facts.tier == \"high\""))
        let result = WorkflowLoader.load(text: text, fileName: "positions.yaml")
        #expect(result.diagnostics.filter { $0.severity == .error }.map(\.message) == [])
        #expect(result.workflow != nil)
    }

    @Test("a problem inside a guard is reported where it is written", arguments: cases)
    func position(_ c: PositionCase) throws {
        try Self.verify(c)
    }

    @Test("a problem inside a guard is reported where it is written: escaped line breaks, indentation indicators, unusual line breaks",
          arguments: buggyCases)
    func positionKnownBugs(_ c: PositionCase) throws {
        try Self.verify(c)
    }

    static func verify(_ c: PositionCase) throws {
        let expected = try #require(c.expectedLocation, "the marker \(c.marker) must occur exactly once")
        let result = WorkflowLoader.load(text: c.text, fileName: "positions.yaml")
        let matching = result.diagnostics.filter { $0.rule == c.rule }
        let others = result.diagnostics.filter { $0.severity == .error && $0.rule != c.rule }
        #expect(others.map { "\($0.rule): \($0.message)" } == [], "only the planted problem is an error")
        try #require(matching.count == 1, "diagnostics: \(result.diagnostics.map { "\($0.location) \($0.rule): \($0.message)" })")
        let diagnostic = matching[0]
        #expect(diagnostic.location == expected,
                "reported at \(diagnostic.location), written at \(expected)\n\(DiagnosticRenderer.text(diagnostic, source: result.source))")
        if let length = c.length {
            #expect(diagnostic.length == length)
        }
        #expect(diagnostic.pointer.hasPrefix("/stages/review/"))
        #expect(result.workflow == nil)
    }
}

