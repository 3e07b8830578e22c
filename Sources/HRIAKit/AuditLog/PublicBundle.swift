import Foundation

/// A publishable bundle of one assessment: everything needed to verify it and read the decision, nothing
/// from private/. Its layout mirrors the assessment folder, so the same verifier checks both.
public enum PublicBundle {
    public static let schema = "hria.bundle/v1"
    public static let manifestName = "bundle.json"

    /// What the bundle says about itself.
    public struct Manifest: Sendable {
        public init(id: String, organisation: String, origin: String, logKey: String, signers: [String: String], requireSignatures: Bool) {
            self.id = id
            self.organisation = organisation
            self.origin = origin
            self.logKey = logKey
            self.signers = signers
            self.requireSignatures = requireSignatures
        }

        public var id: String
        public var organisation: String
        /// The checkpoint origin, `<workspace origin>/<id>`.
        public var origin: String
        public var logKey: String
        /// Verifier keys of people who signed events, by person id.
        public var signers: [String: String]
        public var requireSignatures: Bool
        /// The origin of the roster's checkpoints, when the bundle carries the roster (roster/).
        public var rosterOrigin: String?
    }

    /// The manifest's bytes (pretty JSON, sorted keys, a final newline).
    public static func manifestBytes(_ manifest: Manifest) -> [UInt8] {
        let value: JSONValue = .object([
            "schema": .string(schema), "id": .string(manifest.id), "organisation": .string(manifest.organisation),
            "origin": .string(manifest.origin), "log_key": .string(manifest.logKey),
            "signers": .object(manifest.signers.mapValues(JSONValue.string)), "require_signatures": .bool(manifest.requireSignatures),
        ].merging(manifest.rosterOrigin.map { ["roster_origin": .string($0)] } ?? [:]) { a, _ in a })
        return Array((value.rendered(pretty: true) + "\n").utf8)
    }

    public static func readme(id: String, logKey: String) -> String {
        """
        Public record of the human-rights impact assessment "\(id)", exported by hria.

        report.html / report.md   the decision record (no confidential values)
        log.jsonl                 every event, one JSON line each; confidential values appear only as salted digests
        checkpoint, checkpoints/  signed checkpoints (C2SP signed notes) over the log's RFC 6962 Merkle tree
        tile/                     the log at the latest checkpoint on the C2SP tlog-tiles read path: this folder on
                                  a static web host is a transparency log that monitors and witnesses can follow
        roster/                   the roster's log, checkpoints and tiles: who held which role and key when
                                  (unpublished names appear only as salted digests)
        workflow.yaml             the exact workflow the assessment started on (its SHA-256 is in event 0)
        workflows/                the workflows it moved to later, if any, named by SHA-256 (workflow.migrated events)
        evidence/sha256/          evidence files, named by their SHA-256
        bundle.json               what this bundle is, and the verifier key of the log

        To check it, with hria:   hria verify --bundle THIS-FOLDER --key "\(logKey)"
        Compare the checkpoint with one published earlier to be sure nothing was removed since.

        """
    }

    /// Where a bundle names its evidence files: `evidence/index.json`.
    public static let evidenceIndexName = "evidence/index.json"

    /// The evidence index of an assessment: for each attached file's SHA-256, the name it was recorded under and the
    /// event that recorded it (in order), so an auditor opens "dpia.pdf" rather than a bare hash. Written from the log;
    /// `verify --bundle` checks it says what the log says.
    public static func evidenceIndex(_ state: AssessmentState) -> JSONValue {
        var files: [String: [JSONValue]] = [:]
        for item in state.evidence {
            if let file = item.file { files[file.sha256, default: []].append(.object(["name": .string(file.name), "event": .int(item.seq)])) }
            for update in item.updates {
                if let file = update.file {
                    files[file.sha256, default: []].append(.object(["name": .string(file.name), "event": .int(update.seq)]))
                }
            }
        }
        func event(_ entry: JSONValue) -> Int { entry["event"]?.intValue ?? 0 }
        return .object(["schema": .string("hria.evidence-index/v1"),
                        "files": .object(files.mapValues { .array($0.sorted { event($0) < event($1) }) })])
    }

