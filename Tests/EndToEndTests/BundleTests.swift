import Foundation
import HRIAKit
import Testing

// Public bundles (`hria export ID --public DIR`, `hria verify --bundle DIR`), erasure (`hria erase`), and the
// portfolio (`hria list` filters and sorting, `hria report --portfolio`).

@Suite("Bundles, erasure and the portfolio")
struct BundleTests {
    static let id = Hearing.id

    /// A fixture copy with its public bundle exported next to the workspace, and a folder outside any workspace.
    static func exported(_ name: String, mode: TestWorkspace.Mode = .local) throws -> (ws: TestWorkspace, bundle: URL, auditor: URL) {
        let ws = try Hearing.copy(name, mode: mode)
        let bundle = ws.parent.appendingPathComponent("bundle")
        let result = try ws.ok(["export", id, "--public", bundle.path], at: Hearing.reportTime)
        #expect(result.stdout.contains("wrote a public bundle of \(id)"), "\(result.stdout)")
        #expect(result.stdout.contains("hria verify --bundle \(bundle.path) --key \"\(try ws.logKey)\""), "\(result.stdout)")
        return (ws, bundle, try ws.outside("auditor"))
    }

    // MARK: Export and verify --bundle

    @Test("a bundle verifies with no workspace and gives the same root as the workspace; a wrong key fails")
    func bundleVerifiesOutsideTheWorkspace() throws {
        let (ws, bundle, auditor) = try Self.exported("hria-bundle-verify")
        defer { ws.cleanUp() }
        let root = try ws.verifiedRoot(Self.id)
        let workspaceText = try ws.ok(["verify", Self.id]).stdout
        #expect(TestWorkspace.root(ofVerifyText: workspaceText) == root)

        // The auditor's folder is outside any workspace.
        let lost = try ws.run(["status", Self.id], in: auditor)
        #expect(lost.status == 2 && lost.stderr.contains("no workspace here"), "\(lost.stderr)")

        let text = try ws.ok(["verify", "--bundle", bundle.path], in: auditor)
        #expect(text.stdout.hasPrefix("\(Self.id): verified"), "\(text.stdout)")
        #expect(TestWorkspace.root(ofVerifyText: text.stdout) == root, "bundle: \(text.stdout)\nworkspace: \(workspaceText)")
        #expect(text.stdout.contains("1 evidence file"), "\(text.stdout)")
        #expect(text.stdout.contains("note: checked with the key the bundle itself ships"), "\(text.stdout)")
        let relative = try ws.ok(["verify", "--bundle", "../bundle", "--json"], in: auditor)
        #expect(try TestWorkspace.root(ofVerifyJSON: relative.stdout) == root)

        // Pinned to the organisation's published key.
        let key = try ws.logKey
        let pinned = try ws.ok(["verify", "--bundle", bundle.path, "--key", key], in: auditor)
        #expect(TestWorkspace.root(ofVerifyText: pinned.stdout) == root, "\(pinned.stdout)")
        #expect(!pinned.stdout.contains("note:"), "nothing to note with the right key pinned: \(pinned.stdout)")
        let pinnedJSON = try ws.ok(["verify", "--bundle", bundle.path, "--key", key, "--json"], in: auditor)
        #expect(try TestWorkspace.root(ofVerifyJSON: pinnedJSON.stdout) == root)

        // Against a checkpoint published earlier: still consistent. Against one published after a later event,
        // the bundle is shown to be missing events.
        let early = Files.data(ws.assessment(Self.id).appendingPathComponent("checkpoints/3"))
        let published = auditor.appendingPathComponent("published-3")
        try early.write(to: published)
        try ws.ok(["verify", "--bundle", bundle.path, "--key", key, "--against", published.path], in: auditor)
        // (The assessment has ended; an erasure is the one thing that can still be recorded.)
        let erasable = try #require(try StoredDisclosure.all(in: ws.assessment(Self.id)).first { $0.value == Planted.statement2 })
        try ws.ok(["erase", Self.id, erasable.fileName, "--reason", "asked"], as: "amina", at: Hearing.reportTime)
        let later = auditor.appendingPathComponent("published-later")
        try Files.data(ws.assessment(Self.id).appendingPathComponent("checkpoint")).write(to: later)
        let stale = try ws.run(["verify", "--bundle", bundle.path, "--key", key, "--against", later.path], in: auditor)
        #expect(stale.status == 3, "a bundle older than a published checkpoint: exit \(stale.status)\n\(stale.stdout)\(stale.stderr)")

        // Another key, under the same name or another one: integrity failure.
        for other in [try NoteSigner.generate(name: Hearing.origin).verifierKey, try NoteSigner.generate(name: "other.example/hria").verifierKey] {
            let wrong = try ws.run(["verify", "--bundle", bundle.path, "--key", other], in: auditor)
            #expect(wrong.status == 3, "verify --bundle with the key \(other): exit \(wrong.status)\n\(wrong.stdout)\(wrong.stderr)")
            #expect(wrong.stdout.contains("\(Self.id): FAILED"), "\(wrong.stdout)")
        }
        // Not a key at all, or not a bundle: bad input.
        #expect(try ws.run(["verify", "--bundle", bundle.path, "--key", "not-a-key"], in: auditor).status == 2)
        #expect(try ws.run(["verify", "--bundle", auditor.path], in: auditor).status == 2)
        #expect(try ws.run(["verify", "--bundle", ws.parent.appendingPathComponent("nothing-here").path], in: auditor).status == 2)
    }

