import Foundation
import HRIAKit
import Testing
import HRIATestSupport

// Fail closed (docs/AUDIT-LOG.md, "The invariant: no command builds on a log that does not verify"): no command writes
// to, or reports a standing from, a log that `hria verify` rejects. Each finding of the adversarial review is
// reproduced here with the built binary, then every writing command and `status` is tried on every kind of damage:
// exit 3, and the assessment's files byte for byte as they were.

/// A workspace with one assessment at a stage that needs evidence, a fact and a sign-off.
struct GateWorkspace: Sendable {
    static let id = "gate"
    static let workflow = TestWorkflows.gate

    let ws: TestWorkspace
    var root: URL { ws.root }
    var folder: URL { ws.assessment(Self.id) }

    /// `hria init`, the gate workflow, ana (requester) and fp2 (a second focal point beside ravi), and an assessment
    /// with its brief, a confidential consultation and a fact: #0 created, #1 brief (with a file), #2 talks, #3 fact.
    static func make(_ name: String = "hria-gate", signatures: Bool = false) throws -> GateWorkspace {
        let ws = try AuditFixture.initialised(name, assessment: id)
        try workflow.write(to: ws.root.appendingPathComponent("workflows/gate.yaml"), atomically: true, encoding: .utf8)
        // The roster changes are dated with the roster's start, before any act of the assessment.
        try ws.admin(["add", "fp2", "--name", "Fatou P.", "--role", "dd_focal_point", "--publish-name"], at: TestWorkspace.rosterTime)
        let gate = GateWorkspace(ws: ws)
        if signatures {
            for person in ["ana", "ravi", "fp2"] { try ws.publishKey(person, at: TestWorkspace.rosterTime) }
            try ws.requireSignatures(at: TestWorkspace.rosterTime)
        }
        try "The brief.\n".write(to: ws.root.appendingPathComponent("brief.txt"), atomically: true, encoding: .utf8)
        try gate.ok(["new", id, "--workflow", "gate", "--partner", "Gate Co"], as: "ana", minute: 0)
        try gate.ok(["evidence", "add", id, "brief", "--file", "brief.txt", "--field", "title=Brief"], as: "ana", minute: 1)
        try gate.ok(["evidence", "add", id, "talks", "--field", "group=Youth", "--confidential", "statement=We fear reprisals."],
                    as: "ana", minute: 2)
        try gate.ok(["fact", id, "tier=low"], as: "ana", minute: 3)
        return gate
    }

    func cleanUp() { ws.cleanUp() }

    func run(_ arguments: [String], as actor: String? = nil, minute: Int = 30) throws -> HRIA.Result {
        try ws.run(arguments, as: actor, environment: ["HRIA_NOW": String(format: "2026-02-01T10:%02d:00Z", minute)])
    }

    @discardableResult
    func ok(_ arguments: [String], as actor: String? = nil, minute: Int = 30,
            sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> HRIA.Result {
        let result = try run(arguments, as: actor, minute: minute)
        guard result.status == 0 else {
            throw HarnessError("hria \(arguments.joined(separator: " ")): exit \(result.status): \(result.stderr)")
        }
        return result
    }

    /// Every file of the assessment (but the lock file and temporary files), by path: what a refused command must
    /// leave exactly as it was.
    func files() -> [String: Data] {
        var result: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = enumerator?.nextObject() as? URL {
            let relative = String(url.path.dropFirst(folder.path.count + 1))
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true, relative != "log.lock",
                  !url.lastPathComponent.hasPrefix(".") else { continue }
            result[relative] = try? Data(contentsOf: url)
        }
        return result
    }

    /// The one disclosure stored, as an erase argument.
    func storedDigest() throws -> String {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("private/disclosures").path)
        return try #require(names.first { !$0.hasPrefix(".") })
    }
}

/// One way of damaging an assessment's files.
struct Damage: CustomTestStringConvertible, Sendable {
    var name: String
    var apply: @Sendable (GateWorkspace) throws -> Void
    var testDescription: String { name }

    static func rewriteLastLine(_ gate: GateWorkspace) throws {
        var lines = try gate.ws.logLines(GateWorkspace.id)
        lines[lines.count - 1] = lines[lines.count - 1].replacingFirst("\"tier\":\"low\"", with: "\"tier\":\"high\"")
        try gate.ws.writeLog(lines: lines, id: GateWorkspace.id)
    }

