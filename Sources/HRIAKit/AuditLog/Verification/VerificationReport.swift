import Foundation

/// One thing `hria verify` found wrong, with the first event it concerns.
public struct VerificationProblem: Sendable, Hashable {
    /// The kind of damage, a stable word for programs.
    public enum Kind: String, Sendable {
        case unreadable, malformed, sequence, chain, history, roster, signature, truncated, checkpoint, forgedCheckpoint = "forged-checkpoint",
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
    public var root: SHA256Hash = Merkle.emptyTreeRoot
    public var checkpointSize: Int?
    public var checkpointsChecked = 0
    public var evidenceFilesChecked = 0
    /// The workflow snapshots checked: workflow.yaml and each one a move to another version kept.
    public var workflowSnapshotsChecked = 1
    public var disclosuresChecked = 0
    /// Whether the workspace requires every event to be signed by its actor. When it does not, an unsigned event's
    /// actor is who the writer recorded, which every report and `verify` say.
    public var signaturesRequired = true
    /// Whether this is the report of the roster's log rather than an assessment's.
    public var isRoster = false
    public var problems: [VerificationProblem] = []
    /// Things worth knowing that are not damage (events not yet checkpointed, an interrupted write).
    public var notes: [String] = []
    /// The size and root of the checkpoint given with --against, when the log verified and extends it.
    public var consistentWith: (size: Int, root: SHA256Hash)?
    /// When the log verified: the history it holds and where its lines end, for a command to build on.
    public var standing: AssessmentLog.Standing?

    public init(id: String) {
        self.id = id
    }

    public var ok: Bool { problems.isEmpty }

    /// The earliest event any problem concerns.
    public var firstBadEvent: Int? { problems.compactMap(\.seq).min() }

    /// The first problem in words, as a command that refuses to build on this log says it.
    public var firstProblem: String? {
        problems.first.map { "[\($0.kind.rawValue)] \($0.message)" }
    }

    /// What to do about a log that does not verify, for a command that refuses to build on it: in the words of the
    /// store that keeps it (files to restore in a folder, rows in a database).
    public func restoreHelp(for record: any AssessmentRecord) -> String {
        let places = record.restorePlaces
        var help = "hria verify \(id) lists every problem; restore \(places.damaged) from a backup"
        if problems.contains(where: { $0.kind == .checkpoint && $0.message.contains("no checkpoint") }) {
            help += ". Its checkpoints are missing: restore \(places.checkpoints) from a backup or from where "
                + "they were published; hria never signs new checkpoints over a log it cannot check against the old ones"
        }
        return help
    }

    /// The report in words, one assessment per block.
    public var text: String {
        var out: String
        if ok {
            out = "\(id): verified — \(size) event\(size == 1 ? "" : "s"), root \(root.base64)"
            if let checkpointSize { out += ", signed checkpoint of size \(checkpointSize)" }
            if isRoster {
                out += "\n  checked the hash chain, each change's signature by the key its maker held then, the roster's rules, "
                    + "\(checkpointsChecked) checkpoint\(checkpointsChecked == 1 ? "" : "s") and \(disclosuresChecked) confidential name\(disclosuresChecked == 1 ? "" : "s")\n"
            } else {
                out += "\n  checked the hash chain, the history against the workflow's rules, \(checkpointsChecked) checkpoint\(checkpointsChecked == 1 ? "" : "s")"
                    + ", \(evidenceFilesChecked) evidence file\(evidenceFilesChecked == 1 ? "" : "s")"
                    + (workflowSnapshotsChecked == 1 ? ", the workflow snapshot" : ", \(workflowSnapshotsChecked) workflow snapshots")
                    + " and \(disclosuresChecked) confidential value\(disclosuresChecked == 1 ? "" : "s")\n"
            }
            if !signaturesRequired {
                out += isRoster
                    ? "  signatures are not required now for acts in assessments (roster changes are always signed): an unsigned act's actor is who the writer recorded\n"
                    : "  signatures were not required for every event here: an unsigned event's actor is who the writer recorded, not who proved it\n"
            }
        } else {
            out = "\(id): FAILED"
            if let first = firstBadEvent { out += " — first bad event: #\(first)" }
            out += "\n"
            for p in problems { out += "  - [\(p.kind.rawValue)] \(p.message)\n" }
        }
        if let (size, root) = consistentWith {
            out += "  consistent with the checkpoint given with --against (\(size) event\(size == 1 ? "" : "s"), root \(root.base64)): "
                + "this log extends it without changing any of its events\n"
        }
        for note in notes { out += "  note: \(note)\n" }
        return out
    }

    public var json: JSONValue {
        .object([
            "id": .string(id),
            "ok": .bool(ok),
            "events": .int(size),
            "root": .string(root.base64),
            "checkpoint_size": checkpointSize.map(JSONValue.int) ?? .null,
            "signatures_required": .bool(signaturesRequired),
            "first_bad_event": firstBadEvent.map(JSONValue.int) ?? .null,
            "problems": .array(problems.map { p in
                .object(["kind": .string(p.kind.rawValue), "seq": p.seq.map(JSONValue.int) ?? .null, "message": .string(p.message)])
            }),
            "notes": .array(notes.map(JSONValue.string)),
            "against": consistentWith.map { .object(["size": .int($0.size), "root": .string($0.root.base64), "consistent": .bool(true)]) } ?? .null,
        ])
    }
}
