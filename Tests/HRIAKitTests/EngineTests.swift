import Foundation
import Testing
@testable import HRIAKit
import HRIATestSupport

// Table-style tests of the pure engine: `(workflow, events) → state` and
// `(workflow, state, command, actor, now) → events | refusal`. Every event a test feeds back into the state is
// serialised with `LogLine.serialize` and parsed with `Event.parse`, exactly as the log store does.

// MARK: - Fixture

/// A small workflow that carries every rule the engine enforces.
enum EngineFixture {
    static let yaml = """
    schema: hria.workflow/v1
    id: engine-test
    version: 3
    title: Engine test workflow
    roles:
      assessor: { description: Runs the screening }
      reviewer: { description: Reviews the screening }
      approver: { description: Signs high-tier screenings and the review }
      lead: { description: Owns the review }
    facts:
      flagged: { type: bool }
      tier: { type: enum, values: [low, moderate, high] }
      score: { type: int, min: 0, max: 10 }
      due_on: { type: date }
      rework: { type: bool }
      note: { type: string }
    evidence_types:
      document:
        fields: { title: string, issued_on: 'date?' }
        file: required
      scan:
        fields: { source: string, rating: int(1..4) }
        file: none
      consultation:
        fields: { date: date, group: string }
        confidential: [participants, summary]
      note:
        fields: { summary: text }
        file: optional
    initial: screening
    stages:
      screening:
        owner: assessor
        deadline: P10D
        max_visits: 2
        requires:
          - { id: scans, type: scan, min: 2, max_age: P30D }
          - { id: consultations, type: consultation, when: 'facts.tier == "high"' }
          - { id: extras, type: note, min: 0 }
        signoff:
          - { roles: [reviewer], quorum: 2 }
          - { roles: [approver], when: 'facts.tier == "high"' }
        transitions:
          - { to: declined, when: facts.flagged }
          - { to: review, when: 'facts.score >= 5' }
          - { to: fast_track, when: 'facts.score >= 8 && size(evidence.scans) >= 3' }
          - { to: parked }
      review:
        owner: lead
        requires:
          - { id: report, type: document }
        signoff:
          - { roles: [approver], separation_of_duties: false }
        transitions:
          - { to: screening, when: facts.rework }
          - { to: done, when: '!facts.rework && size(evidence.scans) >= 2' }
      fast_track:
        owner: assessor
        transitions:
          - { to: done }
      parked:
        owner: assessor
        transitions:
          - { to: done }
      declined: { terminal: true, outcome: declined }
      done: { terminal: true, outcome: approved }
    """

    static let workflow: Workflow = {
        let result = WorkflowLoader.load(text: yaml, fileName: "engine-test.yaml")
        guard let workflow = result.workflow else {
            fatalError("the engine fixture does not load: " + result.diagnostics.map { "\($0.location): \($0.message)" }.joined(separator: "; "))
        }
        return workflow
    }()

    static let sha256 = Digest.sha256Hex(Array(yaml.utf8))

    /// 2026-01-05T09:00:00Z, the moment each story starts.
    static let t0 = Timestamp.parse("2026-01-05T09:00:00Z")!

    static func day(_ n: Double, hours: Double = 0) -> Date { t0.addingTimeInterval(n * 86_400 + hours * 3600) }

    static func person(_ id: String, _ roles: [String]) -> Person { Person(id: id, name: id.capitalized, roles: roles) }

    static let ana = person("ana", ["assessor"])
    static let bo = person("bo", ["assessor"])
    static let rita = person("rita", ["reviewer"])
    static let raj = person("raj", ["reviewer"])
    static let rex = person("rex", ["reviewer"])
    static let dual = person("dual", ["assessor", "reviewer"])
    static let apo = person("apo", ["approver"])
    static let lee = person("lee", ["lead"])
    static let boss = person("boss", ["lead", "approver"])
    static let nobody = person("nobody", [])
    static let people = [ana, bo, rita, raj, rex, dual, apo, lee, boss, nobody]

    static let reportFile = EvidenceFile(sha256: String(repeating: "ab", count: 32), size: 1234, name: "report.pdf")
}

/// A predictable RandomSource: the bytes 1, 2, 3, … wrapping at 255, so salts and decoys are reproducible.
struct CountingRandom: RandomSource {
    var next: UInt8 = 0
    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in
            next &+= 1
            return next
        }
    }
}

// MARK: - Commands in short

enum Do {
    static func facts(_ pairs: (String, String)..., reason: String? = nil) -> Command {
        .setFacts(pairs.map { (name: $0.0, value: $0.1) }, reason: reason)
    }

    static func evidence(_ requirement: String, _ fields: [(String, String)] = [], confidential: [(String, String)] = [],
                         file: EvidenceFile? = nil) -> Command {
        .addEvidence(requirement: requirement, fields: fields.map { (name: $0.0, value: $0.1) },
                     confidential: confidential.map { (name: $0.0, value: $0.1) }, file: file)
    }

    static func scan(_ source: String = "UN report", rating: Int = 2) -> Command {
        evidence("scans", [("source", source), ("rating", String(rating))])
    }

    static func consultation(participants: String = "A. B.; C. D.", summary: String = "They fear reprisals.") -> Command {
        evidence("consultations", [("date", "2026-01-04"), ("group", "Defenders")],
                 confidential: [("participants", participants), ("summary", summary)])
    }

    static func report() -> Command {
        evidence("report", [("title", "Review report")], file: EngineFixture.reportFile)
    }

    static let approve = Command.signoff(approve: true, comment: nil)
    static func reject(_ comment: String) -> Command { .signoff(approve: false, comment: comment) }
    static func advance(to: String? = nil, reason: String? = nil) -> Command { .advance(to: to, reason: reason) }
}

// MARK: - Story: commands applied in order

/// An assessment built by running commands through `Engine.decide` and feeding each outcome's events, serialised
/// and parsed back, into the state.
struct Story {
    let workflow = EngineFixture.workflow
    var events: [Event] = []
    /// The history as the rules admitted it, event by event (nil before the first).
    var history: AssessmentHistory?
    var state: AssessmentState { history?.state ?? AssessmentState() }
    var random = CountingRandom()
    /// When the next command happens; tests move it forward.
    var now = EngineFixture.t0

