import Foundation
import HRIAKit
import Testing

// The tamper matrix (docs/AUDIT-LOG.md, "What `hria verify` proves"; T8–T12, T15 and F2–F4 in the test names are the
// labels of its cases): each case damages a fresh copy of a small assessment built by the CLI (see AuditFixture: #0
// created, #1 evidence with a file, #2 evidence with two confidential values, #3–#5 comments) and expects `hria verify`
// to exit 3 naming the first bad event and the kind, in text and in JSON.

@Suite("Tamper matrix: hria verify names every kind of damage")
struct TamperTests {
    // MARK: - The log's lines

    @Test("an edited byte inside the log breaks the chain at that event (T8)")
    func editedByte() throws {
        let ws = try AuditFixture.copy()
        defer { ws.cleanUp() }
        try ws.expectVerifies()
        var lines = try ws.logLines()
        lines[3] = lines[3].replacingFirst("note 1", with: "note X")
        try ws.writeLog(lines: lines)
        try ws.expectTamper(kind: "chain", firstBadEvent: 3)
        // The signed checkpoints disagree too.
        let (text, _) = try ws.verify()
        #expect(text.stdout.contains("[checkpoint]"), "\(text.stdout)")
    }

    @Test("an edited byte that breaks the JSON is a malformed event")
    func editedByteMalformed() throws {
        let ws = try AuditFixture.copy()
        defer { ws.cleanUp() }
        var lines = try ws.logLines()
        lines[2][0] = UInt8(ascii: "[")
        try ws.writeLog(lines: lines)
        try ws.expectTamper(kind: "malformed", firstBadEvent: 2)
    }

    @Test("an edited last event, with no later event to chain it, is caught by the signed root")
    func editedLastEvent() throws {
        let ws = try AuditFixture.copy()
        defer { ws.cleanUp() }
        var lines = try ws.logLines()
        lines[5] = lines[5].replacingFirst("note 3", with: "note Z")
        try ws.writeLog(lines: lines)
        try ws.expectTamper(kind: "checkpoint", firstBadEvent: 5)
    }

    @Test("an edited event whose chain is recomputed is still caught by the signed root (T9)")
    func editedWithChainRecomputed() throws {
        let ws = try AuditFixture.copy()
        defer { ws.cleanUp() }
        var lines = try ws.logLines()
        lines[3] = lines[3].replacingFirst("note 1", with: "note X")
        for index in 4..<lines.count {
            let previous = SHA256Hash.leafHex(lines[index - 1])
            var text = String(decoding: lines[index], as: UTF8.self)
            let range = try #require(text.range(of: #""prev":"[0-9a-f]{64}""#, options: .regularExpression))
            text.replaceSubrange(range, with: "\"prev\":\"\(previous)\"")
            lines[index] = Array(text.utf8)
        }
        try ws.writeLog(lines: lines)
        try ws.expectTamper(kind: "checkpoint", firstBadEvent: 3)
    }

    @Test("a deleted line is a gap in seq (T10)")
    func deletedLine() throws {
        let ws = try AuditFixture.copy()
        defer { ws.cleanUp() }
        var lines = try ws.logLines()
        lines.remove(at: 2)
        try ws.writeLog(lines: lines)
        try ws.expectTamper(kind: "sequence", firstBadEvent: 2)
        let (text, _) = try ws.verify()
        #expect(text.stdout.contains("missing"), "\(text.stdout)")
    }

    @Test("an inserted line is a repeated seq")
    func insertedLine() throws {
        let ws = try AuditFixture.copy()
        defer { ws.cleanUp() }
        var lines = try ws.logLines()
        lines.insert(lines[3], at: 4)
        try ws.writeLog(lines: lines)
        try ws.expectTamper(kind: "sequence", firstBadEvent: 4)
        let (text, _) = try ws.verify()
        #expect(text.stdout.contains("inserted") || text.stdout.contains("twice"), "\(text.stdout)")
    }

    @Test("reordered lines are named as such (T10)")
    func reorderedLines() throws {
        let ws = try AuditFixture.copy()
        defer { ws.cleanUp() }
        var lines = try ws.logLines()
        lines.swapAt(3, 4)
        try ws.writeLog(lines: lines)
        try ws.expectTamper(kind: "sequence", firstBadEvent: 3)
        let (text, _) = try ws.verify()
        #expect(text.stdout.contains("order"), "\(text.stdout)")
    }

