import Foundation
import HRIAKit
import Testing

// Signed events (`sig` in docs/AUDIT-LOG.md, "The log file"; docs/IDENTITY.md): where the roster requires signatures,
// every act carries its actor's SSH signature, made with the key the roster lists for them, an actor without a key
// is refused before anything is written, and verify flags any event whose signature does not hold.

@Suite("Signed events: signatures required by the roster")
struct SignedEventsTests {
    static let id = "signed"

    /// A copy of the fixture workspace where ana has a key on the roster and the roster requires signatures, with a
    /// new assessment of four signed events (#0 created, #1 confidential evidence, #2–#3 comments), all at the real
    /// time, after the fixture's assessment. In `.server` mode everyone on the roster has had a key from the start
    /// (docs/TESTING.md), ana's among them.
    static func signedWorkspace(mode: TestWorkspace.Mode = .local) throws -> (TestWorkspace, String) {
        let ws = try AuditFixture.copy("hria-signed", mode: mode)
        let key = mode == .server
            ? try String(contentsOf: ws.parent.appendingPathComponent("config/hria/keys/ana.pub"), encoding: .utf8)
                .split(separator: " ").prefix(2).joined(separator: " ")
            : try ws.publishKey("ana")
        try ws.requireSignatures()
        for step in [["new", id, "--workflow", "demo", "--partner", "Signed Co"],
                     ["evidence", "add", id, "talks", "--field", "group=Youth", "--confidential", "participants=A. B.",
                      "--confidential", "statement=Signed words."],
                     ["comment", id, "first signed comment"],
                     ["comment", id, "second signed comment"]] {
            let result = try ws.run(step + ["--as", "ana"])
            guard result.status == 0 else {
                ws.cleanUp()
                throw HarnessError("hria \(step.joined(separator: " ")): exit \(result.status): \(result.stderr)")
            }
        }
        return (ws, key)
    }