    /// Reads and checks a bundle's manifest.
    public static func manifest(at folder: String) throws(HRIAError) -> Manifest {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) else {
            throw .badInput("there is no bundle at \(folder): no such folder")
        }
        guard isFolder.boolValue else {
            throw .badInput("\(folder) is not a bundle: a bundle is a folder, made by hria export")
        }
        let bytes = try InputFile.read(Paths.join(folder, manifestName), displayName: "\(Paths.name(folder))/\(manifestName)", limit: 1 << 20).bytes
        guard let value = try? JSONParser.parse(bytes), value["schema"]?.stringValue == schema,
              let id = value["id"]?.stringValue, AssessmentID.isValid(id), let origin = value["origin"]?.stringValue,
              let logKey = value["log_key"]?.stringValue else {
            throw .badInput("\(folder) is not an hria bundle: \(manifestName) is missing fields or is not \(schema)")
        }
        var signers: [String: String] = [:]
        for (person, key) in value["signers"]?.objectValue ?? [:] { if let k = key.stringValue { signers[person] = k } }
        var manifest = Manifest(id: id, organisation: value["organisation"]?.stringValue ?? "", origin: origin, logKey: logKey,
                                signers: signers, requireSignatures: value["require_signatures"]?.boolValue ?? false)
        manifest.rosterOrigin = value["roster_origin"]?.stringValue
        return manifest
    }

    /// Verifies a bundle on its own. `pinnedKey` is the verifier key the reader trusts; without it, the key the
    /// bundle ships is used and the report says so.
    public static func verify(folder: String, pinnedKey: String?, against: [UInt8]?) throws(HRIAError) -> (VerificationReport, Manifest) {
        let checked = try verifyWithRoster(folder: folder, pinnedKey: pinnedKey, against: against)
        return (checked.report, checked.manifest)
    }

    /// `verify`, also giving the roster the bundle carries as its verification left it (nil without one, or when it
    /// does not verify), for readers that show it without checking it a second time.
    public static func verifyWithRoster(folder: String, pinnedKey: String?, against: [UInt8]?) throws(HRIAError)
        -> (report: VerificationReport, manifest: Manifest, roster: Roster?) {
        let manifest = try manifest(at: folder)
        let keyText = pinnedKey ?? manifest.logKey
        let verifier: NoteVerifier
        do {
            verifier = try NoteVerifier(verifierKey: keyText)
        } catch {
            throw .badInput("the verifier key is not valid: \(error)")
        }
        let people = manifest.signers.map { Person(id: $0.key, name: $0.key, roles: [], key: $0.value) }
        var trust = LogVerifier.Trust(verifier: verifier, origin: manifest.origin, people: people,
                                      requireSignatures: manifest.requireSignatures)
        // The roster in the bundle is checked first, with the same key; the acts are then judged against it.
        let roster = RosterLog(folder: Paths.join(folder, "roster"), fs: PosixFileSystem())
        var rosterProblem: VerificationProblem?
        if roster.exists || manifest.rosterOrigin != nil {
            let checked = roster.verify(verifier: verifier, origin: manifest.rosterOrigin ?? "")
            if let standing = checked.standing {
                trust.roster = standing.roster
            } else {
                rosterProblem = VerificationProblem(kind: .roster, seq: nil,
                                                    message: "the bundle's roster does not verify: " + (checked.report.firstProblem ?? "roster/ is missing"))
            }
        }
        var report = LogVerifier.verify(id: manifest.id, log: AssessmentLog(folder: folder), trust: trust, against: against)
        // The evidence index is a convenience for readers; one that disagrees with the log would mislead them.
        let indexPath = Paths.join(folder, evidenceIndexName)
        if let state = report.standing?.history.state, FileManager.default.fileExists(atPath: indexPath) {
            let stored = try? InputFile.read(indexPath, displayName: evidenceIndexName, limit: 16 << 20).bytes
            if stored.flatMap({ try? JSONParser.parse($0) }) != evidenceIndex(state) {
                report.problems.append(VerificationProblem(kind: .evidence, seq: nil,
                                                           message: "\(evidenceIndexName) does not name the evidence files as the log records them"))
                report.standing = nil
            }
        }
        // The tiles say what the log says, or a tile reader would be misled: checked against the verified lines.
        if let standing = report.standing, let checkpointSize = report.checkpointSize {
            let lines = (try? AssessmentLog(folder: folder).logBytes(upTo: standing.position)) ?? []
            for problem in LogTiles(logBytes: lines, size: checkpointSize).problems(in: folder) {
                report.problems.append(VerificationProblem(kind: .checkpoint, seq: nil, message: problem))
                report.standing = nil
            }
        }
        if rosterProblem == nil, roster.exists,
           let size = try? CheckpointFiles(log: roster.files).latestSize(verifier: verifier, origin: manifest.rosterOrigin ?? ""),
           let bytes = try? PosixFileSystem().readAll(roster.files.logPath) {
            for problem in LogTiles(logBytes: bytes, size: size).problems(in: Paths.join(folder, "roster")) {
                report.problems.append(VerificationProblem(kind: .roster, seq: nil, message: "roster/" + problem))
                report.standing = nil
            }
        }
        if let rosterProblem {
            report.problems.insert(rosterProblem, at: 0)
            report.standing = nil
        }
        if pinnedKey == nil {
            report.notes.append("checked with the key the bundle itself ships; pin the organisation's published key with --key")
        } else if pinnedKey != manifest.logKey {
            report.notes.append("the bundle names a different log key than the one given with --key")
        }
        return (report, manifest, trust.roster)
    }
}