    // MARK: - Checkpoints

    @Test("truncation with the old checkpoint restored passes locally and fails against the later checkpoint (T11)")
    func truncationAgainstLaterCheckpoint() throws {
        let ws = try AuditFixture.copy()
        defer { ws.cleanUp() }
        // The checkpoint published elsewhere before the rewrite.
        let published = ws.parent.appendingPathComponent("published-checkpoint")
        try Data(ws.bytes(ws.checkpointURL())).write(to: published)
        // Cut the last two events and put back everything as it was at size 4.
        try ws.writeLog(lines: Array(try ws.logLines().prefix(4)))
        let checkpoints = ws.assessment().appendingPathComponent("checkpoints")
        try ws.replace(ws.checkpointURL(), with: ws.bytes(checkpoints.appendingPathComponent("4")))
        for size in [5, 6] { try FileManager.default.removeItem(at: checkpoints.appendingPathComponent("\(size)")) }
        // By design a consistent truncation cannot be seen from inside: the external anchor is needed.
        try ws.expectVerifies()
        try ws.expectTamper(AuditFixture.id, ["--against", published.path], kind: "truncated", firstBadEvent: 4)
        let (text, _) = try ws.verify(AuditFixture.id, ["--against", published.path])
        #expect(text.stdout.contains("removed"), "\(text.stdout)")
    }

    @Test("truncation that leaves the later checkpoints in place is caught locally")
    func truncationLocal() throws {
        let ws = try AuditFixture.copy()
        defer { ws.cleanUp() }
        try ws.writeLog(lines: Array(try ws.logLines().prefix(4)))
        try ws.expectTamper(kind: "truncated", firstBadEvent: 4)
    }

    /// Two copies of the fixture with the same log key, each given a different seventh event and checkpoint.
    func forkedPair() throws -> (TestWorkspace, TestWorkspace) {
        let ours = try AuditFixture.copy("hria-fork-a")
        let theirs = try AuditFixture.copy("hria-fork-b")
        try ours.comment("what we recorded")
        try theirs.comment("what they recorded")
        let a = try ours.bytes(ours.checkpointURL()), b = try theirs.bytes(theirs.checkpointURL())
        #expect(a != b, "both sides signed the same checkpoint")
        #expect(String(decoding: a, as: UTF8.self).split(separator: "\n")[1] == "7")
        return (ours, theirs)
    }

    @Test("a fork: two checkpoints of one size with different roots in checkpoints/ (T12)")
    func forkInCheckpoints() throws {
        let (ours, theirs) = try forkedPair()
        defer { ours.cleanUp(); theirs.cleanUp() }
        let other = try theirs.bytes(theirs.assessment().appendingPathComponent("checkpoints/7"))
        try ours.replace(ours.assessment().appendingPathComponent("checkpoints/7"), with: other)
        try ours.expectTamper(kind: "fork", firstBadEvent: 6)
        let (text, _) = try ours.verify()
        #expect(text.stdout.contains("size 7") && text.stdout.contains("forked"), "\(text.stdout)")
    }

    @Test("a fork: the other side's checkpoint given with --against")
    func forkAgainst() throws {
        let (ours, theirs) = try forkedPair()
        defer { ours.cleanUp(); theirs.cleanUp() }
        try ours.expectVerifies()
        try ours.expectTamper(AuditFixture.id, ["--against", theirs.checkpointURL().path], kind: "fork", firstBadEvent: 6)
    }

    @Test("a fork: a write refuses to sign a second checkpoint of a size already signed differently")
    func forkRefusedAtWrite() throws {
        let (ours, theirs) = try forkedPair()
        defer { ours.cleanUp(); theirs.cleanUp() }
        // Their next checkpoint (size 8) planted where our next write would store its own.
        try theirs.comment("their next")
        let planted = try theirs.bytes(theirs.assessment().appendingPathComponent("checkpoints/8"))
        try ours.replace(ours.assessment().appendingPathComponent("checkpoints/8"), with: planted)
        let result = try ours.run(["comment", AuditFixture.id, "our next", "--as", "ana"])
        #expect(result.status == 3, "exit \(result.status): \(result.stderr)")
        // The log no longer verifies once the other side's checkpoint is stored here, so the write is refused before
        // anything is written, naming the checkpoint as verify does.
        #expect(result.stderr.contains("does not verify") && result.stderr.contains("checkpoints/8"), "\(result.stderr)")
        #expect(try ours.bytes(ours.assessment().appendingPathComponent("checkpoints/8")) == planted)
    }

