import Foundation
import Testing
@_spi(Benchmarks) @testable import HRIAKit
import HRIATestSupport

// The typed event model: one encoder, one decoder, and one set of history rules that the engine decides by and
// every reader of a log (the commands' fold and verify) admits recorded events through.

private typealias F = EngineFixture

/// The worked example's log, shipped in the repository.
private func exampleLines() throws -> [[UInt8]] {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("assessments/un75-platform/log.jsonl")
    return EventLine.split([UInt8](try Data(contentsOf: url))).lines.map(Array.init)
}

@Suite("Typed events: one encoder and one decoder")
struct EventCodingTests {
    @Test("every line of the worked example decodes and re-encodes byte for byte")
    func exampleRoundTrips() throws {
        let lines = try exampleLines()
        #expect(lines.count > 50)
        var types = Set<EventType>()
        for (index, line) in lines.enumerated() {
            let event = try EventLine.decode(line)
            #expect(event.seq == index)
            types.insert(event.type)
            let again = EventLine.encode(event.draft, seq: event.seq, prev: event.prev, signature: event.signature)
            #expect(again == line, "line \(index) re-encodes differently:\n\(String(decoding: again, as: UTF8.self))")
        }
        #expect(types.isSuperset(of: [.assessmentCreated, .factSet, .evidenceAdded, .signoffRecorded, .stageAdvanced, .decisionRecorded]))
    }

