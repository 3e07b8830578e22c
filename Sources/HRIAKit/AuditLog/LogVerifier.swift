import Foundation
import Glibc

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

    /// What the single pass over the log remembers for the file checks afterwards.
    struct Facts {
        var workflowSHA256: String?
        var evidenceFiles: [(seq: Int, sha256: String)] = []
        var digestOwner: [String: Int] = [:]
        var erased: Set<String> = []
    }

    /// The event history's shape, checked without building the whole assessment state.
    struct HistoryCheck {
        var stage: String?
        var ended = false

        mutating func check(_ line: UnsafeBufferPointer<UInt8>, top: TopLevelLine, type: EventType, index: Int,
                            facts: inout Facts) -> String? {
            if index == 0 {
                guard type == .assessmentCreated else { return "the first event must be assessment.created" }
                stage = top.stage.map { String(decoding: UnsafeBufferPointer(rebasing: line[$0]), as: UTF8.self) }
            } else if type == .assessmentCreated {
                return "assessment.created may only be the first event"
            }
            if ended, ![.disclosureErased, .recoveryTruncated].contains(type) {
                return "\(type.rawValue) after the assessment had ended"
            }
            // Only the few types the history and file checks need have their data parsed.
            func data() -> JSONValue? { top.data.flatMap { try? JSONParser.parse(UnsafeBufferPointer(rebasing: line[$0])) } }
            switch type {
            case .assessmentCreated:
                let d = data()
                guard let sha = d?["workflow"]?["sha256"]?.stringValue, d?["id"]?.stringValue != nil else {
                    return "assessment.created lacks its id or workflow"
                }
                facts.workflowSHA256 = sha
            case .stageAdvanced:
                let d = data()
                guard let from = d?["from"]?.stringValue, let to = d?["to"]?.stringValue else {
                    return "stage.advanced lacks from or to"
                }
                guard from == stage else { return "stage.advanced from \(from), but the assessment was at \(stage ?? "?")" }
                stage = to
            case .decisionRecorded:
                ended = true
            case .evidenceAdded:
                if let sha = data()?["file"]?["sha256"]?.stringValue { facts.evidenceFiles.append((index, sha)) }
            case .disclosureErased:
                if let digest = data()?["digest"]?.stringValue { facts.erased.insert(digest) }
            default:
                break
            }
            return nil
        }
    }

    public static func verify(id: String, log: AssessmentLog, trust: Trust, against: [UInt8]? = nil) -> VerificationReport {
        var report = VerificationReport(id: id)
        // Problems are gathered apart from the report so the checks below can also update the report's counts.
        var problems: [VerificationProblem] = []
        func problem(_ kind: VerificationProblem.Kind, _ seq: Int?, _ message: String) {
            problems.append(VerificationProblem(kind: kind, seq: seq, message: message))
        }
        // Checkpoints first, so one streaming pass over the log can take the root at every checkpointed size.
        let (signed, forged) = openCheckpoints(log: log, trust: trust, against: against, problem: problem)
        var pass = LinePass(sizes: Set(signed.map(\.checkpoint.size)), trust: trust, keys: signatureVerifiers(trust))

        // Stream the file once; only the current chunk, one partial line and the tree's O(log n) hashes are held.
        // Lines inside a chunk are checked where they lie; only a line split across chunks is copied.
        var pending: [UInt8] = []
        do {
            try log.fs.readChunks(log.logPath, chunkSize: 4 << 20) { chunk in
                chunk.withUnsafeBufferPointer { buffer in
                    var start = 0
                    while start < buffer.count,
                          let found = memchr(buffer.baseAddress! + start, 0x0A, buffer.count - start) {
                        let end = buffer.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
                        if pending.isEmpty {
                            pass.process(UnsafeBufferPointer(rebasing: buffer[start..<end]))
                        } else {
                            pending.append(contentsOf: buffer[start..<end])
                            pending.withUnsafeBufferPointer { pass.process($0) }
                            pending.removeAll(keepingCapacity: true)
                        }
                        start = end + 1
                    }
                    pending.append(contentsOf: buffer[start...])
                }
            }
        } catch {
            problem(.unreadable, nil, "the log cannot be read: \(error)")
            report.problems = problems
            return report
        }
        pass.finish()
        problems += pass.problems
        let (index, roots, facts, structureBroken) = (pass.index, pass.roots, pass.facts, pass.structureBroken)
        let tailLength = pending.count
        report.size = index
        report.root = pass.accumulator.root()
        if tailLength > 0 {
            report.notes.append("\(tailLength) bytes of an interrupted write follow event \(index - 1); the next command repairs them")
        }
        compareCheckpoints(&report, signed: signed, roots: roots, size: index, problem: problem)
        // A forged checkpoint vouches for nothing: the first event it claims beyond what genuine checkpoints
        // cover is the first one nobody trustworthy signed.
        let vouched = signed.filter { !$0.external && roots[$0.checkpoint.size] == $0.checkpoint.rootHash }.map(\.checkpoint.size).max() ?? 0
        for (label, size, reason) in forged {
            let seq = size.map { min(max(0, $0 - 1), vouched) }
            problem(.forgedCheckpoint, seq, "\(label) does not verify with the workspace's log key (\(reason)): it was forged or altered"
                        + (seq.map { "; events from #\($0) on are not vouched for by a genuine checkpoint" } ?? ""))
        }
        if !problems.isEmpty {
            report.notes.removeAll { $0.contains("not yet covered by a checkpoint") }
        }
        if !structureBroken {
            checkFiles(&report, log: log, facts: facts, problem: problem)
        }
        let order: [VerificationProblem.Kind] = [.unreadable, .malformed, .sequence, .chain, .history, .signature, .truncated, .fork,
                                                 .forgedCheckpoint, .checkpoint, .workflow, .evidence, .disclosure]
        func rank(_ k: VerificationProblem.Kind) -> Int { order.firstIndex(of: k) ?? order.count }
        report.problems = problems.sorted { ($0.seq ?? Int.max, rank($0.kind)) < ($1.seq ?? Int.max, rank($1.kind)) }
        return report
    }

    /// The single pass over the log's lines, as a struct so its state is checked for exclusive access at compile
    /// time rather than on every line.
    struct LinePass {
        let sizes: Set<Int>
        let trust: Trust
        let keys: [String: NoteVerifier]
        var roots: [Int: [UInt8]] = [:]
        var accumulator = MerkleAccumulator()
        var facts = Facts()
        var history = HistoryCheck()
        var structureBroken = false
        var previousHex = Array(Event.genesisPrev.utf8)
        var leafHex = [UInt8](repeating: 0, count: 64)
        var index = 0
        var pendingSequence: (Int, Int)?
        var problems: [VerificationProblem] = []

        init(sizes: Set<Int>, trust: Trust, keys: [String: NoteVerifier]) {
            self.sizes = sizes
            self.trust = trust
            self.keys = keys
            if sizes.contains(0) { roots[0] = accumulator.root() }
        }

        mutating func problem(_ kind: VerificationProblem.Kind, _ seq: Int?, _ message: String) {
            problems.append(VerificationProblem(kind: kind, seq: seq, message: message))
        }

        mutating func finish() {
            if let (badIndex, badSeq) = pendingSequence {
                problem(.sequence, badIndex, LogVerifier.sequenceMessage(index: badIndex, seq: badSeq, nextSeq: nil))
            }
        }

        mutating func process(_ line: UnsafeBufferPointer<UInt8>) {
            defer { index += 1 }
            // One SHA-256 per line: the RFC 6962 leaf hash is both the Merkle leaf and the next line's `prev`.
            let leaf = Merkle.leafHash(line)
            accumulator.append(leafHash: leaf)
            if sizes.contains(accumulator.size) { roots[accumulator.size] = accumulator.root() }
            Digest.writeHex(leaf, into: &leafHex)
            defer { swap(&previousHex, &leafHex) }
            if let (badIndex, badSeq) = pendingSequence {
                // The line after a sequence break tells a swap from a deletion or an insertion.
                pendingSequence = nil
                problem(.sequence, badIndex, LogVerifier.sequenceMessage(index: badIndex, seq: badSeq, nextSeq: TopLevelLine.scan(line)?.seq))
            }
            if structureBroken { return }
            guard let top = TopLevelLine.scan(line), top.version == 1, let seq = top.seq, let prev = top.prev,
                  let typeRange = top.type, let type = EventType(bytes: UnsafeBufferPointer(rebasing: line[typeRange])),
                  top.actor != nil, top.stage != nil, let time = top.time,
                  Timestamp.isWellFormed(UnsafeBufferPointer(rebasing: line[time])), top.data != nil, top.sd != nil else {
                // The full parser names what is wrong.
                let reason: String
                do {
                    _ = try Event.parse(Array(line))
                    reason = "it cannot be read"
                } catch {
                    reason = error.reason
                }
                problem(.malformed, index, "event \(index) is not a well-formed event (\(reason)): it was edited or damaged")
                structureBroken = true
                return
            }
            if seq != index {
                pendingSequence = (index, seq)
                structureBroken = true
                return
            }
            let prevMatches = prev.count == previousHex.count
                && previousHex.withUnsafeBufferPointer { memcmp(line.baseAddress! + prev.lowerBound, $0.baseAddress!, prev.count) == 0 }
            if !prevMatches {
                // The line before no longer hashes to what this event recorded: that line was changed.
                problem(.chain, max(0, index - 1), index == 0
                        ? "event 0 does not start the chain"
                        : "event \(index - 1) was changed: event \(index) recorded a different hash for it")
                structureBroken = true
                return
            }
            if let reason = history.check(line, top: top, type: type, index: index, facts: &facts) {
                problem(.history, index, "event \(index) does not fit the assessment's history: \(reason)")
                structureBroken = true
                return
            }
            if !top.sdIsEmpty, let range = top.sd, let digests = (try? JSONParser.parse(line[range]))?.arrayValue {
                for digest in digests.compactMap(\.stringValue) where facts.digestOwner[digest] == nil { facts.digestOwner[digest] = index }
            }
            if top.hasSignature || trust.requireSignatures {
                let bytes = Array(line)
                var found: [String] = []
                LogVerifier.checkSignature(bytes, seq: index, actor: TopLevelLine.text(top.actor, in: bytes) ?? "", keys: keys,
                                           trust: trust) { found.append($0) }
                for message in found { problem(.signature, index, message) }
            }
        }
    }

    static func sequenceMessage(index: Int, seq: Int, nextSeq: Int?) -> String {
        if seq == index + 1, nextSeq == index { return "events \(index) and \(index + 1) are in the wrong order" }
        if seq == index + 1 { return "event \(index) is missing (event \(seq) is in its place)" }
        if seq > index { return "events \(index) to \(seq - 1) are missing (event \(seq) is in their place)" }
        return "line \(index + 1) holds a second event \(seq): a line was inserted"
    }

    static func signatureVerifiers(_ trust: Trust) -> [String: NoteVerifier] {
        var keys: [String: NoteVerifier] = ["hria": trust.verifier]
        for person in trust.people {
            if let key = person.key, let verifier = try? NoteVerifier(verifierKey: key) { keys[person.id] = verifier }
        }
        return keys
    }

    static func checkSignature(_ line: [UInt8], seq: Int, actor: String, keys: [String: NoteVerifier], trust: Trust,
                               problem: (String) -> Void) {
        guard let (message, signature) = LogLine.signedBytes(of: line) else {
            if trust.requireSignatures { problem("event \(seq) by \(actor) is not signed, and hria.yaml requires signatures") }
            return
        }
        guard let verifier = keys[actor] else {
            problem("event \(seq) is signed by \(actor), but hria.yaml lists no key for \(actor)")
            return
        }
        guard let raw = Data(base64Encoded: signature), verifier.verify(message, signature: [UInt8](raw)) else {
            problem("the signature of \(actor) on event \(seq) does not verify: the event was changed or signed by someone else")
            return
        }
    }

    typealias SignedCheckpointEntry = (label: String, checkpoint: Checkpoint, external: Bool)

    /// Reads and signature-checks every stored checkpoint, the latest one and the external one.
    static func openCheckpoints(log: AssessmentLog, trust: Trust, against: [UInt8]?,
                                problem: (VerificationProblem.Kind, Int?, String) -> Void)
        -> (signed: [SignedCheckpointEntry], forged: [(label: String, size: Int?, reason: String)]) {
        let files = CheckpointFiles(log: log)
        var signed: [SignedCheckpointEntry] = []
        var forged: [(label: String, size: Int?, reason: String)] = []
        func open(_ bytes: [UInt8], label: String, external: Bool, expectedSize: Int? = nil) {
            do {
                let checkpoint = try SignedCheckpoint.open(bytes, verifier: trust.verifier, expectedOrigin: trust.origin)
                if external == false, label.hasPrefix("checkpoints/"), expectedSize != checkpoint.size {
                    problem(.checkpoint, nil, expectedSize == nil
                            ? "\(label) is not named after the size of the checkpoint it holds (\(checkpoint.size))"
                            : "\(label) holds a checkpoint of size \(checkpoint.size)")
                }
                signed.append((label, checkpoint, external))
            } catch {
                forged.append((label, claimedSize(bytes), "\(error)"))
            }
        }
        for stored in files.stored() {
            // Every stored checkpoint's signature is checked: a file altered even where its root still matches is tampering.
            open(stored.bytes, label: "checkpoints/\(stored.name)", external: false, expectedSize: stored.size)
        }
        if let latest = files.latest() {
            open(latest, label: "the latest checkpoint", external: false)
        }
        if let against { open(against, label: "the checkpoint given with --against", external: true) }
        return (signed, forged)
    }

    /// The size a checkpoint claims in its body, whether or not its signature holds.
    static func claimedSize(_ bytes: [UInt8]) -> Int? {
        let lines = String(decoding: bytes.prefix(4096), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        return lines.count > 1 ? Int(lines[1]) : nil
    }

    /// Compares each checkpoint with the roots recomputed over the log: checkpoints whose roots match are
    /// consistent with the log, and so with each other, by construction.
    static func compareCheckpoints(_ report: inout VerificationReport, signed: [SignedCheckpointEntry], roots: [Int: [UInt8]], size: Int,
                                   problem: (VerificationProblem.Kind, Int?, String) -> Void) {
        report.checkpointsChecked = signed.count
        if signed.allSatisfy({ $0.external }) && size > 0 {
            problem(.checkpoint, nil, "the assessment has no checkpoint")
        }
        var bySize: [Int: (String, [UInt8])] = [:]
        var matching: [Int] = []
        var mismatched: [(label: String, size: Int, external: Bool)] = []
        var truncatedSizes = Set<Int>()
        for entry in signed {
            let (label, checkpoint, external) = (entry.label, entry.checkpoint, entry.external)
            if let (otherLabel, otherRoot) = bySize[checkpoint.size], otherRoot != checkpoint.rootHash {
                problem(.fork, checkpoint.size > 0 ? checkpoint.size - 1 : nil,
                        "\(label) and \(otherLabel) both sign size \(checkpoint.size) with different roots: the log has forked")
            }
            bySize[checkpoint.size] = (label, checkpoint.rootHash)
            guard checkpoint.size <= size else {
                if truncatedSizes.insert(checkpoint.size).inserted || external {
                    let removed = checkpoint.size - size == 1 ? "event \(size) was removed" : "events \(size) to \(checkpoint.size - 1) were removed"
                    problem(.truncated, size, "\(label) covers \(checkpoint.size) events but the log holds only \(size): \(removed)")
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
                        + (others > 0 ? " (\(others) later checkpoint\(others == 1 ? " disagrees" : "s disagree") too)" : ""))
        }
        if let latest = signed.filter({ !$0.external }).map(\.checkpoint.size).max() {
            report.checkpointSize = latest
            if latest < size {
                let events = latest == size - 1 ? "event \(latest) is" : "events \(latest) to \(size - 1) are"
                report.notes.append("\(events) not yet covered by a checkpoint; the next command signs one")
            }
        }
    }

    static func checkFiles(_ report: inout VerificationReport, log: AssessmentLog, facts: Facts,
                           problem: (VerificationProblem.Kind, Int?, String) -> Void) {
        if let sha = facts.workflowSHA256 {
            if let bytes = try? log.fs.readAll(log.workflowPath) {
                if Digest.sha256Hex(bytes) != sha {
                    problem(.workflow, 0, "the workflow snapshot workflow.yaml is not the file whose SHA-256 event 0 recorded")
                }
            } else {
                problem(.workflow, 0, "the workflow snapshot workflow.yaml is missing")
            }
        }
        for (seq, sha) in facts.evidenceFiles {
            report.evidenceFilesChecked += 1
            guard sha.utf8.count == 64, sha.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
                problem(.evidence, seq, "event \(seq) names an evidence file with an invalid digest")
                continue
            }
            guard let bytes = try? log.fs.readAll("\(log.evidenceFolder)/\(sha)") else {
                problem(.evidence, seq, "the evidence file of event \(seq) (sha256 \(sha.prefix(12))…) is missing")
                continue
            }
            if Digest.sha256Hex(bytes) != sha {
                problem(.evidence, seq, "the evidence file of event \(seq) was swapped or changed: its SHA-256 differs")
            }
        }
        for name in log.fs.listDirectory(log.disclosuresFolder) where !name.hasPrefix(".") {
            report.disclosuresChecked += 1
            let owner = facts.digestOwner[name]
            guard let bytes = try? log.fs.readAll("\(log.disclosuresFolder)/\(name)") else { continue }
            let text = String(decoding: bytes, as: UTF8.self)
            if Disclosure.digest(of: text) != name || Disclosure(encoded: text) == nil {
                problem(.disclosure, owner, "the confidential value stored as \(name.prefix(12))… was altered: it no longer matches its digest")
            } else if owner == nil {
                problem(.disclosure, nil, "private/disclosures holds \(name.prefix(12))…, which no event lists")
            } else if facts.erased.contains(name) {
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