    /// Rewrites event 5 and replaces the checkpoints that cover it with `forge(newRoot)`, as an attacker
    /// without the log key would have to.
    func forgeLastEvent(_ ws: TestWorkspace, forge: (_ checkpoint: Checkpoint, _ genuine: [UInt8]) throws -> [UInt8]) throws {
        var lines = try ws.logLines()
        lines[5] = lines[5].replacingFirst("note 3", with: "note Z")
        try ws.writeLog(lines: lines)
        let checkpoint = Checkpoint(origin: "\(AuditFixture.origin)/\(AuditFixture.id)", size: lines.count,
                                    rootHash: Merkle.rootHash(leafHashes: lines.map { Merkle.leafHash($0) }))
        let forged = try forge(checkpoint, try ws.bytes(ws.checkpointURL()))
        try ws.replace(ws.checkpointURL(), with: forged)
        try ws.replace(ws.assessment().appendingPathComponent("checkpoints/6"), with: forged)
    }

    static func signedByAnotherKey(_ checkpoint: Checkpoint, _: [UInt8]) throws -> [UInt8] {
        // Same key name as the genuine log key, different key.
        try SignedCheckpoint.sign(checkpoint, signer: try NoteSigner.generate(name: AuditFixture.origin).signer)
    }

    static func bodyEdited(_ checkpoint: Checkpoint, _ genuine: [UInt8]) throws -> [UInt8] {
        // The genuine note with the tampered log's root put in its body: the signature no longer matches.
        var lines = String(decoding: genuine, as: UTF8.self).components(separatedBy: "\n")
        lines[2] = checkpoint.rootHash.base64
        return Array(lines.joined(separator: "\n").utf8)
    }

    @Test("a forged checkpoint (another key, or an edited body) exits 3 with kind forged-checkpoint",
          arguments: ["another key", "edited body"])
    func forgedCheckpoint(how: String) throws {
        let ws = try AuditFixture.copy()
        defer { ws.cleanUp() }
        try forgeLastEvent(ws, forge: how == "another key" ? Self.signedByAnotherKey : Self.bodyEdited)
        try ws.expectTamper(kind: "forged-checkpoint", firstBadEvent: nil)
        // And no write signs over the forgery.
        let before = try ws.logBytes()
        let write = try ws.run(["comment", AuditFixture.id, "after", "--as", "ana"])
        #expect(write.status == 3, "exit \(write.status): \(write.stderr)")
        #expect(try ws.logBytes() == before)
    }

    @Test("a forged checkpoint over a rewritten event names that event", arguments: ["another key", "edited body"])
    func forgedCheckpointNamesFirstBadEvent(how: String) throws {
        let ws = try AuditFixture.copy()
        defer { ws.cleanUp() }
        try forgeLastEvent(ws, forge: how == "another key" ? Self.signedByAnotherKey : Self.bodyEdited)
        try ws.expectTamper(kind: "forged-checkpoint", firstBadEvent: 5)
        let (text, _) = try ws.verify()
        #expect(!text.stdout.contains("the next command signs one"), "misleading: the next command refuses: \(text.stdout)")
    }

    // MARK: - Files the log commits to

    @Test("a swapped evidence file is named with its event")
    func swappedEvidenceFile() throws {
        let ws = try AuditFixture.copy()
        defer { ws.cleanUp() }
        let folder = ws.assessment().appendingPathComponent("evidence/sha256")
        let name = try #require(ws.files(in: folder).first)
        try ws.replace(folder.appendingPathComponent(name), with: Array("A different brief.\n".utf8))
        try ws.expectTamper(kind: "evidence", firstBadEvent: AuditFixture.evidenceFileSeq)
    }

