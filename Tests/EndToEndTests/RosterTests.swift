import Foundation
import HRIAKit
import HRIATestSupport
import Testing

/// The roster is a log: who may act, under which roles and with which keys, changed only by signed events of an
/// admin; every act in an assessment names the roster state it was decided against, and the writer and `verify`
/// judge it by that state. Each attack the identity issue names is tried here through the built binary.
@Suite("The roster: who acted, and were they entitled to")
struct RosterTests {
    static let at = "2026-05-04T09:00:00Z"

    /// A new workspace made the way a user would: `hria init --admin`, then people added with keys they made
    /// themselves, signatures required from the start. ana starts assessments, ravi signs screening off.
    static func office(_ name: String) throws -> TestWorkspace {
        let parent = try HRIA.temporaryDirectory(name)
        let ws = TestWorkspace(parent: parent, root: parent.appendingPathComponent("ws"), assessmentID: "acme")
        let made = try ws.run(["init", ws.root.path, "--organisation", "Roster Office", "--origin", "roster.example/hria",
                               "--admin", "admin", "--name", "Ada Admin", "--publish-name"], at: "2026-05-01T09:00:00Z", in: parent)
        guard made.status == 0 else { throw HarnessError("hria init: \(made.stderr)") }
        for (id, name, role) in [("ana", "Ana Ruiz", "requester"), ("ravi", "Ravi Iyer", "dd_focal_point"), ("kofi", "Kofi Mensah", "hr_lead")] {
            let key = try ws.makeKey(id)
            try ws.admin(["add", id, "--name", name, "--role", role, "--key", key], at: "2026-05-01T09:30:00Z")
        }
        return ws
    }

    static func privateKey(_ ws: TestWorkspace, _ person: String) throws -> SSHPrivateKey {
        try SSHPrivateKey(openSSH: try String(contentsOf: ws.parent.appendingPathComponent("config/hria/keys/\(person)"), encoding: .utf8))
    }

    /// A line as hria writes it, signed with `signer`'s own key (or unsigned).
    static func line(_ draft: EventDraft, seq: Int, after previous: [UInt8]?, signer: SSHPrivateKey?) throws -> [UInt8] {
        let prev = try #require(previous.map { SHA256Hash(hex: SHA256Hash.leafHex($0)) } ?? SHA256Hash.zero)
        let unsigned = EventLine.encode(draft, seq: seq, prev: prev)
        guard let signer else { return unsigned }
        return EventLine.encode(draft, seq: seq, prev: prev, signature: Base64.standard.encode(try signer.sign(unsigned, namespace: "hria-event")))
    }

    func rosterLog(_ ws: TestWorkspace) -> URL { ws.root.appendingPathComponent("roster/log.jsonl") }

    func rosterLines(_ ws: TestWorkspace) throws -> [[UInt8]] {
        try ws.bytes(rosterLog(ws)).split(separator: 0x0A).map(Array.init)
    }

    /// Replaces the roster's log with these lines, as someone editing the file would.
    func writeRoster(_ ws: TestWorkspace, _ lines: [[UInt8]]) throws {
        try ws.replace(rosterLog(ws), with: lines.flatMap { $0 + [0x0A] })
    }

