import Foundation
import Testing
@testable import HRIAKit

/// The rules of a move to another workflow version, in the pure engine: what must fit, what the move changes, and
/// that a reader admits the recorded move only as the engine would have decided it.
@Suite("Migration rules")
struct MigrationRulesTests {
    static let admin = EngineFixture.person("root", [Roster.adminRole])

    /// The fixture with its version raised and `edits` applied.
    static func target(_ edits: [(String, String)] = []) throws -> (Workflow, String) {
        var yaml = EngineFixture.yaml.replacingOccurrences(of: "version: 3", with: "version: 4")
        for (old, new) in edits {
            #expect(yaml.contains(old), "the fixture has no \(old)")
            yaml = yaml.replacingOccurrences(of: old, with: new)
        }
        let loaded = WorkflowLoader.load(text: yaml, fileName: "engine-test-4.yaml")
        let workflow = try #require(loaded.workflow, "\(loaded.diagnostics.map(\.message))")
        return (workflow, Digest.sha256Hex(Array(yaml.utf8)))
    }

    /// An assessment in review: two scans, score 6, screening approved by two reviewers and left.
    static func inReview() throws -> Story {
        var story = try Story()
        try story.run([(Do.scan(), EngineFixture.ana), (Do.scan("NGO report"), EngineFixture.ana), (Do.facts(("score", "6"), ("tier", "low")), EngineFixture.ana),
                       (Do.approve, EngineFixture.rita), (Do.approve, EngineFixture.raj), (Do.advance(), EngineFixture.ana)])
        #expect(story.state.stage == "review")
        return story
    }

    static func move(_ target: (Workflow, String), stages: [String: String] = [:]) -> Command {
        .migrate(to: target.0, sha256: target.1, stages: stages, reason: "revised process")
    }