    @Test("a bundle holds the log, checkpoints, key, workflow, public report and evidence files, and nothing from private/")
    func bundleContents() throws {
        let (ws, bundle, _) = try Self.exported("hria-bundle-contents")
        defer { ws.cleanUp() }
        let folder = ws.assessment(Self.id)
        let minutes = Files.data(ws.root.appendingPathComponent("minutes.txt"))
        let sha = Digest.sha256Hex(minutes)
        let checkpoints = Files.all(under: folder.appendingPathComponent("checkpoints")).map { "checkpoints/\($0)" }
        // The roster's log and checkpoints travel with it, so an auditor can check who was entitled to act.
        let rosterCheckpoints = Files.all(under: ws.root.appendingPathComponent("roster/checkpoints")).map { "roster/checkpoints/\($0)" }
        // Each log also on the C2SP tlog-tiles layout at its latest checkpoint (fewer than 256 lines: one partial tile each).
        func tiles(_ prefix: String, _ log: URL) -> [String] {
            let size = Files.data(log).filter { $0 == 0x0A }.count
            return ["\(prefix)tile/0/000.p/\(size)", "\(prefix)tile/entries/000.p/\(size)"]
        }
        let files = Files.all(under: bundle)
        #expect(Set(files) == Set(["README.txt", "bundle.json", "checkpoint", "log.jsonl", "report.html", "report.md", "workflow.yaml",
                                   "evidence/sha256/\(sha)", "evidence/index.json", "roster/log.jsonl", "roster/checkpoint"] + checkpoints + rosterCheckpoints
                                  + tiles("", folder.appendingPathComponent("log.jsonl")) + tiles("roster/", ws.root.appendingPathComponent("roster/log.jsonl"))),
                "\(files)")
        #expect(try ws.bytes(bundle.appendingPathComponent("roster/log.jsonl")) == (try ws.bytes(ws.root.appendingPathComponent("roster/log.jsonl"))))
        #expect(!files.contains { $0.split(separator: "/").contains("private") || $0.contains(".hria") }, "\(files)")

        // Byte for byte what the workspace holds.
        for (inBundle, inWorkspace) in [("log.jsonl", "log.jsonl"), ("workflow.yaml", "workflow.yaml"), ("checkpoint", "checkpoint")]
            + checkpoints.map({ ($0, $0) }) {
            #expect(Files.data(bundle.appendingPathComponent(inBundle)) == Files.data(folder.appendingPathComponent(inWorkspace)),
                    "\(inBundle) differs from the workspace's")
        }
        #expect(Files.data(bundle.appendingPathComponent("evidence/sha256/\(sha)")) == minutes)

        // Nothing private: no file equals or contains a disclosure.
        let disclosures = try StoredDisclosure.all(in: folder)
        #expect(disclosures.count == 8)
        for file in files {
            let data = Files.data(bundle.appendingPathComponent(file))
            for disclosure in disclosures {
                #expect(data != Files.data(disclosure.file), "bundle/\(file) is a copy of private/disclosures/\(disclosure.fileName)")
                #expect(data.range(of: Data(disclosure.encoded.utf8)) == nil, "bundle/\(file) contains a disclosure")
            }
        }

        // The manifest names the assessment, the checkpoint origin and the verifier key.
        let manifest = try #require(try JSONSerialization.jsonObject(with: Files.data(bundle.appendingPathComponent("bundle.json"))) as? [String: Any])
        #expect(manifest["schema"] as? String == "hria.bundle/v1")
        #expect(manifest["id"] as? String == Self.id)
        #expect(manifest["origin"] as? String == "\(Hearing.origin)/\(Self.id)")
        #expect(manifest["log_key"] as? String == (try ws.logKey))
        #expect(Files.text(bundle.appendingPathComponent("README.txt")).contains("hria verify --bundle"))

        // The reports are the public ones, and the HTML passes the audit.
        for format in ["md", "html"] {
            let report = try ws.ok(["report", Self.id, "--public", "--format", format], at: Hearing.reportTime).stdout
            #expect(Files.text(bundle.appendingPathComponent("report.\(format)")) == report, "report.\(format) is the public report")
        }
        let problems = try HTMLAudit.problems(Files.text(bundle.appendingPathComponent("report.html")), svg: true)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        let leaks = LeakScanner.planted().find(in: Files.data(bundle.appendingPathComponent("report.html")))
            + LeakScanner.planted().find(in: Files.data(bundle.appendingPathComponent("report.md")))
        #expect(leaks.isEmpty, "\(leaks.joined(separator: "\n"))")
    }

    @Test("a tampered bundle fails verification", arguments: ["log line", "dropped last line", "evidence file", "workflow", "checkpoint",
                                                             "no checkpoints", "origin in bundle.json", "log key in bundle.json"])
    func tamperedBundle(change: String) throws {
        let (ws, bundle, auditor) = try Self.exported("hria-bundle-tamper")
        defer { ws.cleanUp() }
        func edit(_ file: String, _ transform: (String) -> String) throws {
            let url = bundle.appendingPathComponent(file)
            let before = Files.text(url)
            let after = transform(before)
            #expect(after != before, "the edit of \(file) changed nothing")
            try Data(after.utf8).write(to: url)
        }
        switch change {
        case "log line":
            try edit("log.jsonl") { $0.replacingOccurrences(of: "Village residents", with: "Village resident5") }
        case "dropped last line":
            try edit("log.jsonl") { text in
                var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                lines.removeLast(2)
                return lines.joined(separator: "\n") + "\n"
            }
        case "evidence file":
            let sha = Digest.sha256Hex(Files.data(ws.root.appendingPathComponent("minutes.txt")))
            try edit("evidence/sha256/\(sha)") { $0 + "and one private line\n" }
        case "workflow":
            try edit("workflow.yaml") { $0.replacingOccurrences(of: "min: 1", with: "min: 0") }
        case "checkpoint":
            try edit("checkpoint") { text in
                var lines = text.components(separatedBy: "\n")
                var root = Array(lines[2])
                root[0] = root[0] == "A" ? "B" : "A"
                lines[2] = String(root)
                return lines.joined(separator: "\n")
            }
        case "no checkpoints":
            try FileManager.default.removeItem(at: bundle.appendingPathComponent("checkpoint"))
            try FileManager.default.removeItem(at: bundle.appendingPathComponent("checkpoints"))
        case "origin in bundle.json":
            try edit("bundle.json") { $0.replacingOccurrences(of: "\(Hearing.origin)/\(Self.id)", with: "\(Hearing.origin)/other") }
        default:
            let other = try NoteSigner.generate(name: Hearing.origin).verifierKey
            try edit("bundle.json") { $0.replacingOccurrences(of: try! ws.logKey, with: other) }
            // Pinning the published key still verifies, and says the bundle names another key.
            let pinned = try ws.ok(["verify", "--bundle", bundle.path, "--key", try ws.logKey], in: auditor)
            #expect(pinned.stdout.contains("the bundle names a different log key"), "\(pinned.stdout)")
        }
        let result = try ws.run(["verify", "--bundle", bundle.path], in: auditor)
        #expect(result.status == 3, "\(change): exit \(result.status)\n\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("\(Self.id): FAILED"), "\(change): \(result.stdout)")
        let json = try ws.run(["verify", "--bundle", bundle.path, "--json"], in: auditor)
        #expect(json.status == 3)
        #expect((try? JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["ok"] as? Bool == false, "\(json.stdout)")
    }

    @Test("an assessment still open exports and verifies, and its report says no decision yet")
    func openAssessmentBundle() throws {
        let ws = try Hearing.open("hria-bundle-open")
        defer { ws.cleanUp() }
        for step in Hearing.steps[2...3] { try ws.ok(step.arguments, as: step.actor, at: step.now) }
        let bundle = ws.parent.appendingPathComponent("bundle")
        try ws.ok(["export", Self.id, "--public", bundle.path], at: Hearing.reportTime)
        let checked = try ws.ok(["verify", "--bundle", bundle.path, "--key", try ws.logKey], in: try ws.outside())
        #expect(TestWorkspace.root(ofVerifyText: checked.stdout) == (try ws.verifiedRoot(Self.id)))
        let markdown = Files.text(bundle.appendingPathComponent("report.md"))
        #expect(markdown.contains("No decision yet: the assessment is at stage `hearing`."), "\(markdown)")
        #expect(markdown.contains("| Current stage | hearing |"))
        let html = Files.text(bundle.appendingPathComponent("report.html"))
        let problems = try HTMLAudit.problems(html, svg: true)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        #expect(LeakScanner.planted().find(in: markdown + html).isEmpty)
    }

    @Test("export refuses a non-empty folder, an unknown id and a log that does not verify")
    func exportRefusals() throws {
        let ws = try Hearing.copy("hria-bundle-refusals")
        defer { ws.cleanUp() }
        let busy = try ws.outside("busy")
        try Data("keep me\n".utf8).write(to: busy.appendingPathComponent("keep.txt"))
        let refused = try ws.fails(2, ["export", Self.id, "--public", busy.path], at: Hearing.reportTime)
        #expect(refused.stderr.contains("not empty"), "\(refused.stderr)")
        #expect(refused.stdout.isEmpty)
        #expect(Files.all(under: busy) == ["keep.txt"] && Files.text(busy.appendingPathComponent("keep.txt")) == "keep me\n")

        // An existing empty folder, and a folder whose parents do not exist yet, are fine.
        let empty = try ws.outside("empty")
        try ws.ok(["export", Self.id, "--public", empty.path], at: Hearing.reportTime)
        #expect(Files.all(under: empty).contains("log.jsonl"))
        let deep = ws.parent.appendingPathComponent("a/b/bundle")
        try ws.ok(["export", Self.id, "--public", deep.path], at: Hearing.reportTime)
        try ws.ok(["verify", "--bundle", deep.path, "--key", try ws.logKey], in: try ws.outside())

        let unknown = ws.parent.appendingPathComponent("unknown")
        try ws.fails(2, ["export", "nosuch", "--public", unknown.path], at: Hearing.reportTime)
        try ws.fails(2, ["export", Self.id], at: Hearing.reportTime)
        #expect(!FileManager.default.fileExists(atPath: unknown.path))

        // A tampered workspace is not exported.
        let log = ws.assessment(Self.id).appendingPathComponent("log.jsonl")
        try Data(Files.text(log).replacingOccurrences(of: "Village residents", with: "Village resident5").utf8).write(to: log)
        let tampered = ws.parent.appendingPathComponent("tampered")
        try ws.fails(3, ["export", Self.id, "--public", tampered.path], at: Hearing.reportTime)
        #expect(Files.all(under: tampered).isEmpty, "nothing is written for a log that does not verify")
    }

    @Test("an entry bundle left out for a line too long for tlog-tiles is noted alike on the workspace and through a server",
          arguments: TestWorkspace.Mode.allCases)
    func tooLongLineNoted(mode: TestWorkspace.Mode) throws {
        let ws = try AuditFixture.copy("hria-bundle-long-line", mode: mode)
        defer { ws.cleanUp() }
        // Event 6, whose line is longer than the 65,535 bytes an entry bundle's uint16 length can say.
        try ws.ok(["comment", AuditFixture.id, String(repeating: "x", count: 70_000)], as: "ana", at: "2026-01-05T11:00:00Z")
        let bundle = ws.parent.appendingPathComponent("bundle")
        let exported = try ws.ok(["export", AuditFixture.id, "--public", bundle.path], at: "2026-01-05T11:01:00Z")
        #expect(exported.stderr == "hria: note: tile/entries/000.p/7 is left out: event 6 of demo is longer than a tlog-tiles entry bundle "
            + "can carry (65535 bytes); log.jsonl and the hash tiles hold it\n", "\(exported.stderr)")
        #expect(exported.stdout.hasPrefix("wrote a public bundle of demo to \(bundle.path) ("), "\(exported.stdout)")
        let files = Files.all(under: bundle)
        #expect(files.contains("tile/0/000.p/7") && !files.contains("tile/entries/000.p/7"), "\(files)")
        // Verifying the bundle says the same, for a reader who downloaded it from a server's public page.
        let verified = try ws.ok(["verify", "--bundle", bundle.path, "--key", try ws.logKey], in: try ws.outside())
        #expect(verified.stderr == exported.stderr, "\(verified.stderr)")
    }

    // MARK: Erasure

    @Test("erase deletes the plaintext for good, records disclosure.erased, still verifies, and works after the end")
    func eraseOneValue() throws {
        let ws = try Hearing.copy("hria-erase")
        defer { ws.cleanUp() }
        let folder = ws.assessment(Self.id)
        #expect(try ws.events(Self.id).last?.type == "decision.recorded", "the fixture assessment has ended")
        let statement = try #require(try StoredDisclosure.all(in: folder).first { $0.value == Planted.statement })
        let reason = "The speaker asked for the statement to be deleted"

        let erased = try ws.ok(["erase", Self.id, statement.fileName, "--reason", reason], as: "amina", at: Hearing.reportTime)
        #expect(erased.stdout.contains("recorded #\(Hearing.eventCount): erased the confidential value"), "\(erased.stdout)")
        #expect(!FileManager.default.fileExists(atPath: statement.file.path), "the disclosure file is deleted")
        let event = try #require(try ws.events(Self.id).last)
        #expect(event.type == "disclosure.erased" && event["seq"] as? Int == Hearing.eventCount)
        #expect(event.data.string("digest") == statement.fileName && event.data.string("reason") == reason && event["actor"] as? String == "amina")

        // The log still verifies, with one confidential value fewer.
        let verified = try ws.ok(["verify", Self.id])
        #expect(verified.stdout.contains("the workflow snapshot and 7 confidential values"), "\(verified.stdout)")
        #expect(try ws.ok(["log", Self.id]).stdout.contains("erased a confidential value (digest \(statement.fileName.prefix(12))…) — \(reason)"))

        // Reports show the field as erased, and the other values as they were.
        let markdown = try ws.ok(["report", Self.id, "--format", "md"], at: Hearing.reportTime).stdout
        let row = try #require(markdownRows(markdown).first { $0.contains(Hearing.consultations[0].group) && $0.count > 4 })
        #expect(row.last?.contains("statement: erased") == true, "\(row)")
        #expect(row.last?.contains(Planted.participant) == true, "\(row)")
        let html = try ws.ok(["report", Self.id, "--format", "html"], at: Hearing.reportTime).stdout
        #expect(html.contains("statement: erased"))
        #expect(try HTMLAudit.problems(html, svg: true).isEmpty)

        // Gone for good: no file anywhere in the workspace holds the value any more.
        for file in Files.all(under: ws.root) {
            let found = LeakScanner(needles: Planted.forms(Planted.statement).map { ("statement", Data($0.utf8)) })
                .find(in: Files.data(ws.root.appendingPathComponent(file)))
            #expect(found.isEmpty, "\(file) still holds the erased statement")
        }

        // A bundle exported after the erasure verifies with the workspace's new root.
        let bundle = ws.parent.appendingPathComponent("bundle")
        try ws.ok(["export", Self.id, "--public", bundle.path], at: Hearing.reportTime)
        let checked = try ws.ok(["verify", "--bundle", bundle.path, "--key", try ws.logKey], in: try ws.outside())
        #expect(TestWorkspace.root(ofVerifyText: checked.stdout) == (try ws.verifiedRoot(Self.id)))
    }

    @Test("erase refuses what it cannot or must not do, and writes nothing")
    func eraseRefusals() throws {
        let ws = try Hearing.copy("hria-erase-refusals")
        defer { ws.cleanUp() }
        let folder = ws.assessment(Self.id)
        let disclosures = try StoredDisclosure.all(in: folder)
        let statement = try #require(disclosures.first { $0.value == Planted.statement })
        try ws.ok(["erase", Self.id, statement.fileName, "--reason", "asked"], as: "amina", at: Hearing.reportTime)
        let log = Files.data(folder.appendingPathComponent("log.jsonl"))

        // A decoy: listed in _sd, but nothing is stored under it.
        let listed = try ws.events(Self.id).flatMap { $0["_sd"] as? [String] ?? [] }
        let decoy = try #require(listed.first { digest in !digest.hasPrefix("-") && !disclosures.contains { $0.fileName == digest } })
        let other = try #require(disclosures.first { $0.value != Planted.statement })
        let cases: [(what: String, arguments: [String], actor: String, status: Int32, message: String)] = [
            ("erasing again", ["erase", Self.id, statement.fileName, "--reason", "again"], "amina", 2, "already erased"),
            ("an unknown digest", ["erase", Self.id, String(repeating: "Q", count: 43), "--reason", "x"], "amina", 2, "no event of hearing lists"),
            ("a decoy", ["erase", Self.id, decoy, "--reason", "x"], "amina", 2, "no confidential value with digest"),
            ("a path", ["erase", Self.id, "../../../hria.yaml", "--reason", "x"], "amina", 2, "is not a disclosure digest"),
            ("an unknown assessment", ["erase", "nosuch", other.fileName, "--reason", "x"], "amina", 2, "nosuch"),
            ("an empty reason", ["erase", Self.id, other.fileName, "--reason", " "], "amina", 2, "needs a reason"),
            ("no reason", ["erase", Self.id, other.fileName], "amina", 2, "--reason"),
            ("a person with no role in the workflow", ["erase", Self.id, other.fileName, "--reason", "x"], "yuki", 1, "cannot erase"),
        ]
        for c in cases {
            let result = try ws.fails(c.status, c.arguments, as: c.actor, at: Hearing.reportTime)
            #expect(result.stderr.contains(c.message), "\(c.what): \(result.stderr)")
            #expect(Files.data(folder.appendingPathComponent("log.jsonl")) == log, "\(c.what) wrote to the log")
        }
        #expect(try StoredDisclosure.all(in: folder).count == disclosures.count - 1, "only the erased value is gone")
        try ws.ok(["verify", Self.id])
    }

    @Test("an erasure interrupted after its event was recorded is finished by running erase again")
    func interruptedErasure() throws {
        let ws = try Hearing.copy("hria-erase-interrupted")
        defer { ws.cleanUp() }
        let folder = ws.assessment(Self.id)
        let statement = try #require(try StoredDisclosure.all(in: folder).first { $0.value == Planted.statement })
        let saved = Files.data(statement.file)
        try ws.ok(["erase", Self.id, statement.fileName, "--reason", "asked"], as: "amina", at: Hearing.reportTime)
        // As if the command had died between appending the event and deleting the file.
        try saved.write(to: statement.file)
        let log = Files.data(folder.appendingPathComponent("log.jsonl"))
        let again = try ws.ok(["erase", Self.id, statement.fileName, "--reason", "asked"], as: "amina", at: Hearing.reportTime)
        #expect(again.stdout.contains("already recorded"), "\(again.stdout)")
        #expect(!FileManager.default.fileExists(atPath: statement.file.path))
        #expect(Files.data(folder.appendingPathComponent("log.jsonl")) == log, "no second event")
        try ws.ok(["verify", Self.id])
    }

    @Test("erase takes a digest that starts with \"-\", as one in 64 do")
    func eraseDigestStartingWithDash() throws {
        let ws = try Hearing.open("hria-erase-dash")
        defer { ws.cleanUp() }
        let folder = ws.assessment(Self.id)
        // Add confidential values until one of their digests starts with "-" (1 in 64 each; 16 per round).
        var dashed: StoredDisclosure?
        for round in 1...40 where dashed == nil {
            let values = (1...16).flatMap { ["--confidential", "participants=Person \(round).\($0)"] }
            try ws.ok(LeakTests.consultation + LeakTests.heldOn + ["--confidential", "statement=Round \(round)"] + values, as: "amina",
                      at: Hearing.day1)
            dashed = try StoredDisclosure.all(in: folder).first { $0.fileName.hasPrefix("-") }
        }
        let disclosure = try #require(dashed, "no digest started with - in 680 values")
        let events = try ws.events(Self.id).count
        let result = try ws.run(["erase", Self.id, disclosure.fileName, "--reason", "asked"], as: "amina", at: Hearing.day1)
        #expect(result.status == 0 && result.stdout.contains("erased the confidential value"),
                "hria erase \(Self.id) \(disclosure.fileName): exit \(result.status)\n\(result.stdout.prefix(300))\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: disclosure.file.path), "the plaintext is still there")
        #expect(try ws.events(Self.id).count == events + 1, "no disclosure.erased event was recorded")
        // Whatever the digest, erase never answers a digest with its help text and success.
        let fake = try ws.run(["erase", Self.id, "-hQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ", "--reason", "asked"], as: "amina", at: Hearing.day1)
        #expect(fake.status == 2, "an unknown digest starting with -h: exit \(fake.status)\n\(fake.stdout.prefix(200))\(fake.stderr)")
    }

    @Test("erasing one of several values of a field shows that a value was erased")
    func eraseOneOfTwoValues() throws {
        let ws = try Hearing.copy("hria-erase-one-of-two")
        defer { ws.cleanUp() }
        let participant = try #require(try StoredDisclosure.all(in: ws.assessment(Self.id)).first { $0.value == Planted.participant })
        try ws.ok(["erase", Self.id, participant.fileName, "--reason", "asked"], as: "amina", at: Hearing.reportTime)
        for format in ["md", "html"] {
            let report = try ws.ok(["report", Self.id, "--format", format], at: Hearing.reportTime).stdout
            let line = try #require(report.split(separator: "\n").first { $0.contains(Hearing.consultations[0].group) && $0.contains("participants") })
            #expect(line.contains("erased"), "\(format): the participants cell should say a value was erased: \(line)")
            #expect(!line.contains(Planted.participant))
        }
    }

    // MARK: Portfolio

    static let tinyWorkflow = """
    schema: hria.workflow/v1
    id: tiny
    version: 1
    title: Tiny workflow of the portfolio tests
    roles:
      assessor: { description: Does the work }
    facts:
      tier: { type: enum, values: [low, moderate, substantial, high], report: risk_tier }
      defer: { type: bool }
    initial: screening
    stages:
      screening:
        owner: assessor
        deadline: P10D
        transitions:
          - { to: review, when: has(facts.tier) }
      review:
        owner: assessor
        deadline: P30D
        transitions:
          - { to: deferred, when: facts.defer }
          - { to: approved, when: '!facts.defer' }
      approved: { terminal: true, outcome: approved }
      deferred: { terminal: true, outcome: deferred }
    """

    static let portfolioNow = "2026-03-31T12:00:00Z"

    /// Six assessments: alpha (high, 30 days in screening, overdue), bravo (low, 6 days in screening), charlie
    /// (high, 11 days in review), delta (moderate, deferred 21 days ago), echo (low, approved 16 days ago) and
    /// foxtrot (no tier yet, 2 days in screening).
    static func portfolio() throws -> TestWorkspace {
        let ws = try TestWorkspace.initialised("hria-portfolio", organisation: "Portfolio Office", origin: "portfolio.example/hria",
                                               workflows: ["tiny": tinyWorkflow])
        let steps: [(String, [String])] = [
            ("2026-03-01T10:00:00Z", ["new", "alpha", "--workflow", "tiny", "--partner", "Alpha Ltd", "--fact", "tier=high"]),
            ("2026-03-25T10:00:00Z", ["new", "bravo", "--workflow", "tiny", "--partner", "Bravo plc", "--fact", "tier=low"]),
            ("2026-03-02T10:00:00Z", ["new", "charlie", "--workflow", "tiny", "--partner", "Charlie & Sons | Co", "--fact", "tier=high"]),
            ("2026-03-20T10:00:00Z", ["advance", "charlie"]),
            ("2026-03-01T10:00:00Z", ["new", "delta", "--workflow", "tiny", "--partner", "Delta <Group>", "--fact", "tier=moderate",
                                      "--fact", "defer=true"]),
            ("2026-03-05T10:00:00Z", ["advance", "delta"]),
            ("2026-03-10T10:00:00Z", ["advance", "delta"]),
            ("2026-03-01T10:00:00Z", ["new", "echo", "--workflow", "tiny", "--partner", "Echo GmbH"]),
            ("2026-03-03T10:00:00Z", ["fact", "echo", "tier=low", "defer=false"]),
            ("2026-03-04T10:00:00Z", ["advance", "echo"]),
            ("2026-03-15T10:00:00Z", ["advance", "echo"]),
            ("2026-03-29T10:00:00Z", ["new", "foxtrot", "--workflow", "tiny", "--partner", "Foxtrot SA"]),
        ]
        for (now, arguments) in steps {
            let result = try ws.run(arguments, as: "amina", at: now)
            guard result.status == 0 else { throw HarnessError("hria \(arguments.joined(separator: " ")): \(result.stderr)") }
        }
        return ws
    }

    @Test("hria list filters by stage, tier, outcome and overdue, and sorts")
    func listFilters() throws {
        let ws = try Self.portfolio()
        defer { ws.cleanUp() }
        func ids(_ arguments: [String], sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> [String] {
            let result = try ws.ok(["list", "--json"] + arguments, at: Self.portfolioNow, sourceLocation: sourceLocation)
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]],
                                    sourceLocation: sourceLocation)
            return rows.compactMap { $0["id"] as? String }
        }
        #expect(try ids([]) == ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"])
        #expect(try ids(["--tier", "high"]) == ["alpha", "charlie"])
        #expect(try ids(["--outcome", "open"]) == ["alpha", "bravo", "charlie", "foxtrot"])
        #expect(try ids(["--outcome", "deferred"]) == ["delta"])
        #expect(try ids(["--outcome", "approved"]) == ["echo"])
        #expect(try ids(["--overdue"]) == ["alpha"])
        #expect(try ids(["--stage", "screening"]) == ["alpha", "bravo", "foxtrot"])
        #expect(try ids(["--stage", "review", "--tier", "high"]) == ["charlie"])
        #expect(try ids(["--stage", "deferred"]) == ["delta"])
        #expect(try ids(["--tier", "substantial"]) == [])
        #expect(try ids(["--sort", "days-in-stage"]) == ["alpha", "delta", "echo", "charlie", "bravo", "foxtrot"])
        #expect(try ids(["--sort", "age"]) == ["alpha", "delta", "echo", "charlie", "bravo", "foxtrot"])
        #expect(try ids(["--sort", "overdue"]).first == "alpha")
        #expect(try ids(["--sort", "partner"]) == ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"])
        #expect(try ids(["--sort", "stage"]) == ["echo", "delta", "charlie", "alpha", "bravo", "foxtrot"])
        #expect(try ids(["--outcome", "open", "--sort", "days-in-stage"]) == ["alpha", "charlie", "bravo", "foxtrot"])
        let byTier = try ids(["--sort", "tier"])
        let tierRank = ["alpha": 3, "charlie": 3, "delta": 1, "bravo": 0, "echo": 0, "foxtrot": -1]
        #expect(byTier.count == 6 && zip(byTier, byTier.dropFirst()).allSatisfy { tierRank[$0]! >= tierRank[$1]! }, "\(byTier)")

        // The JSON rows carry every column.
        let all = try ws.ok(["list", "--json"], at: Self.portfolioNow)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as? [[String: Any]])
        let expected: [String: (stage: String, tier: String?, days: Int, overdue: Bool, outcome: String?)] = [
            "alpha": ("screening", "high", 30, true, nil), "bravo": ("screening", "low", 6, false, nil),
            "charlie": ("review", "high", 11, false, nil), "delta": ("deferred", "moderate", 21, false, "deferred"),
            "echo": ("approved", "low", 16, false, "approved"), "foxtrot": ("screening", nil, 2, false, nil),
        ]
        for row in rows {
            let id = row["id"] as? String ?? "?"
            guard let want = expected[id] else { Issue.record("unexpected row \(row)"); continue }
            #expect(row["stage"] as? String == want.stage, "\(id): \(row)")
            #expect(row["tier"] as? String == want.tier, "\(id): \(row)")
            #expect(want.tier != nil || row["tier"] is NSNull, "\(id): no tier is null: \(row)")
            #expect(row["days_in_stage"] as? Int == want.days, "\(id): \(row)")
            #expect(row["overdue"] as? Bool == want.overdue, "\(id): \(row)")
            #expect(row["outcome"] as? String == want.outcome, "\(id): \(row)")
            #expect(row["workflow"] as? String == "tiny v1" && row["partner"] is String && row["age_days"] is Int, "\(id): \(row)")
        }

        // Text: a header and one line per match.
        let text = try ws.ok(["list", "--tier", "high"], at: Self.portfolioNow).stdout
        let lines = text.split(separator: "\n")
        #expect(lines.count == 3 && lines[1].hasPrefix("alpha ") && lines[2].hasPrefix("charlie "), "\(text)")
        #expect(try ws.ok(["list", "--tier", "substantial"], at: Self.portfolioNow).stdout == "no assessment matches\n")

        // An unknown stage or sort is bad input.
        let unknown = try ws.fails(2, ["list", "--stage", "nosuch"], at: Self.portfolioNow)
        #expect(unknown.stderr.hasPrefix("hria: no workflow of these assessments has a stage \"nosuch\""), "\(unknown.stderr)")
        #expect(unknown.stdout.isEmpty)
        let typo = try ws.fails(2, ["list", "--stage", "screenng"], at: Self.portfolioNow)
        #expect(typo.stderr.contains("did you mean \"screening\"?"), "\(typo.stderr)")
        try ws.fails(2, ["list", "--sort", "nosuch"], at: Self.portfolioNow)
    }

    @Test("hria report --portfolio lists every assessment with counts by stage and by outcome", arguments: ["md", "html"])
    func portfolioReport(format: String) throws {
        let ws = try Self.portfolio()
        defer { ws.cleanUp() }
        let report = try ws.ok(["report", "--portfolio", "--format", format], at: Self.portfolioNow).stdout
        let rows: [(id: String, partner: String, stage: String, tier: String, days: String, overdue: String, decision: String)] = [
            ("alpha", "Alpha Ltd", "screening", "high", "30", "overdue", "open"),
            ("bravo", "Bravo plc", "screening", "low", "6", "", "open"),
            ("charlie", "Charlie & Sons | Co", "review", "high", "11", "", "open"),
            ("delta", "Delta <Group>", "deferred (ended)", "moderate", "21", "", "deferred"),
            ("echo", "Echo GmbH", "approved (ended)", "low", "16", "", "approved"),
            ("foxtrot", "Foxtrot SA", "screening", "-", "2", "", "open"),
        ]
        if format == "md" {
            #expect(report.hasPrefix("# Portfolio of human-rights impact assessments\n"))
            #expect(report.contains("Portfolio Office · 6 assessments · generated 2026-03-31"))
            let sections = markdownSections(report)
            #expect(sections.map(\.title) == ["Counts", "Assessments"])
            let counts = markdownRows(sections.first?.body ?? "")
            for expected in [["review", "1"], ["screening", "3"], ["**open in all**", "**4** (1 overdue)"], ["approved", "1"], ["deferred", "1"]] {
                #expect(counts.contains(expected), "counts should have \(expected): \(counts)")
            }
            let table = markdownRows(sections.last?.body ?? "")
            #expect(table.first == ["Assessment", "Partner", "Workflow", "Stage", "Tier", "Days in stage", "Overdue", "Decision"])
            #expect(table.count == rows.count + 1, "one row per assessment: \(table)")
            for row in rows {
                #expect(table.contains([row.id, row.partner, "tiny v1", row.stage, row.tier, row.days, row.overdue, row.decision]),
                        "no row \(row) in \(table)")
            }
        } else {
            let problems = try HTMLAudit.problems(report, svg: false)
            #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
            let document = try HTMLAudit.parse(report)
            let tables = document.root.descendants("table")
            #expect(tables.count == 3)
            func cells(_ table: HTMLAudit.Node) -> [[String]] {
                table.descendants("tbody").flatMap { $0.elements }.map { row in row.elements.map { $0.textContent } }
            }
            let byStage = try #require(tables.first { $0.descendants("caption").first?.textContent.contains("by stage") == true })
            #expect(byStage.descendants("caption").first?.textContent == "Open assessments by stage (4 in all, 1 overdue)")
            #expect(cells(byStage) == [["review", "1"], ["screening", "3"]])
            let byOutcome = try #require(tables.first { $0.descendants("caption").first?.textContent.contains("by outcome") == true })
            #expect(cells(byOutcome) == [["approved", "1"], ["deferred", "1"]])
            let every = try #require(tables.last)
            let body = cells(every)
            #expect(body.count == rows.count, "one row per assessment: \(body)")
            for row in rows {
                #expect(body.contains([row.id, row.partner, "tiny v1", row.stage, row.tier, row.days, row.overdue, row.decision]),
                        "no row \(row) in \(body)")
            }
        }
    }
}