    @Test("hria init starts a signed roster; people are added with their own keys; the roster verifies, also with ssh-keygen")
    func initAndAdd() throws {
        let ws = try Self.office("hria-roster-init")
        defer { ws.cleanUp() }
        let list = try ws.ok(["people", "list"]).stdout
        #expect(list.hasPrefix("roster: 4 people, 4 events; signatures required\n"), "\(list)")
        #expect(list.contains("  ravi ") && list.contains("dd_focal_point"), "\(list)")
        let verified = try ws.ok(["verify", "--roster"]).stdout
        #expect(verified.hasPrefix("roster: verified — 4 events"), "\(verified)")
        // Only the admin's name was let out; the others are digests in the log, and shown by name on this machine only.
        let log = String(decoding: try ws.bytes(rosterLog(ws)), as: UTF8.self)
        #expect(log.contains("\"name\":\"Ada Admin\"") && !log.contains("Ravi Iyer"), "\(log)")
        #expect(list.contains("Ravi Iyer"))
        // Each roster change is the admin's SSH signature, which OpenSSH checks with the allowed_signers hria prints.
        let allowed = try ws.outside("allowed").appendingPathComponent("allowed_signers")
        try ws.ok(["people", "allowed-signers"]).stdout.write(to: allowed, atomically: true, encoding: .utf8)
        for line in try rosterLines(ws) {
            let (message, signature) = try #require(EventLine.signedBytes(of: line))
            let sig = try ws.outside("allowed").appendingPathComponent("sig")
            try SSHSignature.armored(try #require(Base64.standard.decode(signature, strict: true))).write(to: sig, atomically: true, encoding: .utf8)
            let checked = try OpenSSH.run("ssh-keygen", ["-Y", "verify", "-f", allowed.path, "-I", "admin", "-n", "hria-event", "-s", sig.path],
                                          stdin: String(decoding: message, as: UTF8.self))
            #expect(checked.status == 0, "\(checked.output)")
        }
        // The history of one person, and who made each change.
        let shown = try ws.ok(["people", "show", "ravi"]).stdout
        #expect(shown.contains("roles: dd_focal_point") && shown.contains("admin added ravi"), "\(shown)")
        // Acts name the roster state and carry the actor's signature.
        try ws.ok(["new", "acme", "--workflow", "partnership-hria", "--partner", "Acme"], as: "ana", at: Self.at)
        let first = try #require(try ws.events("acme").first)
        #expect(first["roster"] as? Int == 4 && first["v"] as? Int == 2 && first["sig"] is String, "\(first)")
        try ws.expectVerifies("acme")
    }

    @Test("hria init without a first admin is bad input")
    func initNeedsAdmin() throws {
        let parent = try HRIA.temporaryDirectory("hria-roster-noadmin")
        defer { HRIA.cleanUp(parent) }
        let result = try HRIA.run(["init", parent.appendingPathComponent("ws").path], in: parent)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("--admin"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: parent.appendingPathComponent("ws/hria.yaml").path))
    }

    @Test("only an admin changes the roster; a non-admin's grant is refused and nothing is written")
    func nonAdminRefused() throws {
        let ws = try Self.office("hria-roster-nonadmin")
        defer { ws.cleanUp() }
        let before = try ws.bytes(rosterLog(ws))
        for arguments in [["grant", "kofi", "approver", "--reason", "I say so"], ["remove", "ravi", "--reason", "I say so"],
                          ["require-signatures", "off", "--reason", "I say so"]] {
            let refused = try ws.run(["people"] + arguments, as: "ana")
            #expect(refused.status == 1, "\(arguments): exit \(refused.status) \(refused.stderr)")
            #expect(refused.stderr.contains("ana cannot change the roster"), "\(refused.stderr)")
        }
        // Someone else's key is not ana's to set.
        let other = try ws.run(["people", "key", "kofi", try ws.makeKey("kofi2")], as: "ana")
        #expect(other.status == 1, "\(other.stderr)")
        #expect(try ws.bytes(rosterLog(ws)) == before)
        // The last admin cannot be taken away.
        let last = try ws.run(["people", "revoke", "admin", "admin", "--reason", "leaving"], as: "admin")
        #expect(last.status == 1 && last.stderr.contains("the only admin"), "\(last.stderr)")
    }

