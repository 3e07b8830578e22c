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

    static func office(mode: TestWorkspace.Mode = .local) throws -> TestWorkspace {
        try TestWorkspace.initialised("hria-lifecycle", people: [
            "olga: { name: Olga, roles: [officer] }", "mo: { name: Mo, roles: [monitor] }", "abe: { name: Abe, roles: [approver] }",
        ], workflows: ["follow-up": workflow], withSampleTeam: false, mode: mode)
    }

    @Test("an overdue measure blocks the review until it is done or re-planned; updates are in the log, status and list", arguments: TestWorkspace.Mode.allCases)
    func overdueMeasure(mode: TestWorkspace.Mode) throws {
        let ws = try Self.office(mode: mode)
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
        #expect(late.contains("      hria evidence update p1 1 --field status=done (or status dropped; --field due=YYYY-MM-DD to re-plan it)"), "\(late)")
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
        // Where it stands, by when and who sees to it can change; what it says is recorded anew.
        try ws.bad(["evidence", "update", "p1", "1", "--field", "measure=Something easier"], as: "mo", at: "2026-04-01T09:00:00Z", id: "p1",
                   message: "field measure of evidence #1 cannot be updated: only its status, due date and owner can",
                   help: "to change what it says, record a new item with hria evidence add")
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

    @Test("evidence without a lifecycle cannot be updated; a hand-written update of it fails verify", arguments: TestWorkspace.Mode.allCases)
    func noLifecycle(mode: TestWorkspace.Mode) throws {
        let ws = try Self.office(mode: mode)
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
        // Written by hand into the log, the same update is what verify rejects.
        var lines = try ws.logLines("p2")
        let last = try EventLine.decode(lines[lines.count - 1])
        let forged = EventDraft(actor: "mo", stage: "follow_up", time: last.time,
                                payload: .evidenceUpdated(EvidenceUpdated(item: 3, fields: ["title": .string("Edited")], file: nil, note: nil,
                                                                          roles: ["monitor"])), roster: last.roster)
        let prev = try #require(SHA256Hash(hex: SHA256Hash.leafHex(lines[lines.count - 1])))
        lines.append(EventLine.encode(forged, seq: lines.count, prev: prev))
        try ws.writeLog(lines: lines, id: "p2")
        try ws.expectTamper("p2", kind: "history", firstBadEvent: lines.count - 1)
        // A closed status typed for a measure in the lint: an unknown value is named.
        let broken = Self.workflow.replacingOccurrences(of: "closed_statuses: [done, dropped]", with: "closed_statuses: [done, droped]")
        try broken.write(to: ws.root.appendingPathComponent("workflows/broken.yaml"), atomically: true, encoding: .utf8)
        let lint = try ws.fails(1, ["workflow", "lint", "workflows/broken.yaml"]).stdout
        #expect(lint.contains("error[lifecycle]: closed status \"droped\" of evidence type \"measure\" is not a value of its status field"), "\(lint)")
        #expect(lint.contains("did you mean \"dropped\"?"), "\(lint)")
    }

    static let conditionsWorkflow = """
    schema: hria.workflow/v1
    id: conditional
    version: 1
    title: A decision with precedent conditions
    roles:
      officer: { description: Decides and follows up }
      counsel: { description: Signs the agreement off }
    facts:
      agreement_signed:
        type: bool
        set_when: '!facts.agreement_signed || evidence.conditions.all(c, !c.precedent || c.status == "verified")'
    evidence_types:
      condition:
        fields: { condition: text, owner: string, due: date, precedent: bool, status: 'enum(open|met|verified|waived)' }
        closed_statuses: [verified, waived]
    initial: decision
    stages:
      decision:
        owner: officer
        requires:
          - { id: conditions, type: condition }
        transitions: [ { to: monitoring } ]
      monitoring:
        owner: officer
        signoff: { roles: [counsel] }
        transitions:
          - { to: ended, when: facts.agreement_signed }
      ended: { terminal: true, outcome: proceed }
    """

    @Test("set_when: the agreement cannot be recorded as signed while a precedent condition is unverified", arguments: TestWorkspace.Mode.allCases)
    func precedentConditions(mode: TestWorkspace.Mode) throws {
        let ws = try TestWorkspace.initialised("hria-precedent", people: [
            "olga: { name: Olga, roles: [officer] }", "cora: { name: Cora, roles: [counsel] }",
        ], workflows: ["conditional": Self.conditionsWorkflow], withSampleTeam: false, mode: mode)
        defer { ws.cleanUp() }
        #expect(try ws.ok(["workflow", "lint", "--strict", "workflows/conditional.yaml"]).stdout == "no problems in 1 workflow file\n")
        let at = "2026-05-04T09:00:00Z"
        try ws.ok(["new", "c1", "--workflow", "conditional", "--partner", "Acme", "--fact", "agreement_signed=false"], as: "olga", at: at)
        try ws.ok(["evidence", "add", "c1", "conditions", "--field", "condition=Data stays in the EU", "--field", "owner=Legal",
                   "--field", "due=2026-06-01", "--field", "precedent=true", "--field", "status=open"], as: "olga", at: at)
        try ws.ok(["evidence", "add", "c1", "conditions", "--field", "condition=Quarterly transparency report", "--field", "owner=Partner",
                   "--field", "due=2026-09-01", "--field", "precedent=false", "--field", "status=open"], as: "olga", at: at)
        try ws.ok(["advance", "c1"], as: "olga", at: at)
        let refused = try ws.refused(["fact", "c1", "agreement_signed=true"], as: "olga", at: at, id: "c1",
                                     summary: "cannot set agreement_signed now")
        #expect(refused.stderr.contains("  - fact agreement_signed may be set only when !facts.agreement_signed || evidence.conditions.all(c, "
                                        + "!c.precedent || c.status == \"verified\"), which is false (facts.agreement_signed = true, "
                                        + "evidence.conditions: 2 items)"), "\(refused.stderr)")
        // Recording it as not signed is always possible; verifying the precedent condition opens the way.
        try ws.ok(["fact", "c1", "agreement_signed=false"], as: "olga", at: at)
        try ws.ok(["evidence", "update", "c1", "#1", "--field", "status=verified", "--note", "Hosting contract checked"], as: "olga", at: at)
        try ws.ok(["fact", "c1", "agreement_signed=true"], as: "olga", at: at)
        try ws.ok(["signoff", "c1", "--approve"], as: "cora", at: at)
        try ws.ok(["advance", "c1"], as: "olga", at: at)
        // The other condition lives on after the end.
        let status = try ws.ok(["status", "c1"], at: "2026-10-01T09:00:00Z").stdout
        #expect(status.contains("Open measures and conditions (1, 1 overdue)") && status.contains("#2  conditions  due 2026-09-01, open, owner Partner  OVERDUE"),
                "\(status)")
        try ws.expectVerifies("c1")

        // Written by hand into a log, setting the fact before the condition is verified is what verify rejects.
        try ws.ok(["new", "c2", "--workflow", "conditional", "--partner", "Acme", "--fact", "agreement_signed=false"], as: "olga", at: at)
        try ws.ok(["evidence", "add", "c2", "conditions", "--field", "condition=Data stays in the EU", "--field", "owner=Legal",
                   "--field", "due=2026-06-01", "--field", "precedent=true", "--field", "status=open"], as: "olga", at: at)
        var lines = try ws.logLines("c2")
        let last = try EventLine.decode(lines[lines.count - 1])
        let draft = EventDraft(actor: "olga", stage: "decision", time: last.time,
                               payload: .factSet(FactSet(facts: ["agreement_signed": .bool(true)], reason: nil, roles: ["officer"])),
                               roster: last.roster)
        let prev = try #require(SHA256Hash(hex: SHA256Hash.leafHex(lines[lines.count - 1])))
        lines.append(EventLine.encode(draft, seq: lines.count, prev: prev))
        try ws.writeLog(lines: lines, id: "c2")
        try ws.expectTamper("c2", kind: "history", firstBadEvent: lines.count - 1)
    }
}

