import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HRIAKit
import HRIAServer
import Testing

/// Changing the roster (`hria people …`) and moving an assessment to another workflow (`hria migrate`) through
/// `hria serve`: each prints and exits as on the workspace, every roster line is signed on the person's machine, and
/// the server decides with the same rules, records only what verifies, and reads the change at the next request.
@Suite("hria serve: the roster and migrations through the server")
struct ServerRosterTests {
    /// The fixture served as ServerAPITests serves it (ana's and amina's keys on the roster, none held by the
    /// server), with two later versions of its workflow in workflows/: one that needs more (demo-v2), one that renames
    /// the stage the assessment is in (demo-v3); and a twin copy of it, acted on locally, to compare with.
    static func servingWithTwin(_ name: String) throws -> (ws: TestWorkspace, server: RunningServer, twin: TestWorkspace) {
        let (ws, server) = try ServerAPITests.serving(name)
        let more = AuditFixture.workflow.replacingOccurrences(of: "version: 1", with: "version: 2")
            .replacingOccurrences(of: "      - { id: talks, type: consultation }\n",
                                  with: "      - { id: talks, type: consultation }\n      - { id: summary, type: document }\n")
        let renamed = AuditFixture.workflow.replacingOccurrences(of: "version: 1", with: "version: 3")
            .replacingOccurrences(of: "intake", with: "gathering")
        try more.write(to: ws.root.appendingPathComponent("workflows/demo-v2.yaml"), atomically: true, encoding: .utf8)
        try renamed.write(to: ws.root.appendingPathComponent("workflows/demo-v3.yaml"), atomically: true, encoding: .utf8)
        let twinParent = try HRIA.temporaryDirectory(name + "-twin")
        let twin = TestWorkspace(parent: twinParent, root: twinParent.appendingPathComponent("ws"), assessmentID: AuditFixture.id)
        try Files.copyTree(ws.root, to: twin.root)
        return (ws, server, twin)
    }

    /// The people's keys, copied to the twin once every key a test needs was made.
    static func shareKeys(_ ws: TestWorkspace, _ twin: TestWorkspace) throws {
        let twinKeys = twin.parent.appendingPathComponent("config")
        try? FileManager.default.removeItem(at: twinKeys)
        try Files.copyTree(ws.parent.appendingPathComponent("config"), to: twinKeys)
    }

