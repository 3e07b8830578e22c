import Foundation
import HRIAKit
import Testing

// Inclusion proofs checked offline (`hria prove`, `hria verify --proof --key [--disclosure]`), and an independent
// check of a checkpoint against a log by scripts/check-checkpoint, written in Python from the specifications.

@Suite("Proofs: offline inclusion proofs, disclosures, and an independent checkpoint checker")
struct ProofTests {
    /// The fixture with a proof of event `seq` written to a file outside the workspace.
    static func proved(_ seq: Int = AuditFixture.confidentialSeq) throws -> (TestWorkspace, URL, key: String, outside: URL) {
        let ws = try AuditFixture.copy("hria-proof")
        let outside = try ws.outside("auditor")
        let proof = outside.appendingPathComponent("event-\(seq).proof")
        let made = try ws.run(["prove", AuditFixture.id, String(seq), "--output", proof.path])
        #expect(made.status == 0, "\(made.stderr)")
        let key = try ws.logKey
        #expect(made.stdout.contains(key), "the message should say which key checks it: \(made.stdout)")
        return (ws, proof, key, outside)
    }

    static func verifyProof(_ proof: URL, key: String, in folder: URL, extra: [String] = []) throws -> HRIA.Result {
        try HRIA.run(["verify", "--proof", proof.path, "--key", key] + extra, in: folder)
    }

    /// The proof file's parts: the header lines (with the event in `extra`), then the signed checkpoint.
    static func rewrite(_ proof: URL, _ transform: (inout [String]) throws -> Void) throws {
        var lines = try String(contentsOf: proof, encoding: .utf8).components(separatedBy: "\n")
        try transform(&lines)
        try lines.joined(separator: "\n").write(to: proof, atomically: true, encoding: .utf8)
    }

    @Test("a proof verifies with only the log's key, from a folder with no workspace")
    func proofVerifiesOffline() throws {
        let (ws, proof, key, outside) = try Self.proved()
        defer { ws.cleanUp() }
        #expect(try String(contentsOf: proof, encoding: .utf8).hasPrefix("c2sp.org/tlog-proof@v1\n"))
        let checked = try Self.verifyProof(proof, key: key, in: outside)
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
        #expect(checked.stdout.contains("event 2 (evidence.added by ana"), "\(checked.stdout)")
        #expect(checked.stdout.contains("\(AuditFixture.origin)/\(AuditFixture.id) of 6 events"), "\(checked.stdout)")
        // Without a key and outside a workspace there is nothing to trust: bad input.
        let keyless = try HRIA.run(["verify", "--proof", proof.path], in: outside)
        #expect(keyless.status == 2, "\(keyless.stdout)\(keyless.stderr)")
        // Every event of the log can be proved.
        for seq in 0..<AuditFixture.eventCount {
            let other = outside.appendingPathComponent("p\(seq)")
            #expect(try ws.run(["prove", AuditFixture.id, String(seq), "--output", other.path]).status == 0)
            let result = try Self.verifyProof(other, key: key, in: outside)
            #expect(result.status == 0 && result.stdout.contains("event \(seq) ("), "\(result.stdout)\(result.stderr)")
        }
        // An event not yet covered, or out of range, is bad input.
        #expect(try ws.run(["prove", AuditFixture.id, "6", "--output", outside.appendingPathComponent("x").path]).status == 2)
    }

    @Test("a changed event line in the proof fails with exit 3")
    func alteredEventLine() throws {
        let (ws, proof, key, outside) = try Self.proved()
        defer { ws.cleanUp() }
        try Self.rewrite(proof) { lines in
            let index = try #require(lines.firstIndex { $0.hasPrefix("extra ") })
            let event = try #require(Data(base64Encoded: String(lines[index].dropFirst(6))))
            let changed = [UInt8](event).replacingFirst("Youth", with: "Elder")
            lines[index] = "extra " + Data(changed).base64EncodedString()
        }
        let result = try Self.verifyProof(proof, key: key, in: outside)
        #expect(result.status == 3, "\(result.stdout)\(result.stderr)")
    }