    @Test("the canonical reader and the reader of any form agree on every line and on thousands of edits of them")
    func canonicalAndAnyFormAgree() throws {
        let lines = try exampleLines()
        var rng = SplitMix64(seed: 0x6576_656E)
        let inserts: [[UInt8]] = [Array(" ".utf8), Array("\\".utf8), Array("\"".utf8), Array(",".utf8), Array("}".utf8), Array("{".utf8),
                                  Array("[".utf8), Array("]".utf8), Array(":".utf8), Array("1".utf8), Array("-".utf8), [0xFF], [0xC3],
                                  [0x00], Array("\\u0041".utf8), Array("\\ud800".utf8), Array("e5".utf8), Array("null".utf8)]
        var agreedAccepted = 0
        for round in 0..<6000 {
            var line = lines[rng.below(lines.count)]
            switch rng.below(4) {
            case 0: line[rng.below(line.count)] = UInt8(truncatingIfNeeded: rng.next())
            case 1: line.insert(contentsOf: rng.pick(inserts), at: rng.below(line.count + 1))
            case 2: line.remove(at: rng.below(line.count))
            default: break
            }
            let canonical = line.withUnsafeBufferPointer { b in EventLine.canonicalType(b).flatMap { EventLine.decodeCanonical(b, type: $0.type, version: $0.version) } }
            let anyForm = line.withUnsafeBufferPointer { b in try? EventLine.decodeAnyForm(b, expectedType: nil) }
            if let canonical {
                let other = try #require(anyForm, "round \(round): only the canonical reader accepts \(String(decoding: line, as: UTF8.self))")
                #expect(canonical.seq == other.seq && canonical.prev == other.prev && canonical.draft == other.draft
                        && canonical.signature == other.signature, "round \(round): the readers disagree")
                agreedAccepted += 1
            }
            // And the decoder as every caller uses it gives the same answer as the reader of any form.
            let decoded = try? EventLine.decode(line)
            #expect((decoded == nil) == (anyForm == nil), "round \(round): decode and the reader of any form disagree")
        }
        #expect(agreedAccepted > 500)
    }

    @Test("the decoder refuses what is not exactly an event, naming it", arguments: [
        ("{\"v\":1}", "seq"),
        ("[]", "expected {"),
        ("{\"_sd\":[],\"actor\":\"ana\",\"data\":{\"roles\":[\"a\"],\"text\":\"x\"},\"prev\":\"\(String(repeating: "0", count: 64))\",\"seq\":0,\"stage\":\"s\",\"time\":\"2026-01-01T00:00:00Z\",\"type\":\"comment.added\",\"v\":1,\"v\":1}", "repeated"),
        ("{\"_sd\":[],\"actor\":\"ana\",\"data\":{\"roles\":[\"a\"],\"text\":\"x\",\"extra\":1},\"prev\":\"\(String(repeating: "0", count: 64))\",\"seq\":0,\"stage\":\"s\",\"time\":\"2026-01-01T00:00:00Z\",\"type\":\"comment.added\",\"v\":1}", "unknown member \"extra\""),
        ("{\"_sd\":[],\"actor\":\"ana\",\"data\":{\"roles\":[\"a\"]},\"prev\":\"\(String(repeating: "0", count: 64))\",\"seq\":0,\"stage\":\"s\",\"time\":\"2026-01-01T00:00:00Z\",\"type\":\"comment.added\",\"v\":1}", "lacks text"),
        ("{\"_sd\":[],\"actor\":\"ana\",\"data\":{\"roles\":[\"a\"],\"text\":\"x\"},\"prev\":\"\(String(repeating: "A", count: 64))\",\"seq\":0,\"stage\":\"s\",\"time\":\"2026-01-01T00:00:00Z\",\"type\":\"comment.added\",\"v\":1}", "prev"),
        ("{\"_sd\":[],\"actor\":\"ana\",\"data\":{\"roles\":[\"a\"],\"text\":\"x\"},\"prev\":\"\(String(repeating: "0", count: 64))\",\"seq\":0,\"stage\":\"s\",\"time\":\"2026-01-01T00:00:00.5Z\",\"type\":\"comment.added\",\"v\":1}", "time"),
        ("{\"_sd\":[],\"actor\":\"Ana\",\"data\":{\"roles\":[\"a\"],\"text\":\"x\"},\"prev\":\"\(String(repeating: "0", count: 64))\",\"seq\":0,\"stage\":\"s\",\"time\":\"2026-01-01T00:00:00Z\",\"type\":\"comment.added\",\"v\":1}", "person id"),
        ("{\"_sd\":[],\"actor\":\"ana\",\"data\":{\"decision\":\"maybe\",\"roles\":[],\"visit\":1},\"prev\":\"\(String(repeating: "0", count: 64))\",\"seq\":0,\"stage\":\"s\",\"time\":\"2026-01-01T00:00:00Z\",\"type\":\"signoff.recorded\",\"v\":1}", "approve or reject"),
        ("{\"_sd\":[\"b\",\"a\"],\"actor\":\"ana\",\"data\":{\"roles\":[\"a\"],\"text\":\"x\"},\"prev\":\"\(String(repeating: "0", count: 64))\",\"seq\":0,\"stage\":\"s\",\"time\":\"2026-01-01T00:00:00Z\",\"type\":\"comment.added\",\"v\":1}", "_sd"),
        ("{\"_sd\":[],\"actor\":\"ana\",\"data\":{\"roles\":[\"a\"],\"text\":\"x\"},\"prev\":\"\(String(repeating: "0", count: 64))\",\"seq\":0,\"stage\":\"s\",\"time\":\"2026-01-01T00:00:00Z\",\"type\":\"comment.added\",\"v\":2}", "v is 2"),
    ])
    func malformedLines(_ line: String, _ expected: String) {
        do {
            _ = try EventLine.decode(Array(line.utf8))
            Issue.record("accepted: \(line)")
        } catch {
            #expect(error.reason.contains(expected), "\(error.reason)")
        }
    }

    @Test("a comment recognised by verify without building its event is one the decoder and rules accept in the same place")
    func recognisedCommentsAgreeWithFullReading() throws {
        let workflow = F.workflow
        let reference = EventDraft(actor: "ana", stage: "screening", time: F.t0,
                                   payload: .commentAdded(CommentAdded(text: "first note", roles: ["assessor"])), roster: 3)
        let referenceLine = EventLine.encode(reference, seq: 7, prev: .zero)
        let known = try referenceLine.withUnsafeBufferPointer { b in
            let parts = try #require(LogVerifier.commentParts(b))
            #expect(parts.roster == 3)
            return LogVerifier.CommentReference(actor: Array(b[parts.actor]), stage: Array(b[parts.stage]), roles: Array(b[parts.roles]),
                                                roster: parts.roster, stageText: "screening")
        }
        var rng = SplitMix64(seed: 0x6E6F_7465)
        let texts = ["a routine note", " leading space", "\\u00e9t\\u00e9", "tab\\tinside", "\\\\", "é", "x"]
        var recognised = 0
        for round in 0..<20000 {
            let draft = EventDraft(actor: rng.pick(["ana", "ana", "bo"]), stage: rng.pick(["screening", "screening", "review"]),
                                   time: F.t0.addingTimeInterval(Double(rng.below(1000))),
                                   payload: .commentAdded(CommentAdded(text: "placeholder", roles: rng.pick([["assessor"], ["assessor"], ["lead"]]))),
                                   roster: rng.pick([3, 3, 3, 4, nil]))
            var line = EventLine.encode(draft, seq: 8 + rng.below(3), prev: .zero)
            // The text as written in the line, then an edit anywhere.
            var text = String(decoding: line, as: UTF8.self)
            text = text.replacingOccurrences(of: "placeholder", with: rng.pick(texts))
            line = Array(text.utf8)
            if rng.below(3) > 0 {
                switch rng.below(3) {
                case 0: line[rng.below(line.count)] = UInt8(truncatingIfNeeded: rng.next())
                case 1: line.insert(UInt8(truncatingIfNeeded: rng.next() % 128), at: rng.below(line.count + 1))
                default: line.remove(at: rng.below(line.count))
                }
            }
            let fast: LogVerifier.CommentParts? = line.withUnsafeBufferPointer { b in
                guard let parts = LogVerifier.commentParts(b), parts.plainlyNotBlank, b[parts.actor].elementsEqual(known.actor),
                      b[parts.stage].elementsEqual(known.stage), b[parts.roles].elementsEqual(known.roles), parts.roster == known.roster
                else { return nil }
                return parts
            }
            guard let fast else { continue }
            recognised += 1
            let event = try #require(try? EventLine.decode(line), "round \(round): recognised but not decodable: \(String(decoding: line, as: UTF8.self))")
            #expect(AssessmentHistory.checkAlone(event, workflow: workflow) == nil, "round \(round): recognised but breaks a rule")
            #expect(event.type == .commentAdded && event.signature == nil && event.seq == fast.seq && event.prev == fast.prev
                    && event.time == fast.time && event.stage == known.stageText && event.roster == fast.roster,
                    "round \(round): recognised differently")
        }
        #expect(recognised > 250)
    }
}

