import Foundation
import HRIAKit
import HRIATestSupport
import Testing

/// A workflow revised under a running assessment (issue 15): `hria migrate` checks that what the assessment has
/// recorded fits the new version, records the move as an event an admin signs, keeps both workflows, and `verify`
/// judges every event by the workflow in force when it was recorded, in a workspace and in a bundle alike.
@Suite("Workflow migration")
struct MigrationTests {
    static let people = ["olga: { name: Olga, roles: [assessor] }", "pia: { name: Pia, roles: [approver] }",
                         "quinn: { name: Quinn, roles: [approver] }"]
    static let base = WorkflowDiffTests.base

    /// A workspace with review version 1 and an assessment r1 started on it by olga.
    static func started(_ name: String) throws -> TestWorkspace {
        let ws = try TestWorkspace.initialised(name, people: people, workflows: ["review": base], assessment: "r1", withSampleTeam: false)
        try ws.ok(["new", "r1", "--workflow", "review", "--partner", "P"], as: "olga", at: "2026-03-02T09:00:00Z")
        return ws
    }

    /// olga records the partner brief of intake, with the source given.
    static func brief(_ ws: TestWorkspace, id: String = "r1", source: String = "desk") throws {
        try ws.ok(["evidence", "add", id, "partner_brief", "--field", "title=Brief", "--field", "source=\(source)"], as: "olga",
                  at: "2026-03-02T10:00:00Z")
    }

    /// Appends an event to the log by hand, chained to the last line as hria would, and runs verify.
    static func writtenByHand(_ draft: EventDraft, after lines: [[UInt8]], in ws: TestWorkspace, id: String) throws -> HRIA.Result {
        let line = EventLine.encode(draft, seq: lines.count, prev: SHA256Hash(hex: SHA256Hash.leafHex(lines.last!))!)
        try ws.writeLog(lines: lines + [line], id: id)
        return try ws.verify(id).text
    }

    static func version(_ text: String, _ version: Int) -> String {
        text.replacingOccurrences(of: "version: 1", with: "version: \(version)")
    }