    @Test("a flipped bit in a proof hash fails with exit 3")
    func alteredProofHash() throws {
        let (ws, proof, key, outside) = try Self.proved()
        defer { ws.cleanUp() }
        try Self.rewrite(proof) { lines in
            let index = try #require(lines.firstIndex { $0.hasPrefix("index ") }) + 1
            var hash = [UInt8](try #require(Data(base64Encoded: lines[index])))
            hash[7] ^= 0x01
            lines[index] = Data(hash).base64EncodedString()
        }
        let result = try Self.verifyProof(proof, key: key, in: outside)
        #expect(result.status == 3, "\(result.stdout)\(result.stderr)")
    }

    @Test("a changed index or checkpoint in the proof fails with exit 3", arguments: ["index", "size", "root", "signature"])
    func alteredProofParts(part: String) throws {
        let (ws, proof, key, outside) = try Self.proved()
        defer { ws.cleanUp() }
        try Self.rewrite(proof) { lines in
            let blank = try #require(lines.firstIndex(of: ""))
            switch part {
            case "index":
                let index = try #require(lines.firstIndex { $0.hasPrefix("index ") })
                lines[index] = "index 3"
            case "size":
                lines[blank + 2] = "7"
            case "root":
                var root = [UInt8](try #require(Data(base64Encoded: lines[blank + 3])))
                root[0] ^= 0x80
                lines[blank + 3] = Data(root).base64EncodedString()
            default:
                let signature = try #require(lines.lastIndex { $0.hasPrefix("\u{2014} ") })
                var parts = lines[signature].split(separator: " ").map(String.init)
                var raw = [UInt8](try #require(Data(base64Encoded: parts[2])))
                raw[raw.count - 1] ^= 0x01
                parts[2] = Data(raw).base64EncodedString()
                lines[signature] = parts.joined(separator: " ")
            }
        }
        let result = try Self.verifyProof(proof, key: key, in: outside)
        #expect(result.status == 3, "\(part): \(result.stdout)\(result.stderr)")
    }

    @Test("a proof checked with another workspace's key fails with exit 3")
    func wrongKey() throws {
        let (ws, proof, _, outside) = try Self.proved()
        defer { ws.cleanUp() }
        // Same key name, different key; and a different name altogether.
        let sameName = try NoteSigner.generate(name: AuditFixture.origin).verifierKey
        let otherName = try NoteSigner.generate(name: "other.example/hria").verifierKey
        for key in [sameName, otherName] {
            let result = try Self.verifyProof(proof, key: key, in: outside)
            #expect(result.status == 3, "\(key): \(result.stdout)\(result.stderr)")
        }
        let garbage = try Self.verifyProof(proof, key: "not a key", in: outside)
        #expect(garbage.status == 2, "\(garbage.stdout)\(garbage.stderr)")
    }

    /// The disclosures of the fixture's confidential event, as stored in private/disclosures.
    static func disclosures(_ ws: TestWorkspace) throws -> [String] {
        let folder = ws.assessment().appendingPathComponent("private/disclosures")
        return try ws.files(in: folder).map { String(decoding: try ws.bytes(folder.appendingPathComponent($0)), as: UTF8.self) }
    }

    @Test("a disclosure from private/ matches the proven event; an altered one fails")
    func disclosureWithProof() throws {
        let (ws, proof, key, outside) = try Self.proved()
        defer { ws.cleanUp() }
        let disclosures = try Self.disclosures(ws)
        #expect(disclosures.count == 2)
        for disclosure in disclosures {
            let result = try Self.verifyProof(proof, key: key, in: outside, extra: ["--disclosure", disclosure])
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains("matches digest"), "\(result.stdout)")
            #expect(result.stdout.contains("listed by event 2"), "\(result.stdout)")
            let altered = try StoredDisclosure.altered(disclosure)
            let bad = try Self.verifyProof(proof, key: key, in: outside, extra: ["--disclosure", altered])
            #expect(bad.status == 3, "\(bad.stdout)\(bad.stderr)")
        }
        // A disclosure checked against a proof of another event does not match it.
        let other = outside.appendingPathComponent("p3")
        #expect(try ws.run(["prove", AuditFixture.id, "3", "--output", other.path]).status == 0)
        let elsewhere = try Self.verifyProof(other, key: key, in: outside, extra: ["--disclosure", disclosures[0]])
        #expect(elsewhere.status == 3, "\(elsewhere.stdout)\(elsewhere.stderr)")
    }

    @Test("verify ID --disclosure in the workspace matches; an altered disclosure fails")
    func disclosureInWorkspace() throws {
        let ws = try AuditFixture.copy("hria-disclosure")
        defer { ws.cleanUp() }
        let disclosure = try #require(try Self.disclosures(ws).first)
        let good = try ws.run(["verify", AuditFixture.id, "--disclosure", disclosure])
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
        #expect(good.stdout.contains("listed by event 2"), "\(good.stdout)")
        let bad = try ws.run(["verify", AuditFixture.id, "--disclosure", try StoredDisclosure.altered(disclosure)])
        #expect(bad.status == 3, "\(bad.stdout)\(bad.stderr)")
        #expect(bad.stdout.contains("[disclosure]"), "\(bad.stdout)")
    }

    // MARK: - scripts/check-checkpoint

    static let script = HRIA.packageRoot.appendingPathComponent("scripts/check-checkpoint")

    static let pythonHasCryptography: Bool = {
        guard let python = HRIA.which("python3") else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", "import cryptography"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()

    static func check(_ ws: TestWorkspace, log: URL, checkpoint: URL, key: String) throws -> HRIA.Result {
        let python = try #require(HRIA.which("python3"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script.path, log.path, checkpoint.path, key]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return HRIA.Result(status: process.terminationStatus, stdout: String(decoding: data, as: UTF8.self), stderr: "")
    }

    @Test("scripts/check-checkpoint agrees with hria on a fresh assessment, and rejects tampering",
          .enabled(if: pythonHasCryptography, "needs python3 with the cryptography package"))
    func independentChecker() throws {
        let ws = try AuditFixture.copy("hria-check-checkpoint")
        defer { ws.cleanUp() }
        let key = try ws.logKey
        // A fresh assessment of one event, then the fixture's, at every stored size.
        let fresh = try ws.run(["new", "fresh", "--workflow", "demo", "--partner", "Fresh Co", "--as", "ana"])
        #expect(fresh.status == 0, "\(fresh.stderr)")
        let ok = try Self.check(ws, log: ws.logURL("fresh"), checkpoint: ws.checkpointURL("fresh"), key: key)
        #expect(ok.status == 0, "\(ok.stdout)")
        #expect(ok.stdout.hasPrefix("OK"), "\(ok.stdout)")
        for size in 1...AuditFixture.eventCount {
            let checkpoint = ws.assessment().appendingPathComponent("checkpoints/\(size)")
            let result = try Self.check(ws, log: ws.logURL(), checkpoint: checkpoint, key: key)
            #expect(result.status == 0, "size \(size): \(result.stdout)")
        }
        let latest = try Self.check(ws, log: ws.logURL(), checkpoint: ws.checkpointURL(), key: key)
        #expect(latest.stdout.contains("size 6 root"), "\(latest.stdout)")

        // A tampered log.
        let tampered = ws.parent.appendingPathComponent("tampered.jsonl")
        try Data(try ws.logBytes().replacingFirst("note 2", with: "note Y")).write(to: tampered)
        let rejected = try Self.check(ws, log: tampered, checkpoint: ws.checkpointURL(), key: key)
        #expect(rejected.status == 1, "\(rejected.stdout)")
        #expect(rejected.stdout.contains("FAILED"), "\(rejected.stdout)")
        // A truncated log.
        let truncated = ws.parent.appendingPathComponent("truncated.jsonl")
        try Data(try ws.logLines().prefix(4).flatMap { $0 + [0x0A] }).write(to: truncated)
        #expect(try Self.check(ws, log: truncated, checkpoint: ws.checkpointURL(), key: key).status == 1)
        // Another key, and a checkpoint whose body was edited.
        let other = try NoteSigner.generate(name: AuditFixture.origin).verifierKey
        #expect(try Self.check(ws, log: ws.logURL(), checkpoint: ws.checkpointURL(), key: other).status == 1)
        let edited = ws.parent.appendingPathComponent("edited-checkpoint")
        try Data(try ws.bytes(ws.checkpointURL()).replacingFirst("\n6\n", with: "\n5\n")).write(to: edited)
        #expect(try Self.check(ws, log: ws.logURL(), checkpoint: edited, key: key).status == 1)
        // An ASCII hyphen instead of the em dash is not a signature line.
        let hyphen = ws.parent.appendingPathComponent("hyphen-checkpoint")
        try Data(try ws.bytes(ws.checkpointURL()).replacingFirst("\u{2014} ", with: "- ")).write(to: hyphen)
        #expect(try Self.check(ws, log: ws.logURL(), checkpoint: hyphen, key: key).status == 1)
        // A checkpoint signed by hria's own code for the tampered log is still rejected with the real key...
        let forged = try SignedCheckpoint.sign(
            Checkpoint(origin: "\(AuditFixture.origin)/\(AuditFixture.id)", size: 6,
                       rootHash: Merkle.rootHash(leafHashes: try ws.logLines().map { Merkle.leafHash($0) })),
            signer: try NoteSigner.generate(name: AuditFixture.origin).signer)
        let forgedURL = ws.parent.appendingPathComponent("forged-checkpoint")
        try Data(forged).write(to: forgedURL)
        #expect(try Self.check(ws, log: ws.logURL(), checkpoint: forgedURL, key: key).status == 1)
    }

    @Test("scripts/check-checkpoint checks the repository's worked example",
          .enabled(if: pythonHasCryptography, "needs python3 with the cryptography package"))
    func independentCheckerOnExample() throws {
        let ws = TestWorkspace.workedExample
        guard FileManager.default.fileExists(atPath: ws.logURL().path) else { return }
        let result = try Self.check(ws, log: ws.logURL(), checkpoint: ws.checkpointURL(), key: try ws.logKey)
        #expect(result.status == 0, "\(result.stdout)")
    }
}