    /// Starts an assessment; `flagged=false` by default so the first transition's guard can be evaluated.
    init(facts: [(String, String)] = [("flagged", "false")], by actor: Person = EngineFixture.ana) throws {
        let outcome = try Engine.create(id: "acme", workflow: workflow, workflowSHA256: EngineFixture.sha256, partner: "Acme Corp",
                                        title: "Acme sponsorship", facts: facts.map { (name: $0.0, value: $0.1) }, actor: actor,
                                        now: now)
        try append(outcome)
    }

    mutating func append(_ outcome: Outcome) throws {
        for draft in outcome.events {
            let prev = events.last.map { $0.line.withUnsafeBytes { SHA256Hash.leaf($0) } } ?? .zero
            let line = EventLine.encode(draft, seq: state.size, prev: prev)
            let event = try EventLine.decode(line)
            #expect(event.line == line)
            if history == nil {
                history = try AssessmentHistory.replay([event], workflow: workflow, workflowSHA256: EngineFixture.sha256)
            } else {
                try history!.admit(event)
            }
            events.append(event)
        }
    }

    /// What the engine decides, without recording it.
    func decide(_ command: Command, by actor: Person, at time: Date? = nil) throws -> Outcome {
        var random = self.random
        return try Engine.decide(try #require(history), command: command, actor: actor, now: time ?? now, random: &random)
    }

    /// Runs a command and records its events; fails the test if it is refused.
    @discardableResult
    mutating func run(_ command: Command, by actor: Person, at time: Date? = nil) throws -> Outcome {
        let outcome = try Engine.decide(try #require(history), command: command, actor: actor, now: time ?? now, random: &random)
        try append(outcome)
        return outcome
    }

    mutating func run(_ commands: [(Command, Person)]) throws {
        for (command, actor) in commands { try run(command, by: actor) }
    }

    /// The blockers of a refused command; records an issue when the command is not refused.
    func blockers(_ command: Command, by actor: Person, at time: Date? = nil,
                  sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [Blocker] {
        do {
            let outcome = try decide(command, by: actor, at: time)
            Issue.record("expected a refusal, got \(outcome.events.map(\.type.rawValue))", sourceLocation: sourceLocation)
            return [.ended(outcome: "<not refused>")]
        } catch EngineError.refused(let refusal) {
            return refusal.blockers
        } catch {
            Issue.record("expected a refusal, got \(error)", sourceLocation: sourceLocation)
            return [.ended(outcome: "<\(error)>")]
        }
    }

    /// The blockers of a refused command, without the conditions of the individual transitions (false or unknown
    /// guards), which every refusal of a plain `advance` lists after the stage's own blockers.
    func stageBlockers(_ command: Command, by actor: Person, at time: Date? = nil,
                       sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [Blocker] {
        blockers(command, by: actor, at: time, sourceLocation: sourceLocation).filter {
            switch $0 {
            case .guardFalse, .guardUnknown: false
            default: true
            }
        }
    }

    /// The bad-input error of a command; records an issue otherwise.
    func badInput(_ command: Command, by actor: Person, at time: Date? = nil,
                  sourceLocation: Testing.SourceLocation = #_sourceLocation) -> InvalidRequest? {
        do {
            let outcome = try decide(command, by: actor, at: time)
            Issue.record("expected bad input, got \(outcome.events.map(\.type.rawValue))", sourceLocation: sourceLocation)
            return nil
        } catch EngineError.invalid(let request) {
            return request
        } catch {
            Issue.record("expected bad input, got \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    // Common preparations.

    /// Screening done for a low tier: two fresh scans, two reviewer approvals, the score given.
    mutating func screeningReady(score: Int = 6) throws {
        try run([(Do.facts(("tier", "low"), ("score", String(score))), EngineFixture.ana),
                 (Do.scan("UN report"), EngineFixture.ana), (Do.scan("NGO report"), EngineFixture.ana),
                 (Do.approve, EngineFixture.rita), (Do.approve, EngineFixture.raj)])
    }

    /// At the review stage with its report and the approver's sign-off.
    mutating func atReviewReady(rework: Bool) throws {
        try screeningReady()
        try run(Do.advance(), by: EngineFixture.ana)
        try run([(Do.report(), EngineFixture.lee), (Do.facts(("rework", String(rework))), EngineFixture.lee),
                 (Do.approve, EngineFixture.apo)])
    }
}

extension Blocker {
    static func reviewers(_ approvedBy: [String], voided: [String] = []) -> Blocker {
        .missingSignoff(roles: ["reviewer"], quorum: 2, approvedBy: approvedBy, voided: voided)
    }
    static func scans(have: Int, stale: Int = 0) -> Blocker {
        .missingEvidence(requirement: "scans", type: "scan", have: have, need: 2, stale: stale, maxAge: "30 days")
    }
}

// MARK: - Tests

@Suite("Engine: the pure core of assessments")
struct EngineTests {
    typealias F = EngineFixture

    // MARK: Creation

    @Test("assessment.created records the pinned workflow, the facts and the roles")
    func creation() throws {
        let story = try Story(facts: [("flagged", "false"), ("tier", "moderate"), ("score", "7")])
        #expect(story.events.count == 1)
        let event = story.events[0]
        #expect(event.type == .assessmentCreated)
        #expect(event.seq == 0 && event.prev == .zero)
        #expect(event.actor == "ana" && event.stage == "screening")
        #expect(event.timeText == "2026-01-05T09:00:00Z")
        #expect(event.data == .object([
            "id": .string("acme"), "partner": .string("Acme Corp"), "title": .string("Acme sponsorship"),
            "workflow": .object(["id": .string("engine-test"), "version": .int(3), "sha256": .string(F.sha256)]),
            "facts": .object(["flagged": .bool(false), "tier": .string("moderate"), "score": .int(7)]),
            "roles": .array([.string("assessor")]),
        ]))
        #expect(event.sd.isEmpty)
        #expect(story.state.stage == "screening" && story.state.visit == 1)
        #expect(story.state.facts["score"]?.value == .int(7))
    }

    @Test("only a holder of a workflow role may start; ids and partners are checked")
    func creationRefusals() throws {
        #expect(throws: EngineError.self) { try Story(by: F.nobody) }
        do {
            _ = try Story(by: F.nobody)
        } catch EngineError.refused(let refusal) {
            #expect(refusal.blockers == [.wrongRole(actor: "nobody", action: "start an assessment",
                                                    needs: ["assessor", "reviewer", "approver", "lead"], holds: [])])
        }
        for id in ["../x", "a/b", "Acme", "-acme", "", String(repeating: "a", count: 65), "acme corp"] {
            #expect(throws: EngineError.self, "\(id)") {
                try Engine.create(id: id, workflow: F.workflow, workflowSHA256: F.sha256, partner: "P", title: nil, facts: [],
                                  actor: F.ana, now: F.t0)
            }
        }
        #expect(AssessmentID.isValid(String(repeating: "a", count: 64)))
        #expect(AssessmentID.isValid("0-acme"))
        do {
            _ = try Engine.create(id: "acme", workflow: F.workflow, workflowSHA256: F.sha256, partner: "  ", title: nil, facts: [],
                                  actor: F.ana, now: F.t0)
            Issue.record("a blank partner was accepted")
        } catch {
            guard case .invalid(.blankPartner) = error else { Issue.record("\(error)"); return }
        }
        do {
            _ = try Story(facts: [("tier", "hihg")])
            Issue.record("a bad fact was accepted")
        } catch EngineError.invalid(let request) {
            #expect(request.suggestion == "high")
        }
    }