@Suite("History rules: the engine's rules, applied to every recorded event")
struct HistoryRuleTests {
    /// The story's events so far, plus `draft` as the next recorded event: what a reader makes of it.
    func admit(_ story: Story, _ draft: EventDraft) throws -> HistoryViolation? {
        var history = try #require(story.history)
        let prev = story.events.last!.line.withUnsafeBytes { SHA256Hash.leaf($0) }
        let event = try EventLine.decode(EventLine.encode(draft, seq: story.events.count, prev: prev))
        do {
            try history.admit(event)
            return nil
        } catch {
            return error
        }
    }

    func draft(_ actor: Person, _ payload: EventPayload, stage: String = "screening", at time: Date = F.day(1), sd: [String] = []) -> EventDraft {
        EventDraft(actor: actor.id, stage: stage, time: time, payload: payload, sd: sd)
    }

    @Test("a move past a stage whose sign-offs are missing is refused, as the engine refuses it")
    func walkAroundRefused() throws {
        var story = try Story()
        try story.run([(Do.facts(("tier", "low"), ("score", "6")), F.ana), (Do.scan(), F.ana), (Do.scan(), F.ana), (Do.approve, F.rita)])
        let move = StageAdvanced(from: "screening", to: "review", transition: 1, visit: 1,
                                 condition: StageAdvanced.Condition(text: "facts.score >= 5", read: ["facts.score": .int(6)]),
                                 approvals: ["rita"], reason: nil, roles: ["assessor"])
        let violation = try #require(try admit(story, draft(F.ana, .stageAdvanced(move))))
        #expect(violation.reason.contains("1 more approval needed"), "\(violation.reason)")
        // With the second approval the same move is admitted, as recorded by the engine.
        try story.run(Do.approve, by: F.raj)
        var admitted = move
        admitted.approvals = ["rita", "raj"]
        #expect(try admit(story, draft(F.ana, .stageAdvanced(admitted))) == nil)
        // What it records of the approvals and of the condition must be what held then.
        var wrongApprovals = admitted
        wrongApprovals.approvals = ["rita", "raj", "rex"]
        #expect(try admit(story, draft(F.ana, .stageAdvanced(wrongApprovals)))?.reason.contains("approvals") == true)
        var wrongRead = admitted
        wrongRead.condition = StageAdvanced.Condition(text: "facts.score >= 5", read: ["facts.score": .int(9)])
        #expect(try admit(story, draft(F.ana, .stageAdvanced(wrongRead)))?.reason.contains("condition") == true)
    }