    static let all: [Damage] = [
        Damage(name: "the last, checkpointed line rewritten") { try rewriteLastLine($0) },
        Damage(name: "a middle line damaged") { gate in
            var lines = try gate.ws.logLines(GateWorkspace.id)
            lines[1] = lines[1].replacingFirst("\"title\":\"Brief\"", with: "\"title\":\"Brie\\u0066\"")
            try gate.ws.writeLog(lines: lines, id: GateWorkspace.id)
        },
        Damage(name: "a middle line made unreadable") { gate in
            var lines = try gate.ws.logLines(GateWorkspace.id)
            lines[2][0] = UInt8(ascii: "[")
            try gate.ws.writeLog(lines: lines, id: GateWorkspace.id)
        },
        Damage(name: "a middle line damaged, and every checkpoint deleted") { gate in
            var lines = try gate.ws.logLines(GateWorkspace.id)
            lines[1] = lines[1].replacingFirst("\"title\":\"Brief\"", with: "\"title\":\"Brie\"")
            try gate.ws.writeLog(lines: lines, id: GateWorkspace.id)
            try FileManager.default.removeItem(at: gate.folder.appendingPathComponent("checkpoints"))
            try FileManager.default.removeItem(at: gate.folder.appendingPathComponent("checkpoint"))
        },
        Damage(name: "every checkpoint deleted") { gate in
            try FileManager.default.removeItem(at: gate.folder.appendingPathComponent("checkpoints"))
            try FileManager.default.removeItem(at: gate.folder.appendingPathComponent("checkpoint"))
            try FileManager.default.createDirectory(at: gate.folder.appendingPathComponent("checkpoints"), withIntermediateDirectories: false)
        },
        Damage(name: "two stored checkpoint files swapped") { gate in
            let a = gate.folder.appendingPathComponent("checkpoints/2"), b = gate.folder.appendingPathComponent("checkpoints/3")
            let temporary = gate.folder.appendingPathComponent("swap")
            try FileManager.default.moveItem(at: a, to: temporary)
            try FileManager.default.moveItem(at: b, to: a)
            try FileManager.default.moveItem(at: temporary, to: b)
        },
        Damage(name: "the latest checkpoint replaced by an older one") { gate in
            let older = try Data(contentsOf: gate.folder.appendingPathComponent("checkpoints/2"))
            // A new file in its place (not a write through the hard link it shares with the newest stored checkpoint).
            let latest = gate.folder.appendingPathComponent("checkpoint")
            try FileManager.default.removeItem(at: latest)
            try older.write(to: latest)
        },
        Damage(name: "the latest checkpoint deleted") { gate in
            try FileManager.default.removeItem(at: gate.folder.appendingPathComponent("checkpoint"))
        },
        Damage(name: "an evidence file changed") { gate in
            let folder = gate.folder.appendingPathComponent("evidence/sha256")
            let name = try #require(try FileManager.default.contentsOfDirectory(atPath: folder.path).first)
            try Data("A different brief.\n".utf8).write(to: folder.appendingPathComponent(name))
        },
        Damage(name: "an evidence file deleted") { gate in
            let folder = gate.folder.appendingPathComponent("evidence/sha256")
            let name = try #require(try FileManager.default.contentsOfDirectory(atPath: folder.path).first)
            try FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        },
        Damage(name: "a confidential value altered") { gate in
            let file = gate.folder.appendingPathComponent("private/disclosures/\(try gate.storedDigest())")
            let text = try String(contentsOf: file, encoding: .utf8)
            try StoredDisclosure.altered(text).write(to: file, atomically: true, encoding: .utf8)
        },
        Damage(name: "the workflow snapshot changed") { gate in
            let file = gate.folder.appendingPathComponent("workflow.yaml")
            let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "quorum: 1", with: "quorum: 0")
            try text.write(to: file, atomically: true, encoding: .utf8)
        },
        Damage(name: "a line appended with no checkpoint, out of sequence") { gate in
            var lines = try gate.ws.logLines(GateWorkspace.id)
            lines.append(lines[lines.count - 1])
            try gate.ws.writeLog(lines: lines, id: GateWorkspace.id)
        },
    ]
}