    // MARK: Roles

    struct RoleCase: Sendable, CustomTestStringConvertible {
        var name: String
        var command: Command
        var actor: Person
        var expected: Blocker
        var testDescription: String { name }
    }

    static let roleCases: [RoleCase] = [
        RoleCase(name: "a reviewer sets a fact", command: Do.facts(("tier", "low")), actor: F.rita,
                 expected: .wrongRole(actor: "rita", action: "set facts", needs: ["assessor"], holds: ["reviewer"])),
        RoleCase(name: "a reviewer adds evidence", command: Do.scan(), actor: F.rita,
                 expected: .wrongRole(actor: "rita", action: "add evidence", needs: ["assessor"], holds: ["reviewer"])),
        RoleCase(name: "the lead advances a stage it does not own", command: Do.advance(), actor: F.lee,
                 expected: .wrongRole(actor: "lee", action: "advance the assessment", needs: ["assessor"], holds: ["lead"])),
        RoleCase(name: "someone without a role sets a fact", command: Do.facts(("tier", "low")), actor: F.nobody,
                 expected: .wrongRole(actor: "nobody", action: "set facts", needs: ["assessor"], holds: [])),
        RoleCase(name: "the assessor signs off", command: Do.approve, actor: F.ana,
                 expected: .wrongRole(actor: "ana", action: "sign off this stage", needs: ["approver", "reviewer"], holds: ["assessor"])),
        RoleCase(name: "the lead rejects", command: Do.reject("no"), actor: F.lee,
                 expected: .wrongRole(actor: "lee", action: "sign off this stage", needs: ["approver", "reviewer"], holds: ["lead"])),
    ]

    @Test("wrong role for fact, evidence, advance and sign-off", arguments: roleCases)
    func wrongRole(_ c: RoleCase) throws {
        let story = try Story()
        #expect(story.blockers(c.command, by: c.actor) == [c.expected])
    }

    // MARK: Separation of duties