    @Test("a grant made by a non-admin, written by hand with their own valid signature, is flagged by verify and fails every command")
    func forgedGrantFlagged() throws {
        let ws = try Self.office("hria-roster-forged-grant")
        defer { ws.cleanUp() }
        try ws.ok(["new", "acme", "--workflow", "partnership-hria", "--partner", "Acme"], as: "ana", at: Self.at)
        var lines = try rosterLines(ws)
        let draft = EventDraft(actor: "ana", stage: "roster", time: try #require(Timestamp.parse(Self.at)),
                               payload: .roleGranted(RoleChange(person: "ana", role: "approver", reason: "self-service", roles: [])))
        lines.append(try Self.line(draft, seq: lines.count, after: lines.last, signer: try Self.privateKey(ws, "ana")))
        try writeRoster(ws, lines)
        let verify = try ws.run(["verify", "--roster"])
        #expect(verify.status == 3 && verify.stdout.contains("ana cannot change the roster"), "\(verify.stdout)")
        // Fail closed: nothing is judged against a roster that does not verify.
        let acme = ws.snapshot("acme")
        for arguments in [["status", "acme"], ["comment", "acme", "hello"], ["people", "list"], ["verify", "acme"]] {
            let result = try ws.run(arguments, as: "ana")
            #expect(result.status == 3, "\(arguments): exit \(result.status) \(result.stderr)")
        }
        #expect(ws.snapshot("acme") == acme)
    }

    @Test("a hand edit of the roster's log is flagged, with its first bad event")
    func rosterEditFlagged() throws {
        let ws = try Self.office("hria-roster-edit")
        defer { ws.cleanUp() }
        var lines = try rosterLines(ws)
        lines[2] = lines[2].replacingFirst("dd_focal_point", with: "approver")
        try writeRoster(ws, lines)
        let verify = try ws.run(["verify", "--roster", "--json"])
        #expect(verify.status == 3, "\(verify.stdout)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any])
        let roster = try #require(json["roster"] as? [String: Any])
        #expect(roster["first_bad_event"] as? Int == 2, "\(roster)")
    }

    @Test("a signature copied onto another roster event, and a back-dated roster event, are flagged")
    func replayedAndBackdated() throws {
        let ws = try Self.office("hria-roster-replay")
        defer { ws.cleanUp() }
        var lines = try rosterLines(ws)
        let grant = EventDraft(actor: "admin", stage: "roster", time: try #require(Timestamp.parse(Self.at)),
                               payload: .roleGranted(RoleChange(person: "kofi", role: "approver", reason: "replayed", roles: ["admin"])))
        // The admin's genuine signature of event 1, on an event it never signed.
        let genuine = try #require(EventLine.signedBytes(of: lines[1])).signature
        let prev = try #require(SHA256Hash(hex: SHA256Hash.leafHex(lines[lines.count - 1])))
        var replayed = lines
        replayed.append(EventLine.encode(grant, seq: lines.count, prev: prev, signature: genuine))
        try writeRoster(ws, replayed)
        let verify = try ws.run(["verify", "--roster"])
        #expect(verify.status == 3 && verify.stdout.contains("[signature]"), "\(verify.stdout)")
        // Back-dated: properly signed by the admin, but dated before the event before it.
        var backdated = grant
        backdated.time = try #require(Timestamp.parse("2026-04-01T00:00:00Z"))
        lines.append(try Self.line(backdated, seq: lines.count, after: lines.last, signer: try Self.privateKey(ws, "admin")))
        try writeRoster(ws, lines)
        let again = try ws.run(["verify", "--roster"])
        #expect(again.status == 3 && again.stdout.contains("before the roster event before it"), "\(again.stdout)")
    }