    @Test("who may act: a sign-off without the role, by the owner, or by a contributor; a fact set by a non-owner")
    func rolesAndSeparationOfDuties() throws {
        var story = try Story()
        try story.run(Do.scan(), by: F.ana)
        let approve = EventPayload.signoffRecorded(SignoffRecorded(approve: true, comment: nil, visit: 1, roles: ["lead"]))
        #expect(try admit(story, draft(F.lee, approve))?.reason.contains("cannot sign off") == true)
        let byOwner = EventPayload.signoffRecorded(SignoffRecorded(approve: true, comment: nil, visit: 1, roles: ["assessor", "reviewer"]))
        #expect(try admit(story, draft(F.dual, byOwner))?.reason.contains("separation of duties") == true)
        let byContributor = EventPayload.signoffRecorded(SignoffRecorded(approve: true, comment: nil, visit: 1, roles: ["reviewer"]))
        #expect(try admit(story, draft(F.ana, byContributor))?.reason.contains("recorded evidence or facts") == true)
        let rejectWithoutReason = EventPayload.signoffRecorded(SignoffRecorded(approve: false, comment: "  ", visit: 1, roles: ["reviewer"]))
        #expect(try admit(story, draft(F.rita, rejectWithoutReason))?.reason.contains("reason") == true)
        let wrongVisit = EventPayload.signoffRecorded(SignoffRecorded(approve: true, comment: nil, visit: 2, roles: ["reviewer"]))
        #expect(try admit(story, draft(F.rita, wrongVisit))?.reason.contains("visit") == true)
        let fact = EventPayload.factSet(FactSet(facts: ["tier": .string("low")], reason: nil, roles: ["reviewer"]))
        #expect(try admit(story, draft(F.rita, fact))?.reason.contains("cannot set facts") == true)
    }

