import Foundation
@_spi(Fuzzing) import HRIAKit

/// The readers of input hria does not control, each as a function from bytes to nothing that must never crash,
/// hang or break a property it promises. `scripts/fuzz` runs them under libFuzzer with AddressSanitizer (the
/// `Fuzz/` package holds the entry point); the library tests run every seed and every input a fuzzer once
/// crashed on (`Tests/HRIAKitTests/Fixtures/fuzz/TARGET/`), so a finding stays fixed.
///
/// A broken property is a `fatalError` naming it: to libFuzzer that is a crash, and the input is kept.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// A workflow file end to end: bytes → YAML → model → checks → diagnostics, and `show` and `graph` of what loads.
    case workflow
    /// One guard: parse, type-check against a fixed scope, evaluate against fixed facts and evidence.
    case `guard`
    /// One stored log line: the canonical reader and the general reader agree, and what is read writes back to a
    /// line that reads the same; the JSON reader besides.
    case logLine = "log-line"
    /// A signed note, a checkpoint body and a key, as `--against`, `--key` and the checkpoint files give them.
    case note
    /// A proof file (`hria verify --proof`).
    case proof
    /// A public bundle (`hria verify --bundle`): one of its files replaced by the input.
    case bundle
    /// SSH keys and signatures: an SSHSIG blob or its armour, an `ssh-ed25519` key line, an OpenSSH private key.
    case sshsig

    /// Runs the target on one input.
    public func run(_ bytes: [UInt8]) {
        switch self {
        case .workflow: Self.workflow(bytes)
        case .guard: Self.guardExpression(bytes)
        case .logLine: Self.logLine(bytes)
        case .note: Self.note(bytes)
        case .proof: Self.proof(bytes)
        case .bundle: BundleTemplate.shared.run(bytes)
        case .sshsig: Self.sshsig(bytes)
        }
    }

    static func broken(_ property: String, _ bytes: [UInt8]) -> Never {
        fatalError("fuzz property broken: \(property); input: \(String(decoding: bytes.prefix(400), as: UTF8.self).debugDescription)")
    }

    // MARK: workflow

    static func workflow(_ bytes: [UInt8]) {
        let result = WorkflowLoader.load(bytes: bytes, fileName: "fuzz.yaml")
        for diagnostic in result.diagnostics { _ = DiagnosticRenderer.text(diagnostic, source: result.source) }
        _ = DiagnosticRenderer.json(result.diagnostics)
        if let workflow = result.workflow, !result.diagnostics.contains(where: { $0.severity == .error }) {
            _ = WorkflowDescription.render(workflow, file: "fuzz.yaml", sha256: Digest.sha256Hex(bytes))
            for format in WorkflowDiagram.Format.allCases { _ = WorkflowDiagram.render(workflow, format: format) }
        }
    }

    // MARK: guard

    /// Facts and evidence of every kind a guard can read.
    static let scope = GuardScope(
        facts: ["tier": .enumeration(name: "tier", values: ["low", "medium", "high"]), "count": .int, "note": .string,
                "flag": .bool, "due": .date, "tags": .list(.string)],
        evidence: ["consult": "consultation", "brief": "document"],
        evidenceTypes: ["consultation": ["group": .init(type: .string, optional: false, confidential: false),
                                         "people": .init(type: .int, optional: true, confidential: false),
                                         "statement": .init(type: .string, optional: false, confidential: true)],
                        "document": ["title": .init(type: .string, optional: false, confidential: false),
                                     "on": .init(type: .date, optional: true, confidential: false)]])

    struct Input: GuardInput {
        func fact(_ name: String) -> GuardValue? {
            switch name {
            case "tier": .string("medium")
            case "count": .int(Int.max - 1)
            case "note": .string("é\u{202E}x")
            case "flag": .bool(true)
            case "due": .date(CalendarDate(year: 2026, month: 2, day: 28))
            case "tags": .list([.string("a"), .string("")])
            default: nil
            }
        }

        func evidence(_ requirement: String) -> [EvidenceItem] {
            switch requirement {
            case "consult": [EvidenceItem(fields: ["group": .string("youth"), "people": .int(Int.min)]),
                             EvidenceItem(fields: ["group": .string("")])]
            case "brief": [EvidenceItem(fields: ["title": .string("Brief"), "on": .date(CalendarDate(year: 1, month: 1, day: 1))])]
            default: []
            }
        }
    }

    static func guardExpression(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let node = try? GuardParser.parse(text) else { return }
        guard case .success(let typed) = GuardTypeChecker.check(node, in: scope) else { return }
        let first = GuardEvaluator.evaluate(typed, input: Input())
        let second = GuardEvaluator.evaluate(typed, input: Input())
        // Evaluation is pure: the same guard on the same assessment gives the same answer.
        guard first.result == second.result else { broken("a guard evaluated twice gave two answers", bytes) }
    }

    // MARK: log line

    static func logLine(_ bytes: [UInt8]) {
        let (canonical, anyForm) = EventLine.decodeBothWays(bytes)
        // The canonical reader matches the writer's envelope byte for byte, but reads `data` with the same readers as
        // the general one, in any member order (a line is hashed as stored, never re-serialised): so the property is
        // that the two agree, not that an accepted line is the writer's own spelling.
        if let canonical {
            guard case .success(let general) = anyForm else { broken("only the canonical reader accepts the line", bytes) }
            guard same(canonical, general) else { broken("the canonical and general readers read different events", bytes) }
        }
        if case .success(let event) = anyForm {
            let written = EventLine.encode(event.draft, seq: event.seq, prev: event.prev, signature: event.signature)
            guard let again = try? EventLine.decode(written), same(again, event) else {
                broken("an event read from a line does not write back to a line that reads the same", bytes)
            }
        }
        if let value = try? JSONParser.parse(bytes) {
            guard let again = try? JSONParser.parse(Array(value.rendered().utf8)), again == value else {
                broken("a JSON value does not render to text that reads the same", bytes)
            }
        }
        _ = EventLine.signedBytes(of: bytes)
        // A roster change read from any line goes through the roster's rules without trapping, as the first event
        // of a roster and as an act judged against an empty one.
        if case .success(let event) = anyForm {
            var roster = Roster()
            _ = try? roster.admit(event)
            _ = try? RosterRules.judgeAct(event.draft, roster: roster)
        }
    }

    static func same(_ a: Event, _ b: Event) -> Bool {
        a.seq == b.seq && a.prev == b.prev && a.draft == b.draft && a.signature == b.signature
    }

    // MARK: note

    /// The fuzz targets' own keys (they sign nothing but fuzz inputs), the same in every process so that an input
    /// found once reproduces and the fuzzer reaches the code behind the signature checks. Derived from fixed seeds
    /// at start rather than written in the sources: no private key is kept in the repository.
    static func seed(_ purpose: String) -> [UInt8] { Digest.sha256(Array("hria fuzz key: \(purpose)".utf8)) }

    static let origin = "fuzz.example/hria"
    static let noteKey: (signer: NoteSigner, privateKey: String, verifierKey: String) = {
        guard let key = try? NoteSigner.generate(name: origin, seed: seed("signed notes")) else { fatalError("the fuzz note key cannot be made") }
        return key
    }()
    static var privateKey: String { noteKey.privateKey }
    static var verifierKey: String { noteKey.verifierKey }
    static var signer: NoteSigner { noteKey.signer }

    static var verifier: NoteVerifier {
        guard let verifier = try? NoteVerifier(verifierKey: verifierKey) else { fatalError("the fuzz verifier key does not parse") }
        return verifier
    }

    static func note(_ bytes: [UInt8]) {
        let verifier = Self.verifier
        _ = try? Note.open(bytes, verifiers: [verifier])
        _ = try? SignedCheckpoint.open(bytes, verifier: verifier, expectedOrigin: nil)
        _ = try? SignedCheckpoint.open(bytes, verifier: verifier, expectedOrigin: origin)
        let text = String(decoding: bytes, as: UTF8.self)
        if let checkpoint = try? Checkpoint.parse(body: text) {
            // One checkpoint has one spelling: what parses is exactly what would be written.
            guard checkpoint.body == text else { broken("a checkpoint body parses but is not the body it writes", bytes) }
        }
        let firstLine = String(text.prefix { $0 != "\n" })
        _ = try? NoteVerifier(verifierKey: firstLine)
        _ = try? NoteSigner(privateKey: firstLine)
    }

    // MARK: proof

    static func proof(_ bytes: [UInt8]) {
        guard let file = try? InclusionProofFile.parse(bytes) else { return }
        _ = try? file.verify(verifier: verifier)
        _ = file.rendered()
    }

    // MARK: sshsig

    static let sshKey: SSHPrivateKey = {
        guard let key = SSHPrivateKey(seed: seed("SSH signatures"), comment: origin) else { fatalError("the fuzz SSH key cannot be made") }
        return key
    }()
    static let sshMessage = Array("the signed event".utf8)

    static func sshsig(_ bytes: [UInt8]) {
        let key = sshKey.publicKey
        let text = String(decoding: bytes, as: UTF8.self)
        // As a blob and as armour: refused with a reason or accepted, never read past its end.
        _ = try? SSHSignature.verify(bytes, message: sshMessage, namespace: "hria-event", publicKey: key)
        if let blob = try? SSHSignature.dearmored(text) {
            _ = try? SSHSignature.verify(blob, message: sshMessage, namespace: "hria-event", publicKey: key)
        }
        // A key read back from what it writes is the same key: one spelling per key.
        if let parsed = try? SSHPublicKey(blob: bytes), parsed.blob != bytes { broken("a key blob reads but is not the blob it writes", bytes) }
        if let parsed = try? SSHPublicKey(authorizedKey: text), (try? SSHPublicKey(authorizedKey: parsed.authorizedKey)) != parsed {
            broken("a key line reads but its own line does not read back to it", bytes)
        }
        if let parsed = try? SSHPrivateKey(openSSH: text), (try? SSHPrivateKey(openSSH: parsed.openSSH))?.publicKey != parsed.publicKey {
            broken("a private key reads but its own file does not read back to it", bytes)
        }
    }

    // MARK: seeds

    /// Inputs to start from, made from the repository's workflows, the worked example's log and checkpoints, and
    /// the fixtures of the tests: libFuzzer mutates these rather than random bytes.
    public func seeds(repository: URL) -> [[UInt8]] {
        let fm = FileManager.default
        func read(_ relative: String) -> [UInt8]? { fm.contents(atPath: repository.appendingPathComponent(relative).path).map { [UInt8]($0) } }
        func files(_ relative: String, suffix: String = "") -> [[UInt8]] {
            let folder = repository.appendingPathComponent(relative)
            guard let enumerator = fm.enumerator(atPath: folder.path) else { return [] }
            return enumerator.compactMap { $0 as? String }.sorted().filter { $0.hasSuffix(suffix) }
                .compactMap { fm.contents(atPath: folder.appendingPathComponent($0).path).map { [UInt8]($0) } }
        }
        let workflows = files("workflows", suffix: ".yaml")
        func lines(_ path: String) -> [[UInt8]] { read(path).map { bytes in EventLine.split(bytes).lines.map { Array($0) } } ?? [] }
        // The worked example's acts (version 2, naming the roster state); the log-line target also gets its roster's changes.
        let logLines = lines("assessments/un75-platform/log.jsonl")
        switch self {
        case .workflow:
            return workflows + files("Tests/HRIAKitTests/Fixtures", suffix: ".yaml")
        case .guard:
            var guards = Self.handwrittenGuards.map { Array($0.utf8) }
            for file in workflows {
                for line in String(decoding: file, as: UTF8.self).split(separator: "\n") {
                    guard let range = line.range(of: "when: ") else { continue }
                    var text = line[range.upperBound...].trimmingCharacters(in: .whitespaces)
                    if text.hasSuffix("}") { text = String(text.dropLast()).trimmingCharacters(in: .whitespaces) }
                    if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { text = String(text.dropFirst().dropLast()) }
                    guards.append(Array(text.utf8))
                }
            }
            return guards
        case .logLine:
            // The worked example never moved to another workflow version: one move, with a stage renamed, made here.
            let move = EventDraft(actor: "admin", stage: "review", time: Date(timeIntervalSince1970: 1_767_225_600),
                                  payload: .workflowMigrated(WorkflowMigrated(
                                      from: WorkflowPin(id: "review", version: 1, sha256: String(repeating: "ab", count: 32)),
                                      to: WorkflowPin(id: "review", version: 2, sha256: String(repeating: "cd", count: 32)),
                                      stages: ["review": "examination"], reason: "revised process", roles: ["admin"])),
                                  roster: 4)
            return logLines + lines("roster/log.jsonl") + [EventLine.encode(move, seq: 7, prev: .zero)]
        case .note:
            var notes: [[UInt8]] = []
            for size in [0, 1, 2, 57] {
                let checkpoint = Checkpoint(origin: Self.origin, size: size, rootHash: SHA256Hash(bytes: Array(repeating: UInt8(size), count: 32)) ?? .zero)
                notes.append(Array(checkpoint.body.utf8))
                if let signed = try? SignedCheckpoint.sign(checkpoint, signer: Self.signer) { notes.append(signed) }
            }
            notes.append(Array((Self.verifierKey + "\n").utf8))
            notes.append(Array((Self.privateKey + "\n").utf8))
            if let example = read("assessments/un75-platform/checkpoint") { notes.append(example) }
            return notes
        case .proof:
            let leaves = logLines.map { Merkle.leafHash($0) }
            guard !leaves.isEmpty,
                  let signed = try? SignedCheckpoint.sign(Checkpoint(origin: Self.origin, size: leaves.count,
                                                                     rootHash: Merkle.rootHash(leafHashes: leaves)),
                                                          signer: Self.signer) else { return [] }
            return [0, 1, leaves.count / 2, leaves.count - 1].map { index in
                InclusionProofFile(eventLine: logLines[index], index: index, proof: Merkle.inclusionProof(index: index, leafHashes: leaves),
                                   checkpoint: signed).rendered()
            }
        case .bundle:
            return BundleTemplate.shared.seeds()
        case .sshsig:
            let key = Self.sshKey
            guard let blob = try? key.sign(Self.sshMessage, namespace: "hria-event") else { return [] }
            let other = (try? key.sign(Self.sshMessage, namespace: "git")) ?? []
            return [blob, Array(SSHSignature.armored(blob).utf8), other, key.publicKey.blob, Array((key.publicKey.authorizedKey + " x").utf8),
                    Array(key.openSSH.utf8), Array((SSHPrivateKey(seed: Self.seed("another"), comment: "another")?.openSSH ?? "").utf8)]
        }
    }

    static let handwrittenGuards = [
        "facts.tier == \"high\" && evidence.consult.size() >= 2",
        "facts.count > 3 || !facts.flag",
        "facts.due < date(\"2026-03-01\") ? facts.tier in [\"low\", \"medium\"] : false",
        "evidence.consult.filter(c, c.group == \"youth\").size() > 0",
        "evidence.consult.exists(c, has(c.people) && c.people > 10)",
        "evidence.brief.all(b, b.title != \"\")",
        "facts.tags.size() == 2 && \"a\" in facts.tags",
        "-facts.count + 1 > 0",
        "facts.note.size() > 0",
    ]
}