    @Test("a role revoked earlier makes a later act invalid, and a role granted later never makes an earlier act valid")
    func rolesJudgedAtTheirTime() throws {
        let ws = try Self.office("hria-roster-time")
        defer { ws.cleanUp() }
        try ws.ok(["new", "acme", "--workflow", "partnership-hria", "--partner", "Acme"], as: "ana", at: Self.at)
        try ws.admin(["revoke", "ana", "requester", "--reason", "moved to another team"], at: "2026-05-05T09:00:00Z")
        // The writer refuses ana's act now.
        let refused = try ws.run(["comment", "acme", "after the revocation"], as: "ana", at: "2026-05-06T09:00:00Z")
        #expect(refused.status == 1, "exit \(refused.status): \(refused.stderr)")
        // A hand-written act that names the roster state before the revocation, dated after it, is flagged.
        var lines = try ws.logLines("acme")
        let first = try EventLine.decode(lines[0])
        let late = EventDraft(actor: "ana", stage: "intake", time: try #require(Timestamp.parse("2026-05-06T09:00:00Z")),
                              payload: .commentAdded(CommentAdded(text: "as if before", roles: ["requester"])), roster: first.roster)
        lines.append(try Self.line(late, seq: lines.count, after: lines.last, signer: try Self.privateKey(ws, "ana")))
        try ws.writeLog(lines: lines, id: "acme")
        try ws.expectTamper("acme", kind: "roster", firstBadEvent: 1)

        // kofi is made an approver only later: an act of his as approver dated before the grant is flagged.
        let ws2 = try Self.office("hria-roster-later")
        defer { ws2.cleanUp() }
        try ws2.ok(["new", "acme", "--workflow", "partnership-hria", "--partner", "Acme"], as: "ana", at: Self.at)
        try ws2.admin(["grant", "kofi", "requester", "--reason", "covers for ana"], at: "2026-05-10T09:00:00Z")
        var lines2 = try ws2.logLines("acme")
        let early = EventDraft(actor: "kofi", stage: "intake", time: try #require(Timestamp.parse("2026-05-05T09:00:00Z")),
                               payload: .commentAdded(CommentAdded(text: "before my grant", roles: ["requester"])), roster: 5)
        lines2.append(try Self.line(early, seq: lines2.count, after: lines2.last, signer: try Self.privateKey(ws2, "kofi")))
        try ws2.writeLog(lines: lines2, id: "acme")
        try ws2.expectTamper("acme", kind: "roster", firstBadEvent: 1)
    }

    @Test("a rotated key signs from then on; the old key still verifies what it signed; a removed person cannot act")
    func rotationAndRemoval() throws {
        let ws = try Self.office("hria-roster-rotate")
        defer { ws.cleanUp() }
        try ws.ok(["new", "acme", "--workflow", "partnership-hria", "--partner", "Acme"], as: "ana", at: Self.at)
        // ana rotates her own key: the new one replaces the old in her folder.
        let keys = ws.parent.appendingPathComponent("config/hria/keys")
        try FileManager.default.moveItem(at: keys.appendingPathComponent("ana"), to: keys.appendingPathComponent("ana-old"))
        try FileManager.default.moveItem(at: keys.appendingPathComponent("ana.pub"), to: keys.appendingPathComponent("ana-old.pub"))
        let fresh = try ws.makeKey("ana")
        let rotated = try ws.run(["people", "key", "ana", fresh, "--reason", "new laptop"], as: "ana", at: "2026-05-05T09:00:00Z",
                                 environment: ["XDG_CONFIG_HOME": ws.parent.appendingPathComponent("config").path])
        // The change is signed with the key she held before it, which is now elsewhere: refused, nothing written.
        #expect(rotated.status == 2, "\(rotated.stderr)")
        try FileManager.default.moveItem(at: keys.appendingPathComponent("ana"), to: keys.appendingPathComponent("ana-new"))
        try FileManager.default.moveItem(at: keys.appendingPathComponent("ana-old"), to: keys.appendingPathComponent("ana"))
        try ws.ok(["people", "key", "ana", fresh, "--reason", "new laptop"], as: "ana", at: "2026-05-05T09:00:00Z")
        try FileManager.default.removeItem(at: keys.appendingPathComponent("ana"))
        try FileManager.default.moveItem(at: keys.appendingPathComponent("ana-new"), to: keys.appendingPathComponent("ana"))
        try ws.ok(["comment", "acme", "signed with my new key"], as: "ana", at: "2026-05-06T09:00:00Z")
        try ws.expectVerifies("acme")
        let shown = try ws.ok(["people", "show", "ana"]).stdout
        #expect(shown.contains("earlier keys"), "\(shown)")

        try ws.admin(["remove", "ravi", "--reason", "left the organisation"], at: "2026-05-07T09:00:00Z")
        let removed = try ws.run(["comment", "acme", "still here?"], as: "ravi", at: "2026-05-08T09:00:00Z")
        #expect(removed.status == 2 && removed.stderr.contains("was removed from the roster"), "\(removed.stderr)")
        let again = try ws.run(["people", "add", "ravi", "--name", "Ravi Again"], as: "admin", at: "2026-05-08T09:00:00Z")
        #expect(again.status == 1 && again.stderr.contains("ids are never reused"), "\(again.stderr)")
        try ws.ok(["verify", "--all"])
    }