@Suite("Fail closed: no command builds on, or reports from, a log that verify rejects")
struct FailClosedTests {
    typealias G = GateWorkspace

    /// Every command that writes, and status, in a form that would succeed on the intact assessment (`DIGEST` stands
    /// for the stored confidential value's digest).
    static let commands: [(name: String, arguments: [String], actor: String)] = [
        ("fact", ["fact", G.id, "tier=high"], "ana"),
        ("evidence add", ["evidence", "add", G.id, "talks", "--field", "group=Elders", "--confidential", "statement=More."], "ana"),
        ("signoff", ["signoff", G.id, "--approve"], "ravi"),
        ("comment", ["comment", G.id, "a note"], "ana"),
        ("erase", ["erase", G.id, "DIGEST", "--reason", "asked"], "ana"),
        ("status", ["status", G.id], "ana"),
    ]

    @Test("on every kind of damage, verify, status and every writing command exit 3 and change nothing", arguments: Damage.all)
    func everyCommandRefusesDamage(_ damage: Damage) throws {
        let gate = try G.make("hria-fail-closed")
        defer { gate.cleanUp() }
        try gate.ok(["verify", G.id])
        // Read the digest before the damage: the damage may delete files.
        let digest = try gate.storedDigest()
        try damage.apply(gate)
        let before = gate.files()
        let verify = try gate.run(["verify", G.id])
        #expect(verify.status == 3, "verify: exit \(verify.status)\n\(verify.stdout)")
        for (name, arguments, actor) in Self.commands {
            let result = try gate.run(arguments.map { $0 == "DIGEST" ? digest : $0 }, as: actor)
            #expect(result.status == 3, "\(name) on \(damage.name): exit \(result.status)\n\(result.stdout)\(result.stderr)")
            #expect(result.stderr.contains("does not verify"), "\(name): \(result.stderr)")
            #expect(result.stderr.contains("restore the damaged files of assessments/\(G.id) from a backup"), "\(name): \(result.stderr)")
            #expect(gate.files() == before, "\(name) on \(damage.name) changed the assessment's files")
        }
        // Advance needs the sign-off the damage now blocks; it must also refuse for integrity, not for the rules.
        let advance = try gate.run(["advance", G.id], as: "ana")
        #expect(advance.status == 3, "advance: exit \(advance.status): \(advance.stderr)")
        #expect(gate.files() == before)
        let again = try gate.run(["verify", G.id])
        #expect(again.status == 3, "the damage must still show: \(again.stdout)")
    }

    @Test("finding 1: a rejection rewritten as an approval in the last line is not built upon or laundered by a checkpoint")
    func rejectionRewrittenAsApproval() throws {
        let gate = try G.make("hria-fail-closed-1")
        defer { gate.cleanUp() }
        try gate.ok(["signoff", G.id, "--reject", "--comment", "Not enough."], as: "fp2", minute: 10)
        var lines = try gate.ws.logLines(G.id)
        lines[lines.count - 1] = lines[lines.count - 1].replacingFirst("\"decision\":\"reject\"", with: "\"decision\":\"approve\"")
        try gate.ws.writeLog(lines: lines, id: G.id)
        let before = gate.files()
        let verify = try gate.run(["verify", G.id])
        #expect(verify.status == 3, "\(verify.stdout)")
        let advance = try gate.run(["advance", G.id], as: "ana", minute: 11)
        #expect(advance.status == 3, "advance: exit \(advance.status): \(advance.stderr)")
        #expect(advance.stderr.contains("[checkpoint]"), "the refusal names the damage as verify does: \(advance.stderr)")
        #expect(gate.files() == before, "nothing may be recorded, and no checkpoint signed over the edited line")
        // Deleting the checkpoint that signed the original does not make the edit acceptable either.
        try FileManager.default.removeItem(at: gate.folder.appendingPathComponent("checkpoints/\(lines.count)"))
        #expect(try gate.run(["verify", G.id]).status == 3)
        #expect(try gate.run(["advance", G.id], as: "ana", minute: 12).status == 3)
    }

