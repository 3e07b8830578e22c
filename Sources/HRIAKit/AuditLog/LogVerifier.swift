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

        /// Whether the check reads this type's contents; every other type only has to come before the end.
        static func inspects(_ type: EventType) -> Bool {
            switch type {
            case .assessmentCreated, .stageAdvanced, .decisionRecorded, .evidenceAdded, .disclosureErased: return true
            case .factSet, .signoffRecorded, .commentAdded, .recoveryTruncated: return false
            }
        }

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

    /// How verification spreads its work. The defaults suit any machine; tests vary them to check that every
    /// setting gives the same report.
    struct Tuning: Sendable {
        var cores = min(8, max(1, ProcessInfo.processInfo.activeProcessorCount))
        /// Each core's part of a batch is cut into this many shares, which the cores take as they become free, so
        /// that one core reading the next batch, or slowed by the system, does not leave the other idle.
        var sharesPerCore = 4
        var chunkSize = 1 << 20
        /// A batch of fewer bytes stays on one core: handing work over would cost more than it saves.
        var minimumParallelBytes = 256 << 10
        /// Off, no core clears a line on its own and every line gets the full checks in order.
        var clearLines = true
    }

    public static func verify(id: String, log: AssessmentLog, trust: Trust, against: [UInt8]? = nil) -> VerificationReport {
        verify(id: id, log: log, trust: trust, against: against, tuning: Tuning())
    }

    static func verify(id: String, log: AssessmentLog, trust: Trust, against: [UInt8]?, tuning: Tuning) -> VerificationReport {
        var report = VerificationReport(id: id)
        // Problems are gathered apart from the report so the checks below can also update the report's counts.
        var problems: [VerificationProblem] = []
        func problem(_ kind: VerificationProblem.Kind, _ seq: Int?, _ message: String) {
            problems.append(VerificationProblem(kind: kind, seq: seq, message: message))
        }
        // The checkpoints are read first, so that one streaming pass over the log can take the root at every size
        // they claim; their signatures are checked on another thread while the log streams.
        let checkpointFiles = readCheckpoints(log: log, against: against)
        let opening = BackgroundWork { openCheckpoints(checkpointFiles, trust: trust) }
        var pass = LinePass(sizes: Set(checkpointFiles.compactMap { claimedSize($0.bytes) }), trust: trust,
                            keys: signatureVerifiers(trust), tuning: tuning)

        // Stream the file once; only two batches of lines and the tree's O(log n) hashes are held.
        let tail: ArraySlice<UInt8>
        do {
            let reader = try LineBatchReader(fs: log.fs, path: log.logPath, chunkSize: tuning.chunkSize)
            while !reader.finished {
                reader.current.bytes.withUnsafeBufferPointer { bytes in
                    pass.process(bytes, lines: reader.current.lines, readAhead: reader.readAhead)
                }
                try reader.advance()
            }
            tail = reader.tail
        } catch {
            for message in opening.wait().misnamed { problem(.checkpoint, nil, message) }
            problem(.unreadable, nil, "the log cannot be read: \(error)")
            report.problems = problems
            return report
        }
        let (signed, forged, misnamed) = opening.wait()
        for message in misnamed { problem(.checkpoint, nil, message) }
        pass.finish()
        problems += pass.problems
        let (index, roots, facts, structureBroken) = (pass.index, pass.roots, pass.facts, pass.structureBroken)
        let tailLength = tail.count
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
            let seq = size.map { min(max(1, $0) - 1, vouched) }
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
    ///
    /// Each batch of lines is split between the processor's cores: every core hashes its lines, builds its piece
    /// of the Merkle tree and checks each line on its own (structure, seq, the hash chain inside its share,
    /// signatures). The checks that depend on what came before (the history, the first line of each share) then
    /// run in order on one core. Lines every check passes cost one look at a flag there; any line a core could not
    /// clear goes through the full checks, which name the problem exactly as a one-core pass would.
    struct LinePass {
        let sizes: Set<Int>
        let sortedSizes: [Int]
        let trust: Trust
        let keys: [String: NoteVerifier]
        let tuning: Tuning
        var roots: [Int: [UInt8]] = [:]
        var accumulator = MerkleAccumulator()
        var facts = Facts()
        var history = HistoryCheck()
        var structureBroken = false
        /// The leaf hash of the previous line; nil before event 0, whose `prev` is the genesis value.
        var previousLeaf: TreeHash?
        var index = 0
        var pendingSequence: (Int, Int)?
        var problems: [VerificationProblem] = []
        // Per-batch results, kept between batches so their storage is reused.
        var leaves: [TreeHash] = []
        var cleared: [Bool] = []

        init(sizes: Set<Int>, trust: Trust, keys: [String: NoteVerifier], tuning: Tuning) {
            self.sizes = sizes
            self.sortedSizes = sizes.sorted()
            self.trust = trust
            self.keys = keys
            self.tuning = tuning
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

        /// The checkpoint sizes strictly between `lower` and `upper`, in order.
        func sizes(inside lower: Int, _ upper: Int) -> ArraySlice<Int> {
            var low = 0, high = sortedSizes.count
            while low < high {
                let mid = (low + high) / 2
                if sortedSizes[mid] <= lower { low = mid + 1 } else { high = mid }
            }
            var end = low
            while end < sortedSizes.count, sortedSizes[end] < upper { end += 1 }
            return sortedSizes[low..<end]
        }

        /// Pointers the cores share; each core writes only the indices of its own share, so writes never overlap.
        struct Shared: @unchecked Sendable {
            let text: UnsafeBufferPointer<UInt8>
            let lines: UnsafeBufferPointer<Range<Int>>
            let leaves: UnsafeMutableBufferPointer<TreeHash>
            let cleared: UnsafeMutableBufferPointer<Bool>
            let ranges: UnsafeMutableBufferPointer<MerkleRange>
            let partialRanges: UnsafeMutableBufferPointer<[MerkleRange]>
        }

        /// Checks one batch of complete lines (byte ranges of `text`, without their line breaks); `readAhead`
        /// (reading the next batch) runs alongside the hashing when the batch is large enough to share out.
        mutating func process(_ text: UnsafeBufferPointer<UInt8>, lines: [Range<Int>], readAhead: @escaping @Sendable () -> Void) {
            let count = lines.count
            let first = index
            let bytes = (lines.last?.upperBound ?? 0) - (lines.first?.lowerBound ?? 0)
            let parallel = bytes >= tuning.minimumParallelBytes && tuning.cores > 1
            let shares = parallel ? max(1, min(tuning.cores * tuning.sharesPerCore, count)) : 1
            let bounds = (0...shares).map { $0 * count / shares }
            // Where a checkpoint needs the root inside a share, the share also keeps its piece of the tree as it
            // was at that size.
            let inside = (0..<shares).map { Array(sizes(inside: first + bounds[$0], first + bounds[$0 + 1])) }
            leaves.removeAll(keepingCapacity: true)
            leaves.append(contentsOf: repeatElement(.zero, count: count))
            cleared.removeAll(keepingCapacity: true)
            cleared.append(contentsOf: repeatElement(false, count: count))
            var ranges = (0..<shares).map { MerkleRange(start: first + bounds[$0]) }
            var partialRanges = [[MerkleRange]](repeating: [], count: shares)
            let (trust, keys, clearLines) = (self.trust, self.keys, tuning.clearLines)
            lines.withUnsafeBufferPointer { lines in
                leaves.withUnsafeMutableBufferPointer { leaves in
                    cleared.withUnsafeMutableBufferPointer { cleared in
                        ranges.withUnsafeMutableBufferPointer { ranges in
                            partialRanges.withUnsafeMutableBufferPointer { partialRanges in
                                let shared = Shared(text: text, lines: lines, leaves: leaves, cleared: cleared, ranges: ranges,
                                                    partialRanges: partialRanges)
                                let work: @Sendable (Int) -> Void = { share in
                                    LinePass.hashAndCheck(shared, bounds[share]..<bounds[share + 1], first: first, share: share,
                                                          sizesInside: inside[share], clearLines: clearLines, trust: trust, keys: keys)
                                }
                                if parallel {
                                    // The read-ahead is one more unit of work, taken first by whichever core is free.
                                    DispatchQueue.concurrentPerform(iterations: shares + 1) { unit in
                                        if unit == 0 { readAhead() } else { work(unit - 1) }
                                    }
                                } else {
                                    work(0)
                                }
                            }
                        }
                    }
                }
            }
            // In order, on this core: what depends on earlier lines, and the tree.
            for share in 0..<shares {
                for i in bounds[share]..<bounds[share + 1] {
                    let settled = structureBroken ? pendingSequence == nil : cleared[i] && pendingSequence == nil && !history.ended
                    if !settled { check(UnsafeBufferPointer(rebasing: text[lines[i]])) }
                    previousLeaf = leaves[i]
                    index += 1
                }
                for partial in partialRanges[share] {
                    var tree = accumulator
                    tree.append(partial)
                    roots[tree.size] = tree.root()
                }
                accumulator.append(ranges[share])
                if sizes.contains(accumulator.size) { roots[accumulator.size] = accumulator.root() }
            }
        }

        /// One core's share of a batch: hash every line, build the share's piece of the tree, and clear the lines
        /// whose every check can be made without knowing what came before the share.
        static func hashAndCheck(_ shared: Shared, _ share: Range<Int>, first: Int, share number: Int, sizesInside: [Int],
                                 clearLines: Bool, trust: Trust, keys: [String: NoteVerifier]) {
            var range = MerkleRange(start: first + share.lowerBound)
            var nextSize = 0
            for i in share {
                let bytes = shared.lines[i]
                let line = UnsafeBufferPointer(rebasing: shared.text[bytes])
                // The reader leaves a zero byte before every line: the leaf hash's input is contiguous.
                let leaf = TreeHash.leaf(prefixed: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: shared.text[(bytes.lowerBound - 1)..<bytes.upperBound])))
                shared.leaves[i] = leaf
                range.append(leaf)
                if nextSize < sizesInside.count, sizesInside[nextSize] == range.end {
                    shared.partialRanges[number].append(range)
                    nextSize += 1
                }
                // The share's first line is checked against the previous share's last hash, in order.
                shared.cleared[i] = clearLines && i > share.lowerBound
                    && isClear(line, index: first + i, previousLeaf: shared.leaves[i - 1], trust: trust, keys: keys)
            }
            shared.ranges[number] = range
        }

        /// Whether a line (not event 0) passes every check that depends only on itself and the line before, and
        /// the history check would have nothing to look at (a type that does not move the stage, end the
        /// assessment, name a file or erase a value, and no confidential values).
        static func isClear(_ line: UnsafeBufferPointer<UInt8>, index: Int, previousLeaf: TreeHash, trust: Trust,
                            keys: [String: NoteVerifier]) -> Bool {
            guard let event = readEvent(line), event.seq == index, event.top.sdIsEmpty,
                  !HistoryCheck.inspects(event.type),
                  previousLeaf.matchesHex(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: line[event.prev]))) else {
                return false
            }
            if event.top.hasSignature || trust.requireSignatures {
                let bytes = Array(line)
                var signed = true
                LogVerifier.checkSignature(bytes, seq: index, actor: TopLevelLine.text(event.top.actor, in: bytes) ?? "",
                                           keys: keys, trust: trust) { _ in signed = false }
                return signed
            }
            return true
        }

        /// The top-level members every event has, read without parsing `data`; nil when one is missing or malformed.
        static func readEvent(_ line: UnsafeBufferPointer<UInt8>) -> (top: TopLevelLine, seq: Int, prev: Range<Int>, type: EventType)? {
            guard let top = TopLevelLine.scan(line), top.version == 1, let seq = top.seq, let prev = top.prev,
                  let typeRange = top.type, let type = EventType(bytes: UnsafeBufferPointer(rebasing: line[typeRange])),
                  top.actor != nil, top.stage != nil, let time = top.time,
                  Timestamp.isWellFormed(UnsafeBufferPointer(rebasing: line[time])), top.data != nil, top.sd != nil else {
                return nil
            }
            return (top, seq, prev, type)
        }

        /// Every check of one line, in order, naming the first problem; `index` is the line's event number.
        mutating func check(_ line: UnsafeBufferPointer<UInt8>) {
            if let (badIndex, badSeq) = pendingSequence {
                // The line after a sequence break tells a swap from a deletion or an insertion.
                pendingSequence = nil
                problem(.sequence, badIndex, LogVerifier.sequenceMessage(index: badIndex, seq: badSeq, nextSeq: TopLevelLine.scan(line)?.seq))
            }
            if structureBroken { return }
            guard let (top, seq, prev, type) = LinePass.readEvent(line) else {
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
            let recorded = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: line[prev]))
            let prevMatches = previousLeaf.map { $0.matchesHex(recorded) } ?? recorded.elementsEqual(Event.genesisPrev.utf8)
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

    /// A checkpoint to check: where it came from and its bytes.
    struct CheckpointFile: Sendable {
        var label: String
        var bytes: [UInt8]
        var external: Bool
        /// For a file in checkpoints/, the size its name gives.
        var namedSize: Int?
    }

    /// Every stored checkpoint, the latest one and the external one, read but not yet checked.
    static func readCheckpoints(log: AssessmentLog, against: [UInt8]?) -> [CheckpointFile] {
        let files = CheckpointFiles(log: log)
        // Every stored checkpoint's signature is checked: a file altered even where its root still matches is tampering.
        var result = files.stored().map { CheckpointFile(label: "checkpoints/\($0.name)", bytes: $0.bytes, external: false, namedSize: $0.size) }
        if let latest = files.latest() { result.append(CheckpointFile(label: "the latest checkpoint", bytes: latest, external: false)) }
        if let against { result.append(CheckpointFile(label: "the checkpoint given with --against", bytes: against, external: true)) }
        return result
    }

    /// Checks each checkpoint's signature and origin, on every core (a log written command by command has a
    /// checkpoint per event): the genuine ones, the forged ones, and files in checkpoints/ whose name disagrees
    /// with the size they hold.
    static func openCheckpoints(_ files: [CheckpointFile], trust: Trust)
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