    @Test("separation of duties: a holder of the owner role cannot sign off")
    func separationOwnerRole() throws {
        let story = try Story()
        #expect(story.blockers(Do.approve, by: F.dual)
            == [.separationOfDuties(actor: "dual", reason: "dual holds assessor, the role that owns this stage")])
        #expect(story.blockers(Do.reject("no"), by: F.dual)
            == [.separationOfDuties(actor: "dual", reason: "dual holds assessor, the role that owns this stage")])
    }

    @Test("separation of duties: someone who recorded evidence or facts in this visit cannot sign off")
    func separationContributor() throws {
        // Roles are read from hria.yaml when each command runs: pat was an assessor, then became a reviewer.
        let patAssessor = F.person("pat", ["assessor"]), patReviewer = F.person("pat", ["reviewer"])
        for contribution in [Do.scan(), Do.facts(("note", "seen"))] {
            var story = try Story()
            try story.run(contribution, by: patAssessor)
            #expect(story.blockers(Do.approve, by: patReviewer)
                == [.separationOfDuties(actor: "pat", reason: "pat recorded evidence or facts in this stage")])
            // Others may still sign.
            try story.run(Do.approve, by: F.rita)
        }
    }

    @Test("separation of duties is per visit: a contributor of an earlier visit may sign the next one")
    func separationPerVisit() throws {
        let patAssessor = F.person("pat", ["assessor"]), patReviewer = F.person("pat", ["reviewer"])
        var story = try Story()
        try story.run([(Do.facts(("tier", "low"), ("score", "6")), F.ana), (Do.scan(), patAssessor), (Do.scan(), F.ana),
                       (Do.approve, F.rita), (Do.approve, F.raj), (Do.advance(), F.ana)])
        try story.run([(Do.report(), F.lee), (Do.facts(("rework", "true")), F.lee), (Do.approve, F.apo), (Do.advance(), F.lee)])
        #expect(story.state.stage == "screening" && story.state.visit == 2)
        // In the second visit pat recorded nothing, so pat's approval is accepted and counts.
        try story.run([(Do.scan(), F.ana), (Do.scan(), F.ana), (Do.approve, patReviewer), (Do.approve, F.rita)])
        let outcome = try story.run(Do.advance(), by: F.ana)
        #expect(outcome.events.first?.data["approvals"] == .array([.string("pat"), .string("rita")]))
    }

    @Test("a sign-off rule without separation of duties lets the owner sign")
    func noSeparation() throws {
        var story = try Story()
        try story.screeningReady()
        try story.run(Do.advance(), by: F.ana)
        try story.run([(Do.report(), F.boss), (Do.facts(("rework", "false")), F.boss), (Do.approve, F.boss)])
        let outcome = try story.run(Do.advance(), by: F.boss)
        #expect(outcome.events.map(\.type) == [.stageAdvanced, .decisionRecorded])
        #expect(outcome.events[0].data["approvals"] == .array([.string("boss")]))
    }

    // MARK: Quorum, voiding, rejections

    @Test("quorum counts distinct people: one person approving twice is one approval")
    func quorumDistinctPeople() throws {
        var story = try Story()
        try story.run([(Do.facts(("tier", "low"), ("score", "6")), F.ana), (Do.scan(), F.ana), (Do.scan(), F.ana),
                       (Do.approve, F.rita), (Do.approve, F.rita)])
        #expect(story.stageBlockers(Do.advance(), by: F.ana) == [.reviewers(["rita"])])
        try story.run(Do.approve, by: F.raj)
        let outcome = try story.run(Do.advance(), by: F.ana)
        #expect(outcome.events.count == 1)
        let advanced = outcome.events[0]
        #expect(advanced.type == .stageAdvanced && advanced.actor == "ana" && advanced.stage == "screening")
        #expect(advanced.data == .object([
            "from": .string("screening"), "to": .string("review"), "transition": .int(1), "visit": .int(1),
            "when": .string("facts.score >= 5"), "read": .object(["facts.score": .int(6)]),
            "approvals": .array([.string("rita"), .string("raj")]), "roles": .array([.string("assessor")]),
        ]))
        #expect(story.state.stage == "review" && story.state.visit == 1)
    }

    @Test("a fact or evidence recorded after sign-offs voids them", arguments: [
        Do.facts(("note", "one more thing")), Do.scan("late source"), Do.evidence("extras", [("summary", "an aside")]),
    ])
    func laterChangeVoidsSignoffs(_ change: Command) throws {
        var story = try Story()
        try story.screeningReady()
        try story.run(change, by: F.bo)
        #expect(story.state.voidedSignoffs().map(\.actor) == ["rita", "raj"])
        // The refusal names whose approvals were voided, and by which event.
        let by = story.state.size - 1
        #expect(story.stageBlockers(Do.advance(), by: F.ana) == [.reviewers([], voided: ["rita, voided by #\(by)", "raj, voided by #\(by)"])])
        try story.run([(Do.approve, F.raj), (Do.approve, F.rita)])
        let outcome = try story.run(Do.advance(), by: F.ana)
        #expect(outcome.events[0].data["approvals"] == .array([.string("raj"), .string("rita")]))
    }

    @Test("a rejection blocks until the same person approves")
    func rejectionBlocks() throws {
        var story = try Story()
        try story.run([(Do.facts(("tier", "low"), ("score", "6")), F.ana), (Do.scan(), F.ana), (Do.scan(), F.ana),
                       (Do.reject("The second scan is a press release."), F.rita), (Do.approve, F.raj)])
        #expect(story.stageBlockers(Do.advance(), by: F.ana)
            == [.signoffRejected(by: "rita", comment: "The second scan is a press release."), .reviewers(["raj"])])
        try story.run(Do.approve, by: F.rex)
        // The quorum is met by raj and rex, but rita's rejection stands.
        #expect(story.stageBlockers(Do.advance(), by: F.ana)
            == [.signoffRejected(by: "rita", comment: "The second scan is a press release.")])
        try story.run(Do.approve, by: F.rita)
        let outcome = try story.run(Do.advance(), by: F.ana)
        #expect(outcome.events[0].data["approvals"] == .array([.string("raj"), .string("rex"), .string("rita")]))
    }

    @Test("a rejection needs a reason")
    func rejectionNeedsReason() throws {
        let story = try Story()
        for comment in [nil, "", "  \n"] as [String?] {
            let error = story.badInput(.signoff(approve: false, comment: comment), by: F.rita)
            #expect(error?.message == "a rejection needs a reason")
        }
    }

    @Test("a sign-off records the decision, the comment, the visit and the roles")
    func signoffEvent() throws {
        var story = try Story()
        let outcome = try story.run(.signoff(approve: false, comment: "Missing sources"), by: F.rita)
        #expect(outcome.events.count == 1)
        #expect(outcome.events[0].type == .signoffRecorded)
        #expect(outcome.events[0].data == .object([
            "decision": .string("reject"), "comment": .string("Missing sources"), "visit": .int(1), "roles": .array([.string("reviewer")]),
        ]))
    }

    // MARK: Freshness

    @Test("items older than max_age no longer count")
    func staleEvidence() throws {
        var story = try Story()
        try story.screeningReady()
        // Exactly 30 days later both scans still count.
        #expect(try story.decide(Do.advance(), by: F.ana, at: F.day(30)).events.count == 1)
        // A day later neither does.
        #expect(story.stageBlockers(Do.advance(), by: F.ana, at: F.day(31)) == [.scans(have: 0, stale: 2)])
        // A new scan counts; the stale one is counted apart. (It also voids the sign-offs.)
        story.now = F.day(31)
        try story.run(Do.scan("fresh source"), by: F.ana)
        let by = story.state.size - 1
        #expect(story.stageBlockers(Do.advance(), by: F.ana) == [.scans(have: 1, stale: 2),
                                                                 .reviewers([], voided: ["rita, voided by #\(by)", "raj, voided by #\(by)"])])
        #expect(Blocker.scans(have: 1, stale: 2).rule == "evidence-stale")
        #expect(Blocker.scans(have: 1, stale: 2).description
            == "evidence scans: 1 of 2 scan items recorded; 2 older items no longer count (older than 30 days)")
    }

    // MARK: Conditions

    @Test("a requirement or sign-off whose when is false is not required; unset, it cannot be told")
    func conditionalRequirement() throws {
        // tier unset: both conditions are unknown.
        var story = try Story()
        try story.run([(Do.facts(("score", "6")), F.ana), (Do.scan(), F.ana), (Do.scan(), F.ana),
                       (Do.approve, F.rita), (Do.approve, F.raj)])
        #expect(story.stageBlockers(Do.advance(), by: F.ana) == [
            .conditionUnknown(what: "evidence consultations is required", condition: "facts.tier == \"high\"",
                              reason: "fact tier is not set"),
            .conditionUnknown(what: "the sign-off of approver is needed", condition: "facts.tier == \"high\"",
                              reason: "fact tier is not set"),
        ])

        // tier high: both apply.
        var high = try Story(facts: [("flagged", "false"), ("tier", "high"), ("score", "6")])
        try high.run([(Do.scan(), F.ana), (Do.scan(), F.ana), (Do.approve, F.rita), (Do.approve, F.raj)])
        #expect(high.stageBlockers(Do.advance(), by: F.ana) == [
            .missingEvidence(requirement: "consultations", type: "consultation", have: 0, need: 1, stale: 0, maxAge: nil),
            .missingSignoff(roles: ["approver"], quorum: 1, approvedBy: []),
        ])
        try high.run(Do.consultation(), by: F.ana)
        try high.run([(Do.approve, F.rita), (Do.approve, F.raj), (Do.approve, F.apo)])
        #expect(try high.run(Do.advance(), by: F.ana).events[0].data["to"] == .string("review"))

        // tier low: neither applies; the optional extras never block.
        var low = try Story()
        try low.screeningReady()
        #expect(try low.decide(Do.advance(), by: F.ana).events.count == 1)
    }

    @Test("a refusal lists every blocker: requirements, sign-offs and each transition's condition up to an unknown one")
    func everyBlocker() throws {
        let story = try Story(facts: [("flagged", "false"), ("tier", "high")])
        #expect(story.blockers(Do.advance(), by: F.ana) == [
            .scans(have: 0),
            .missingEvidence(requirement: "consultations", type: "consultation", have: 0, need: 1, stale: 0, maxAge: nil),
            .reviewers([]),
            .missingSignoff(roles: ["approver"], quorum: 1, approvedBy: []),
            .guardFalse(to: "declined", condition: "facts.flagged", read: ["facts.flagged = false"]),
            // First match stops at a condition nobody can evaluate yet: the later transitions are not considered.
            .guardUnknown(to: "review", condition: "facts.score >= 5", reason: "fact score is not set"),
        ])
    }

    // MARK: Transitions

    @Test("transitions are taken in order: the first enabled one wins, the default last")
    func firstMatch() throws {
        // score 9 with three scans: review (index 1) and fast_track (index 2) both hold; review wins.
        var story = try Story()
        try story.screeningReady(score: 9)
        try story.run(Do.scan("third"), by: F.ana)
        try story.run([(Do.approve, F.rita), (Do.approve, F.raj)])
        #expect(try story.decide(Do.advance(), by: F.ana).events[0].data["transition"] == .int(1))
        #expect(try story.decide(Do.advance(), by: F.ana).events[0].data["to"] == .string("review"))

        // --to asks for a specific transition.
        let fast = try story.decide(Do.advance(to: "fast_track", reason: "Urgent"), by: F.ana).events[0]
        #expect(fast.data == .object([
            "from": .string("screening"), "to": .string("fast_track"), "transition": .int(2), "visit": .int(1),
            "when": .string("facts.score >= 8 && size(evidence.scans) >= 3"),
            "read": .object(["facts.score": .int(9), "evidence.scans": .int(3)]),
            "approvals": .array([.string("rita"), .string("raj")]), "roles": .array([.string("assessor")]),
            "reason": .string("Urgent"),
        ]))

        // flagged wins over everything after it.
        var flagged = try Story(facts: [("flagged", "true")])
        try flagged.screeningReady(score: 9)
        let declined = try flagged.decide(Do.advance(), by: F.ana)
        #expect(declined.events.map(\.type) == [.stageAdvanced, .decisionRecorded])
        #expect(declined.events[0].data["to"] == .string("declined") && declined.events[0].data["transition"] == .int(0))

        // Nothing else holds: the default (no condition) is taken and records no condition.
        var low = try Story()
        try low.screeningReady(score: 2)
        let parked = try low.decide(Do.advance(), by: F.ana).events[0]
        #expect(parked.data == .object([
            "from": .string("screening"), "to": .string("parked"), "transition": .int(3), "visit": .int(1),
            "approvals": .array([.string("rita"), .string("raj")]), "roles": .array([.string("assessor")]),
        ]))
    }

    @Test("--to an unknown stage is bad input with a suggestion; to a stage without a transition is refused")
    func advanceTo() throws {
        var story = try Story()
        try story.screeningReady()
        let unknown = story.badInput(Do.advance(to: "reveiw"), by: F.ana)
        #expect(unknown?.message == "unknown stage \"reveiw\"")
        #expect(unknown?.help == "did you mean \"review\"?")
        #expect(story.blockers(Do.advance(to: "done"), by: F.ana)
            == [.noSuchTransition(from: "screening", to: "done", available: ["declined", "review", "fast_track", "parked"])])
        #expect(story.blockers(Do.advance(to: "screening"), by: F.ana)
            == [.noSuchTransition(from: "screening", to: "screening", available: ["declined", "review", "fast_track", "parked"])])
    }

    @Test("a false guard lists the values it read")
    func guardFalseReadsValues() throws {
        var story = try Story()
        try story.screeningReady(score: 3)
        #expect(story.blockers(Do.advance(to: "review"), by: F.ana)
            == [.guardFalse(to: "review", condition: "facts.score >= 5", read: ["facts.score = 3"])])
        var nine = try Story()
        try nine.screeningReady(score: 9)
        #expect(nine.blockers(Do.advance(to: "fast_track"), by: F.ana)
            == [.guardFalse(to: "fast_track", condition: "facts.score >= 8 && size(evidence.scans) >= 3",
                            read: ["facts.score = 9", "evidence.scans: 2 items"])])
        #expect(nine.blockers(Do.advance(to: "declined"), by: F.ana)
            == [.guardFalse(to: "declined", condition: "facts.flagged", read: ["facts.flagged = false"])])
        // With stage blockers the transition's own condition is listed after them.
        let fresh = try Story()
        #expect(fresh.blockers(Do.advance(to: "declined"), by: F.ana) == [
            .scans(have: 0),
            .conditionUnknown(what: "evidence consultations is required", condition: "facts.tier == \"high\"", reason: "fact tier is not set"),
            .reviewers([]),
            .conditionUnknown(what: "the sign-off of approver is needed", condition: "facts.tier == \"high\"", reason: "fact tier is not set"),
            .guardFalse(to: "declined", condition: "facts.flagged", read: ["facts.flagged = false"]),
        ])
    }

    // MARK: Loops, visits, max_visits

    @Test("evidence counts per visit; a loop back asks for it afresh; max_visits bounds the loop")
    func loopsAndVisits() throws {
        var story = try Story()
        try story.atReviewReady(rework: true)
        let back = try story.run(Do.advance(), by: F.lee)
        #expect(back.events[0].data["to"] == .string("screening"))
        #expect(back.events[0].data["visit"] == .int(2))
        #expect(back.events[0].data["read"] == .object(["facts.rework": .bool(true)]))
        #expect(story.state.stage == "screening" && story.state.visit == 2)

        // The first visit's scans and sign-offs no longer count; the facts are kept.
        #expect(story.stageBlockers(Do.advance(), by: F.ana) == [.scans(have: 0), .reviewers([])])
        #expect(story.state.facts["score"]?.value == .int(6))

        // Second visit: three scans this time.
        story.now = F.day(2)
        try story.run([(Do.scan("a"), F.ana), (Do.scan("b"), F.ana), (Do.scan("c"), F.ana), (Do.approve, F.rita), (Do.approve, F.raj)])
        try story.run(Do.advance(), by: F.ana)
        #expect(story.state.stage == "review" && story.state.visit == 2)
        // The review's report of visit 1 does not count either (and screening's visits are used up).
        #expect(story.stageBlockers(Do.advance(), by: F.lee) == [
            .missingEvidence(requirement: "report", type: "document", have: 0, need: 1, stale: 0, maxAge: nil),
            .missingSignoff(roles: ["approver"], quorum: 1, approvedBy: []),
            .maxVisits(stage: "screening", limit: 2),
        ])
        try story.run([(Do.report(), F.lee), (Do.approve, F.apo)])

        // A third visit of screening would pass its max_visits of 2.
        #expect(story.blockers(Do.advance(), by: F.lee) == [
            .maxVisits(stage: "screening", limit: 2),
            .guardFalse(to: "done", condition: "!facts.rework && size(evidence.scans) >= 2", read: ["facts.rework = true"]),
        ])
        #expect(story.blockers(Do.advance(to: "screening"), by: F.lee) == [.maxVisits(stage: "screening", limit: 2)])

        // Without rework the guard reads the scans of screening's latest visit only: 3, not 5.
        try story.run([(Do.facts(("rework", "false")), F.lee), (Do.approve, F.apo)])
        let done = try story.run(Do.advance(), by: F.lee)
        #expect(done.events[0].data["read"] == .object(["facts.rework": .bool(false), "evidence.scans": .int(3)]))
        #expect(story.state.path.map(\.stage) == ["screening", "review", "screening", "review", "done"])
    }

    // MARK: Terminal stages

    @Test("a terminal stage records the decision, then every command is refused")
    func terminal() throws {
        var story = try Story()
        try story.atReviewReady(rework: false)
        story.now = F.day(3)
        let outcome = try story.run(Do.advance(reason: "All good"), by: F.lee)
        #expect(outcome.events.map(\.type) == [.stageAdvanced, .decisionRecorded])
        let decision = outcome.events[1]
        #expect(decision.actor == "lee" && decision.stage == "done" && decision.time == F.day(3))
        #expect(decision.data == .object([
            "outcome": .string("approved"), "stage": .string("done"),
            "facts": .object(["flagged": .bool(false), "tier": .string("low"), "score": .int(6), "rework": .bool(false)]),
        ]))
        #expect(decision.sd.isEmpty)
        #expect(story.state.outcome == "approved" && story.state.hasEnded)
        #expect(story.events.map(\.seq) == Array(0..<story.events.count))

        let commands: [(Command, Person)] = [
            (Do.facts(("note", "late")), F.lee), (Do.facts(("note", "late")), F.ana), (Do.scan(), F.ana), (Do.report(), F.lee),
            (Do.approve, F.apo), (Do.reject("no"), F.rita), (Do.advance(), F.lee), (Do.advance(to: "screening"), F.lee),
            (Do.evidence("nonexistent"), F.nobody),
        ]
        for (command, actor) in commands {
            #expect(story.blockers(command, by: actor) == [.ended(outcome: "approved")])
        }
    }

    @Test("a declined assessment ends with the outcome declined")
    func declined() throws {
        var story = try Story(facts: [("flagged", "true")])
        try story.screeningReady()
        let outcome = try story.run(Do.advance(), by: F.ana)
        #expect(outcome.events[1].data["outcome"] == .string("declined"))
        #expect(story.blockers(Do.scan(), by: F.ana) == [.ended(outcome: "declined")])
    }

    // MARK: Fact values

    struct ValueCase: Sendable, CustomTestStringConvertible {
        var name: String
        var value: String
        var message: String
        var help: String? = nil
        var testDescription: String { "\(name)=\(value)" }
    }

    static let factErrors: [ValueCase] = [
        ValueCase(name: "flagged", value: "yes", message: "fact flagged is true or false, not \"yes\""),
        ValueCase(name: "flagged", value: "True", message: "fact flagged is true or false, not \"True\""),
        ValueCase(name: "score", value: "11", message: "fact score must be at most 10, not 11"),
        ValueCase(name: "score", value: "-1", message: "fact score must be at least 0, not -1"),
        ValueCase(name: "score", value: "six", message: "fact score is a whole number, not \"six\""),
        ValueCase(name: "score", value: "", message: "fact score is a whole number, not \"\""),
        ValueCase(name: "tier", value: "hihg", message: "\"hihg\" is not a value of fact tier (low, moderate, high)",
                  help: "did you mean \"high\"?"),
        ValueCase(name: "due_on", value: "2026-02-30", message: "fact due_on is a date written YYYY-MM-DD, not \"2026-02-30\""),
        ValueCase(name: "due_on", value: "5 March", message: "fact due_on is a date written YYYY-MM-DD, not \"5 March\""),
        ValueCase(name: "tierr", value: "low", message: "unknown fact \"tierr\" in workflow engine-test", help: "did you mean \"tier\"?"),
    ]

    @Test("fact values are parsed by type; errors say what was expected", arguments: factErrors)
    func factValueErrors(_ c: ValueCase) throws {
        let story = try Story()
        let error = story.badInput(Do.facts((c.name, c.value)), by: F.ana)
        #expect(error?.message == c.message)
        if let help = c.help { #expect(error?.help == help) }
    }

    @Test("fact values that parse are stored with their JSON type")
    func factValuesStored() throws {
        var story = try Story()
        let outcome = try story.run(Do.facts(("flagged", "true"), ("score", "0"), ("tier", "moderate"), ("due_on", "2028-02-29"),
                                             ("note", "free text, = signs and all"), reason: "Screening call"), by: F.ana)
        #expect(outcome.events[0].type == .factSet)
        #expect(outcome.events[0].data == .object([
            "facts": .object(["flagged": .bool(true), "score": .int(0), "tier": .string("moderate"), "due_on": .string("2028-02-29"),
                              "note": .string("free text, = signs and all")]),
            "reason": .string("Screening call"), "roles": .array([.string("assessor")]),
        ]))
        #expect(story.badInput(Do.facts(("tier", "low"), ("tier", "high")), by: F.ana)?.message == "fact tier is given twice")
        #expect(story.badInput(.setFacts([], reason: nil), by: F.ana) != nil)
    }

    // MARK: Evidence fields

    struct EvidenceCase: Sendable, CustomTestStringConvertible {
        var name: String
        var command: Command
        var message: String
        var help: String? = nil
        /// The request as the engine names it, where the command line adds a hint of its own (which flag to use).
        var request: InvalidRequest? = nil
        var testDescription: String { name }
    }

    static let evidenceErrors: [EvidenceCase] = [
        EvidenceCase(name: "unknown field", command: Do.evidence("scans", [("source", "x"), ("rating", "2"), ("sorce", "y")]),
                     message: "evidence type scan has no field \"sorce\"", help: "did you mean \"source\"?"),
        EvidenceCase(name: "missing required field", command: Do.evidence("scans", [("source", "x")]),
                     message: "evidence of type scan needs the field rating",
                     request: .missingFields(evidenceType: "scan", fields: ["rating"], confidential: [])),
        EvidenceCase(name: "missing confidential field", command: Do.evidence("consultations", [("date", "2026-01-04"), ("group", "G")],
                                                                              confidential: [("participants", "P")]),
                     message: "evidence of type consultation needs the field summary",
                     request: .missingFields(evidenceType: "consultation", fields: ["summary"], confidential: ["summary"])),
        EvidenceCase(name: "confidential field given with --field",
                     command: Do.evidence("consultations", [("date", "2026-01-04"), ("group", "G"), ("participants", "R. H.")],
                                          confidential: [("summary", "S")]),
                     message: "field participants is confidential: it must be given as confidential so it stays out of the log",
                     request: .confidentialFieldInClear("participants")),
        EvidenceCase(name: "public field given with --confidential",
                     command: Do.evidence("consultations", [("date", "2026-01-04")],
                                          confidential: [("group", "G"), ("participants", "P"), ("summary", "S")]),
                     message: "field group is not confidential", request: .clearFieldAsConfidential("group")),
        EvidenceCase(name: "int out of range", command: Do.evidence("scans", [("source", "x"), ("rating", "5")]),
                     message: "field rating must be from 1 to 4, not 5"),
        EvidenceCase(name: "int not a number", command: Do.evidence("scans", [("source", "x"), ("rating", "two")]),
                     message: "field rating is a whole number, not \"two\""),
        EvidenceCase(name: "bad date", command: Do.evidence("consultations", [("date", "04/01/2026"), ("group", "G")],
                                                            confidential: [("participants", "P"), ("summary", "S")]),
                     message: "field date is a date written YYYY-MM-DD, not \"04/01/2026\""),
        EvidenceCase(name: "string with a line break", command: Do.evidence("scans", [("source", "a\nb"), ("rating", "2")]),
                     message: "field source is one line of text; use a text field for several lines"),
        EvidenceCase(name: "field given twice", command: Do.evidence("scans", [("source", "x"), ("rating", "2"), ("rating", "3")]),
                     message: "field rating is given twice"),
        EvidenceCase(name: "file where none is taken",
                     command: Do.evidence("scans", [("source", "x"), ("rating", "2")], file: EngineFixture.reportFile),
                     message: "evidence of type scan takes no file", request: .fileNotAllowed(evidenceType: "scan")),
        EvidenceCase(name: "unknown requirement", command: Do.evidence("scnas", [("source", "x"), ("rating", "2")]),
                     message: "unknown requirement \"scnas\" in workflow engine-test", help: "did you mean \"scans\"?"),
        EvidenceCase(name: "requirement of another stage", command: Do.report(),
                     message: "requirement report belongs to stage review, but the assessment is at screening",
                     request: .requirementOfAnotherStage(id: "report", declaredIn: "review", stage: "screening",
                                                         stageRequires: ["scans", "consultations", "extras"])),
    ]

    @Test("evidence fields are checked against the evidence type", arguments: evidenceErrors)
    func evidenceFieldErrors(_ c: EvidenceCase) throws {
        let story = try Story()
        let error = story.badInput(c.command, by: F.ana)
        #expect(error?.message == c.message)
        if let help = c.help { #expect(error?.help == help) }
        if let request = c.request { #expect(error == request) }
    }

    @Test("files: required types need one, optional types take one or none")
    func evidenceFiles() throws {
        var story = try Story()
        try story.screeningReady()
        try story.run(Do.advance(), by: F.ana)
        let missing = story.badInput(Do.evidence("report", [("title", "Report")]), by: F.lee)
        #expect(missing?.message == "evidence of type document needs a file")
        #expect(missing == .fileRequired(evidenceType: "document"))
        let outcome = try story.run(Do.evidence("report", [("title", "Report"), ("issued_on", "2026-01-02")], file: F.reportFile),
                                    by: F.lee)
        #expect(outcome.events[0].data == .object([
            "requirement": .string("report"), "type": .string("document"),
            "fields": .object(["title": .string("Report"), "issued_on": .string("2026-01-02")]),
            "file": .object(["sha256": .string(F.reportFile.sha256), "size": .int(1234), "name": .string("report.pdf")]),
            "roles": .array([.string("lead")]),
        ]))
        #expect(story.badInput(Do.evidence("report", [("title", "R"), ("issued_on", "soon")], file: F.reportFile), by: F.lee)?.message
            == "field issued_on is a date written YYYY-MM-DD, not \"soon\"")

        // The note type's file is optional.
        var other = try Story()
        try other.run(Do.evidence("extras", [("summary", "with a file")], file: F.reportFile), by: F.ana)
        try other.run(Do.evidence("extras", [("summary", "without")]), by: F.ana)
        #expect(other.state.evidence.map(\.requirement) == ["extras", "extras"])
        #expect(other.state.evidence[0].file != nil && other.state.evidence[1].file == nil)
    }

    // MARK: Disclosures

    @Test("confidential values become disclosures; _sd holds their digests padded to a multiple of 8, never the plaintext")
    func disclosures() throws {
        var story = try Story()
        let participants = "R. Haidari; M. Okonjo", summary = "Defenders fear identification."
        let outcome = try story.run(Do.consultation(participants: participants, summary: summary), by: F.ana)
        let event = story.events.last!
        #expect(outcome.disclosures.count == 2)
        #expect(Set(outcome.disclosures.map(\.name)) == ["participants", "summary"])
        #expect(event.sd.count == 8)
        #expect(event.sd.count % Engine.digestBucket == 0)
        #expect(event.sd == event.sd.sorted())
        #expect(Set(event.sd).count == event.sd.count, "decoys must not repeat")
        for disclosure in outcome.disclosures {
            #expect(event.sd.contains(disclosure.digest))
            #expect(disclosure.digest == Disclosure.digest(of: disclosure.encoded))
            // The disclosure reads back as [salt, name, value] with a 16-byte salt.
            let parsed = try #require(Disclosure(encoded: disclosure.encoded))
            #expect(parsed.name == disclosure.name && parsed.value == disclosure.value && parsed.salt == disclosure.salt)
            #expect(IndependentBase64URL.decode(parsed.salt)?.count == 16)
            #expect(!String(decoding: event.line, as: UTF8.self).contains(disclosure.encoded))
        }
        let line = String(decoding: event.line, as: UTF8.self)
        for secret in [participants, summary, "Haidari", "identification"] { #expect(!line.contains(secret)) }
        #expect(event.data == .object([
            "requirement": .string("consultations"), "type": .string("consultation"),
            "fields": .object(["date": .string("2026-01-04"), "group": .string("Defenders")]),
            "confidential": .array([.string("participants"), .string("summary")]), "roles": .array([.string("assessor")]),
        ]))
        #expect(story.state.evidence.last?.digests == event.sd)

        // Evidence without confidential values has an empty _sd.
        try story.run(Do.scan(), by: F.ana)
        #expect(story.events.last?.sd == [])
    }

    @Test("with a seeded RandomSource the same command gives the same bytes")
    func deterministicRandom() throws {
        let story = try Story()
        let a = try story.decide(Do.consultation(), by: F.ana)
        let b = try story.decide(Do.consultation(), by: F.ana)
        #expect(a.events == b.events)
        #expect(a.disclosures == b.disclosures)
        let expectedSalt = IndependentBase64URL.encode(Array<UInt8>(1...16))
        #expect(a.disclosures.first?.salt == expectedSalt)
        // A different random stream gives different salts and digests.
        var other = story
        other.random = CountingRandom(next: 100)
        let c = try other.decide(Do.consultation(), by: F.ana)
        #expect(c.events[0].sd != a.events[0].sd)
        var random = CountingRandom()
        #expect(random.bytes(3) == [1, 2, 3])
        #expect(random.bytes(2) == [4, 5])
    }

    @Test("a disclosure's digest is RFC 9901's: base64url(SHA-256(ASCII of the disclosure))")
    func rfc9901Vector() throws {
        // RFC 9901 §4.2.1 (disclosure of family_name "Möbius") and §4.2.3 (its digest).
        let encoded = "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0"
        let disclosure = try #require(Disclosure(encoded: encoded))
        #expect(disclosure.salt == "_26bc4LT-ac6q2KI6cBW5es")
        #expect(disclosure.name == "family_name")
        #expect(disclosure.value == "Möbius")
        #expect(disclosure.digest == "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0")
        #expect(Disclosure.digest(of: encoded) == "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0")

        // Built from salt bytes: base64url of the compact JSON array, digest over the encoded text.
        let built = Disclosure(saltBytes: Array(repeating: 0xAB, count: 16), name: "summary", value: "Möbius \"quoted\"")
        let json = String(decoding: try #require(IndependentBase64URL.decode(built.encoded)), as: UTF8.self)
        #expect(json == "[\"\(IndependentBase64URL.encode(Array(repeating: UInt8(0xAB), count: 16)))\",\"summary\",\"Möbius \\\"quoted\\\"\"]")
        #expect(built.digest == IndependentBase64URL.encode(Digest.sha256(Array(built.encoded.utf8))))
        #expect(!built.encoded.contains("=") && !built.encoded.contains("+") && !built.encoded.contains("/"))
        // Not a disclosure: wrong shapes.
        #expect(Disclosure(encoded: IndependentBase64URL.encode(Array("[\"a\",\"b\"]".utf8))) == nil)
        #expect(Disclosure(encoded: "not base64!") == nil)
    }

    // MARK: Wording

    @Test("a condition that cannot be evaluated reads as a sentence")
    func conditionUnknownWording() throws {
        var story = try Story()
        try story.run(Do.facts(("score", "6")), by: F.ana)
        let lines = story.stageBlockers(Do.advance(), by: F.ana).map(\.description)
        #expect(lines.contains { $0.hasPrefix("cannot tell whether evidence consultations is required") })
        #expect(lines.contains { $0.hasPrefix("cannot tell whether the sign-off of approver is needed") })
        for line in lines {
            #expect(!line.contains("is required applies") && !line.contains("is needed applies"), "\(line)")
        }
    }

    // MARK: Replay

    @Test("replaying the log gives the same state as applying events one by one")
    func replay() throws {
        var story = try Story()
        try story.atReviewReady(rework: false)
        let replayed = try AssessmentHistory.replay(story.events, workflow: F.workflow, workflowSHA256: F.sha256).state
        #expect(replayed.stage == story.state.stage)
        #expect(replayed.size == story.events.count)
        // Each event records the leaf hash of the one before: the chain the log keeps.
        for (earlier, later) in zip(story.events, story.events.dropFirst()) {
            #expect(later.prev == earlier.line.withUnsafeBytes { SHA256Hash.leaf($0) })
        }
        #expect(replayed.standingSignoffs().map(\.actor) == ["apo"])
        // A log whose seq skips is not a history.
        var skipped = story.events
        skipped.remove(at: 2)
        #expect(throws: HistoryViolation.self) { try AssessmentHistory.replay(skipped, workflow: F.workflow, workflowSHA256: F.sha256) }
    }
}

extension EventDraft {
    /// The `data` object the event's line holds.
    var data: JSONValue { payload.json() }
}

extension Event {
    var data: JSONValue { payload.json() }
}

extension InvalidRequest {
    /// What the tests compare: the engine's message, and its suggestion as the command line words it.
    var message: String { description }
    var help: String? { suggestion.map { "did you mean \"\($0)\"?" } }
}
