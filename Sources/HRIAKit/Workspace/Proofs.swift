import Foundation

extension Workspace {
    /// An inclusion proof of one event against the latest checkpoint, for `hria verify --proof` anywhere. Built
    /// only from a log that verifies, and only for an event the checkpoint covers.
    public func proof(_ id: String, seq: Int) throws(HRIAError) -> InclusionProofFile {
        let loaded = try load(id)
        guard let checkpointBytes = log(id).latestCheckpoint() else {
            throw HRIAError(.integrity, "assessment \(id) has no checkpoint", help: "run hria verify \(id)")
        }
        let trust = try trust(for: id)
        let checkpoint: Checkpoint
        do {
            checkpoint = try SignedCheckpoint.open(checkpointBytes, verifier: trust.verifier, expectedOrigin: trust.origin)
        } catch {
            throw HRIAError(.integrity, "the latest checkpoint does not verify: \(error)", help: "run hria verify \(id)")
        }
        guard seq >= 0, seq < loaded.events.count else {
            throw .badInput("assessment \(id) has events 0 to \(loaded.events.count - 1), not \(seq)")
        }
        guard seq < checkpoint.size, checkpoint.size <= loaded.events.count else {
            throw .badInput("event \(seq) is not yet covered by a checkpoint", help: "the next recorded action signs one")
        }
        let leaves = loaded.events.prefix(checkpoint.size).map { Merkle.leafHash($0.line) }
        return InclusionProofFile(eventLine: loaded.events[seq].line, index: seq,
                                  proof: Merkle.inclusionProof(index: seq, leafHashes: Array(leaves)), checkpoint: checkpointBytes)
    }
}