    @Test("an unsigned act, and an act that names no roster state after the roster began, are flagged")
    func unsignedAndUnreferenced() throws {
        let ws = try Self.office("hria-roster-unsigned")
        defer { ws.cleanUp() }
        try ws.ok(["new", "acme", "--workflow", "partnership-hria", "--partner", "Acme"], as: "ana", at: Self.at)
        let lines = try ws.logLines("acme")
        let first = try EventLine.decode(lines[0])
        let comment = EventDraft(actor: "ana", stage: "intake", time: try #require(Timestamp.parse("2026-05-04T10:00:00Z")),
                                 payload: .commentAdded(CommentAdded(text: "unsigned", roles: ["requester"])), roster: first.roster)
        try ws.writeLog(lines: lines + [try Self.line(comment, seq: 1, after: lines[0], signer: nil)], id: "acme")
        try ws.expectTamper("acme", kind: "signature", firstBadEvent: 1)
        var legacy = comment
        legacy.roster = nil
        try ws.writeLog(lines: lines + [try Self.line(legacy, seq: 1, after: lines[0], signer: try Self.privateKey(ws, "ana"))], id: "acme")
        try ws.expectTamper("acme", kind: "roster", firstBadEvent: 1)
    }

    @Test("a workspace from before the roster imports its people once; its old events keep verifying; later acts name the roster")
    func importLegacy() throws {
        let ws = try TestWorkspace.initialised("hria-roster-import", legacy: true)
        defer { ws.cleanUp() }
        try ws.ok(["new", "old", "--workflow", "partnership-hria", "--partner", "Old Co"], as: "ana", at: "2020-01-01T09:00:00Z")
        let before = try ws.logBytes("old")
        // The first admin is someone hria.yaml does not list, with a key of their own.
        let refused = try ws.run(["people", "import", "--as", "office-admin"], at: "2020-02-01T09:00:00Z")
        #expect(refused.status == 2 && refused.stderr.contains("--name"), "\(refused.stderr)")
        _ = try ws.makeKey("office-admin")
        let imported = try ws.run(["people", "import", "--as", "office-admin", "--name", "Office Admin"], at: "2020-02-01T09:00:00Z")
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("recorded roster #0: office-admin added office-admin"), "\(imported.stdout)")
        #expect(imported.stdout.contains("stopped requiring signatures"), "hria.yaml said require_signatures: false: \(imported.stdout)")
        let again = try ws.run(["people", "import"], as: "office-admin", at: "2020-02-01T09:00:00Z")
        #expect(again.status == 2 && again.stderr.contains("nothing to import"), "\(again.stderr)")
        // The old log keeps its bytes and verifies; the next act names the roster.
        #expect(try ws.logBytes("old") == before)
        try ws.expectVerifies("old")
        try ws.ok(["comment", "old", "after the import"], as: "ana", at: "2020-02-02T09:00:00Z")
        let last = try #require(try ws.events("old").last)
        #expect(last["roster"] as? Int != nil && last["v"] as? Int == 2, "\(last)")
        try ws.expectVerifies("old")
        // hria.yaml's people block is no longer read: giving kofi a role there gives him nothing.
        try ws.editConfiguration { $0.replacingOccurrences(of: "roles: [hr_lead]", with: "roles: [hr_lead, approver]") }
        #expect(try ws.ok(["people", "show", "kofi"]).stdout.contains("roles: hr_lead\n"))
    }

    @Test("a public bundle carries the roster; an outside auditor checks who was entitled to act; a forged roster fails")
    func bundleCarriesRoster() throws {
        let ws = try Self.office("hria-roster-bundle")
        defer { ws.cleanUp() }
        try ws.ok(["new", "acme", "--workflow", "partnership-hria", "--partner", "Acme"], as: "ana", at: Self.at)
        let bundle = ws.parent.appendingPathComponent("bundle")
        try ws.ok(["export", "acme", "--public", bundle.path], at: Self.at)
        let log = String(decoding: try ws.bytes(bundle.appendingPathComponent("roster/log.jsonl")), as: UTF8.self)
        #expect(!log.contains("Ana Ruiz"), "an unpublished name left the workspace")
        #expect(!FileManager.default.fileExists(atPath: bundle.appendingPathComponent("roster/private").path))
        let key = try ws.logKey
        let checked = try HRIA.run(["verify", "--bundle", bundle.path, "--key", key], in: ws.parent)
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
        var lines = try ws.bytes(bundle.appendingPathComponent("roster/log.jsonl")).split(separator: 0x0A).map(Array.init)
        lines[1] = lines[1].replacingFirst("requester", with: "approver")
        try ws.replace(bundle.appendingPathComponent("roster/log.jsonl"), with: lines.flatMap { $0 + [0x0A] })
        let forged = try HRIA.run(["verify", "--bundle", bundle.path, "--key", key], in: ws.parent)
        #expect(forged.status == 3 && forged.stdout.contains("the bundle's roster does not verify"), "\(forged.stdout)")
    }

    @Test("after a whole flow, no private key material is anywhere under the workspace")
    func noPrivateKeysInWorkspace() throws {
        let ws = try Self.office("hria-roster-nokeys")
        defer { ws.cleanUp() }
        try ws.ok(["new", "acme", "--workflow", "partnership-hria", "--partner", "Acme"], as: "ana", at: Self.at)
        try ws.ok(["comment", "acme", "hello"], as: "kofi", at: Self.at)
        let privateKeys = try ["admin", "ana", "ravi", "kofi"].map { try Self.privateKey(ws, $0).openSSH }
        let enumerator = FileManager.default.enumerator(atPath: ws.root.path)
        var scanned = 0
        while let name = enumerator?.nextObject() as? String {
            guard let data = FileManager.default.contents(atPath: ws.root.appendingPathComponent(name).path) else { continue }
            scanned += 1
            let text = String(decoding: data, as: UTF8.self)
            #expect(!text.contains("PRIVATE KEY"), "\(name) holds a private key")
            for key in privateKeys {
                // The base64 body of each person's private key file, line by line.
                for line in key.split(separator: "\n") where !line.hasPrefix("-----") { #expect(!text.contains(line), "\(name)") }
            }
        }
        #expect(scanned > 10)
    }
}

