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
        #expect(blockers.allSatisfy { $0.rule == "migration-incompatible" })
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

    @Test("the move voids the current visit's approvals, says what is newly needed, and later events are judged by the new rules")
    func effect() throws {
        var story = try Self.inReview()
        try story.run(Do.report(), by: EngineFixture.lee)
        try story.run(Do.facts(("rework", "false")), by: EngineFixture.lee)
        try story.run(Do.approve, by: EngineFixture.apo)
        let before = try #require(story.history)
        let target = try Self.target([("      - { roles: [approver], separation_of_duties: false }",
                                       "      - { roles: [approver], separation_of_duties: false, quorum: 2 }")])
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
        // Under the new rules one approval is not enough; two, given after the move, are.
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
}
