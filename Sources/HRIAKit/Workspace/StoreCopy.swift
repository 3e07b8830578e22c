import Foundation

extension Workspace {
    /// What copying one assessment did.
    public enum CopyOutcome: Sendable {
        /// Copied and verified in the target: its size and root, and what came with it.
        case copied(events: Int, checkpoints: Int, evidence: Int, disclosures: Int, root: SHA256Hash)
        /// The target already held the same log, byte for byte (a copy run again after an interruption).
        case alreadyThere(events: Int)
    }

    /// Copies one assessment into another store, byte for byte (`hria store copy`). Fails closed: an assessment that
    /// does not verify here is not copied, and the copy is verified in the target with the same trust before it
    /// counts; one the target holds already is left alone when its log is the same, refused otherwise.
    public func copy(_ id: String, to target: any AssessmentStore) throws(HRIAError) -> CopyOutcome {
        let source = try requireAssessment(id)
        let standing = try standing(id, log: source)
        guard standing.checkpointSize == standing.position.eventCount else {
            throw HRIAError(.badInput, "the last events of \(id) are not yet covered by a checkpoint, so it is not copied",
                            help: "the next command recorded on \(id) signs one")
        }
        let copy = try RecordCopy.read(source, upTo: standing.position)
        let destination = target.record(id)
        if destination.exists {
            let theirs = try? destination.logBytes(upTo: standing.position)
            let ours = copy.lines.reduce(into: [UInt8]()) { $0 += $1; $0.append(0x0A) }
            if let theirs, theirs == ours, destination.lastLines(1).first == copy.lines.last {
                return .alreadyThere(events: copy.lines.count)
            }
            throw HRIAError(.badInput, "\(target.description) already holds an assessment \(id) with another log",
                            help: "copy into an empty store, or remove that assessment there first")
        }
        if let failure = destination.readFailure() { throw failure }
        try destination.restore(copy)
        let report = LogVerifier.verify(id: id, log: destination, trust: try trust(for: id), workflows: workflowsFromFiles)
        if let failure = destination.readFailure() { throw failure }
        guard report.ok, report.size == standing.position.eventCount, report.root == standing.position.tree.root() else {
            throw HRIAError(.integrity, "the copy of \(id) in \(target.description) does not verify: \(report.firstProblem ?? "its root differs")",
                            help: "remove it there and copy again")
        }
        return .copied(events: copy.lines.count, checkpoints: copy.checkpoints.count, evidence: copy.evidence.count,
                       disclosures: copy.disclosures.count, root: standing.position.tree.root())
    }
}