    @Test("every problem is named: colliding stages, a fact out of its new range, an item lacking a new field or a file")
    func problems() throws {
        let story = try Self.inReview()
        let target = try Self.target([("score: { type: int, min: 0, max: 10 }", "score: { type: int, min: 7, max: 10 }"),
                                      ("fields: { source: string, rating: int(1..4) }\n    file: none",
                                       "fields: { source: string, rating: int(1..4), method: string }\n    file: required")])
        let blockers = story.blockers(Self.move(target, stages: ["screening": "review"]), by: Self.admin)
        #expect(blockers.map(\.description) == [
            "stages review and screening would both become review: their visits would mix",
            "fact score (set by #3 to 6): engine-test version 4 wants a whole number from 7 to 10",
            "evidence #1 (scans): engine-test version 4 asks for scans in stage screening, but the item was recorded in review",
            "evidence #2 (scans): engine-test version 4 asks for scans in stage screening, but the item was recorded in review",
        ])
        let unmapped = story.blockers(Self.move(target), by: Self.admin).map(\.description)
        #expect(unmapped.contains("evidence #1 (scans): type scan in engine-test version 4 requires method, which the item lacks"), "\(unmapped)")
        #expect(unmapped.contains("evidence #1 (scans): type scan in engine-test version 4 needs a file"), "\(unmapped)")
        #expect(blockers.map(\.rule) == ["migration-stage", "migration-fact", "migration-evidence", "migration-evidence"])
    }

    @Test("only an admin moves an assessment, with a reason, to another file, while it runs and no decision is pending")
    func who() throws {
        var story = try Self.inReview()
        let target = try Self.target()
        #expect(story.blockers(Self.move(target), by: EngineFixture.lee).map(\.rule) == ["wrong-role"])
        do {
            _ = try story.decide(.migrate(to: target.0, sha256: target.1, stages: [:], reason: "  "), by: Self.admin)
            Issue.record("a move without a reason was decided")
        } catch EngineError.invalid(let problem) {
            #expect(problem == .migrationWithoutReason)
        }
        do {
            _ = try story.decide(.migrate(to: EngineFixture.workflow, sha256: EngineFixture.sha256, stages: [:], reason: "same"), by: Self.admin)
            Issue.record("a move to the workflow the assessment is on was decided")
        } catch EngineError.invalid(let problem) {
            #expect(problem == .alreadyOnWorkflow("engine-test", version: 3))
        }
        // Ended: nothing moves it.
        try story.run(Do.facts(("rework", "false")), by: EngineFixture.lee)
        try story.run(Do.report(), by: EngineFixture.lee)
        try story.run(Do.approve, by: EngineFixture.apo)
        try story.run(Do.advance(), by: EngineFixture.lee)
        #expect(story.state.outcome == "approved")
        #expect(story.blockers(Self.move(target), by: Self.admin).map(\.rule) == ["assessment-ended"])
    }

    @Test("a decision pending after a move into a terminal stage comes first; the admin who moved a stage cannot sign it off under separation of duties")
    func pendingAndSeparation() throws {
        // Screening's reviewers sign under separation of duties: an admin who is also a reviewer and moved it may not.
        var story = try Story()
        let rootReviewer = EngineFixture.person("rootrev", [Roster.adminRole, "reviewer"])
        let target = try Self.target()
        story.history?.snapshots[target.1] = target.0
        try story.run(Self.move(target), by: rootReviewer)
        let refused = story.blockers(Do.approve, by: rootReviewer)
        #expect(refused.map(\.description) == ["rootrev cannot sign off: rootrev moved the assessment to another workflow version in this visit (#1) (separation of duties)"])

        var ending = try Self.inReview()
        try ending.run(Do.report(), by: EngineFixture.lee)
        try ending.run(Do.facts(("rework", "false")), by: EngineFixture.lee)
        try ending.run(Do.approve, by: EngineFixture.apo)
        var move = try ending.decide(Do.advance(), by: EngineFixture.lee)
        move.events = [move.events[0]]
        try ending.append(move)
        #expect(ending.state.pendingDecision != nil)
        do {
            _ = try ending.decide(Self.move(target), by: Self.admin)
            Issue.record("a move was decided while a decision was pending")
        } catch EngineError.refused(let refusal) {
            #expect(refusal.summary == "the move into done still needs its decision recorded", "\(refusal.summary)")
        }
    }

    @Test("the move voids the current visit's approvals, says what is newly needed, and later events are judged by the new rules")
    func effect() throws {
        var story = try Self.inReview()
        try story.run(Do.report(), by: EngineFixture.lee)
        try story.run(Do.facts(("rework", "false")), by: EngineFixture.lee)
        try story.run(Do.approve, by: EngineFixture.apo)
        let before = try #require(story.history)
        let target = try Self.target([("      - { roles: [approver], separation_of_duties: false }",
                                       "      - { roles: [approver], separation_of_duties: false, quorum: 2 }"),
                                      ("note: { type: string }", "note: { type: string }\n  audited: { type: bool }"),
                                      ("- { to: done, when: '!facts.rework && size(evidence.scans) >= 2' }",
                                       "- { to: done, when: '!facts.rework && size(evidence.scans) >= 2 && facts.audited' }")])
        story.history?.snapshots[target.1] = target.0
        try story.run(Self.move(target), by: Self.admin)
        let after = try #require(story.history)
        #expect(after.workflow.version == 4 && after.state.workflowSHA256 == target.1 && after.state.migrations.count == 1)
        #expect(after.state.firstWorkflowSHA256 == EngineFixture.sha256)
        let effect = MigrationEffect.between(before: before, after: after, now: story.now)
        #expect(effect.voidedApprovals.map(\.actor) == ["apo"])
        #expect(effect.newlyNeeded.map(\.rule) == ["signoff-missing"])
        #expect(effect.newlyNeeded.first?.description.contains("2 more approvals needed from approver (2 in all") == true,
                "\(effect.newlyNeeded.map(\.description))")
        #expect(effect.newlyUnsetFacts == ["audited"])
        // Under the new rules one approval is not enough; two, given after the move, are.
        try story.run(Do.facts(("audited", "true")), by: EngineFixture.lee)
        try story.run(Do.approve, by: EngineFixture.apo)
        #expect(story.blockers(Do.advance(), by: EngineFixture.lee).map(\.rule) == ["signoff-missing"])
        try story.run(Do.approve, by: EngineFixture.boss)
        try story.run(Do.advance(), by: EngineFixture.lee)
        #expect(story.state.outcome == "approved")
    }

    @Test("a reader admits a recorded move only with its snapshot, from the pin the assessment had, as the engine decided it")
    func reader() throws {
        var story = try Self.inReview()
        let target = try Self.target()
        let outcome = try story.decide(Self.move(target), by: Self.admin)
        let draft = try #require(outcome.events.first)
        let line = EventLine.encode(draft, seq: story.state.size, prev: story.events.last.map { $0.line.withUnsafeBytes { SHA256Hash.leaf($0) } } ?? .zero)
        let event = try EventLine.decode(line)
        // Without the snapshot: refused, saying which workflow is missing.
        var without = try #require(story.history)
        #expect(throws: HistoryViolation.self) { try without.admit(event) }
        do { try without.admit(event) } catch {
            #expect(error.reason.contains("is not among the assessment's workflow snapshots"), "\(error.reason)")
        }
        // With it: admitted, and the history now judges by version 4.
        var with = try #require(story.history)
        with.snapshots[target.1] = target.0
        try with.admit(event)
        #expect(with.workflow.version == 4)
        // A move that claims another starting pin is refused.
        var lying = draft
        if case .workflowMigrated(var p) = lying.payload {
            p.from.sha256 = String(repeating: "0", count: 64)
            lying.payload = .workflowMigrated(p)
        }
        var other = try #require(story.history)
        other.snapshots[target.1] = target.0
        #expect(throws: Refusal.self) { try other.record(lying) }
        // Round trip of the event's data.
        #expect(event.payload == draft.payload)
        story.history?.snapshots[target.1] = target.0
        try story.append(outcome)
        #expect(story.history?.workflow.version == 4)
    }

    @Test("a moved log verifies the same on one core and several, and an event only the old version allowed is found after the move in every setting")
    func parallel() throws {
        // Screening moves to a version without the optional extras; many comments follow, then an extras note written by hand.
        var story = try Story()
        let target = try Self.target([("      - { id: extras, type: note, min: 0 }\n", "")])
        story.history?.snapshots[target.1] = target.0
        try story.run(Self.move(target), by: Self.admin)
        for n in 0..<400 {
            story.now = story.now.addingTimeInterval(60)
            try story.run(.comment("note \(n) on the screening, long enough to fill a few lines of the log for the batches"), by: EngineFixture.ana)
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hria-moved-\(UUID().uuidString)/acme")
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        let keys = try NoteSigner.generate(name: "test.example/hria")
        let verifier = try NoteVerifier(verifierKey: keys.verifierKey)
        let log = AssessmentLog(folder: folder.path)
        try log.create(workflowBytes: Array(EngineFixture.yaml.utf8), firstLine: story.events[0].line,
                       signing: AssessmentLog.Signing(signer: keys.signer, verifier: verifier, origin: "test.example/hria/acme"))
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("workflows"), withIntermediateDirectories: true)
        var yaml = EngineFixture.yaml.replacingOccurrences(of: "version: 3", with: "version: 4")
        yaml = yaml.replacingOccurrences(of: "      - { id: extras, type: note, min: 0 }\n", with: "")
        try Data(yaml.utf8).write(to: folder.appendingPathComponent("workflows/\(target.1).yaml"))
        let trust = LogVerifier.Trust(verifier: verifier, origin: "test.example/hria/acme", people: [], requireSignatures: false)
        func settings() -> [LogVerifier.Tuning] {
            [(1, 1 << 22, Int.max), (1, 4000, 1), (2, 3000, 1), (3, 1500, 1), (8, 700, 1)].map { cores, chunk, minimum in
                var tuning = LogVerifier.Tuning()
                tuning.cores = cores
                tuning.chunkSize = chunk
                tuning.minimumParallelBytes = minimum
                return tuning
            }
        }
        func reports(_ lines: [[UInt8]]) throws -> [String] {
            try Data(lines.flatMap { $0 + [0x0A] }).write(to: folder.appendingPathComponent("log.jsonl"))
            return settings().map { LogVerifier.verify(id: "acme", log: log, trust: trust, against: nil, tuning: $0) }
                .map { $0.json.rendered() }
        }
        let intact = try reports(story.events.map(\.line))
        #expect(Set(intact).count == 1, "\(intact)")
        #expect(intact.first?.contains("\"ok\":true") == true, "\(intact.first ?? "")")

        // An extras note after the move: the first version asks for it, the one in force does not.
        let extras = EventDraft(actor: "ana", stage: "screening", time: story.now.addingTimeInterval(60),
                                payload: .evidenceAdded(EvidenceAdded(requirement: "extras", type: "note", fields: ["summary": .string("more")],
                                                                      file: nil, confidential: [], roles: ["assessor"])))
        let prev = story.events.last!.line.withUnsafeBytes { SHA256Hash.leaf($0) }
        let damaged = try reports(story.events.map(\.line) + [EventLine.encode(extras, seq: story.events.count, prev: prev)])
        #expect(Set(damaged).count == 1, "\(damaged)")
        #expect(damaged.first?.contains("it records evidence for extras, which workflow engine-test does not require") == true, "\(damaged.first ?? "")")
    }
}