    /// A signoff.recorded approval by fp2 appended after the last line, well chained, signed by `sign`.
    static func forgeApproval(_ gate: GateWorkspace, sign: (_ unsigned: [UInt8], _ lines: [[UInt8]]) throws -> String?) throws {
        var lines = try gate.ws.logLines(G.id)
        let last = try EventLine.decode(lines[lines.count - 1])
        let draft = EventDraft(actor: "fp2", stage: "review", time: last.time.addingTimeInterval(60),
                               payload: .signoffRecorded(SignoffRecorded(approve: true, comment: nil, visit: 1, roles: ["dd_focal_point"])),
                               roster: last.roster)
        let prev = try #require(SHA256Hash(hex: SHA256Hash.leafHex(lines[lines.count - 1])))
        let unsigned = EventLine.encode(draft, seq: lines.count, prev: prev)
        let signature = try sign(unsigned, lines)
        lines.append(signature.map { EventLine.encode(draft, seq: lines.count, prev: prev, signature: $0) } ?? unsigned)
        try gate.ws.writeLog(lines: lines, id: G.id)
    }

    static func privateKey(_ gate: GateWorkspace, _ person: String) throws -> SSHPrivateKey {
        try SSHPrivateKey(openSSH: try String(contentsOf: gate.ws.parent.appendingPathComponent("config/hria/keys/\(person)"), encoding: .utf8))
    }

    @Test("finding 2: under require_signatures a forged approval is neither counted by status nor built on by advance",
          arguments: ["no signature", "someone else's signature", "the actor's signature copied from another event"])
    func forgedApprovalRefused(_ forgery: String) throws {
        let gate = try G.make("hria-fail-closed-2", signatures: true)
        defer { gate.cleanUp() }
        // fp2's genuine, signed rejection: the source of a signature to copy.
        try gate.ok(["signoff", G.id, "--reject", "--comment", "Not yet."], as: "fp2", minute: 10)
        try Self.forgeApproval(gate) { unsigned, lines in
            switch forgery {
            case "no signature":
                return nil
            case "someone else's signature":
                return Data(try Self.privateKey(gate, "ana").sign(unsigned, namespace: "hria-event")).base64EncodedString()
            default:
                let genuine = try #require(EventLine.signedBytes(of: lines[lines.count - 1]))
                return genuine.signature
            }
        }
        let before = gate.files()
        let verify = try gate.run(["verify", G.id])
        #expect(verify.status == 3 && verify.stdout.contains("[signature]"), "\(verify.stdout)")
        let status = try gate.run(["status", G.id])
        #expect(status.status == 3, "status counted the forged approval: \(status.stdout)")
        #expect(!status.stdout.contains("1 of 1 approval"))
        let advance = try gate.run(["advance", G.id], as: "ana", minute: 20)
        #expect(advance.status == 3, "advance: exit \(advance.status): \(advance.stderr)")
        #expect(gate.files() == before)
    }

    @Test("finding 3: with the checkpoints gone and a middle line damaged, nothing is cut and the message says how to restore")
    func damageWithoutCheckpointsIsNotRepaired() throws {
        let gate = try G.make("hria-fail-closed-3")
        defer { gate.cleanUp() }
        try Damage.all.first { $0.name.hasPrefix("a middle line damaged, and every") }!.apply(gate)
        let before = gate.files()
        let result = try gate.run(["comment", G.id, "after the damage"], as: "ana")
        #expect(result.status == 3, "exit \(result.status): \(result.stderr)")
        #expect(result.stderr.contains("checkpoint") && result.stderr.contains("restore"), "\(result.stderr)")
        #expect(gate.files() == before, "a complete line was cut or something was recorded")
        #expect(!FileManager.default.fileExists(atPath: gate.folder.appendingPathComponent("log.jsonl.broken").path))
    }