    @Test("events carry their actor's signature and verify; keys show prints the verifier key", arguments: TestWorkspace.Mode.allCases)
    func signedEventsVerify(mode: TestWorkspace.Mode) throws {
        let (ws, key) = try Self.signedWorkspace(mode: mode)
        defer { ws.cleanUp() }
        let events = try ws.events(Self.id)
        #expect(events.count == 4)
        for event in events {
            #expect(event["actor"] as? String == "ana")
            // An SSHSIG blob: the magic "SSHSIG" first.
            #expect((event["sig"] as? String).map { Data(base64Encoded: $0)?.prefix(6) == Data("SSHSIG".utf8) } == true,
                    "event without an SSH signature: \(event)")
        }
        // Each signature is ana's SSH signature over the line without its sig member, for the namespace hria-event.
        let publicKey = try SSHPublicKey(authorizedKey: key)
        for line in try ws.logLines(Self.id) {
            let (message, signature) = try #require(EventLine.signedBytes(of: line))
            try SSHSignature.verify(try #require(Base64.standard.decode(signature)), message: message, namespace: "hria-event",
                                    publicKey: publicKey)
        }
        try ws.expectVerifies(Self.id)
        let shown = try ws.run(["keys", "show", "ana"])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout == key + "\n")
        #expect(key.hasPrefix("ssh-ed25519 AAAA"))
        // The private key is in ana's own folder, not the workspace.
        #expect(FileManager.default.fileExists(atPath: ws.parent.appendingPathComponent("config/hria/keys/ana").path))
        #expect(!FileManager.default.fileExists(atPath: ws.root.appendingPathComponent(".hria/keys").path))
        // Nobody else has a key (through a server everyone has one, for the server to check their requests with).
        let none = try ws.run(["keys", "show", "kofi"])
        #expect(none.status == (mode == .server ? 0 : 2), "\(none.stdout)\(none.stderr)")
    }

    @Test("unsigned events written while the roster did not require signatures keep verifying once it does")
    func unsignedEventsBeforeThePolicyStand() throws {
        let (ws, _) = try Self.signedWorkspace()
        defer { ws.cleanUp() }
        // Each act is judged by the roster state it names: switching the policy on later changes no earlier verdict.
        try ws.expectVerifies(AuditFixture.id)
        // What verify says is said of the acts each log holds: unsigned and not required there, signed and required here.
        for (id, required) in [(AuditFixture.id, false), (Self.id, true)] {
            let json = try ws.json(try ws.run(["verify", id, "--json"])) as? [String: Any]
            #expect((json?["assessments"] as? [[String: Any]])?.first?["signatures_required"] as? Bool == required, "\(id)")
        }
    }

    @Test("an actor without a key is refused with exit 2 and nothing is written")
    func actorWithoutKeyRefused() throws {
        let (ws, _) = try Self.signedWorkspace()
        defer { ws.cleanUp() }
        let before = try ws.logBytes(Self.id), checkpoint = try ws.bytes(ws.checkpointURL(Self.id))
        let refused = try ws.run(["comment", Self.id, "unsigned words", "--as", "kofi"])
        #expect(refused.status == 2, "exit \(refused.status): \(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("kofi") && refused.stderr.contains("sign"), "\(refused.stderr)")
        #expect(refused.stderr.contains("hria keys new kofi"), "the message should say how to make a key: \(refused.stderr)")
        #expect(try ws.logBytes(Self.id) == before)
        #expect(try ws.bytes(ws.checkpointURL(Self.id)) == checkpoint)
        // A key on this machine that the roster does not list is refused too.
        _ = try ws.makeKey("kofi")
        let unpublished = try ws.run(["comment", Self.id, "unsigned words", "--as", "kofi"])
        #expect(unpublished.status == 2, "exit \(unpublished.status): \(unpublished.stderr)")
        #expect(unpublished.stderr.contains("kofi has no key on it"), "\(unpublished.stderr)")
        #expect(try ws.logBytes(Self.id) == before)
        // So is a new assessment by someone without a key.
        let new = try ws.run(["new", "unsigned", "--workflow", "demo", "--partner", "P", "--as", "kofi"])
        #expect(new.status == 2, "exit \(new.status): \(new.stderr)")
        #expect(!FileManager.default.fileExists(atPath: ws.assessment("unsigned").path))
        try ws.expectVerifies(Self.id)
    }

    @Test("a key on this machine that does not match the published one is refused")
    func mismatchedKeyRefused() throws {
        let (ws, _) = try Self.signedWorkspace()
        defer { ws.cleanUp() }
        let before = try ws.logBytes(Self.id)
        try SSHPrivateKey(comment: "not ana").openSSH.write(to: ws.parent.appendingPathComponent("config/hria/keys/ana"),
                                                            atomically: true, encoding: .utf8)
        let refused = try ws.run(["comment", Self.id, "with the wrong key", "--as", "ana"])
        #expect(refused.status == 2, "exit \(refused.status): \(refused.stderr)")
        #expect(refused.stderr.contains("does not match"), "\(refused.stderr)")
        #expect(try ws.logBytes(Self.id) == before)
    }

    @Test("a signed-note key, which lived in the workspace, no longer signs: exit 2, nothing written, and how to move")
    func signedNoteKeyRefused() throws {
        // A workspace from before the roster, whose hria.yaml still lists a signed-note key for ana.
        let ws = try TestWorkspace.initialised("hria-note-key", legacy: true)
        defer { ws.cleanUp() }
        let old = try NoteSigner.generate(name: "ana").verifierKey
        try ws.editConfiguration { text in
            text.replacingOccurrences(of: "  ana: { name: \"Ana Ruiz\", roles: [requester] }",
                                      with: "  ana: { name: \"Ana Ruiz\", roles: [requester], key: \"\(old)\" }")
        }
        let refused = try ws.run(["new", "noted", "--workflow", "rapid-screening", "--partner", "P", "--as", "ana"])
        #expect(refused.status == 2, "exit \(refused.status): \(refused.stderr)")
        #expect(refused.stderr.contains("is a signed-note key") && refused.stderr.contains("hria keys new ana"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: ws.assessment("noted").path))
        // The roster refuses to take one at all: a person's key is an SSH key they hold.
        let roster = try TestWorkspace.initialised("hria-note-key-roster")
        defer { roster.cleanUp() }
        let set = try roster.run(["people", "key", "ana", old, "--as", "admin"])
        #expect(set.status == 2, "exit \(set.status): \(set.stderr)")
    }

    /// Replaces one character of a line's sig (keeping valid base64).
    static func alterSignature(_ line: [UInt8]) throws -> [UInt8] {
        var text = String(decoding: line, as: UTF8.self)
        let range = try #require(text.range(of: "\"sig\":\""))
        let at = text.index(range.upperBound, offsetBy: 5)
        let old = text[at]
        text.replaceSubrange(at...at, with: old == "A" ? "B" : "A")
        return Array(text.utf8)
    }

    @Test("an altered signature fails verify with kind signature", arguments: [1, 3])
    func alteredSignature(seq: Int) throws {
        let (ws, _) = try Self.signedWorkspace()
        defer { ws.cleanUp() }
        var lines = try ws.logLines(Self.id)
        lines[seq] = try Self.alterSignature(lines[seq])
        try ws.writeLog(lines: lines, id: Self.id)
        try ws.expectTamper(Self.id, kind: "signature", firstBadEvent: seq)
    }

    @Test("an altered body with the hash chain recomputed fails verify with kind signature")
    func alteredBodyChainRecomputed() throws {
        let (ws, _) = try Self.signedWorkspace()
        defer { ws.cleanUp() }
        var lines = try ws.logLines(Self.id)
        lines[2] = lines[2].replacingFirst("first signed comment", with: "first forged comment")
        for index in 3..<lines.count {
            var text = String(decoding: lines[index], as: UTF8.self)
            let range = try #require(text.range(of: #""prev":"[0-9a-f]{64}""#, options: .regularExpression))
            text.replaceSubrange(range, with: "\"prev\":\"\(SHA256Hash.leafHex(lines[index - 1]))\"")
            lines[index] = Array(text.utf8)
        }
        try ws.writeLog(lines: lines, id: Self.id)
        try ws.expectTamper(Self.id, kind: "signature", firstBadEvent: 2)
    }

    @Test("an unsigned event slipped in after the checkpoint is flagged")
    func unsignedEventAppended() throws {
        let (ws, _) = try Self.signedWorkspace()
        defer { ws.cleanUp() }
        var lines = try ws.logLines(Self.id)
        lines.append(try #require(AuditLogEdit.nextComment(after: lines.last!, seq: lines.count, text: "not signed")))
        try ws.writeLog(lines: lines, id: Self.id)
        try ws.expectTamper(Self.id, kind: "signature", firstBadEvent: 4)
    }

    @Test("a torn tail is repaired with a recovery event signed by the log key, and the log verifies")
    func repairUnderSignatures() throws {
        let (ws, _) = try Self.signedWorkspace()
        defer { ws.cleanUp() }
        try ws.replace(ws.logURL(Self.id), with: try ws.logBytes(Self.id) + Array("{\"_sd\":[],\"actor\":\"ana\"".utf8))
        try ws.comment("after the repair", id: Self.id)
        let events = try ws.events(Self.id)
        let recovery = try #require(events.first { $0["type"] as? String == "recovery.truncated" })
        #expect(recovery["actor"] as? String == "hria")
        #expect(recovery["sig"] is String)
        try ws.expectVerifies(Self.id)
    }
}