    @Test("what is recorded must fit the workflow: facts, evidence, digests")
    func contentFitsTheWorkflow() throws {
        let story = try Story()
        func fact(_ name: String, _ value: JSONValue) -> EventPayload {
            .factSet(FactSet(facts: [name: value], reason: nil, roles: ["assessor"]))
        }
        #expect(try admit(story, draft(F.ana, fact("tier", .string("extreme"))))?.reason.contains("tier") == true)
        #expect(try admit(story, draft(F.ana, fact("score", .int(11))))?.reason.contains("score") == true)
        #expect(try admit(story, draft(F.ana, fact("nosuch", .bool(true))))?.reason.contains("does not declare") == true)
        func evidence(_ requirement: String, type: String, fields: [String: JSONValue], confidential: [String] = []) -> EventPayload {
            .evidenceAdded(EvidenceAdded(requirement: requirement, type: type, fields: fields, file: nil, confidential: confidential,
                                         roles: ["assessor"]))
        }
        let scan: [String: JSONValue] = ["source": .string("UN"), "rating": .int(2)]
        #expect(try admit(story, draft(F.ana, evidence("scans", type: "scan", fields: scan))) == nil)
        #expect(try admit(story, draft(F.ana, evidence("report", type: "document", fields: ["title": .string("x")])))?
            .reason.contains("belongs to stage review") == true)
        #expect(try admit(story, draft(F.ana, evidence("scans", type: "scan", fields: ["source": .string("UN"), "rating": .int(9)])))?
            .reason.contains("rating") == true)
        #expect(try admit(story, draft(F.ana, evidence("scans", type: "scan", fields: ["source": .string("UN")])))?
            .reason.contains("lacks rating") == true)
        // Confidential values are one digest each, padded to the bucket; none without confidential fields.
        let digest = Disclosure.decoy(randomBytes: [1])
        #expect(try admit(story, draft(F.ana, evidence("scans", type: "scan", fields: scan), sd: [digest]))?
            .reason.contains("confidential digests") == true)
        let consultation = evidence("consultations", type: "consultation", fields: ["date": .string("2026-01-04"), "group": .string("G")],
                                    confidential: ["participants", "summary"])
        let digests = (1...7).map { Disclosure.decoy(randomBytes: [UInt8($0)]) }.sorted()
        #expect(try admit(story, draft(F.ana, consultation, sd: digests))?.reason.contains("7 confidential digests") == true)
    }

    @Test("place in the history: time, stage, the decision after its move, the end, erasures, hria's own events")
    func placeInHistory() throws {
        var story = try Story()
        let comment = EventPayload.commentAdded(CommentAdded(text: "a note", roles: ["assessor"]))
        #expect(try admit(story, draft(F.ana, comment, at: F.t0.addingTimeInterval(-1)))?.reason.contains("before the event before it") == true)
        #expect(try admit(story, draft(F.ana, comment, stage: "review"))?.reason.contains("but the assessment was at screening") == true)
        #expect(try admit(story, draft(F.ana, comment, stage: "nowhere"))?.reason.contains("does not have") == true)
        #expect(try admit(story, draft(F.ana, .commentAdded(CommentAdded(text: " \n", roles: ["assessor"]))))?.reason.contains("empty") == true)
        #expect(try admit(story, draft(F.nobody, .commentAdded(CommentAdded(text: "hi", roles: []))))?.reason.contains("cannot comment") == true)
        let decision = EventPayload.decisionRecorded(DecisionRecorded(outcome: "approved", stage: "done", facts: ["flagged": .bool(false)]))
        #expect(try admit(story, draft(F.ana, decision, stage: "screening"))?.reason.contains("terminal stage") == true)
        let erase = EventPayload.disclosureErased(DisclosureErased(digest: Disclosure.decoy(randomBytes: [9]), reason: "asked", roles: ["assessor"]))
        #expect(try admit(story, draft(F.ana, erase))?.reason.contains("no earlier event lists") == true)
        #expect(try admit(story, EventDraft(actor: "hria", stage: "screening", time: F.day(1), payload: comment))?.reason.contains("not of hria") == true)
        let repair = EventPayload.recoveryTruncated(RecoveryTruncated(bytes: 3, sha256: String(repeating: "0", count: 64), reason: "torn"))
        #expect(try admit(story, draft(F.ana, repair))?.reason.contains("only hria itself") == true)
        #expect(try admit(story, EventDraft(actor: "hria", stage: "screening", time: F.day(1), payload: repair)) == nil)
        // After the end, only an erasure, or a note for the record, which reopens nothing.
        try story.atReviewReady(rework: false)
        story.now = F.day(3)
        try story.run(Do.advance(), by: F.lee)
        #expect(story.state.outcome == "approved")
        #expect(try admit(story, draft(F.lee, .commentAdded(CommentAdded(text: "late", roles: ["lead"])), stage: "done", at: F.day(4))) == nil)
        #expect(try admit(story, draft(F.lee, .factSet(FactSet(facts: ["score": .int(1)], reason: nil, roles: ["lead"])), stage: "done",
                                       at: F.day(4))) != nil)
    }

    @Test("a decision must follow its move, by its mover, with the outcome and facts of that moment")
    func decisionFollowsItsMove() throws {
        var story = try Story()
        try story.atReviewReady(rework: false)
        story.now = F.day(3)
        let outcome = try story.decide(Do.advance(), by: F.lee)
        let move = outcome.events[0], decision = outcome.events[1]
        try story.append(Outcome(events: [move], disclosures: []))
        // Anything but the decision is refused right after the move into the terminal stage.
        let comment = EventDraft(actor: "lee", stage: "done", time: F.day(3), payload: .commentAdded(CommentAdded(text: "x", roles: ["lead"])))
        #expect(try admit(story, comment)?.reason.contains("must be followed by its decision") == true)
        #expect(try admit(story, EventDraft(actor: "apo", stage: "done", time: F.day(3), payload: decision.payload))?
            .reason.contains("made the move") == true)
        guard case .decisionRecorded(var changed) = decision.payload else { Issue.record("not a decision"); return }
        changed.facts["rework"] = .bool(true)
        #expect(try admit(story, EventDraft(actor: "lee", stage: "done", time: F.day(3), payload: .decisionRecorded(changed)))?
            .reason.contains("facts") == true)
        #expect(try admit(story, decision) == nil)
        // A decision lost to an interrupted write is recorded by the next advance of the one who moved.
        let recovered = try story.decide(Do.advance(), by: F.lee)
        #expect(recovered.events.map(\.type) == [.decisionRecorded])
        #expect(throws: EngineError.self) { try story.decide(Do.advance(), by: F.boss) }
    }
}
