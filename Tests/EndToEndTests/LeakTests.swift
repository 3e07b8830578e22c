import Foundation
import HRIAKit
import Testing
import HRIATestSupport

// Confidential values must never leave private/: not into the log, the checkpoints, the public reports, an
// exported bundle, an error message or the output of any command. An auditor given one disclosure can still
// check it against the log, in the workspace or offline with a proof. Digest lists are padded with decoys.

@Suite("Leaks: confidential values stay in private/, and a disclosure can still be checked")
struct LeakTests {
    static let id = Hearing.id

    /// The public fields of the first consultation.
    static let consultation = ["evidence", "add", id, "consultations", "--field", "date=2026-01-20", "--field", "group=Village residents",
                               "--field", "method=Closed meeting"]
    /// The planted confidential values of the first consultation.
    static let secrets = ["--confidential", "participants=\(Planted.participant)", "--confidential", "participants=\(Planted.elder)",
                          "--confidential", "statement=\(Planted.statement)"]
    static let heldOn = ["--confidential", "held_on=2026-01-19"]

    static func join(_ parts: [String]...) -> [String] { parts.flatMap { $0 } }

    struct BadInput: Sendable {
        var what: String
        var arguments: [String]
        var actor = "amina"
        var now = Hearing.day1
        var status: Int32 = 2
    }

    /// Bad inputs that carry planted values, with the exit code each must give. None may write anything or
    /// echo a value.
    static let badInputs: [BadInput] = [
        BadInput(what: "a confidential date given a non-date holding a planted value",
                 arguments: join(consultation, secrets, ["--confidential", "held_on=\(Planted.participant) on 2026-13-45"])),
        BadInput(what: "an unknown confidential field",
                 arguments: join(consultation, secrets, heldOn, ["--confidential", "whisper=\(Planted.statement)"])),
        BadInput(what: "a confidential field of another evidence type",
                 arguments: join(consultation, secrets, heldOn, ["--confidential", "details=\(Planted.details)"])),
        BadInput(what: "a confidential field given with --field",
                 arguments: join(consultation, heldOn, ["--field", "statement=\(Planted.statement)"])),
        BadInput(what: "a public field given with --confidential",
                 arguments: join(["evidence", "add", id, "consultations", "--field", "date=2026-01-20", "--field", "method=Closed meeting",
                                  "--confidential", "group=\(Planted.participant)"], secrets, heldOn)),
        BadInput(what: "a required public field missing",
                 arguments: join(["evidence", "add", id, "consultations", "--field", "date=2026-01-20", "--field", "group=Village residents"],
                                 secrets, heldOn)),
        BadInput(what: "a public field of the wrong type",
                 arguments: join(["evidence", "add", id, "consultations", "--field", "date=20 January", "--field", "group=Village residents",
                                  "--field", "method=Closed meeting"], secrets, heldOn)),
        BadInput(what: "a missing file", arguments: join(consultation, secrets, heldOn, ["--file", "no-such-minutes.txt"])),
        BadInput(what: "an unknown requirement",
                 arguments: join(["evidence", "add", id, "consultation", "--field", "date=2026-01-20"], secrets, heldOn)),
        BadInput(what: "an unknown assessment", arguments: join(["evidence", "add", "nosuch"], Array(consultation.dropFirst(3)), secrets, heldOn)),
        BadInput(what: "an unknown person", arguments: join(consultation, secrets, heldOn), actor: "nobody"),
        BadInput(what: "a clock running backwards", arguments: join(consultation, secrets, heldOn), now: "2026-01-01T00:00:00Z"),
        BadInput(what: "the wrong role (refused)", arguments: join(consultation, secrets, heldOn), actor: "kofi", status: 1),
        BadInput(what: "a safety exception with a bad category",
                 arguments: ["evidence", "add", id, "safety_record", "--field", "reason_category=no_such_category", "--field", "review_on=2026-07-01",
                             "--confidential", "details=\(Planted.details)"]),
        BadInput(what: "a safety exception given as a consultation",
                 arguments: ["evidence", "add", id, "safety_record", "--field", "reason_category=reprisal_risk", "--field", "review_on=2026-07-01",
                             "--confidential", "details=\(Planted.details)", "--confidential", "participants=\(Planted.participant)"]),
    ]

