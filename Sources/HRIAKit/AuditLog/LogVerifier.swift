import Foundation

/// One thing `hria verify` found wrong, with the first event it concerns.
public struct VerificationProblem: Sendable, Hashable {
    /// The kind of damage, a stable word for programs.
    public enum Kind: String, Sendable {
        case unreadable, malformed, sequence, chain, history, signature, truncated, checkpoint, forgedCheckpoint = "forged-checkpoint",
             fork, evidence, workflow, disclosure
    }
    public var kind: Kind
    public var seq: Int?
    public var message: String

    public init(kind: Kind, seq: Int?, message: String) {
        self.kind = kind
        self.seq = seq
        self.message = message
    }
}

/// What `hria verify` established about one assessment.
public struct VerificationReport: Sendable {
    public var id: String
    public var size = 0
    public var root: [UInt8] = Merkle.emptyRoot
    public var checkpointSize: Int?
    public var checkpointsChecked = 0
    public var evidenceFilesChecked = 0
    public var disclosuresChecked = 0
    public var problems: [VerificationProblem] = []
    /// Things worth knowing that are not damage (events not yet checkpointed, an interrupted write).
    public var notes: [String] = []

    public var ok: Bool { problems.isEmpty }

    /// The earliest event any problem concerns.
    public var firstBadEvent: Int? { problems.compactMap(\.seq).min() }
}

/// Recomputes everything from the stored bytes and compares it with what was signed. Never repairs,
/// never re-serialises: leaves and chain hashes are taken over the exact bytes of each line.
public enum LogVerifier {
    /// Inputs verification needs besides the files: the trusted key, the origin, and who may sign events.
    public struct Trust: Sendable {
        public var verifier: NoteVerifier
        public var origin: String
        public var people: [Person]
        public var requireSignatures: Bool
        public init(verifier: NoteVerifier, origin: String, people: [Person], requireSignatures: Bool) {
            self.verifier = verifier
            self.origin = origin
            self.people = people
            self.requireSignatures = requireSignatures
        }
    }

    public static func verify(id: String, log: AssessmentLog, trust: Trust, against: [UInt8]? = nil) -> VerificationReport {
        var report = VerificationReport(id: id)
        // Problems are gathered apart from the report so the checks below can also update the report's counts.
        var problems: [VerificationProblem] = []
        func problem(_ kind: VerificationProblem.Kind, _ seq: Int?, _ message: String) {
            problems.append(VerificationProblem(kind: kind, seq: seq, message: message))
        }
        let bytes: [UInt8]
        do {
            bytes = try log.fs.readAll(log.logPath)
        } catch {
            problem(.unreadable, nil, "the log cannot be read: \(error)")
            report.problems = problems
            return report
        }
        let (lines, tail) = LogLine.split(bytes)
        var leafHashes: [[UInt8]] = []
        leafHashes.reserveCapacity(lines.count)
        var events: [Event] = []
        var structureBroken = false
        var previousHash = Event.genesisPrev
        var state = AssessmentState()
        let keys = signatureVerifiers(trust)
        for (index, slice) in lines.enumerated() {
            let line = Array(slice)
            leafHashes.append(Merkle.leafHash(line))
            let lineHash = Digest.sha256Hex(line)
            defer { previousHash = lineHash }
            if structureBroken { continue }
            let event: Event
            do {
                event = try Event.parse(line)
            } catch {
                problem(.malformed, index, "event \(index) is not a well-formed event (\(error)): it was edited or damaged")
                structureBroken = true
                continue
            }
            if event.seq != index {
                let nextSeq = index + 1 < lines.count ? (try? Event.parse(Array(lines[index + 1])))?.seq : nil
                let what: String
                if event.seq == index + 1, nextSeq == index {
                    what = "events \(index) and \(index + 1) are in the wrong order"
                } else if event.seq > index {
                    what = event.seq == index + 1 ? "event \(index) is missing (event \(event.seq) is in its place)"
                        : "events \(index) to \(event.seq - 1) are missing (event \(event.seq) is in their place)"
                } else {
                    what = "line \(index + 1) holds a second event \(event.seq): a line was inserted"
                }
                problem(.sequence, index, what)
                structureBroken = true
                continue
            }
            if event.prev != previousHash {
                // The line before no longer hashes to what this event recorded: that line was changed.
                problem(.chain, max(0, index - 1), index == 0
                        ? "event 0 does not start the chain"
                        : "event \(index - 1) was changed: event \(index) recorded a different hash for it")
                structureBroken = true
                continue
            }
            do {
                try state.apply(event)
            } catch {
                problem(.history, index, "event \(index) does not fit the assessment's history: \(error.reason)")
                structureBroken = true
                continue
            }
            checkSignature(event, keys: keys, trust: trust) { problem(.signature, index, $0) }
            events.append(event)
        }
        report.size = lines.count
        if !tail.isEmpty {
            report.notes.append("\(tail.count) bytes of an interrupted write follow event \(lines.count - 1); the next command repairs them")
        }

        checkCheckpoints(&report, log: log, trust: trust, leafHashes: leafHashes, against: against, problem: problem)
        if !structureBroken {
            checkFiles(&report, log: log, events: events, state: state, problem: problem)
        }
        let order: [VerificationProblem.Kind] = [.unreadable, .malformed, .sequence, .chain, .history, .signature, .truncated, .fork,
                                                 .forgedCheckpoint, .checkpoint, .workflow, .evidence, .disclosure]
        func rank(_ k: VerificationProblem.Kind) -> Int { order.firstIndex(of: k) ?? order.count }
        report.problems = problems.sorted { ($0.seq ?? Int.max, rank($0.kind)) < ($1.seq ?? Int.max, rank($1.kind)) }
        return report
    }

