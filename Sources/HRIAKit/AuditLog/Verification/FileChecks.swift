import Foundation

/// The checks of the files beside the log: the workflow snapshot its first event pins, every evidence file an
/// event names (by SHA-256), and every confidential value stored in private/ (against its digest and the events).
enum FileChecks {
    static func check(_ report: inout VerificationReport, log: any AssessmentRecord, facts: LogVerifier.Facts,
                      workflow: LogVerifier.WorkflowSnapshot, loadedMoves: Set<String>,
                      problem: (VerificationProblem.Kind, Int?, String) -> Void) {
        if let sha = facts.workflowSHA256 {
            if let found = workflow.sha256 {
                if found != sha {
                    problem(.workflow, 0, "the workflow snapshot workflow.yaml is not the file whose SHA-256 event 0 recorded")
                } else if let reason = workflow.problem {
                    problem(.workflow, 0, reason)
                }
            } else {
                problem(.workflow, 0, workflow.problem ?? "the workflow snapshot workflow.yaml is missing")
            }
        }
        report.workflowSnapshotsChecked = 1 + Set(facts.migrations.map(\.sha256)).count
        for (seq, sha) in facts.migrations {
            let name = "workflows/\(sha.prefix(12))….yaml"
            guard let bytes = log.workflowSnapshots().first(where: { $0.claimedSHA256 == sha })?.bytes else {
                problem(.workflow, seq, "the workflow snapshot \(name) that event \(seq) moved to is missing")
                continue
            }
            if Digest.sha256Hex(bytes) != sha {
                problem(.workflow, seq, "the workflow snapshot \(name) that event \(seq) moved to was changed: its SHA-256 differs")
            } else if !loadedMoves.contains(sha) {
                // Read and loaded once, before the log (`LogVerifier.migrationSnapshots`): the one here did not load.
                problem(.workflow, seq, "the workflow snapshot \(name) that event \(seq) moved to does not load")
            }
        }
        for (seq, sha) in facts.evidenceFiles {
            report.evidenceFilesChecked += 1
            guard sha.utf8.count == 64, sha.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
                problem(.evidence, seq, "event \(seq) names an evidence file with an invalid digest")
                continue
            }
            guard let bytes = log.evidence(sha256: sha) else {
                problem(.evidence, seq, "the evidence file of event \(seq) (sha256 \(sha.prefix(12))…) is missing")
                continue
            }
            if Digest.sha256Hex(bytes) != sha {
                problem(.evidence, seq, "the evidence file of event \(seq) was swapped or changed: its SHA-256 differs")
            }
        }
        for name in log.disclosureDigests() {
            report.disclosuresChecked += 1
            let owner = facts.digestOwner[name]
            guard let bytes = log.disclosure(digest: name) else { continue }
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
}
