import Foundation

extension Workspace {
    /// The decision record of one assessment, as `hria report` and `hria export` make it and the server serves it:
    /// verified in full first, so the record states the result, and never made from a log that does not verify
    /// (integrity error). The internal record (`isPublic` false) holds the confidential values this workspace keeps.
    public func decisionRecord(_ id: String, isPublic: Bool, now: Date) throws(HRIAError) -> DecisionRecord {
        let verification = try verify(id)
        guard verification.ok else {
            throw HRIAError(.integrity, "\(id) does not verify, so no decision record is made from it: \(verification.firstProblem ?? "")",
                            help: "hria verify \(id) lists every problem")
        }
        let loaded = try load(id)
        let checkpoint = log(id).latestCheckpoint().map { String(decoding: $0, as: UTF8.self) }
        return DecisionRecord.build(loaded, organisation: configuration.organisation, verification: verification,
                                    checkpointText: checkpoint, disclosures: isPublic ? nil : disclosures(id), now: now,
                                    names: publishedNames())
    }
}