    @Test("a missing evidence file is named with its event")
    func missingEvidenceFile() throws {
        let ws = try AuditFixture.copy()
        defer { ws.cleanUp() }
        let folder = ws.assessment().appendingPathComponent("evidence/sha256")
        let name = try #require(ws.files(in: folder).first)
        try FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        try ws.expectTamper(kind: "evidence", firstBadEvent: AuditFixture.evidenceFileSeq)
    }

    @Test("a swapped workflow snapshot is named with event 0")
    func swappedWorkflowSnapshot() throws {
        let ws = try AuditFixture.copy()
        defer { ws.cleanUp() }
        let url = ws.assessment().appendingPathComponent("workflow.yaml")
        try ws.replace(url, with: try ws.bytes(url).replacingFirst("file: required", with: "file: optional"))
        try ws.expectTamper(kind: "workflow", firstBadEvent: AuditFixture.createdSeq)
    }

    @Test("an altered disclosure is named with the event that lists it (T15)")
    func alteredDisclosure() throws {
        let ws = try AuditFixture.copy()
        defer { ws.cleanUp() }
        let folder = ws.assessment().appendingPathComponent("private/disclosures")
        let names = ws.files(in: folder)
        #expect(names.count == 2)
        let name = try #require(names.first)
        let original = String(decoding: try ws.bytes(folder.appendingPathComponent(name)), as: UTF8.self)
        try ws.replace(folder.appendingPathComponent(name), with: Array(try StoredDisclosure.altered(original).utf8))
        try ws.expectTamper(kind: "disclosure", firstBadEvent: AuditFixture.confidentialSeq)
    }

    @Test("an erased disclosure (the plaintext file deleted) leaves the log valid")
    func deletedDisclosureIsFine() throws {
        let ws = try AuditFixture.copy()
        defer { ws.cleanUp() }
        let folder = ws.assessment().appendingPathComponent("private/disclosures")
        for name in ws.files(in: folder) { try FileManager.default.removeItem(at: folder.appendingPathComponent(name)) }
        try ws.expectVerifies()
    }

    // MARK: - Damage and the next write