    @Test("finding 5: status and verify agree on an honest interrupted write; the next recording command repairs it")
    func tornTailExitCodesAgree() throws {
        let gate = try G.make("hria-fail-closed-5")
        defer { gate.cleanUp() }
        let handle = try FileHandle(forWritingTo: gate.ws.logURL(G.id))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"_sd\":[],\"actor\":\"ana\",\"da".utf8))
        try handle.close()
        let verify = try gate.run(["verify", G.id])
        let status = try gate.run(["status", G.id])
        let list = try gate.run(["list"])
        #expect(verify.status == 0 && verify.stdout.contains("interrupted write"), "\(verify.stdout)")
        #expect(status.status == 0 && status.stderr.contains("interrupted write"), "status: exit \(status.status): \(status.stderr)")
        #expect(list.status == 0, "\(list.stderr)")
        let comment = try gate.run(["comment", G.id, "after the crash"], as: "ana")
        #expect(comment.status == 0 && comment.stderr.contains("interrupted write"), "\(comment.stderr)")
        try gate.ok(["verify", G.id])
        // A line cut short inside the checkpointed part is truncation: both refuse.
        var bytes = try gate.ws.logBytes(G.id)
        bytes.removeLast(10)
        try Data(bytes).write(to: gate.ws.logURL(G.id))
        #expect(try gate.run(["verify", G.id]).status == 3)
        #expect(try gate.run(["status", G.id]).status == 3)
    }

    @Test("finding 6: an edited list index or state snapshot is rebuilt, never believed")
    func cachesAreNotBelieved() throws {
        let gate = try G.make("hria-fail-closed-6")
        defer { gate.cleanUp() }
        try gate.ok(["list"])
        try gate.ok(["status", G.id])
        let cache = gate.root.appendingPathComponent(".hria/cache")
        let index = cache.appendingPathComponent("list.json"), snapshot = cache.appendingPathComponent("\(G.id).json")
        #expect(FileManager.default.fileExists(atPath: index.path) && FileManager.default.fileExists(atPath: snapshot.path))
        for file in [index, snapshot] {
            let text = try String(contentsOf: file, encoding: .utf8)
            #expect(text.contains("Gate Co"))
            try text.replacingOccurrences(of: "Gate Co", with: "Fake Partner").replacingOccurrences(of: "\"review\"", with: "\"approved\"")
                .write(to: file, atomically: true, encoding: .utf8)
        }
        let list = try gate.ok(["list"])
        #expect(list.stdout.contains("Gate Co") && !list.stdout.contains("Fake Partner"), "\(list.stdout)")
        #expect(list.stdout.contains("review"), "\(list.stdout)")
        let status = try gate.ok(["status", G.id])
        #expect(status.stdout.contains("Gate Co") && status.stdout.contains("stage     review"), "\(status.stdout)")
        // A snapshot carried over from another assessment is not believed either.
        try gate.ok(["new", "other", "--workflow", "gate", "--partner", "Other Co"], as: "ana")
        try gate.ok(["status", "other"])
        try FileManager.default.removeItem(at: snapshot)
        try FileManager.default.copyItem(at: cache.appendingPathComponent("other.json"), to: snapshot)
        let again = try gate.ok(["status", G.id])
        #expect(again.stdout.contains("Gate Co"), "\(again.stdout)")
    }

    @Test("list names an assessment that does not verify, leaves it out, and exits 3; the portfolio is refused")
    func listFailsClosed() throws {
        let gate = try G.make("hria-fail-closed-list")
        defer { gate.cleanUp() }
        try gate.ok(["new", "fine", "--workflow", "gate", "--partner", "Fine Co"], as: "ana")
        try gate.ok(["list"])
        try Damage.rewriteLastLine(gate)
        let list = try gate.run(["list"])
        #expect(list.status == 3, "\(list.stdout)\(list.stderr)")
        #expect(list.stdout.contains("Fine Co") && !list.stdout.contains("Gate Co"), "\(list.stdout)")
        #expect(list.stderr.contains("gate") && list.stderr.contains("does not verify"), "\(list.stderr)")
        let portfolio = try gate.run(["report", "--portfolio"])
        #expect(portfolio.status == 3, "\(portfolio.stderr)")
    }

    @Test("reading commands fail closed too: log, report, export and prove exit 3 on a log that does not verify")
    func readersFailClosed() throws {
        let gate = try G.make("hria-fail-closed-read")
        defer { gate.cleanUp() }
        try Damage.rewriteLastLine(gate)
        for arguments in [["log", G.id], ["report", G.id], ["prove", G.id, "1"],
                          ["export", G.id, "--public", gate.ws.parent.appendingPathComponent("bundle").path]] {
            let result = try gate.run(arguments)
            #expect(result.status == 3, "hria \(arguments.joined(separator: " ")): exit \(result.status): \(result.stderr)")
        }
    }
}