/// What the review of the roster found, each reproduced.
@Suite("The roster: the writer never builds what verify rejects")
struct RosterFailClosedTests {
    @Test("init refuses a --key whose private half the admin does not hold, and leaves nothing behind")
    func initKeyNotHeld() throws {
        let parent = try HRIA.temporaryDirectory("hria-roster-initkey")
        defer { HRIA.cleanUp(parent) }
        let ws = TestWorkspace(parent: parent, root: parent.appendingPathComponent("ws"), assessmentID: nil)
        let stranger = SSHPrivateKey(comment: "someone else").publicKey.authorizedKey
        let result = try ws.run(["init", ws.root.path, "--admin", "admin", "--name", "Ada", "--key", stranger], in: parent)
        #expect(result.status == 2 && result.stderr.contains("cannot sign with the key given"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: ws.root.appendingPathComponent("hria.yaml").path))
        // Without --key, the admin's own key (made now) signs, and init can be run.
        try ws.ok(["init", ws.root.path, "--admin", "admin", "--name", "Ada"], in: parent)
    }

    @Test("a roster change dated before an act decided against the roster as it stands is refused")
    func rosterChangeBeforeAnAct() throws {
        let ws = try RosterTests.office("hria-roster-backdate")
        defer { ws.cleanUp() }
        try ws.ok(["new", "acme", "--workflow", "partnership-hria", "--partner", "Acme"], as: "ana", at: "2026-05-10T09:00:00Z")
        let before = try ws.bytes(ws.root.appendingPathComponent("roster/log.jsonl"))
        let refused = try ws.run(["people", "grant", "kofi", "approver", "--reason", "late"], as: "admin", at: "2026-05-09T09:00:00Z")
        #expect(refused.status == 1 && refused.stderr.contains("check the clock"), "\(refused.stderr)")
        #expect(try ws.bytes(ws.root.appendingPathComponent("roster/log.jsonl")) == before)
        try ws.admin(["grant", "kofi", "approver", "--reason", "covers the decision"], at: "2026-05-10T09:00:00Z")
        try ws.ok(["verify", "--all"])
    }

