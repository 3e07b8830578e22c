import Foundation
import HRIAKit
import Testing

/// Measures and conditions have a lifecycle (issue 19): a type with `closed_statuses` can have its items updated by
/// later events, a guard can ask what is due by `today()`, and `status` and `list` show open items past their due
/// date, also after the assessment has ended, until someone records them done or re-plans them.
@Suite("Measures and conditions outlive their stage")
struct LifecycleTests {
    static let workflow = """
    schema: hria.workflow/v1
    id: follow-up
    version: 1
    title: A plan followed up
    roles:
      officer: { description: Plans the measures }
      monitor: { description: Follows them up }
      approver: { description: Signs }
    evidence_types:
      measure:
        report: actions
        fields: { measure: text, owner: string, due: date, indicator: string, status: 'enum(planned|in_progress|done|dropped)' }
        closed_statuses: [done, dropped]
      brief: { fields: { title: string }, file: none }
    initial: planning
    stages:
      planning:
        owner: officer
        requires:
          - { id: measures, type: measure }
        transitions: [ { to: follow_up } ]
      follow_up:
        owner: monitor
        requires:
          - { id: review, type: brief, min: 0 }
        signoff: { roles: [approver] }
        transitions:
          - to: closed
            when: 'evidence.measures.all(m, m.status in ["done", "dropped"] || m.due >= today())'
            description: Every measure due is done, dropped or re-planned
      closed: { terminal: true, outcome: closed }
    """

    static func office() throws -> TestWorkspace {
        try TestWorkspace.initialised("hria-lifecycle", people: [
            "olga: { name: Olga, roles: [officer] }", "mo: { name: Mo, roles: [monitor] }", "abe: { name: Abe, roles: [approver] }",
        ], workflows: ["follow-up": workflow], withSampleTeam: false)
    }

    @Test("an overdue measure blocks the review until it is done or re-planned; updates are in the log, status and list")
    func overdueMeasure() throws {
        let ws = try Self.office()
        defer { ws.cleanUp() }
        #expect(try ws.ok(["workflow", "lint", "--strict", "workflows/follow-up.yaml"]).stdout == "no problems in 1 workflow file\n")
        try ws.ok(["new", "p1", "--workflow", "follow-up", "--partner", "Acme"], as: "olga", at: "2026-01-05T09:00:00Z")
        let added = try ws.ok(["evidence", "add", "p1", "measures", "--field", "measure=Encrypt end to end", "--field", "owner=IT",
                               "--field", "due=2026-03-01", "--field", "indicator=Audit report", "--field", "status=planned"],
                              as: "olga", at: "2026-01-05T09:00:00Z").stdout
        #expect(added.hasPrefix("recorded #1:"), "\(added)")
        try ws.ok(["advance", "p1"], as: "olga", at: "2026-01-05T09:01:00Z")
        try ws.ok(["signoff", "p1", "--approve"], as: "abe", at: "2026-01-05T09:02:00Z")

        // Before the due date the guard holds; after it, the measure is overdue and blocks the move, saying so.
        let early = try ws.ok(["status", "p1"], at: "2026-02-01T09:00:00Z").stdout
        #expect(early.contains("Open measures and conditions (1, 0 overdue)"), "\(early)")
        #expect(early.contains("ready    → closed"), "\(early)")
        let late = try ws.ok(["status", "p1"], at: "2026-04-01T09:00:00Z").stdout
        #expect(late.contains("Open measures and conditions (1, 1 overdue)"), "\(late)")
        #expect(late.contains("  #1  measures  due 2026-03-01, planned, owner IT  OVERDUE"), "\(late)")
        #expect(late.contains("      hria evidence update p1 #1 --field status=done|dropped (or --field due=YYYY-MM-DD to re-plan it)"), "\(late)")
        let blocked = try ws.refused(["advance", "p1"], as: "mo", at: "2026-04-01T09:00:00Z", id: "p1")
        #expect(blocked.stderr.contains("today() = 2026-04-01"), "\(blocked.stderr)")
        let list = try ws.ok(["list", "--overdue"], at: "2026-04-01T09:00:00Z").stdout
        #expect(list.contains("p1") && list.contains("1 item"), "\(list)")

        // Only a type with a lifecycle can be updated, only by an owner, only with fields its type allows.
        try ws.bad(["evidence", "update", "p1", "#9", "--field", "status=done"], as: "mo", at: "2026-04-01T09:00:00Z", id: "p1",
                   message: "no evidence was recorded by event #9")
        try ws.bad(["evidence", "update", "p1", "#1", "--field", "status=finished"], as: "mo", at: "2026-04-01T09:00:00Z", id: "p1",
                   message: "\"finished\" is not a value of field status (planned, in_progress, done, dropped)")
        try ws.refused(["evidence", "update", "p1", "#1", "--field", "status=done"], as: "abe", at: "2026-04-01T09:00:00Z", id: "p1",
                       summary: "abe cannot update evidence #1")
        // Re-planning voids the approval given in this stage, so it asks for consent first.
        try ws.refused(["evidence", "update", "p1", "#1", "--field", "due=2026-06-30", "--note", "Vendor delayed"], as: "mo",
                       at: "2026-04-01T09:00:00Z", id: "p1")
        try ws.ok(["evidence", "update", "p1", "#1", "--field", "due=2026-06-30", "--note", "Vendor delayed", "--void-signoffs"],
                  as: "mo", at: "2026-04-01T09:00:00Z")
        try ws.ok(["signoff", "p1", "--approve"], as: "abe", at: "2026-04-01T09:05:00Z")
        let replanned = try ws.ok(["status", "p1"], at: "2026-04-01T09:06:00Z").stdout
        #expect(replanned.contains("Open measures and conditions (1, 0 overdue)"), "\(replanned)")
        try ws.ok(["advance", "p1"], as: "mo", at: "2026-04-01T09:06:00Z")

        // After the end the item lives on: overdue again in July, closed by the owner of the stage that recorded it.
        let ended = try ws.ok(["status", "p1"], at: "2026-07-15T09:00:00Z").stdout
        #expect(ended.contains("outcome   closed"), "\(ended)")
        #expect(ended.contains("Open measures and conditions (1, 1 overdue)"), "\(ended)")
        try ws.refused(["evidence", "update", "p1", "#1", "--field", "status=done"], as: "mo", at: "2026-07-15T09:00:00Z", id: "p1",
                       summary: "mo cannot update evidence #1")
        try ws.ok(["evidence", "update", "p1", "#1", "--field", "status=done", "--note", "Audit report received"],
                  as: "olga", at: "2026-07-15T09:00:00Z")
        let closed = try ws.ok(["status", "p1"], at: "2026-07-15T09:01:00Z").stdout
        #expect(!closed.contains("Open measures and conditions"), "\(closed)")
        #expect(try ws.ok(["list", "--overdue"], at: "2026-07-15T09:01:00Z").stdout.split(separator: "\n").count == 1)
        let log = try ws.ok(["log", "p1"]).stdout
        #expect(log.contains("updated evidence #1 in follow_up: due = \"2026-06-30\" — Vendor delayed"), "\(log)")
        #expect(log.contains("updated evidence #1 in closed: status = \"done\" — Audit report received"), "\(log)")
        try ws.expectVerifies("p1")
    }

