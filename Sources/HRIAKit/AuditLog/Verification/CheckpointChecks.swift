import Foundation

/// The checks of an assessment's signed checkpoints: each stored one and the latest must be signed with the
/// workspace's log key for the assessment's origin, named after its size, and match the root recomputed over the
/// log at that size; two of one size must agree (else the log forked).
enum CheckpointChecks {
    static let latestLabel = "the latest checkpoint"

    /// The size of the checkpoint an interrupted checkpoint write left in a temporary file, if one did and it is
    /// genuine: it explains a latest checkpoint that lags behind the newest stored one.
    static func interruptedWrite(log: any AssessmentRecord, trust: LogVerifier.Trust) -> Int? {
        for bytes in log.interruptedCheckpoints() {
            if let checkpoint = try? SignedCheckpoint.open(bytes, verifier: trust.verifier, expectedOrigin: trust.origin) {
                return checkpoint.size
            }
        }
        return nil
    }

    typealias SignedCheckpointEntry = (label: String, checkpoint: Checkpoint, external: Bool)

    /// A checkpoint to check: where it came from and its bytes.
    struct CheckpointFile: Sendable {
        var label: String
        var bytes: [UInt8]
        var external: Bool
        /// For a file in checkpoints/, the size its name gives.
        var namedSize: Int?
    }

    /// Every stored checkpoint, the latest one and the external one, read but not yet checked.
    static func read(log: any AssessmentRecord, against: [UInt8]?) -> [CheckpointFile] {
        var result: [CheckpointFile] = []
        // A writer links checkpoints/SIZE, then renames the new checkpoint over `checkpoint`. Read in between, the
        // folder looks like a latest checkpoint replaced by an older one. That moment lasts microseconds, and real
        // damage lasts: when the stored ones run past the latest, they are read again, a few times, before the
        // checks below judge what is there.
        for attempt in 0..<8 {
            if attempt > 0 { usleep(UInt32(2_000 << min(attempt, 4))) }
            let latest = log.latestCheckpoint()
            // Every stored checkpoint's signature is checked: a file altered even where its root still matches is tampering.
            result = log.storedCheckpoints().map { CheckpointFile(label: $0.label, bytes: $0.bytes, external: false, namedSize: $0.size) }
            if let latest { result.append(CheckpointFile(label: latestLabel, bytes: latest, external: false)) }
            let latestSize = latest.flatMap(claimedSize) ?? 0
            if !result.contains(where: { ($0.namedSize ?? 0) > latestSize }) { break }
        }
        if let against { result.append(CheckpointFile(label: "the checkpoint given with --against", bytes: against, external: true)) }
        return result
    }

    /// Checks each checkpoint's signature and origin, on every core (a log written command by command has a
    /// checkpoint per event): the genuine ones, the forged ones, and files in checkpoints/ whose name disagrees
    /// with the size they hold.
    static func open(_ files: [CheckpointFile], trust: LogVerifier.Trust)
        -> (signed: [SignedCheckpointEntry], forged: [(label: String, size: Int?, reason: String)], misnamed: [String]) {
        var opened = [Result<Checkpoint, CheckpointError>?](repeating: nil, count: files.count)
        opened.withUnsafeMutableBufferPointer { results in
            let results = UncheckedSendable(results)
            // Each unit takes a run of files and writes only their results.
            let units = min(files.count, 64 * max(1, ProcessInfo.processInfo.activeProcessorCount))
            DispatchQueue.concurrentPerform(iterations: units) { unit in
                for index in (unit * files.count / units)..<((unit + 1) * files.count / units) {
                    do throws(CheckpointError) {
                        results.value[index] = .success(try SignedCheckpoint.open(files[index].bytes, verifier: trust.verifier,
                                                                                  expectedOrigin: trust.origin))
                    } catch {
                        results.value[index] = .failure(error)
                    }
                }
            }
        }
        var signed: [SignedCheckpointEntry] = []
        var forged: [(label: String, size: Int?, reason: String)] = []
        var misnamed: [String] = []
        for (file, result) in zip(files, opened) {
            switch result {
            case .success(let checkpoint):
                if !file.external, file.label.hasPrefix("checkpoints/"), file.namedSize != checkpoint.size {
                    misnamed.append(file.namedSize == nil
                                    ? "\(file.label) is not named after the size of the checkpoint it holds (\(checkpoint.size))"
                                    : "\(file.label) holds a checkpoint of size \(checkpoint.size)")
                }
                signed.append((file.label, checkpoint, file.external))
            case .failure(let error):
                forged.append((file.label, claimedSize(file.bytes), "\(error)"))
            case nil:
                preconditionFailure("checkpoint \(file.label) was not opened")
            }
        }
        return (signed, forged, misnamed)
    }

    /// The size a checkpoint claims in its body, whether or not its signature holds.
    /// Nil unless the second line is a size (digits only); the origin on the first line may be of any length.
    static func claimedSize(_ bytes: [UInt8]) -> Int? {
        let lines = bytes.split(separator: 0x0A, maxSplits: 2, omittingEmptySubsequences: false)
        guard lines.count > 1, !lines[1].isEmpty, lines[1].allSatisfy({ (48...57).contains($0) }) else { return nil }
        return Int(String(decoding: lines[1], as: UTF8.self))
    }

    /// Compares each checkpoint with the roots recomputed over the log: checkpoints whose roots match are
    /// consistent with the log, and so with each other, by construction.
    static func compare(_ report: inout VerificationReport, signed: [SignedCheckpointEntry], roots: [Int: SHA256Hash], size: Int,
                        interrupted: Int?, problem: (VerificationProblem.Kind, Int?, String) -> Void) {
        report.checkpointsChecked = signed.count
        if signed.allSatisfy({ $0.external }) && size > 0 {
            problem(.checkpoint, nil, "the assessment has no checkpoint: the files checkpoint and checkpoints/ were deleted")
        }
        // Each append stores checkpoints/SIZE and then renames the same checkpoint over `checkpoint`, so the latest
        // is the newest stored one; it may lag only while an interrupted write's temporary file still holds the
        // newer one (the next append finishes or discards it).
        let stored = signed.filter { $0.label.hasPrefix("checkpoints/") }.map(\.checkpoint.size)
        if let newest = stored.max() {
            if let latest = signed.first(where: { $0.label == latestLabel }) {
                if latest.checkpoint.size < newest, interrupted != newest {
                    problem(.checkpoint, latest.checkpoint.size,
                            "the latest checkpoint signs \(latest.checkpoint.size) events, but checkpoints/\(newest) was signed after it: "
                                + "it was replaced by an older one")
                }
            } else if !signed.isEmpty {
                problem(.checkpoint, nil, "the latest checkpoint (the file checkpoint) is missing, though checkpoints/\(newest) exists")
            }
        }
        var bySize: [Int: (String, SHA256Hash)] = [:]
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
}