    @Test("a roster cut back below a state an act names: status, the writer and verify all refuse, though the roster alone verifies")
    func rosterCutBack() throws {
        let ws = try RosterTests.office("hria-roster-cut")
        defer { ws.cleanUp() }
        try ws.ok(["new", "acme", "--workflow", "partnership-hria", "--partner", "Acme"], as: "ana", at: "2026-05-10T09:00:00Z")
        try ws.admin(["grant", "kofi", "requester", "--reason", "covers for ana"], at: "2026-05-11T09:00:00Z")
        try ws.ok(["comment", "acme", "under roster state 5"], as: "kofi", at: "2026-05-12T09:00:00Z")
        try ws.ok(["status", "acme"])
        // Cut the roster back to its first four events, checkpoints included: what someone without any key can do.
        let roster = ws.root.appendingPathComponent("roster")
        let lines = try ws.bytes(roster.appendingPathComponent("log.jsonl")).split(separator: 0x0A).map(Array.init)
        try ws.replace(roster.appendingPathComponent("log.jsonl"), with: lines.prefix(4).flatMap { $0 + [0x0A] })
        try FileManager.default.removeItem(at: roster.appendingPathComponent("checkpoints/5"))
        try ws.replace(roster.appendingPathComponent("checkpoint"), with: try ws.bytes(roster.appendingPathComponent("checkpoints/4")))
        try ws.ok(["verify", "--roster"])
        let status = try ws.run(["status", "acme"])
        #expect(status.status == 3, "status built on acts the roster no longer vouches for: \(status.stdout)\(status.stderr)")
        let comment = try ws.run(["comment", "acme", "more"], as: "ana", at: "2026-05-13T09:00:00Z")
        #expect(comment.status == 3, "\(comment.stderr)")
        try ws.expectTamper("acme", kind: "roster", firstBadEvent: 1)
        let listed = try ws.run(["list"])
        #expect(listed.status == 3, "\(listed.stdout)\(listed.stderr)")
    }

    @Test("the roster's checkpoint is printed for publication, and verify --roster --against checks the roster against it")
    func rosterCheckpoint() throws {
        let ws = try RosterTests.office("hria-roster-checkpoint")
        defer { ws.cleanUp() }
        let printed = try ws.ok(["checkpoint", "--roster"]).stdout
        #expect(printed.hasPrefix("roster.example/hria/_roster\n4\n"), "\(printed)")
        let saved = try ws.outside("published").appendingPathComponent("roster-checkpoint")
        try printed.write(to: saved, atomically: true, encoding: .utf8)
        try ws.admin(["grant", "kofi", "approver", "--reason", "covers the decision"])
        try ws.ok(["verify", "--roster", "--against", saved.path])
        // A roster cut back below the published checkpoint fails against it.
        let log = ws.root.appendingPathComponent("roster/log.jsonl")
        let lines = try ws.bytes(log).split(separator: 0x0A).map(Array.init)
        try ws.replace(log, with: lines.prefix(3).flatMap { $0 + [0x0A] })
        #expect(try ws.run(["verify", "--roster", "--against", saved.path]).status == 3)
    }
}
