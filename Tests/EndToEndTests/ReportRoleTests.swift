import Foundation
import Testing

/// The reports read what a workflow declares with `report:`, never names they guess: a custom workflow whose
/// facts and evidence types have names of its own gets the same tables as the standard library once it declares
/// the roles, and none of them without.
@Suite("Report roles declared by a custom workflow")
struct ReportRoleTests {
    /// Every name differs from the standard library's (`tier`, `impact`, `action_item`, `consultation`,
    /// `safety_exception`), so only the declared roles can lead the reports to them.
    static let workflow = """
    schema: hria.workflow/v1
    id: rights-check
    version: 1
    title: A rights check with names of its own
    roles:
      assessor: { description: Runs the check }
    facts:
      exposure: { type: enum, values: [slight, serious, grave], report: risk_tier }
      withheld: { type: bool, report: safety_exception }
    evidence_types:
      harm:
        report: impacts
        fields: { ref: string, right: string, scale: int(1..4), scope: int(1..4), irremediability: int(1..4), likelihood: int(1..4) }
        file: none
      measure:
        report: actions
        fields: { owner: string, due: date, indicator: string }
        file: none
      hearing:
        report: consultations
        fields: { group: string }
        confidential: [said]
        file: none
      protection:
        report: safety_exception
        fields: { reason: text }
        file: none
    initial: review
    stages:
      review:
        owner: assessor
        requires:
          - { id: harms, type: harm, min: 2 }
          - { id: measures, type: measure }
          - { id: hearings, type: hearing }
          - { id: protections, type: protection, min: 0 }
        transitions:
          - { to: done, when: has(facts.exposure) }
      done: { terminal: true, outcome: proceed }
    """

    static let at = "2026-05-04T09:00:00Z"

    /// A workspace with one assessment of the workflow (roles declared or not), taken to its end.
    static func assessment(declaringRoles: Bool) throws -> TestWorkspace {
        let ws = try TestWorkspace.initialised("hria-report-roles", organisation: "Roles Office", origin: "roles.example/hria",
                                               assessment: "cx")
        var text = workflow
        if !declaringRoles {
            text = text.split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("report:") }
                .joined(separator: "\n")
                .replacingOccurrences(of: ", report: risk_tier", with: "")
                .replacingOccurrences(of: ", report: safety_exception", with: "")
        }
        try text.write(to: ws.root.appendingPathComponent("workflows/rights-check.yaml"), atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            ["new", "cx", "--workflow", "rights-check", "--partner", "Cloud Example Ltd", "--fact", "exposure=grave", "--fact", "withheld=true"],
            // The less severe impact is recorded first; the report ranks by severity, then likelihood.
            ["evidence", "add", "cx", "harms", "--field", "ref=H1", "--field", "right=Privacy", "--field", "scale=2", "--field", "scope=2",
             "--field", "irremediability=1", "--field", "likelihood=4"],
            ["evidence", "add", "cx", "harms", "--field", "ref=H2", "--field", "right=Expression", "--field", "scale=4", "--field", "scope=3",
             "--field", "irremediability=3", "--field", "likelihood=1"],
            ["evidence", "add", "cx", "measures", "--field", "owner=Data office", "--field", "due=2026-09-30",
             "--field", "indicator=Retention audit passed"],
            ["evidence", "add", "cx", "hearings", "--field", "group=Village residents", "--confidential", "said=Names of speakers"],
            ["evidence", "add", "cx", "protections", "--field", "reason=Speakers fear reprisals"],
            ["advance", "cx"],
        ]
        for arguments in steps {
            let result = try ws.run(arguments, as: "amina", at: at)
            guard result.status == 0 else { throw HarnessError("hria \(arguments.joined(separator: " ")): \(result.stderr)") }
        }
        return ws
    }

    @Test("a custom workflow that declares the roles gets the impact, measures, consultation and safety tables")
    func declaredRoles() throws {
        let ws = try Self.assessment(declaringRoles: true)
        defer { ws.cleanUp() }
        #expect(try ws.run(["workflow", "lint", "--strict", "workflows/rights-check.yaml"]).status == 0)
        let markdown = try ws.ok(["report", "cx", "--public", "--format", "md"], at: Self.at).stdout
        let sections = markdownSections(markdown)
        func section(_ title: String) -> String { sections.first { $0.title == title }?.body ?? "" }

        let register = section("Impact register").components(separatedBy: "Severity × likelihood")
        let impacts = markdownRows(register[0])
        #expect(impacts.first == ["Ref", "Right", "Rights-holders", "Severity", "Likelihood", "Scale", "Scope", "Irremediability", "Other"])
        #expect(impacts.dropFirst().map { Array($0.prefix(5)) } == [["H2", "Expression", "", "4", "1"], ["H1", "Privacy", "", "2", "4"]],
                "\(impacts)")
        // Under the register, where each impact sits by severity (rows 4 to 1) and likelihood (columns 1 to 4).
        let matrix = markdownRows(register.count == 2 ? register[1] : "")
        #expect(matrix.map { Array($0.dropFirst()) } == [["1 unlikely", "2 possible", "3 likely", "4 almost certain"],
                                                         ["H2", "", "", ""], ["", "", "", ""], ["", "", "", "H1"], ["", "", "", ""]],
                "\(matrix)")

        let measures = markdownRows(section("Mitigation plan and conditions"))
        let seq = try #require(try ws.events("cx").first { ($0["data"] as? [String: Any])?["type"] as? String == "measure" }?["seq"] as? Int)
        #expect(measures == [["#", "Owner", "Due", "Indicator"], ["#\(seq)", "Data office", "2026-09-30", "Retention audit passed"]], "\(measures)")

        let hearings = section("Consultations")
        #expect(hearings.contains("Village residents"))
        #expect(!markdown.contains("Names of speakers"), "a confidential value reached the public report")

        #expect(markdown.contains("### Safety exception"))
        #expect(markdown.contains("Speakers fear reprisals"))

        // list reads the declared risk tier and filters by its values.
        let listed = try ws.ok(["list", "--tier", "grave", "--json"], at: Self.at).stdout
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(listed.utf8)) as? [[String: Any]])
        #expect(rows.map { $0["tier"] as? String } == ["grave"])
    }

    @Test("the same workflow without report: gets none of those tables, and list has no tier to filter by")
    func undeclaredRoles() throws {
        let ws = try Self.assessment(declaringRoles: false)
        defer { ws.cleanUp() }
        let markdown = try ws.ok(["report", "cx", "--public", "--format", "md"], at: Self.at).stdout
        let titles = markdownSections(markdown).map(\.title)
        for missing in ["Impact register", "Mitigation plan", "Consultations"] {
            #expect(!titles.contains(missing), "\(missing) without a declared role: \(titles)")
        }
        #expect(!markdown.contains("### Safety exception"))
        // The five items are still all there, in the generic evidence table (a header and five rows).
        #expect(markdownRows(markdownSections(markdown).first { $0.title == "Evidence" }?.body ?? "").count == 6)
        let listed = try ws.run(["list", "--tier", "grave"], at: Self.at)
        #expect(listed.status == 2, "\(listed.stdout)\(listed.stderr)")
    }
}
