import Foundation
import HRIAKit
import Testing

/// Workflows change under running assessments (issue 15): `hria workflow diff` says what changed, in plain words.
@Suite("Workflow diff")
struct WorkflowDiffTests {
    static let base = """
    schema: hria.workflow/v1
    id: review
    version: 1
    title: A review
    roles:
      assessor: { description: Assesses }
      approver: { description: Approves }
    facts:
      tier: { type: enum, values: [low, moderate, high] }
    evidence_types:
      brief: { fields: { title: string, source: string }, file: optional }
    initial: intake
    stages:
      intake:
        owner: assessor
        requires:
          - { id: partner_brief, type: brief }
        transitions: [ { to: review } ]
      review:
        owner: assessor
        signoff: { roles: [approver] }
        transitions:
          - { to: done, when: 'facts.tier != "high"' }
          - { to: declined }
      done: { terminal: true, outcome: proceed }
      declined: { terminal: true, outcome: declined }
    """

    /// Version 2: a requirement added, a guard and a quorum tightened, an enum value dropped, a stage renamed.
    static let revised = base
        .replacingOccurrences(of: "version: 1", with: "version: 2")
        .replacingOccurrences(of: "values: [low, moderate, high]", with: "values: [low, high]")
        .replacingOccurrences(of: "      - { id: partner_brief, type: brief }\n",
                              with: "      - { id: partner_brief, type: brief }\n      - { id: sources, type: brief, min: 2 }\n")
        .replacingOccurrences(of: "signoff: { roles: [approver] }", with: "signoff: { roles: [approver], quorum: 2 }")
        .replacingOccurrences(of: "'facts.tier != \"high\"'", with: "'facts.tier == \"low\"'")
        .replacingOccurrences(of: "review", with: "examination")
        .replacingOccurrences(of: "id: examination", with: "id: review")
        .replacingOccurrences(of: "title: A examination", with: "title: A review")

    @Test("two files: every change in words, exit 1; the same file: exit 0; JSON; the pinned workflow against the workspace's")
    func diff() throws {
        let ws = try TestWorkspace.initialised("hria-diff", people: ["olga: { name: Olga, roles: [assessor] }"],
                                               workflows: ["review": Self.base], withSampleTeam: false)
        defer { ws.cleanUp() }
        let revised = try ws.file("review-v2.yaml", Self.revised)
        let same = try ws.run(["workflow", "diff", "review", "workflows/review.yaml"])
        #expect(same.status == 0 && same.stdout.hasSuffix(" are the same workflow\n"), "\(same.stdout)\(same.stderr)")
        let result = try ws.run(["workflow", "diff", "review", revised])
        #expect(result.status == 1, "\(result.stderr)")
        // A renamed stage is one removed and one added: its sign-off and guards go with it.
        #expect(result.stdout.split(separator: "\n").dropFirst().map(String.init) == [
            "  changed workflow: version 1 → 2",
            "  changed fact tier: type one of low, moderate, high → one of low, high",
            "  removed stage review",
            "  added stage examination",
            "  added requirement sources of stage intake",
            "  removed transition to review from stage intake",
            "  added transition to examination from stage intake",
        ], "\(result.stdout)")
        #expect(result.stdout.hasPrefix("7 changes from "), "\(result.stdout)")
        let different = try ws.run(["workflow", "diff", "review", revised, "--json"])
        #expect(different.status == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(different.stdout.utf8)) as? [String: Any])
        #expect(json["same"] as? Bool == false)
        let changes = try #require(json["changes"] as? [[String: Any]])
        #expect(changes.count == 7 && changes.contains { $0["change"] as? String == "added" && $0["subject"] as? String == "stage examination" })
        #expect(changes.contains { $0["change"] as? String == "changed" && $0["subject"] as? String == "fact tier"
                    && $0["detail"] as? String == "type one of low, moderate, high → one of low, high" })

        // A guard and a quorum changed in place are named with what they were and are.
        let tightened = Self.base.replacingOccurrences(of: "signoff: { roles: [approver] }", with: "signoff: { roles: [approver], quorum: 2 }")
            .replacingOccurrences(of: "'facts.tier != \"high\"'", with: "'facts.tier == \"low\"'")
        let inPlace = try ws.run(["workflow", "diff", "review", try ws.file("review-tight.yaml", tightened)])
        #expect(inPlace.stdout.contains("  changed sign-off of approver in stage review: quorum 1 → 2\n"), "\(inPlace.stdout)")
        #expect(inPlace.stdout.contains("  changed transition to done from stage review: when 'facts.tier != \"high\"' → 'facts.tier == \"low\"'\n"),
                "\(inPlace.stdout)")

        // A running assessment against the workspace's revised copy.
        try ws.ok(["new", "r1", "--workflow", "review", "--partner", "P"], as: "olga", at: "2026-03-02T09:00:00Z")
        try Self.revised.write(to: ws.root.appendingPathComponent("workflows/review.yaml"), atomically: true, encoding: .utf8)
        let pinned = try ws.run(["workflow", "diff", "--assessment", "r1"])
        #expect(pinned.status == 1 && pinned.stdout.hasPrefix("7 changes from r1's review version 1 to workflows/review.yaml (version 2)\n"),
                "\(pinned.stdout)\(pinned.stderr)")
        #expect(try ws.fails(2, ["workflow", "diff", "review"]).stderr.contains("give two workflows, the old and the new"))
    }
}