    /// The snapshot files kept in r1's folder for moves, by name.
    static func snapshots(_ ws: TestWorkspace) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: ws.root.appendingPathComponent("assessments/r1/workflows").path)) ?? []).sorted()
    }

    @Test("a new requirement: the move is recorded, says what is now needed, keeps both workflows, and the new rules hold after it")
    func addRequirement() throws {
        let ws = try Self.started("hria-migrate-add")
        defer { ws.cleanUp() }
        try Self.brief(ws)
        let original = try Data(contentsOf: ws.root.appendingPathComponent("assessments/r1/workflow.yaml"))
        let v2 = try ws.file("review-v2.yaml", Self.version(Self.base, 2).replacingOccurrences(
            of: "      - { id: partner_brief, type: brief }\n",
            with: "      - { id: partner_brief, type: brief }\n      - { id: sources, type: brief, min: 2 }\n"))

        // Not an admin: refused, nothing written.
        try ws.refused(["migrate", "r1", "--to", v2, "--reason", "new sourcing rule"], as: "olga", at: "2026-03-03T09:00:00Z", id: "r1",
                       summary: "olga cannot move an assessment to another workflow version",
                       blockers: ["olga cannot move an assessment to another workflow version: that needs the role admin, and olga holds assessor"])
        #expect(Self.snapshots(ws).isEmpty)

        // A dry run says the same as the move, and records nothing.
        let dry = try ws.ok(["migrate", "r1", "--to", v2, "--reason", "new sourcing rule", "--dry-run"], as: "admin", at: "2026-03-03T09:00:00Z")
        #expect(dry.stdout.hasPrefix("would move r1 from review version 1 to version 2 (nothing recorded: --dry-run)\n"), "\(dry.stdout)")
        #expect(dry.stdout.contains("now needed that was not before:\n  - evidence sources: 0 of 2 brief items recorded\n"), "\(dry.stdout)")
        #expect(Self.snapshots(ws).isEmpty)
        #expect(try ws.events("r1").count == 2)

        let moved = try ws.ok(["migrate", "r1", "--to", v2, "--reason", "new sourcing rule"], as: "admin", at: "2026-03-03T09:00:00Z")
        #expect(moved.stdout.hasPrefix("recorded #2: r1 moved from review version 1 to version 2\n"), "\(moved.stdout)")
        #expect(moved.stdout.contains("now needed that was not before:\n  - evidence sources: 0 of 2 brief items recorded\n"
                                      + "      hria evidence add r1 sources --field title=… --field source=…\n"), "\(moved.stdout)")
        #expect(moved.stdout.contains("no approval of this stage is voided"), "\(moved.stdout)")

        // Both workflows kept: the first unchanged, the new one by its SHA-256.
        #expect(try Data(contentsOf: ws.root.appendingPathComponent("assessments/r1/workflow.yaml")) == original)
        let sha = sha256Hex(try Data(contentsOf: ws.root.appendingPathComponent(v2)))
        #expect(Self.snapshots(ws) == ["\(sha).yaml"])
        let event = try #require(try ws.events("r1").last)
        #expect(event["type"] as? String == "workflow.migrated")
        let data = try #require(event["data"] as? [String: Any])
        #expect((data["from"] as? [String: Any])?["version"] as? Int == 1 && (data["to"] as? [String: Any])?["sha256"] as? String == sha)
        #expect(data["reason"] as? String == "new sourcing rule" && data["roles"] as? [String] == ["admin"])
        // Signed with the admin's own key, which OpenSSH checks against the roster's allowed signers with no hria code.
        let (message, signature) = try #require(EventLine.signedBytes(of: try ws.logLines("r1")[2]), "the move is not signed")
        let folder = try ws.outside("sshsig")
        try ws.ok(["people", "allowed-signers"]).stdout.write(to: folder.appendingPathComponent("allowed"), atomically: true, encoding: .utf8)
        try SSHSignature.armored(try #require(Base64.standard.decode(signature, strict: true)))
            .write(to: folder.appendingPathComponent("sig"), atomically: true, encoding: .utf8)
        let checked = try OpenSSH.run("ssh-keygen", ["-Y", "verify", "-f", folder.appendingPathComponent("allowed").path, "-I", "admin",
                                                       "-n", "hria-event", "-s", folder.appendingPathComponent("sig").path],
                                      stdin: String(decoding: message, as: UTF8.self))
        #expect(checked.status == 0, "\(checked.output)")

        // The new rules hold from now on: the move to review needs the sources; status says the workflow it follows.
        try ws.refused(["advance", "r1"], as: "olga", at: "2026-03-03T10:00:00Z", blockers: ["evidence sources: 0 of 2 brief items recorded"])
        let status = try ws.ok(["status", "r1"])
        #expect(status.stdout.contains("version 2"), "\(status.stdout)")
        for n in 1...2 {
            try ws.ok(["evidence", "add", "r1", "sources", "--field", "title=Source \(n)", "--field", "source=desk"], as: "olga",
                      at: "2026-03-03T11:00:00Z")
        }
        try ws.ok(["advance", "r1"], as: "olga", at: "2026-03-03T12:00:00Z")
        let log = try ws.ok(["log", "r1"])
        #expect(log.stdout.contains("#2  2026-03-03 09:00  admin  moved the assessment from review version 1 to review version 2 (sha256 \(sha.prefix(12))…) (as admin) — new sourcing rule"),
                "\(log.stdout)")
        try ws.expectVerifies("r1")

        // Listed and reported under the version it follows now; verify says it checked both workflows.
        let list = try #require(try ws.json(try ws.ok(["list", "--json"])) as? [[String: Any]])
        #expect(list.first?["stage"] as? String == "review", "\(list)")
        let verified = try ws.ok(["verify", "r1"])
        #expect(verified.stdout.contains("2 workflow snapshots"), "\(verified.stdout)")
        // Migrating again to the same file is bad input; so is a reasonless move.
        try ws.fails(2, ["migrate", "r1", "--to", v2, "--reason", "again"], as: "admin", at: "2026-03-04T09:00:00Z")
        try ws.fails(2, ["migrate", "r1", "--to", "review", "--reason", " "], as: "admin", at: "2026-03-04T09:00:00Z")
    }

    @Test("a removed stage is refused, naming it; mapped to its successor the move goes through and later events use the new name")
    func renameStage() throws {
        let ws = try Self.started("hria-migrate-rename")
        defer { ws.cleanUp() }
        try Self.brief(ws)
        try ws.ok(["advance", "r1"], as: "olga", at: "2026-03-02T11:00:00Z")
        try ws.ok(["signoff", "r1", "--approve"], as: "pia", at: "2026-03-02T12:00:00Z")
        // Version 2 calls the review stage "examination": for the assessment, review is removed.
        let renamed = Self.version(Self.base, 2).replacingOccurrences(of: "review", with: "examination")
            .replacingOccurrences(of: "id: examination", with: "id: review").replacingOccurrences(of: "title: A examination", with: "title: A review")
        let v2 = try ws.file("review-v2.yaml", renamed)

        try ws.refused(["migrate", "r1", "--to", v2, "--reason", "clearer names"], as: "admin", at: "2026-03-03T09:00:00Z", id: "r1",
                       summary: "cannot move r1 to review version 2",
                       blockers: ["stage review (where the assessment is now) is not in review version 2: map it to one of its stages"])
        // A map to a stage the new version does not have, or onto the end, is refused too.
        try ws.refused(["migrate", "r1", "--to", v2, "--reason", "clearer names", "--map", "review=exam"], as: "admin",
                       at: "2026-03-03T09:00:00Z", id: "r1",
                       blockers: ["stage review is mapped to exam, which review version 2 does not have"])
        try ws.refused(["migrate", "r1", "--to", v2, "--reason", "clearer names", "--map", "review=done"], as: "admin",
                       at: "2026-03-03T09:00:00Z", id: "r1",
                       blockers: ["stage review (where the assessment is now) would become done, which ends the assessment in review version 2"])
        try ws.fails(2, ["migrate", "r1", "--to", v2, "--reason", "x", "--map", "review"], as: "admin")
        try ws.fails(2, ["migrate", "r1", "--to", v2, "--reason", "x", "--map", "nowhere=examination"], as: "admin")

        let moved = try ws.ok(["migrate", "r1", "--to", v2, "--reason", "clearer names", "--map", "review=examination", "--json"],
                              as: "admin", at: "2026-03-03T09:00:00Z")
        let json = try #require(try ws.json(moved) as? [String: Any])
        #expect(json["recorded"] as? Int == 4 && json["stages"] as? [String: String] == ["review": "examination"])
        // pia's approval was given under the old rules: it no longer counts.
        let voided = try #require(json["voided_approvals"] as? [[String: Any]])
        #expect(voided.count == 1 && voided[0]["actor"] as? String == "pia" && voided[0]["seq"] as? Int == 3)
        #expect((json["newly_needed"] as? [[String: Any]])?.contains { $0["rule"] as? String == "signoff-missing" } == true)

        let status = try ws.json(try ws.ok(["status", "r1", "--json"])) as? [String: Any]
        #expect(status?["stage"] as? String == "examination")
        // Events after the move are recorded and judged at the new stage name, by the new rules.
        try ws.ok(["comment", "r1", "under the new names"], as: "olga", at: "2026-03-03T09:30:00Z")
        try ws.ok(["signoff", "r1", "--approve"], as: "quinn", at: "2026-03-03T10:00:00Z")
        try ws.ok(["fact", "r1", "tier=low", "--void-signoffs"], as: "olga", at: "2026-03-03T10:30:00Z")
        try ws.ok(["signoff", "r1", "--approve"], as: "quinn", at: "2026-03-03T11:00:00Z")
        let done = try ws.ok(["advance", "r1"], as: "olga", at: "2026-03-03T12:00:00Z")
        #expect(done.stdout.contains("examination → done"), "\(done.stdout)")
        try ws.expectVerifies("r1")
        let report = try ws.ok(["report", "r1"])
        #expect(report.stdout.contains("examination"), "\(report.stdout)")
    }

    @Test("two moves in a row and one back: each judged by the version then in force; a move cut short by a crash leaves a log that verifies")
    func movesInARow() throws {
        let ws = try Self.started("hria-migrate-twice")
        defer { ws.cleanUp() }
        try Self.brief(ws)
        let v2 = try ws.file("review-v2.yaml", Self.version(Self.base, 2))
        let v3 = try ws.file("review-v3.yaml", Self.version(Self.base, 3).replacingOccurrences(of: "review", with: "examination")
            .replacingOccurrences(of: "id: examination", with: "id: review").replacingOccurrences(of: "title: A examination", with: "title: A review"))
        let dry = try #require(try ws.json(try ws.ok(["migrate", "r1", "--to", v2, "--reason", "x", "--dry-run", "--json"], as: "admin",
                                                      at: "2026-03-03T09:00:00Z")) as? [String: Any])
        #expect(dry["dry_run"] as? Bool == true && dry["recorded"] is NSNull && dry["snapshot"] is NSNull)
        #expect((dry["to"] as? [String: Any])?["version"] as? Int == 2)

        // A crash after the snapshot is kept and half the event written: the next command repairs the log, and the move
        // can be made again.
        let crashed = try ws.run(["migrate", "r1", "--to", v2, "--reason", "first"], as: "admin", at: "2026-03-03T09:00:00Z",
                                 environment: ["HRIA_CRASH_AT": "torn"])
        #expect(crashed.status != 0)
        try ws.expectVerifies("r1")
        try ws.ok(["migrate", "r1", "--to", v2, "--reason", "first"], as: "admin", at: "2026-03-03T09:00:00Z")
        try ws.ok(["advance", "r1"], as: "olga", at: "2026-03-03T10:00:00Z")
        let second = try ws.ok(["migrate", "r1", "--to", v3, "--reason", "second", "--map", "review=examination"], as: "admin",
                               at: "2026-03-03T11:00:00Z")
        #expect(second.stdout.hasPrefix("recorded #"), "\(second.stdout)")
        // Back to the first version's file: review again.
        try ws.ok(["migrate", "r1", "--to", "review", "--reason", "back", "--map", "examination=review"], as: "admin", at: "2026-03-03T12:00:00Z")
        let status = try ws.ok(["status", "r1"]).stdout
        #expect(status.contains("moved from review version 1 to version 2: first") && status.contains("moved from review version 2 to version 3: second")
                && status.contains("moved from review version 3 to version 1: back"), "\(status)")
        #expect(status.contains("stage     review"), "\(status)")
        try ws.ok(["signoff", "r1", "--approve"], as: "pia", at: "2026-03-03T13:00:00Z")
        try ws.ok(["fact", "r1", "tier=low", "--void-signoffs"], as: "olga", at: "2026-03-03T13:30:00Z")
        try ws.ok(["signoff", "r1", "--approve"], as: "quinn", at: "2026-03-03T14:00:00Z")
        try ws.ok(["advance", "r1"], as: "olga", at: "2026-03-03T15:00:00Z")
        try ws.expectVerifies("r1")
        #expect(try ws.ok(["verify", "r1"]).stdout.contains("4 workflow snapshots"))
    }

    @Test("a tightened enum is refused, naming the fact and the evidence item whose values no longer fit")
    func tightenedEnum() throws {
        let ws = try Self.started("hria-migrate-enum")
        defer { ws.cleanUp() }
        try Self.brief(ws, source: "interviews")
        try ws.ok(["advance", "r1"], as: "olga", at: "2026-03-02T11:00:00Z")
        try ws.ok(["fact", "r1", "tier=moderate"], as: "olga", at: "2026-03-02T12:00:00Z")
        let tightened = Self.version(Self.base, 2)
            .replacingOccurrences(of: "values: [low, moderate, high]", with: "values: [low, high]")
            .replacingOccurrences(of: "source: string", with: "source: 'enum(desk|field)'")
        let v2 = try ws.file("review-v2.yaml", tightened)
        try ws.refused(["migrate", "r1", "--to", v2, "--reason", "fewer tiers"], as: "admin", at: "2026-03-03T09:00:00Z", id: "r1",
                       summary: "cannot move r1 to review version 2",
                       blockers: ["fact tier (set by #3 to \"moderate\"): review version 2 wants one of low, high",
                                  "evidence #1 (partner_brief): field source holds \"interviews\", which is not enum(desk|field) in review version 2"])
        #expect(Self.snapshots(ws).isEmpty)
        try ws.expectVerifies("r1")
    }

    @Test("a bundle exported after a move carries both workflows and verifies outside the workspace; a changed snapshot is damage")
    func bundleAndTamper() throws {
        let ws = try Self.started("hria-migrate-bundle")
        defer { ws.cleanUp() }
        try Self.brief(ws)
        let v2 = try ws.file("review-v2.yaml", Self.version(Self.base, 2).replacingOccurrences(of: "title: A review", with: "title: A revised review"))
        try ws.ok(["migrate", "r1", "--to", v2, "--reason", "retitled"], as: "admin", at: "2026-03-03T09:00:00Z")
        try ws.ok(["comment", "r1", "after the move"], as: "olga", at: "2026-03-03T09:30:00Z")
        let bundle = ws.parent.appendingPathComponent("bundle")
        try ws.ok(["export", "r1", "--public", bundle.path])
        let sha = sha256Hex(try Data(contentsOf: ws.root.appendingPathComponent(v2)))
        #expect(FileManager.default.fileExists(atPath: bundle.appendingPathComponent("workflows/\(sha).yaml").path))
        #expect(try Data(contentsOf: bundle.appendingPathComponent("workflow.yaml"))
                    == Data(contentsOf: ws.root.appendingPathComponent("assessments/r1/workflow.yaml")))
        let key = try #require(try String(contentsOf: ws.root.appendingPathComponent("hria.yaml"), encoding: .utf8)
            .split(separator: "\n").first { $0.hasPrefix("log_key: ") }).dropFirst(9).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        // Outside any workspace, as an auditor holding only the bundle.
        let outside = ws.parent
        let verified = try ws.run(["verify", "--bundle", bundle.path, "--key", key], in: outside)
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        let log = try ws.run(["log", "--bundle", bundle.path, "--key", key, "--type", "workflow.migrated"], in: outside)
        #expect(log.status == 0 && log.stdout.contains("moved the assessment from review version 1 to review version 2"), "\(log.stdout)\(log.stderr)")
        let status = try ws.run(["status", "--bundle", bundle.path, "--key", key], in: outside)
        #expect(status.status == 0 && status.stdout.contains("version 2"), "\(status.stdout)\(status.stderr)")

        // The new workflow's snapshot changed in the bundle: verify names it, and the readers refuse.
        let kept = bundle.appendingPathComponent("workflows/\(sha).yaml")
        try (String(contentsOf: kept, encoding: .utf8) + "# changed\n").write(to: kept, atomically: true, encoding: .utf8)
        let damaged = try ws.run(["verify", "--bundle", bundle.path, "--key", key], in: outside)
        #expect(damaged.status == 3, "\(damaged.stdout)\(damaged.stderr)")
        #expect(damaged.stdout.contains("that event 2 moved to was changed"), "\(damaged.stdout)")
        #expect(try ws.run(["log", "--bundle", bundle.path, "--key", key], in: outside).status == 3)

        // The same in the workspace: removed, the record cannot be read, and nothing is recorded on it.
        try FileManager.default.removeItem(at: ws.root.appendingPathComponent("assessments/r1/workflows/\(sha).yaml"))
        try ws.expectTamper("r1", kind: "workflow", firstBadEvent: 2)
        try ws.fails(3, ["status", "r1"])
        try ws.fails(3, ["comment", "r1", "more"], as: "olga")
    }

    @Test("a hand-written move that breaks the rules is found by verify: an incompatible map, and an event judged by the old rules after it")
    func forgedMoves() throws {
        let ws = try Self.started("hria-migrate-forged")
        defer { ws.cleanUp() }
        try Self.brief(ws)
        // Version 2 drops partner_brief from intake: the item recorded for it no longer fits.
        let v2text = Self.version(Self.base, 2).replacingOccurrences(of: "    requires:\n      - { id: partner_brief, type: brief }\n", with: "")
        let v2 = try ws.file("review-v2.yaml", v2text)
        try ws.refused(["migrate", "r1", "--to", v2, "--reason", "no brief"], as: "admin", at: "2026-03-03T09:00:00Z", id: "r1",
                       blockers: ["evidence #1 (partner_brief): review version 2 has no requirement partner_brief"])
        // Written by hand, with the snapshot in place: verify replays the move and rejects it.
        let sha = sha256Hex(try Data(contentsOf: ws.root.appendingPathComponent(v2)))
        let folder = ws.root.appendingPathComponent("assessments/r1/workflows")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: ws.root.appendingPathComponent(v2).path, toPath: folder.appendingPathComponent("\(sha).yaml").path)
        let lines = try ws.logLines("r1")
        let original = sha256Hex(try Data(contentsOf: ws.root.appendingPathComponent("assessments/r1/workflow.yaml")))
        let draft = EventDraft(actor: "admin", stage: "intake", time: Timestamp.parse("2026-03-03T09:00:00Z")!,
                               payload: .workflowMigrated(WorkflowMigrated(from: WorkflowPin(id: "review", version: 1, sha256: original),
                                                                           to: WorkflowPin(id: "review", version: 2, sha256: sha),
                                                                           stages: [:], reason: "forged", roles: ["admin"])),
                               roster: 2)
        let text = try Self.writtenByHand(draft, after: lines, in: ws, id: "r1")
        #expect(text.status == 3)
        #expect(text.stdout.contains("event 2 does not fit the assessment's history: cannot move r1 to review version 2: "
                                     + "evidence #1 (partner_brief): review version 2 has no requirement partner_brief"), "\(text.stdout)")

        // r2 moves before any brief is recorded; a brief written by hand after the move fits the old rules, not the new.
        try ws.ok(["new", "r2", "--workflow", "review", "--partner", "Q"], as: "olga", at: "2026-03-02T09:00:00Z")
        try ws.ok(["migrate", "r2", "--to", v2, "--reason", "no brief"], as: "admin", at: "2026-03-03T09:00:00Z")
        try ws.ok(["comment", "r2", "moved"], as: "olga", at: "2026-03-03T09:30:00Z")
        try ws.expectVerifies("r2")
        let r2 = try ws.logLines("r2")
        let roster = try #require(try ws.events("r2").last?["roster"] as? Int)
        let brief = EventDraft(actor: "olga", stage: "intake", time: Timestamp.parse("2026-03-03T10:00:00Z")!,
                               payload: .evidenceAdded(EvidenceAdded(requirement: "partner_brief", type: "brief",
                                                                     fields: ["title": .string("Brief"), "source": .string("desk")],
                                                                     file: nil, confidential: [], roles: ["assessor"])),
                               roster: roster)
        let lateText = try Self.writtenByHand(brief, after: r2, in: ws, id: "r2")
        #expect(lateText.status == 3)
        #expect(lateText.stdout.contains("event 3 does not fit the assessment's history: it records evidence for partner_brief, "
                                         + "which workflow review does not require"), "\(lateText.stdout)")
    }
}