    @Test("no planted value reaches the log, checkpoints, public reports, the bundle, or any output of any command")
    func nothingLeaks() throws {
        let ws = try Hearing.open("hria-leak")
        defer { ws.cleanUp() }
        let outside = try ws.outside("auditor")
        let folder = ws.assessment(Self.id)
        var outputs: [(command: String, result: HRIA.Result)] = []
        @discardableResult
        func run(_ status: Int32?, _ arguments: [String], as actor: String? = nil, at now: String = Hearing.reportTime,
                 in directory: URL? = nil, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> HRIA.Result {
            let result = try ws.run(arguments, as: actor, at: now, in: directory)
            let command = "hria " + arguments.joined(separator: " ") + (actor.map { " --as \($0)" } ?? "")
            outputs.append((command, result))
            if let status {
                #expect(result.status == status, "\(command): exit \(result.status), expected \(status)\n\(result.stdout)\(result.stderr)",
                        sourceLocation: sourceLocation)
            }
            return result
        }

        // Bad inputs while the stage is open: each refused, nothing written, nothing echoed (checked below).
        let logBefore = Files.data(folder.appendingPathComponent("log.jsonl"))
        for bad in Self.badInputs {
            let result = try run(bad.status, bad.arguments, as: bad.actor, at: bad.now)
            #expect(result.stderr.hasPrefix("hria: "), "\(bad.what): \(result.stderr)")
            #expect(Files.data(folder.appendingPathComponent("log.jsonl")) == logBefore, "\(bad.what) wrote to the log")
            #expect((try StoredDisclosure.all(in: folder)).isEmpty, "\(bad.what) stored a disclosure")
        }

        // The evidence itself, then every command that reads.
        for step in Hearing.steps[2...4] { try run(0, step.arguments, as: step.actor, at: step.now) }
        let disclosures = try StoredDisclosure.all(in: folder)
        #expect(Set(disclosures.map(\.value)).isSuperset(of: Planted.values), "every planted value is stored in private/")
        for read in [["status", Self.id], ["status", Self.id, "--json"], ["log", Self.id], ["log", Self.id, "--json"], ["list"],
                     ["list", "--json"], ["verify", Self.id], ["verify", Self.id, "--json"], ["verify", "--all"], ["checkpoint", Self.id]] {
            try run(0, read)
        }
        for disclosure in disclosures { try run(0, ["verify", Self.id, "--disclosure", disclosure.encoded]) }

        // The stage is signed off and the assessment ends; a late attempt is refused.
        for step in Hearing.steps[5...] { try run(0, step.arguments, as: step.actor, at: step.now) }
        let late = try run(nil, Self.consultation + Self.secrets + Self.heldOn, as: "amina", at: Hearing.reportTime)
        #expect(late.status == 1 || late.status == 2, "evidence after the end: exit \(late.status)")

        // Reports, bundle, proofs and an erasure, all captured.
        let publicMarkdown = try run(0, ["report", Self.id, "--public", "--format", "md"]).stdout
        let publicHTML = try run(0, ["report", Self.id, "--public", "--format", "html"]).stdout
        try run(0, ["report", "--portfolio", "--format", "md"])
        try run(0, ["report", "--portfolio", "--format", "html"])
        let bundle = ws.parent.appendingPathComponent("bundle")
        try run(0, ["export", Self.id, "--public", bundle.path])
        try run(0, ["verify", "--bundle", bundle.path], in: outside)
        try run(0, ["verify", "--bundle", bundle.path, "--json", "--key", try ws.logKey], in: outside)
        let proof = outside.appendingPathComponent("event-2.proof")
        try run(0, ["prove", Self.id, String(Hearing.firstConsultationSeq), "--output", proof.path])
        try run(0, ["prove", Self.id, String(Hearing.safetySeq)])
        try run(0, ["verify", "--proof", proof.path, "--key", try ws.logKey], in: outside)
        try run(0, ["verify", "--proof", proof.path, "--key", try ws.logKey, "--json"], in: outside)
        // (A digest starting with "-" would be taken for options: see BundleTests.eraseDigestStartingWithDash.)
        let erasable = try #require(disclosures.first { $0.value != "2026-01-19" && !$0.fileName.hasPrefix("-") })
        try run(0, ["erase", Self.id, erasable.fileName, "--reason", "The speaker asked for it"], as: "amina")
        #expect(!FileManager.default.fileExists(atPath: erasable.file.path))
        try run(0, ["log", Self.id])
        try run(0, ["verify", Self.id])
        try run(0, ["status", Self.id])

        // The scanner: every form of every planted value and token, every disclosure and every salt.
        var scanner = LeakScanner.planted()
        for disclosure in disclosures {
            scanner.add("the disclosure of \(disclosure.name) (\(disclosure.fileName))", disclosure.encoded)
            scanner.add("the salt of a \(disclosure.name) disclosure", disclosure.salt)
        }
        // It does find the values where they are meant to be.
        let internalReport = try ws.ok(["report", Self.id, "--format", "html"], at: Hearing.reportTime).stdout
        #expect(!scanner.find(in: internalReport).isEmpty, "the scanner should find the values in the internal report")
        for disclosure in disclosures where disclosure.value != "2026-01-19" && disclosure.value != "2026-01-21" {
            let opened = try #require(IndependentBase64URL.decode(disclosure.encoded))
            #expect(!scanner.find(in: opened).isEmpty, "the scanner should find \(disclosure.name) in its decoded disclosure")
        }

        var places: [(String, Data)] = outputs.flatMap { command, result in
            [("stdout of \(command)", Data(result.stdout.utf8)), ("stderr of \(command)", Data(result.stderr.utf8))]
        }
        for file in Files.all(under: folder) where !file.hasPrefix("private/") {
            places.append(("assessments/\(Self.id)/\(file)", Files.data(folder.appendingPathComponent(file))))
        }
        #expect(places.contains { $0.0 == "assessments/\(Self.id)/log.jsonl" })
        #expect(places.contains { $0.0.hasPrefix("assessments/\(Self.id)/checkpoints/") })
        let bundleFiles = Files.all(under: bundle)
        #expect(bundleFiles.contains("log.jsonl") && bundleFiles.contains("report.html"), "\(bundleFiles)")
        for file in bundleFiles { places.append(("bundle/\(file)", Files.data(bundle.appendingPathComponent(file)))) }
        places.append(("the proof file", Files.data(proof)))
        places.append(("the public Markdown report", Data(publicMarkdown.utf8)))
        places.append(("the public HTML report", Data(publicHTML.utf8)))

        var leaks: [String] = []
        for (place, data) in places {
            for found in scanner.find(in: data) { leaks.append("\(place): \(found)") }
        }
        #expect(leaks.isEmpty, "confidential values leaked:\n\(leaks.joined(separator: "\n"))")
        #expect(outputs.count > 40, "\(outputs.count) commands were checked")
    }