    static func signatureVerifiers(_ trust: Trust) -> [String: NoteVerifier] {
        var keys: [String: NoteVerifier] = ["hria": trust.verifier]
        for person in trust.people {
            if let key = person.key, let verifier = try? NoteVerifier(verifierKey: key) { keys[person.id] = verifier }
        }
        return keys
    }

    static func checkSignature(_ event: Event, keys: [String: NoteVerifier], trust: Trust, problem: (String) -> Void) {
        guard let (message, signature) = LogLine.signedBytes(of: event.line) else {
            if trust.requireSignatures { problem("event \(event.seq) by \(event.actor) is not signed, and hria.yaml requires signatures") }
            return
        }
        guard let verifier = keys[event.actor] else {
            problem("event \(event.seq) is signed by \(event.actor), but hria.yaml lists no key for \(event.actor)")
            return
        }
        guard let raw = Data(base64Encoded: signature), verifier.verify(message, signature: [UInt8](raw)) else {
            problem("the signature of \(event.actor) on event \(event.seq) does not verify: the event was changed or signed by someone else")
            return
        }
    }

    static func checkCheckpoints(_ report: inout VerificationReport, log: AssessmentLog, trust: Trust, leafHashes: [[UInt8]],
                                 against: [UInt8]?, problem: (VerificationProblem.Kind, Int?, String) -> Void) {
        let files = CheckpointFiles(log: log)
        var signed: [(label: String, checkpoint: Checkpoint, external: Bool)] = []
        func open(_ bytes: [UInt8], label: String, external: Bool) {
            do {
                let checkpoint = try SignedCheckpoint.open(bytes, verifier: trust.verifier, expectedOrigin: trust.origin)
                signed.append((label, checkpoint, external))
            } catch {
                problem(.forgedCheckpoint, nil, "\(label) does not verify with the workspace's log key: \(error)")
            }
        }
        for stored in files.stored() {
            open(stored.bytes, label: "checkpoints/\(stored.name)", external: false)
            if let last = signed.last, last.label == "checkpoints/\(stored.name)", stored.size != last.checkpoint.size {
                problem(.checkpoint, nil, "checkpoints/\(stored.name) holds a checkpoint of size \(last.checkpoint.size)")
            }
        }
        if let latest = files.latest() {
            open(latest, label: "the latest checkpoint", external: false)
        } else if !leafHashes.isEmpty {
            problem(.checkpoint, nil, "the assessment has no checkpoint")
        }
        if let against { open(against, label: "the checkpoint given with --against", external: true) }
        report.checkpointsChecked = signed.count

        // Roots of every checkpointed size in one pass over the leaves.
        let sizes = Set(signed.map(\.checkpoint.size).filter { $0 <= leafHashes.count })
        var roots: [Int: [UInt8]] = [:]
        var accumulator = MerkleAccumulator()
        if sizes.contains(0) { roots[0] = accumulator.root() }
        for leaf in leafHashes {
            accumulator.append(leafHash: leaf)
            if sizes.contains(accumulator.size) { roots[accumulator.size] = accumulator.root() }
        }
        report.root = accumulator.root()

        var bySize: [Int: (String, [UInt8])] = [:]
        var matching: [Int] = []
        var mismatched: [(label: String, size: Int, external: Bool)] = []
        var truncatedSizes = Set<Int>()
        for (label, checkpoint, external) in signed {
            if let (otherLabel, otherRoot) = bySize[checkpoint.size], otherRoot != checkpoint.rootHash {
                problem(.fork, checkpoint.size > 0 ? checkpoint.size - 1 : nil,
                        "\(label) and \(otherLabel) both sign size \(checkpoint.size) with different roots: the log has forked")
            }
            bySize[checkpoint.size] = (label, checkpoint.rootHash)
            guard checkpoint.size <= leafHashes.count else {
                if truncatedSizes.insert(checkpoint.size).inserted || external {
                    let removed = checkpoint.size - leafHashes.count == 1 ? "event \(leafHashes.count) was removed"
                        : "events \(leafHashes.count) to \(checkpoint.size - 1) were removed"
                    problem(.truncated, leafHashes.count,
                            "\(label) covers \(checkpoint.size) events but the log holds only \(leafHashes.count): \(removed)")
                }
                continue
            }
            if roots[checkpoint.size] != checkpoint.rootHash {
                mismatched.append((label, checkpoint.size, external))
            } else {
                matching.append(checkpoint.size)
            }
        }
        // The smallest checkpoint that disagrees bounds where the rewrite starts; later ones only repeat it.
        for group in [mismatched.filter { !$0.external }, mismatched.filter(\.external)] {
            guard let first = group.min(by: { $0.size < $1.size }) else { continue }
            let earlier = matching.filter { $0 < first.size }.max() ?? 0
            let place = earlier == first.size - 1 ? "event \(earlier) was rewritten"
                : "something between event \(earlier) and event \(first.size - 1) was rewritten"
            let others = group.count - 1
            problem(first.external ? .fork : .checkpoint, earlier,
                    "the first \(first.size) events are not the ones \(first.label) signed: \(place)"
                        + (others > 0 ? " (\(others) later checkpoint\(others == 1 ? "" : "s") disagree too)" : ""))
        }
        // Every matching root was recomputed from the same leaves, so matching checkpoints are consistent by
        // construction; one RFC 9162 consistency proof between the oldest and newest also exercises the proof
        // an outside auditor would ask for, in linear time.
        let ordered = Array(Set(matching)).sorted()
        if let old = ordered.first(where: { $0 > 0 }), let new = ordered.last, new > old {
            let proof = Merkle.consistencyProof(oldSize: old, leafHashes: Array(leafHashes.prefix(new)))
            if !Merkle.verifyConsistency(oldSize: old, newSize: new, oldRoot: roots[old]!, newRoot: roots[new]!, proof: proof) {
                problem(.checkpoint, old, "checkpoints of sizes \(old) and \(new) are not consistent")
            }
        }
        if let latest = signed.filter({ !$0.external }).map(\.checkpoint.size).max() {
            report.checkpointSize = latest
            if latest < leafHashes.count {
                let events = latest == leafHashes.count - 1 ? "event \(latest) is" : "events \(latest) to \(leafHashes.count - 1) are"
                report.notes.append("\(events) not yet covered by a checkpoint; the next command signs one")
            }
        }
    }