    /// Damages the checkpointed part of the log, then checks that write commands refuse with exit 3 and leave
    /// every file as it was.
    static func expectWritesRefused(after damage: String) throws {
        let ws = try AuditFixture.copy()
        defer { ws.cleanUp() }
        var bytes = try ws.logBytes()
        switch damage {
        case "nul bytes inserted":
            let start = try #require(bytes.firstRange(of: Array("note 1".utf8))).lowerBound
            bytes.insert(contentsOf: [UInt8](repeating: 0, count: 512), at: start)
        case "512 nul bytes overwritten":
            // The same length: a disk block zeroed in place, over events 1 to 3.
            let start = try #require(bytes.firstIndex(of: 0x0A)) + 100
            for i in start..<(start + 512) { bytes[i] = 0 }
        case "edited byte":
            bytes = bytes.replacingFirst("note 2", with: "note Y")
        case "torn last line":
            bytes.removeLast(10)
        default:
            var lines = try ws.logLines()
            lines.remove(at: 1)
            bytes = lines.flatMap { $0 + [0x0A] }
        }
        try ws.replace(ws.logURL(), with: bytes)
        let checkpoint = try ws.bytes(ws.checkpointURL())
        let archived = ws.files(in: ws.assessment().appendingPathComponent("checkpoints"))

        let write = try ws.run(["comment", AuditFixture.id, "after the damage", "--as", "ana"])
        #expect(write.status == 3, "the write must refuse: exit \(write.status)\n\(write.stdout)\(write.stderr)")
        #expect(write.stderr.contains("checkpoint") || write.stderr.contains("truncated") || write.stderr.contains("damaged"),
                "\(write.stderr)")
        #expect(try ws.logBytes() == bytes, "the damaged log must be left untouched")
        #expect(ws.files(in: ws.assessment(), prefix: "log.jsonl.broken").isEmpty, "no repair may happen inside the checkpointed range")
        #expect(try ws.bytes(ws.checkpointURL()) == checkpoint, "no checkpoint may be signed over damage")
        #expect(ws.files(in: ws.assessment().appendingPathComponent("checkpoints")) == archived)
        // Other write commands refuse too.
        let evidence = try ws.run(["evidence", "add", AuditFixture.id, "talks", "--field", "group=Elders", "--confidential", "participants=E.",
                                   "--confidential", "statement=More words.", "--as", "ana"])
        #expect(evidence.status == 3, "exit \(evidence.status): \(evidence.stderr)")
        #expect(try ws.logBytes() == bytes)
        let verify = try ws.run(["verify", AuditFixture.id])
        #expect(verify.status == 3, "\(verify.stdout)")
    }

    @Test("damage inside the checkpointed range makes the next write exit 3 and is never repaired (F4)",
          arguments: ["nul bytes inserted", "torn last line", "deleted line"])
    func damageInsideCheckpointRefused(damage: String) throws {
        try Self.expectWritesRefused(after: damage)
    }

    @Test("damage inside the checkpointed range that keeps the log's length is refused by the next write",
          arguments: ["edited byte", "512 nul bytes overwritten"])
    func sameLengthDamageInsideCheckpointRefused(damage: String) throws {
        try Self.expectWritesRefused(after: damage)
    }

    @Test("a torn tail beyond the checkpoint is repaired by the next command (F2, F3)",
          arguments: ["4096 nul bytes", "half a line", "half a line after an unacknowledged event"])
    func tornTailRepaired(tail: String) throws {
        let ws = try AuditFixture.copy()
        defer { ws.cleanUp() }
        var lines = try ws.logLines()
        if tail == "half a line after an unacknowledged event" {
            // A complete event that was written but never checkpointed (a crash between fsync and checkpoint).
            let extra = try #require(AuditLogEdit.nextComment(after: lines.last!, seq: lines.count, text: "unacknowledged"))
            lines.append(extra)
        }
        let good: [UInt8] = lines.flatMap { $0 + [0x0A] }
        let garbage: [UInt8] = tail == "4096 nul bytes" ? [UInt8](repeating: 0, count: 4096) : Array(lines[3].prefix(lines[3].count / 2))
        try ws.replace(ws.logURL(), with: good + garbage)
        // verify reports the interrupted write without failing.
        let before = try ws.run(["verify", AuditFixture.id])
        #expect(before.status == 0, "\(before.stdout)\(before.stderr)")
        #expect(before.stdout.contains("\(garbage.count) bytes of an interrupted write"), "\(before.stdout)")

        try ws.comment("after the repair")
        let broken = ws.files(in: ws.assessment(), prefix: "log.jsonl.broken-")
        #expect(broken.count == 1, "a copy of the damaged log is kept: \(broken)")
        if let name = broken.first {
            #expect(try ws.bytes(ws.assessment().appendingPathComponent(name)) == good + garbage)
        }
        let events = try ws.events()
        #expect(events.count == lines.count + 2)
        let recovery = events[lines.count]
        #expect(recovery["type"] as? String == "recovery.truncated")
        #expect(recovery["seq"] as? Int == lines.count)
        let data = recovery["data"] as? [String: Any]
        #expect(data?["bytes"] as? Int == garbage.count)
        #expect(data?["sha256"] as? String == Digest.sha256Hex(garbage))
        #expect((events.last?["data"] as? [String: Any])?["text"] as? String == "after the repair")
        // Every earlier line is kept byte for byte.
        #expect(Array(try ws.logLines().prefix(lines.count)) == lines)
        try ws.expectVerifies()
    }
}

/// Builds log lines the way an attacker (or a crash) would leave them.
enum AuditLogEdit {
    /// A comment line following `previous`, with a correct seq and prev, built from the previous line's fields.
    static func nextComment(after previous: [UInt8], seq: Int, text: String) -> [UInt8]? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(previous)) as? [String: Any],
              let stage = object["stage"] as? String, let time = object["time"] as? String else { return nil }
        let prev = SHA256Hash.leafHex(previous)
        let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        // Under a roster, the comment names the roster state the line before it named, as hria would write it.
        let roster = (object["roster"] as? Int).map { "\"roster\":\($0)," } ?? ""
        return Array(("{\"_sd\":[],\"actor\":\"ana\",\"data\":{\"roles\":[\"requester\"],\"text\":\"\(escaped)\"},\"prev\":\"\(prev)\","
                      + "\(roster)\"seq\":\(seq),\"stage\":\"\(stage)\",\"time\":\"\(time)\",\"type\":\"comment.added\",\"v\":\(roster.isEmpty ? 1 : 2)}").utf8)
    }
}
