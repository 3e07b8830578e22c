import Foundation
import Testing

/// Can this team run this workflow? A quorum nobody can meet is said when the workflow is linted against the
/// workspace, when an assessment starts on it, and at the stage itself, with who holds what.
@Suite("Workflows checked against the people of a workspace")
struct TeamCheckTests {
    /// One review stage owned by assessors, signed by two members of a panel under separation of duties.
    static let workflow = """
    schema: hria.workflow/v1
    id: panel
    version: 1
    title: A panel review
    roles:
      assessor: { description: Runs the review }
      panel: { description: Signs the review }
    initial: review
    stages:
      review:
        owner: assessor
        signoff: { roles: [panel], quorum: 2 }
        transitions: [ { to: done } ]
      done: { terminal: true, outcome: done }
    """

    /// A workspace whose roster holds exactly these people (and its admin, who holds no workflow role).
    static func workspace(_ people: [String], mode: TestWorkspace.Mode) throws -> TestWorkspace {
        try TestWorkspace.initialised("hria-team", people: people, workflows: ["panel": workflow], withSampleTeam: false, mode: mode)
    }

    @Test("a team that can run the workflow gets no warning anywhere", arguments: TestWorkspace.Mode.allCases)
    func ableTeam(mode: TestWorkspace.Mode) throws {
        let ws = try Self.workspace(["amina: { name: Amina, roles: [assessor] }", "mei: { name: Mei, roles: [panel] }",
                                     "tomas: { name: Tomas, roles: [panel] }"], mode: mode)
        defer { ws.cleanUp() }
        let lint = try ws.ok(["workflow", "lint", "--strict", "--workspace", ".", "workflows/panel.yaml"])
        #expect(lint.stdout == "no problems in 1 workflow file\n")
        let started = try ws.ok(["new", "p1", "--workflow", "panel", "--partner", "P"], as: "amina")
        #expect(started.stderr.isEmpty, "\(started.stderr)")
        #expect(try ws.ok(["status", "p1"]).stderr.isEmpty)
    }

    @Test("a quorum separation of duties makes unreachable is named with who holds what, at lint, new and status", arguments: TestWorkspace.Mode.allCases)
    func quorumNobodyCanMeet(mode: TestWorkspace.Mode) throws {
        // Tomas also assesses, so separation of duties bars him from signing: one panel member is left for two sign-offs.
        let ws = try Self.workspace(["amina: { name: Amina, roles: [assessor] }", "mei: { name: Mei, roles: [panel] }",
                                     "tomas: { name: Tomas, roles: [panel, assessor] }"], mode: mode)
        defer { ws.cleanUp() }
        let expected = "stage \"review\" needs 2 sign-offs from different people (panel), but only mei may give one; "
            + "tomas also holds the owner's role assessor, which separation of duties bars"

        let lint = try ws.ok(["workflow", "lint", "--workspace", ".", "workflows/panel.yaml"])
        #expect(lint.stdout.contains("workflows/panel.yaml:12:40: warning[team]: " + expected), "\(lint.stdout)")
        #expect(lint.stdout.contains("= help: in this workspace panel is held by mei, tomas; assessor is held by amina, tomas"), "\(lint.stdout)")
        #expect(try ws.fails(1, ["workflow", "lint", "--strict", "--workspace", ".", "workflows/panel.yaml"]).status == 1)
        // Without a workspace the file alone is checked: the workflow itself is fine.
        #expect(try ws.ok(["workflow", "lint", "--strict", "workflows/panel.yaml"]).stdout == "no problems in 1 workflow file\n")

        let started = try ws.ok(["new", "p1", "--workflow", "panel", "--partner", "P"], as: "amina")
        #expect(started.stderr.contains("hria: warning: the people of this workspace cannot run every stage of panel: " + expected),
                "\(started.stderr)")
        // The help names a command that works wherever the assessments are kept (the workflow as it was given, not
        // a file under assessments/, which a database or a server does not have).
        #expect(started.stderr.contains("\n  help: hria workflow lint --workspace . panel lists them with who holds what\n"), "\(started.stderr)")
        #expect(try ws.ok(["workflow", "lint", "--workspace", ".", "panel"]).stdout.contains("warning[team]: " + expected))
        let status = try ws.ok(["status", "p1"])
        #expect(status.stderr == "hria: warning: \(expected)\n  help: in this workspace panel is held by mei, tomas; assessor is held by amina, tomas\n",
                "\(status.stderr)")
    }

    @Test("a stage owned by a role nobody holds is named", arguments: TestWorkspace.Mode.allCases)
    func ownerNobodyHolds(mode: TestWorkspace.Mode) throws {
        let ws = try Self.workspace(["mei: { name: Mei, roles: [panel] }", "tomas: { name: Tomas, roles: [panel] }"], mode: mode)
        defer { ws.cleanUp() }
        let lint = try ws.ok(["workflow", "lint", "--format", "json", "--workspace", ".", "workflows/panel.yaml"])
        let found = try #require(try JSONSerialization.jsonObject(with: Data(lint.stdout.utf8)) as? [[String: Any]])
        #expect(found.count == 1)
        #expect(found.first?["rule"] as? String == "team")
        #expect(found.first?["pointer"] as? String == "/stages/review/owner")
        #expect(found.first?["message"] as? String == "stage \"review\" is owned by \"assessor\", a role nobody in this workspace holds")
    }
}