    @Test("evidence without a lifecycle cannot be updated; a hand-written update of it fails verify")
    func noLifecycle() throws {
        let ws = try Self.office()
        defer { ws.cleanUp() }
        try ws.ok(["new", "p2", "--workflow", "follow-up", "--partner", "Acme"], as: "olga", at: "2026-01-05T09:00:00Z")
        try ws.ok(["evidence", "add", "p2", "measures", "--field", "measure=Train staff", "--field", "owner=HR",
                   "--field", "due=2026-03-01", "--field", "indicator=Attendance", "--field", "status=planned"],
                  as: "olga", at: "2026-01-05T09:00:00Z")
        try ws.ok(["advance", "p2"], as: "olga", at: "2026-01-05T09:01:00Z")
        try ws.ok(["evidence", "add", "p2", "review", "--field", "title=First review"], as: "mo", at: "2026-01-05T09:02:00Z")
        try ws.bad(["evidence", "update", "p2", "#3", "--field", "title=Edited"], as: "mo", at: "2026-01-05T09:03:00Z", id: "p2",
                   message: "evidence #3 (review) cannot be updated: its type brief has no lifecycle; record new evidence instead")
        try ws.bad(["evidence", "update", "p2", "two", "--field", "status=done"], as: "mo", at: "2026-01-05T09:03:00Z", id: "p2",
                   message: "\"two\" is not an item number")
        // A closed status typed for a measure in the lint: an unknown value is named.
        let broken = Self.workflow.replacingOccurrences(of: "closed_statuses: [done, dropped]", with: "closed_statuses: [done, droped]")
        try broken.write(to: ws.root.appendingPathComponent("workflows/broken.yaml"), atomically: true, encoding: .utf8)
        let lint = try ws.fails(1, ["workflow", "lint", "workflows/broken.yaml"]).stdout
        #expect(lint.contains("error[lifecycle]: closed status \"droped\" of evidence type \"measure\" is not a value of its status field"), "\(lint)")
        #expect(lint.contains("did you mean \"dropped\"?"), "\(lint)")
    }
}