    static func checkFiles(_ report: inout VerificationReport, log: AssessmentLog, events: [Event], state: AssessmentState,
                           problem: (VerificationProblem.Kind, Int?, String) -> Void) {
        if let first = events.first {
            if let bytes = try? log.fs.readAll(log.workflowPath) {
                if Digest.sha256Hex(bytes) != state.workflowSHA256 {
                    problem(.workflow, first.seq, "the workflow snapshot workflow.yaml is not the file whose SHA-256 event 0 recorded")
                }
            } else {
                problem(.workflow, first.seq, "the workflow snapshot workflow.yaml is missing")
            }
        }
        var digestOwner: [String: Int] = [:]
        for event in events {
            for digest in event.sd where digestOwner[digest] == nil { digestOwner[digest] = event.seq }
            guard event.type == .evidenceAdded, let sha = event.data["file"]?["sha256"]?.stringValue else { continue }
            report.evidenceFilesChecked += 1
            guard sha.utf8.count == 64, sha.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
                problem(.evidence, event.seq, "event \(event.seq) names an evidence file with an invalid digest")
                continue
            }
            guard let bytes = try? log.fs.readAll("\(log.evidenceFolder)/\(sha)") else {
                problem(.evidence, event.seq, "the evidence file of event \(event.seq) (sha256 \(sha.prefix(12))…) is missing")
                continue
            }
            if Digest.sha256Hex(bytes) != sha {
                problem(.evidence, event.seq, "the evidence file of event \(event.seq) was swapped or changed: its SHA-256 differs")
            }
        }
        for name in log.fs.listDirectory(log.disclosuresFolder) where !name.hasPrefix(".") {
            report.disclosuresChecked += 1
            let owner = digestOwner[name]
            guard let bytes = try? log.fs.readAll("\(log.disclosuresFolder)/\(name)") else { continue }
            let text = String(decoding: bytes, as: UTF8.self)
            if Disclosure.digest(of: text) != name || Disclosure(encoded: text) == nil {
                problem(.disclosure, owner, "the confidential value stored as \(name.prefix(12))… was altered: it no longer matches its digest")
            } else if owner == nil {
                problem(.disclosure, nil, "private/disclosures holds \(name.prefix(12))…, which no event lists")
            } else if state.erasedDigests.contains(name) {
                report.notes.append("the erased value \(name.prefix(12))… is still stored in private/")
            }
        }
    }

    /// The report in words, one assessment per block.
    public static func text(_ report: VerificationReport) -> String {
        var out: String
        if report.ok {
            out = "\(report.id): verified — \(report.size) event\(report.size == 1 ? "" : "s"), root \(Data(report.root).base64EncodedString())"
            if let size = report.checkpointSize { out += ", signed checkpoint of size \(size)" }
            out += "\n  checked the hash chain, \(report.checkpointsChecked) checkpoint\(report.checkpointsChecked == 1 ? "" : "s")"
                + ", \(report.evidenceFilesChecked) evidence file\(report.evidenceFilesChecked == 1 ? "" : "s")"
                + ", the workflow snapshot and \(report.disclosuresChecked) confidential value\(report.disclosuresChecked == 1 ? "" : "s")\n"
        } else {
            out = "\(report.id): FAILED"
            if let first = report.firstBadEvent { out += " — first bad event: #\(first)" }
            out += "\n"
            for p in report.problems { out += "  - [\(p.kind.rawValue)] \(p.message)\n" }
        }
        for note in report.notes { out += "  note: \(note)\n" }
        return out
    }

    public static func json(_ report: VerificationReport) -> JSONValue {
        .object([
            "id": .string(report.id),
            "ok": .bool(report.ok),
            "events": .int(report.size),
            "root": .string(Data(report.root).base64EncodedString()),
            "checkpoint_size": report.checkpointSize.map(JSONValue.int) ?? .null,
            "first_bad_event": report.firstBadEvent.map(JSONValue.int) ?? .null,
            "problems": .array(report.problems.map { p in
                .object(["kind": .string(p.kind.rawValue), "seq": p.seq.map(JSONValue.int) ?? .null, "message": .string(p.message)])
            }),
            "notes": .array(report.notes.map(JSONValue.string)),
        ])
    }
}