    @Test("a malformed --confidential is refused without echoing the value")
    func malformedConfidentialIsNotEchoed() throws {
        let ws = try Hearing.open("hria-leak-malformed")
        defer { ws.cleanUp() }
        let scanner = LeakScanner.planted()
        for malformed in [Planted.statement, "=\(Planted.statement)", Planted.elder] {
            let result = try ws.fails(2, Self.consultation + Self.heldOn + ["--confidential", malformed], as: "amina", at: Hearing.day1)
            #expect(result.stderr.hasPrefix("hria: "), "\(result.stderr)")
            let leaks = scanner.find(in: result.stdout + result.stderr)
            #expect(leaks.isEmpty, "--confidential \(malformed): the error shows the value:\n\(result.stderr)")
        }
    }

    @Test("an auditor given one disclosure can check it, in the workspace and offline with a proof; an altered one fails")
    func auditorChecksOneDisclosure() throws {
        let ws = try Hearing.copy("hria-leak-auditor")
        defer { ws.cleanUp() }
        let key = try ws.logKey
        let disclosures = try StoredDisclosure.all(in: ws.assessment(Self.id))
        let statement = try #require(disclosures.first { $0.value == Planted.statement })
        let elder = try #require(disclosures.first { $0.value == Planted.elder })
        let later = try #require(disclosures.first { $0.value == Planted.statement2 })
        let seq = Hearing.firstConsultationSeq

        // In the workspace.
        for disclosure in [statement, elder] {
            let checked = try ws.ok(["verify", Self.id, "--disclosure", disclosure.encoded])
            #expect(checked.stdout.contains("disclosure of \(disclosure.name) matches digest \(disclosure.fileName) listed by event \(seq)"),
                    "\(checked.stdout)")
            #expect(checked.stdout.contains("\(Self.id): verified"))
        }