    /// Runs each step through the server and on the twin, and expects the same exit status, standard output (but for
    /// times) and standard error. What each said through the server, as "STATUS STDOUT STDERR".
    static func same(_ ws: TestWorkspace, _ server: RunningServer, _ twin: TestWorkspace, _ steps: [(String, [String])],
                     sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> [String] {
        var outputs: [String] = []
        for (person, step) in steps {
            let through = try ServerAPITests.remote(ws, server, step, as: person)
            let local = try twin.run(step, as: person)
            outputs.append("\(through.status) \(through.stdout)\(through.stderr)")
            let what = "hria \(step.joined(separator: " ")) --as \(person)"
            #expect(through.status == local.status, "\(what): exit \(through.status) through the server, \(local.status) here\n\(through.stderr)\n\(local.stderr)",
                    sourceLocation: sourceLocation)
            #expect(ServerAPITests.timeless(through.stdout) == ServerAPITests.timeless(local.stdout),
                    "\(what): standard output differs\n--- through the server\n\(through.stdout)\n--- here\n\(local.stdout)", sourceLocation: sourceLocation)
            #expect(through.stderr == local.stderr, "\(what): standard error differs\n--- through the server\n\(through.stderr)\n--- here\n\(local.stderr)",
                    sourceLocation: sourceLocation)
        }
        return outputs
    }

    static func rosterLog(_ ws: TestWorkspace) throws -> Data {
        try Data(contentsOf: ws.root.appendingPathComponent("roster/log.jsonl"))
    }

    @Test("people add, grant, revoke, key, remove, require-signatures and import through the server print and exit as locally")
    func peopleSameAsLocal() throws {
        let (ws, server, twin) = try Self.servingWithTwin("hria-roster-same")
        defer { _ = server.stop(SIGKILL); ws.cleanUp(); twin.cleanUp() }
        let kofi = try ws.makeKey("kofi"), kofiAgain = try ws.makeKey("kofi-laptop"), aminaAgain = try ws.makeKey("amina-laptop")
        try Self.shareKeys(ws, twin)
        // Someone hria.yaml lists who is not on the roster yet, for the import to bring in.
        for copy in [ws, twin] {
            try copy.editConfiguration { $0 + "  zoe: { name: \"Zoe Park\", roles: [assessor] }\n" }
        }

        let steps: [(String, [String])] = [
            ("admin", ["people", "add", "kwame", "--name", "Kwame Asante", "--title", "Auditor", "--role", "hr_lead", "--role", "auditor", "--key", kofi]),
            ("admin", ["people", "add", "kwame", "--name", "Kwame Again"]),
            ("admin", ["people", "add", "Bad Id", "--name", "X"]),
            ("admin", ["people", "grant", "kwame", "assessor", "--reason", "helps with the talks"]),
            ("admin", ["people", "grant", "kwame", "reviewer", "--reason", "a role no workflow declares"]),
            ("admin", ["people", "grant", "nobody", "assessor", "--reason", "not on the roster"]),
            ("admin", ["people", "revoke", "kwame", "auditor", "--reason", "a typo"]),
            ("admin", ["people", "revoke", "kwame", "auditor", "--reason", "again"]),
            ("admin", ["people", "key", "kwame", kofiAgain, "--reason", "a new laptop"]),
            ("admin", ["people", "key", "kwame", "not-a-key"]),
            ("admin", ["people", "remove", "kwame", "--reason", "left the team"]),
            ("admin", ["people", "remove", "admin", "--reason", "the last admin"]),
            ("admin", ["people", "require-signatures", "off", "--reason", "a pilot without keys"]),
            ("admin", ["people", "require-signatures", "off", "--reason", "again"]),
            ("admin", ["people", "require-signatures", "on", "--reason", "everyone has a key"]),
            ("admin", ["people", "import", "--publish-names"]),
            ("admin", ["people", "import"]),
            // Not an admin: refused, as on the workspace.
            ("amina", ["people", "grant", "amina", "hr_lead", "--reason", "promoting myself"]),
            ("amina", ["people", "remove", "ana", "--reason", "no"]),
            // A person sets their own key, signed with the key they held until then.
            ("amina", ["people", "key", "amina", aminaAgain]),
        ]
        let outputs = try Self.same(ws, server, twin, steps)
        // What each step said, so that the equality above is not that of two failures.
        #expect(outputs[0].hasPrefix("0 recorded roster #") && outputs[0].contains("admin added kwame"), "\(outputs[0])")
        #expect(outputs[0].hasSuffix("hria: note: no workflow in workflows/ declares the role auditor\n"), "\(outputs[0])")
        #expect(outputs[1].hasPrefix("1 hria: ") && outputs[1].contains("kwame is already on the roster"), "\(outputs[1])")
        #expect(outputs[2].hasPrefix("1 hria: ") || outputs[2].hasPrefix("2 hria: "), "\(outputs[2])")
        #expect(outputs[3].hasPrefix("0 recorded roster #"), "\(outputs[3])")
        #expect(outputs[4].contains("declares the role reviewer"), "\(outputs[4])")
        #expect(outputs[5].hasPrefix("1 hria: ") && outputs[5].contains("nobody is not on the roster"), "\(outputs[5])")
        #expect(outputs[7].hasPrefix("1 hria: ") && outputs[7].contains("does not hold auditor"), "\(outputs[7])")
        #expect(outputs[8].hasPrefix("0 recorded roster #"), "\(outputs[8])")
        #expect(outputs[9].hasPrefix("2 hria: \"not-a-key\" is neither"), "\(outputs[9])")
        #expect(outputs[11].hasPrefix("1 hria: "), "\(outputs[11])")
        #expect(outputs[13].hasPrefix("1 hria: ") && outputs[13].contains("already not required"), "\(outputs[13])")
        #expect(outputs[15].hasPrefix("0 recorded roster #") && outputs[15].contains("admin added zoe")
                && outputs[15].hasSuffix("imported; hria.yaml's people: block is no longer read: remove it\n"), "\(outputs[15])")
        #expect(outputs[16].hasPrefix("2 hria: nothing to import"), "\(outputs[16])")
        #expect(outputs[17].hasPrefix("1 hria: ") && outputs[17].contains("amina cannot change the roster"), "\(outputs[17])")
        #expect(outputs[18].hasPrefix("1 hria: "), "\(outputs[18])")
        #expect(outputs[19].hasPrefix("0 recorded roster #") && outputs[19].contains("amina"), "\(outputs[19])")

        // The same roster, event for event; every change signed by its maker; both verify.
        let remote = try Self.rosterEvents(ws), local = try Self.rosterEvents(twin)
        #expect(remote.count == local.count)
        for (a, b) in zip(remote, local) {
            #expect(a["type"] as? String == b["type"] as? String && a["actor"] as? String == b["actor"] as? String, "\(a) \(b)")
            #expect(a["sig"] is String, "\(a)")
        }
        #expect(try ws.ok(["people", "list", "--json"]).stdout == twin.ok(["people", "list", "--json"]).stdout)
        try ws.ok(["verify", "--roster"])
        try ws.ok(["verify", "demo"])
        // No personal key was ever written where the server runs.
        #expect(Files.all(under: ws.parent.appendingPathComponent("server-home")).isEmpty)
    }

    static func rosterEvents(_ ws: TestWorkspace) throws -> [[String: Any]] {
        try String(decoding: rosterLog(ws), as: UTF8.self).split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    @Test("someone who is not an admin is refused (exit 1) and nothing is recorded; the server holds to the roster's rules")
    func nonAdminRefused() throws {
        let (ws, server) = try ServerAPITests.serving("hria-roster-refused")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        let before = try Self.rosterLog(ws)
        for step in [["people", "grant", "ana", "admin", "--reason", "me"], ["people", "require-signatures", "off", "--reason", "easier"],
                     ["people", "add", "eve", "--name", "Eve"], ["people", "remove", "admin", "--reason", "coup"]] {
            let refused = try ServerAPITests.remote(ws, server, step, as: "ana")
            #expect(refused.status == 1, "\(step): \(refused.status) \(refused.stderr)")
            #expect(refused.stdout.isEmpty && refused.stderr.contains("ana cannot change the roster"), "\(step): \(refused.stderr)")
        }
        // Not even by sending what the command line would not: an admin's line, signed by ana, is never recorded.
        let ana = try ServerAPITests.key(ws, "ana")
        let asked = try ServerAPITests.signed(server, "POST", "/api/v1/roster/prepare", body: #"{"command":"grant","id":"ana","role":"admin","reason":"x"}"#,
                                              as: "ana", key: ana)
        #expect(asked.status == 409 && asked.json["exit_code"] as? Int == 1, "\(asked.text)")
        #expect(try Self.rosterLog(ws) == before)
        try ws.ok(["verify", "--roster"])
    }

    @Test("a roster change is read by the very next request: a person added with a key acts at once, and once removed is turned away")
    func nextRequestSeesTheChange() throws {
        let (ws, server) = try ServerAPITests.serving("hria-roster-next")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        let key = try ws.makeKey("zoe")
        // Not on the roster yet: her signed request is refused (401), and the command line says why as a workspace
        // says it, from the roster the server publishes.
        let early = try ServerAPITests.remote(ws, server, ["comment", "demo", "too early"], as: "zoe")
        #expect(early.status == 2 && early.stderr.hasPrefix("hria: unknown person \"zoe\": not on the roster\n"), "\(early.stderr)")
        let added = try ServerAPITests.remote(ws, server, ["people", "add", "zoe", "--name", "Zoe Park", "--role", "requester", "--key", key], as: "admin")
        #expect(added.status == 0, "\(added.stderr)")
        let comment = try ServerAPITests.remote(ws, server, ["comment", "demo", "from the new requester"], as: "zoe")
        #expect(comment.status == 0 && comment.stdout.hasPrefix("recorded #"), "\(comment.stdout)\(comment.stderr)")
        // A role granted is on the roster the next request reads.
        let grant = try ServerAPITests.remote(ws, server, ["people", "grant", "zoe", "hr_lead", "--reason", "reviews too"], as: "admin")
        #expect(grant.status == 0, "\(grant.stderr)")
        let listed = try ServerAPITests.remote(ws, server, ["people", "list", "--json"], as: "zoe")
        #expect(listed.status == 0 && listed.stdout.contains("hr_lead"), "\(listed.stdout)")
        let removed = try ServerAPITests.remote(ws, server, ["people", "remove", "zoe", "--reason", "left"], as: "admin")
        #expect(removed.status == 0, "\(removed.stderr)")
        let late = try ServerAPITests.remote(ws, server, ["comment", "demo", "too late"], as: "zoe")
        #expect(late.status == 2 && late.stderr.hasPrefix("hria: zoe was removed from the roster (event #"), "\(late.stderr)")
        let events = try ws.events("demo")
        #expect(events.last?["actor"] as? String == "zoe" && events.last?["sig"] is String)
        try ws.ok(["verify", "demo"])
        try ws.ok(["verify", "--roster"])
    }

    @Test("roster commits: idempotent retries, a lost answer recognised by content, stale after another change, others' drafts and bad signatures refused")
    func rosterCommits() throws {
        let (ws, server) = try ServerAPITests.serving("hria-roster-commits")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        let admin = try ServerAPITests.key(ws, "admin"), ana = try ServerAPITests.key(ws, "ana")
        func prepare(_ body: String) throws -> ServiceWire.Prepared {
            let reply = try ServerAPITests.signed(server, "POST", "/api/v1/roster/prepare", body: body, as: "admin", key: admin)
            try #require(reply.status == 200, "\(reply.text)")
            return try ServiceWire.Prepared(try JSONParser.parse(Array(reply.body)))
        }
        let before = try Self.rosterEvents(ws).count
        let granting = try prepare(#"{"command":"grant","id":"amina","role":"hr_lead","reason":"reviews"}"#)
        #expect(granting.signaturesRequired && granting.lines.count == 1 && granting.size == before)
        let body = try ServerAPITests.commitBody(granting, try ServerAPITests.sign(granting, with: ws, as: "admin"))
        let first = try ServerAPITests.signed(server, "POST", "/api/v1/roster/commit", body: body, as: "admin", key: admin, idempotency: "k1")
        #expect(first.status == 201, "\(first.text)")
        let again = try ServerAPITests.signed(server, "POST", "/api/v1/roster/commit", body: body, as: "admin", key: admin, idempotency: "k1")
        #expect(again.status == 201 && again.body == first.body, "\(again.text)")
        // Another key, as after a restart: the draft is gone, but the signed line is in the roster, so it is recognised.
        let recognised = try ServerAPITests.signed(server, "POST", "/api/v1/roster/commit", body: body, as: "admin", key: admin, idempotency: "k2")
        #expect(recognised.status == 200 && recognised.json["events"] as? [String] == first.json["events"] as? [String], "\(recognised.text)")
        #expect(try Self.rosterEvents(ws).count == before + 1)

        // Prepared, then the roster moves (a change on the workspace itself): stale, and nothing of it is recorded.
        let stale = try prepare(#"{"command":"grant","id":"ana","role":"assessor","reason":"helps"}"#)
        try ws.admin(["grant", "amina", "requester", "--reason", "runs one too"])
        let refused = try ServerAPITests.signed(server, "POST", "/api/v1/roster/commit",
                                                body: try ServerAPITests.commitBody(stale, try ServerAPITests.sign(stale, with: ws, as: "admin")),
                                                as: "admin", key: admin)
        #expect(refused.status == 409 && refused.json["type"] as? String == "urn:hria:problem:stale", "\(refused.text)")
        #expect(try Self.rosterEvents(ws).count == before + 2)

        // Another person's commit of the admin's draft is forbidden and leaves it alone; a line signed by someone else
        // is refused (422); the admin's own signature then records it.
        let pending = try prepare(#"{"command":"grant","id":"ana","role":"assessor","reason":"helps"}"#)
        let crossed = try ServerAPITests.signed(server, "POST", "/api/v1/roster/commit",
                                                body: try ServerAPITests.commitBody(pending, try ServerAPITests.sign(pending, with: ws, as: "ana")),
                                                as: "ana", key: ana)
        #expect(crossed.status == 403, "\(crossed.text)")
        let forged = try ServerAPITests.signed(server, "POST", "/api/v1/roster/commit",
                                               body: try ServerAPITests.commitBody(pending, try ServerAPITests.sign(pending, with: ws, as: "ana")),
                                               as: "admin", key: admin)
        #expect(forged.status == 422 && forged.text.contains("does not verify with the key the roster lists for admin"), "\(forged.text)")
        // The refused commit dropped the draft: preparing again and signing properly records it.
        let retried = try prepare(#"{"command":"grant","id":"ana","role":"assessor","reason":"helps"}"#)
        // A roster draft is not an assessment's to commit.
        let misplaced = try ServerAPITests.signed(server, "POST", "/api/v1/assessments/demo/commit",
                                                  body: try ServerAPITests.commitBody(retried, try ServerAPITests.sign(retried, with: ws, as: "admin")),
                                                  as: "admin", key: admin)
        #expect(misplaced.status == 400, "\(misplaced.text)")
        let recorded = try ServerAPITests.signed(server, "POST", "/api/v1/roster/commit",
                                                 body: try ServerAPITests.commitBody(retried, try ServerAPITests.sign(retried, with: ws, as: "admin")),
                                                 as: "admin", key: admin)
        #expect(recorded.status == 201, "\(recorded.text)")
        #expect(try Self.rosterEvents(ws).count == before + 3)
        try ws.ok(["verify", "--roster"])
    }

    @Test("an import through the server starts the roster of a workspace made before it, signed by the first admin's own key")
    func importStartsTheRoster() throws {
        let ws = try TestWorkspace.initialised("hria-roster-start", legacy: true)
        defer { ws.cleanUp() }
        // The first admin as hria.yaml lists them, with the key that signs their requests and the roster's first event.
        let key = try String(contentsOf: ws.parent.appendingPathComponent("config/hria/keys/admin.pub"), encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
        try ws.editConfiguration { $0 + "  admin: { name: \"Test Admin\", roles: [requester], key: \"\(key)\" }\n" }
        let twinParent = try HRIA.temporaryDirectory("hria-roster-start-twin")
        let twin = TestWorkspace(parent: twinParent, root: twinParent.appendingPathComponent("ws"), assessmentID: nil)
        defer { twin.cleanUp() }
        try Files.copyTree(ws.root, to: twin.root)
        try Self.shareKeys(ws, twin)
        let serverHome = ws.parent.appendingPathComponent("server-home")
        try FileManager.default.createDirectory(at: serverHome, withIntermediateDirectories: true)
        let server = try RunningServer(in: ws.root, environment: ["XDG_CONFIG_HOME": serverHome.path, "SSH_AUTH_SOCK": ""])
        defer { _ = server.stop(SIGKILL) }
        let outputs = try Self.same(ws, server, twin, [("admin", ["people", "import", "--publish-names"]), ("admin", ["people", "import"])])
        #expect(outputs[0].hasPrefix("0 recorded roster #0: admin added admin (Test Admin) as admin, requester"), "\(outputs[0])")
        #expect(outputs[1].hasPrefix("2 hria: nothing to import"), "\(outputs[1])")
        #expect(try Self.rosterLog(ws) != Data() && Self.rosterEvents(ws).count == Self.rosterEvents(twin).count)
        try ws.ok(["verify", "--roster"])
    }

    @Test("migrate through the server prints and exits as locally: refusals (not an admin, an unmapped stage), dry runs, the move, JSON")
    func migrateSameAsLocal() throws {
        let (ws, server, twin) = try Self.servingWithTwin("hria-roster-migrate")
        defer { _ = server.stop(SIGKILL); ws.cleanUp(); twin.cleanUp() }
        try Self.shareKeys(ws, twin)
        let steps: [(String, [String])] = [
            ("ana", ["migrate", "demo", "--to", "demo-v2", "--reason", "a summary is now required"]),
            ("admin", ["migrate", "demo", "--to", "demo-v3", "--reason", "renamed"]),
            ("admin", ["migrate", "dmeo", "--to", "demo-v2", "--reason", "typo"]),
            ("admin", ["migrate", "Bad_Id", "--to", "demo-v2", "--reason", "bad"]),
            ("admin", ["migrate", "demo", "--to", "demo-v9", "--reason", "no such version"]),
            ("admin", ["migrate", "demo", "--to", "demo-v2", "--reason", "a summary is now required", "--dry-run"]),
            ("admin", ["migrate", "demo", "--to", "demo-v2", "--reason", "a summary is now required", "--dry-run", "--json"]),
            ("admin", ["migrate", "demo", "--to", "demo-v2", "--reason", "a summary is now required"]),
            ("admin", ["migrate", "demo", "--to", "demo-v3", "--map", "intake=gathering", "--reason", "renamed", "--json"]),
            ("ana", ["status", "demo"]),
        ]
        let outputs = try Self.same(ws, server, twin, steps)
        #expect(outputs[0].hasPrefix("1 hria: ana cannot move an assessment"), "\(outputs[0])")
        #expect(outputs[1].hasPrefix("1 hria: ") && outputs[1].contains("  help: map each stage the new version renames or removes with --map OLD=NEW"),
                "\(outputs[1])")
        #expect(outputs[2] == "2 hria: unknown assessment \"dmeo\"\n  help: did you mean \"demo\"?\n", "\(outputs[2])")
        #expect(outputs[3].hasPrefix("2 hria: \"Bad_Id\" is not a valid assessment id"), "\(outputs[3])")
        #expect(outputs[4].hasPrefix("2 hria: unknown workflow \"demo-v9\""), "\(outputs[4])")
        #expect(outputs[5].hasPrefix("0 would move demo from demo version 1 to version 2 (nothing recorded: --dry-run)"), "\(outputs[5])")
        #expect(outputs[6].hasPrefix("0 {") && outputs[6].contains("\"dry_run\": true"), "\(outputs[6])")
        #expect(outputs[7].hasPrefix("0 recorded #\(AuditFixture.eventCount): demo moved from demo version 1 to version 2"), "\(outputs[7])")
        #expect(outputs[8].hasPrefix("0 {") && outputs[8].contains("\"recorded\": \(AuditFixture.eventCount + 1)"), "\(outputs[8])")

        // Both workflows kept, the move signed by the admin who made it; the record verifies.
        let sha = try #require(try ws.events("demo").last?["data"] as? [String: Any])
        let to = try #require(sha["to"] as? [String: Any])["sha256"] as? String
        #expect(FileManager.default.fileExists(atPath: ws.root.appendingPathComponent("assessments/demo/workflows/\(to ?? "-").yaml").path))
        for event in try ws.events("demo").suffix(2) {
            #expect(event["type"] as? String == "workflow.migrated" && event["actor"] as? String == "admin" && event["sig"] is String, "\(event)")
        }
        try ws.ok(["verify", "demo"])
        // A path is read on the workspace only: a server never reads a file a request names.
        let path = try ServerAPITests.remote(ws, server, ["migrate", "demo", "--to", "workflows/demo-v2.yaml", "--reason", "x"], as: "admin")
        #expect(path.status == 2 && path.stderr.hasPrefix("hria: through a server, --to names one of the workspace's workflows"), "\(path.stderr)")
    }
}
