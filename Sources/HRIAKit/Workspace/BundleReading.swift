import Foundation

/// A public bundle opened for reading, as an outside auditor holds it: verified first, exactly as `hria verify
/// --bundle` verifies it, and read only when it verifies, so that `log`, `status` and `report` never tell a story
/// from a bundle `verify` rejects.
public struct OpenedBundle: Sendable {
    public var assessment: LoadedAssessment
    public var manifest: PublicBundle.Manifest
    /// What the reader should know about how it was checked ("checked with the key the bundle itself ships").
    public var notes: [String]
    /// The verification the reading rests on.
    public var verification: VerificationReport
    /// The people of the bundle's roster, when it has one, as its events left them.
    public var roster: Roster?

    /// "Name, Title (id)" for each person whose name the bundle's roster publishes.
    public var publishedNames: [String: String] { roster.map(Workspace.publishedNames(of:)) ?? [:] }

    /// The bundle's latest checkpoint, as its text.
    public var checkpointText: String? {
        CheckpointFiles(log: AssessmentLog(folder: folder)).latest().map { String(decoding: $0, as: UTF8.self) }
    }

    /// Where the bundle is.
    public var folder: String

    /// Verifies the bundle in `folder` with `pinnedKey` (or, without it, the key it ships, which a note then says)
    /// and reads its assessment. A bundle that does not verify is refused with its first problem (exit 3).
    public static func open(_ folder: String, pinnedKey: String?) throws(HRIAError) -> OpenedBundle {
        let (report, manifest, roster) = try PublicBundle.verifyWithRoster(folder: folder, pinnedKey: pinnedKey, against: nil)
        guard report.ok, let standing = report.standing else {
            throw HRIAError(.integrity, "the bundle does not verify: " + (report.firstProblem ?? "it has no readable log"),
                            help: "run hria verify --bundle \(folder)")
        }
        let log = AssessmentLog(folder: folder)
        guard let (_, workflowBytes) = log.workflowFile(sha256: standing.history.state.workflowSHA256) else {
            throw HRIAError(.integrity, "the bundle's workflow snapshot changed while it was read", help: "run hria verify --bundle \(folder)")
        }
        let assessment = LoadedAssessment(id: manifest.id, workflow: standing.history.workflow, workflowBytes: workflowBytes,
                                          events: try log.events(upTo: standing.position), state: standing.history.state,
                                          checkpointSize: standing.checkpointSize)
        return OpenedBundle(assessment: assessment, manifest: manifest, notes: report.notes, verification: report, roster: roster,
                            folder: folder)
    }
}