        // Offline: the auditor's folder holds nothing but the proof.
        let auditor = try ws.outside("auditor")
        let proof = auditor.appendingPathComponent("event-\(seq).proof")
        try ws.ok(["prove", Self.id, String(seq), "--output", proof.path])
        #expect(Files.all(under: auditor) == ["event-\(seq).proof"])
        for disclosure in [statement, elder] {
            let offline = try ws.ok(["verify", "--proof", proof.path, "--disclosure", disclosure.encoded, "--key", key], in: auditor)
            #expect(offline.stdout.contains("disclosure of \(disclosure.name) matches digest \(disclosure.fileName) listed by event \(seq)"),
                    "\(offline.stdout)")
            #expect(offline.stdout.contains("verified: event \(seq) "), "\(offline.stdout)")
        }

        // Altered: another value under the same salt, a changed character, a disclosure of another event, garbage.
        var encoded = Array(statement.encoded)
        encoded[10] = encoded[10] == "A" ? "B" : "A"
        let altered = [("another value", try statement.altered(value: "whispered testimony 7f3a8")),
                       ("another name", try StoredDisclosure(file: statement.file, encoded: "", salt: statement.salt, name: "participants",
                                                             value: statement.value).altered(value: statement.value)),
                       ("a changed character", String(encoded)),
                       ("a disclosure of event \(Hearing.secondConsultationSeq)", later.encoded),
                       ("not a disclosure", "bm90IGEgZGlzY2xvc3VyZQ")]
        for (what, text) in altered {
            let inWorkspace = try ws.run(["verify", Self.id, "--disclosure", text])
            if what.hasPrefix("a disclosure of event") {
                // It does belong to the log, just to another event: the workspace check passes, the proof check not.
                #expect(inWorkspace.status == 0, "\(what): \(inWorkspace.stdout)\(inWorkspace.stderr)")
            } else {
                #expect(inWorkspace.status == 3, "\(what): exit \(inWorkspace.status)\n\(inWorkspace.stdout)\(inWorkspace.stderr)")
                #expect(inWorkspace.stdout.contains("[disclosure]"), "\(what): \(inWorkspace.stdout)")
            }
            let offline = try ws.run(["verify", "--proof", proof.path, "--disclosure", text, "--key", key], in: auditor)
            #expect(offline.status == 3, "\(what), offline: exit \(offline.status)\n\(offline.stdout)\(offline.stderr)")
        }
    }

    @Test("_sd lists the digest of every disclosure, padded with decoys to a multiple of 8")
    func digestsArePadded() throws {
        let ws = try Hearing.copy("hria-leak-sd")
        defer { ws.cleanUp() }
        let events = try ws.events(Self.id)
        let disclosures = try StoredDisclosure.all(in: ws.assessment(Self.id))
        #expect(disclosures.count == 8)
        for disclosure in disclosures {
            #expect(disclosure.digest == disclosure.fileName, "a disclosure is stored under its own digest")
            #expect(IndependentBase64URL.decode(disclosure.salt)?.count == 16, "16 random salt bytes")
        }
        #expect(Set(disclosures.map(\.salt)).count == disclosures.count, "every salt is fresh")

        let expected = [Hearing.firstConsultationSeq: ["held_on", "participants", "participants", "statement"],
                        Hearing.secondConsultationSeq: ["held_on", "participants", "statement"], Hearing.safetySeq: ["details"]]
        for event in events {
            let seq = event["seq"] as? Int ?? -1
            let sd = event["_sd"] as? [String] ?? []
            guard let names = expected[seq] else {
                #expect(sd.isEmpty, "event #\(seq) has no confidential value and no _sd: \(sd)")
                continue
            }
            let own = disclosures.filter { sd.contains($0.fileName) }
            #expect(own.map(\.name).sorted() == names, "event #\(seq) lists the digests of its own values: \(own.map(\.name))")
            #expect(sd.count % 8 == 0 && sd.count >= 8, "event #\(seq): \(sd.count) digests, not a positive multiple of 8")
            #expect(sd == sd.sorted() && Set(sd).count == sd.count, "event #\(seq): _sd is sorted and without repeats")
            #expect(sd.allSatisfy { $0.count == 43 && IndependentBase64URL.decode($0)?.count == 32 }, "every entry looks like a SHA-256 digest")
            #expect((event["data"] as? [String: Any])?["confidential"] as? [String] == Array(Set(names)).sorted())
        }

        // Eleven values need two buckets: 16 digests, 5 of them decoys.
        let open = try Hearing.open("hria-leak-sd-nine")
        defer { open.cleanUp() }
        let nine = (1...9).flatMap { ["--confidential", "participants=Person \($0)"] }
        try open.ok(Self.consultation + Self.heldOn + ["--confidential", "statement=Nine voices"] + nine, as: "amina", at: Hearing.day1)
        let event = try #require(try open.events(Self.id).last)
        let sd = event["_sd"] as? [String] ?? []
        #expect(sd.count == 16, "11 values are padded to 16 digests: \(sd.count)")
        let stored = try StoredDisclosure.all(in: open.assessment(Self.id))
        #expect(stored.count == 11 && stored.allSatisfy { sd.contains($0.fileName) })
    }
}
