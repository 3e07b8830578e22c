import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension LogVerifier {
    /// What a core found out about one line on its own, kept small: the in-order pass moves one per line.
    struct LineResult {
        /// -1 when the line is not a well-formed event.
        var seq = -1
        var prev = SHA256Hash.zero
        var type = EventType.commentAdded
        var stage = ""
        var time = Date(timeIntervalSince1970: 0)
        /// The roster state the act names; -1 when it names none.
        var roster = -1
        /// The whole event, for the types the history keeps more of than their place (`AssessmentHistory.isInert`).
        var event: EventBox?
        /// Anything wrong with the line on its own.
        var issue: LineIssue?
    }

    /// One batch's line results in memory of their own: each slot is initialised once by the core that read the
    /// line and moved out once by the in-order checks, so nothing is copied or set twice on the way.
    final class ResultSlots: @unchecked Sendable {
        // @unchecked: the cores initialise disjoint slots; the in-order pass takes them after all cores are done.
        private(set) var base: UnsafeMutablePointer<LineResult>
        private var capacity: Int
        /// Slots initialised and not yet taken, as a count from the start (the in-order pass takes them in order).
        private var initialised = 0
        private var taken = 0

        init() {
            capacity = 1
            base = .allocate(capacity: 1)
        }

        /// Room for `count` results, all uninitialised; any left from before are released.
        func prepare(_ count: Int) {
            release()
            if count > capacity {
                base.deallocate()
                capacity = count
                base = .allocate(capacity: count)
            }
            initialised = count
            taken = 0
        }

        /// The result of line `index`, moved out; lines are taken in order.
        func take(_ index: Int) -> LineResult {
            precondition(index == taken, "line results are taken in order")
            taken += 1
            return (base + index).move()
        }

        private func release() {
            if taken < initialised { (base + taken).deinitialize(count: initialised - taken) }
            initialised = 0
            taken = 0
        }

        deinit {
            release()
            base.deallocate()
        }
    }

    final class EventBox {
        let event: Event
        init(_ event: Event) { self.event = event }
    }

    final class LineIssue {
        var malformed: String?
        /// The first rule the event breaks by itself, given each workflow the log may be judged by (`LinePass.judges`,
        /// in order); empty when it breaks none, and none are checked for event 0.
        var aloneViolations: [HistoryViolation?] = []
        var signatureProblem: String?
        /// What the roster says against the act (`LogVerifier.rosterProblem`).
        var rosterProblem: String?
    }

    /// The single pass over the log's lines, as a struct so its state is checked for exclusive access at compile
    /// time rather than on every line.
    ///
    /// Each batch of lines is split between the processor's cores: every core hashes its lines, builds its piece
    /// of the Merkle tree, reads each line into a typed event with the one decoder every command uses, and checks
    /// what the line can be judged on alone (its signature, the rules an event satisfies by itself). In order, on
    /// one core, each line's `seq` and `prev` are then checked against the line before, and the event is admitted
    /// to the history through the rules that depend on what came before. The answer cannot depend on the number of
    /// cores: every line gets every check; only where a check runs differs.
    struct LinePass {
        let sizes: Set<Int>
        let sortedSizes: [Int]
        let trust: Trust
        let keys: [String: PersonKey]
        let workflow: Workflow?
        let workflowSHA256: String?
        /// The workflows the assessment's folder keeps for moves to other versions, by SHA-256.
        let snapshots: [String: Workflow]
        /// Every workflow an event may be judged by: the pinned one, then the snapshots. The cores, reading lines out of
        /// order, cannot know which is in force at a line, so they judge each line by all of them (one, unless the
        /// assessment has moved); the in-order pass takes the judgement of the one in force (`current`).
        let judges: [Workflow]
        let judgeIndex: [String: Int]
        var current = 0
        let tuning: Tuning
        var roots: [Int: SHA256Hash] = [:]
        var accumulator = MerkleAccumulator()
        var facts = Facts()
        var history: AssessmentHistory?
        /// After the first event the rules refuse, later events are not judged: their history is not the one the
        /// rules would have produced.
        var historyStopped = false
        var structureBroken = false
        /// The leaf hash of the previous line; nil before event 0, whose `prev` is zero.
        var previousLeaf: SHA256Hash?
        var index = 0
        var byteCount = 0
        var pendingSequence: (Int, Int)?
        /// The latest roster state an act named: a later act may not name an older one.
        var latestRoster = 0
        /// Whether some act was recorded when signatures were not required (by the roster state it names, or by
        /// hria.yaml for an act that names none).
        var someUnrequired = false
        var problems: [VerificationProblem] = []
        /// Lines handed to the cores so far (the in-order checks follow one batch behind).
        var dispatched = 0
        /// The batch read but not yet checked in order, and a spare one whose storage is reused.
        var pending: Batch?
        var spare: Batch?

        init(sizes: Set<Int>, trust: Trust, keys: [String: PersonKey], workflow: Workflow?, workflowSHA256: String?,
             snapshots: [String: Workflow] = [:], tuning: Tuning) {
            self.sizes = sizes
            self.sortedSizes = sizes.sorted()
            self.trust = trust
            self.keys = keys
            self.workflow = workflow
            self.workflowSHA256 = workflowSHA256
            self.snapshots = snapshots
            let others = snapshots.filter { $0.key != workflowSHA256 }.sorted { $0.key < $1.key }
            judges = workflow.map { [$0] + others.map(\.value) } ?? []
            judgeIndex = Dictionary(uniqueKeysWithValues: zip(others.map(\.key), 1...).map { ($0, $1) })
                .merging(workflowSHA256.map { [$0: 0] } ?? [:]) { a, _ in a }
            self.tuning = tuning
            if sizes.contains(0) { roots[0] = accumulator.root() }
            // Without a workflow that loads there is nothing to judge the history by (the file checks say why).
            historyStopped = workflow == nil
        }

        mutating func problem(_ kind: VerificationProblem.Kind, _ seq: Int?, _ message: String) {
            problems.append(VerificationProblem(kind: kind, seq: seq, message: message))
        }

        mutating func finish() {
            if var batch = pending {
                pending = nil
                checkInOrder(&batch)
            }
            if let (badIndex, badSeq) = pendingSequence {
                problem(.sequence, badIndex, LogVerifier.sequenceMessage(index: badIndex, seq: badSeq, nextSeq: nil))
            }
        }

        /// Where the complete lines end, with the tree over them.
        func position() -> AssessmentLog.Position {
            var position = AssessmentLog.Position()
            position.byteCount = byteCount
            position.eventCount = index
            position.headHash = previousLeaf ?? .zero
            position.tree = accumulator
            return position
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
            let leaves: UnsafeMutableBufferPointer<SHA256Hash>
            /// Uninitialised slots: each core initialises those of its lines.
            let results: UnsafeMutablePointer<LineResult>
            let ranges: UnsafeMutableBufferPointer<MerkleRange>
            let partialRanges: UnsafeMutableBufferPointer<[MerkleRange]>
        }

        /// What the cores found in one batch, waiting for its in-order checks. It refers to nothing in the batch's
        /// bytes, so those checks can run while the cores read the next batch.
        struct Batch {
            var results = ResultSlots()
            var leaves: [SHA256Hash] = []
            var lengths: [Int] = []
            var bounds: [Int] = []
            var ranges: [MerkleRange] = []
            var partialRanges: [[MerkleRange]] = []
        }

        /// Reads one batch of complete lines (byte ranges of `text`, without their line breaks) on every core, while
        /// one more core checks the previous batch in order and another unit of work reads the next batch
        /// (`readAhead`), when the batch is large enough to share out. `finish` checks the last batch.
        mutating func process(_ text: UnsafeBufferPointer<UInt8>, lines: [Range<Int>], readAhead: @escaping @Sendable () -> Void) {
            let count = lines.count
            let first = dispatched
            dispatched += count
            let bytes = (lines.last?.upperBound ?? 0) - (lines.first?.lowerBound ?? 0)
            let parallel = bytes >= tuning.minimumParallelBytes && tuning.cores > 1
            let shares = parallel ? max(1, min(tuning.cores * tuning.sharesPerCore, count)) : 1
            var batch = spare ?? Batch()
            spare = nil
            batch.bounds = (0...shares).map { $0 * count / shares }
            let bounds = batch.bounds
            // Where a checkpoint needs the root inside a share, the share also keeps its piece of the tree as it
            // was at that size.
            let inside = (0..<shares).map { Array(sizes(inside: first + bounds[$0], first + bounds[$0 + 1])) }
            batch.leaves.removeAll(keepingCapacity: true)
            batch.leaves.append(contentsOf: repeatElement(.zero, count: count))
            batch.results.prepare(count)
            batch.lengths.removeAll(keepingCapacity: true)
            batch.lengths.append(contentsOf: lines.lazy.map { $0.count })
            batch.ranges = (0..<shares).map { MerkleRange(start: first + bounds[$0]) }
            batch.partialRanges = [[MerkleRange]](repeating: [], count: shares)
            let (trust, keys, workflow, judges) = (self.trust, self.keys, self.workflow, self.judges)
            var previous = pending
            pending = nil
            lines.withUnsafeBufferPointer { lines in
                batch.leaves.withUnsafeMutableBufferPointer { leaves in
                    do {
                        let results = batch.results.base
                        batch.ranges.withUnsafeMutableBufferPointer { ranges in
                            batch.partialRanges.withUnsafeMutableBufferPointer { partialRanges in
                                let shared = Shared(text: text, lines: lines, leaves: leaves, results: results, ranges: ranges,
                                                    partialRanges: partialRanges)
                                let work: @Sendable (Int) -> Void = { share in
                                    LinePass.hashAndRead(shared, bounds[share]..<bounds[share + 1], first: first, share: share,
                                                         sizesInside: inside[share], trust: trust, keys: keys, workflow: workflow,
                                                         judges: judges)
                                }
                                if parallel {
                                    withUnsafeMutablePointer(to: &self) { me in
                                        withUnsafeMutablePointer(to: &previous) { earlier in
                                            // Only the in-order unit touches the pass (and the previous batch); the others
                                            // write their own shares of this batch.
                                            let me = UncheckedSendable(me), earlier = UncheckedSendable(earlier)
                                            DispatchQueue.concurrentPerform(iterations: shares + 2) { unit in
                                                switch unit {
                                                case 0: readAhead()
                                                case 1: if earlier.value.pointee != nil { me.value.pointee.checkInOrder(&earlier.value.pointee!) }
                                                default: work(unit - 2)
                                                }
                                            }
                                        }
                                    }
                                } else {
                                    if previous != nil { checkInOrder(&previous!) }
                                    work(0)
                                }
                            }
                        }
                    }
                }
            }
            spare = previous
            pending = batch
        }

        /// The checks of a batch that depend on earlier lines, in order, and the tree.
        mutating func checkInOrder(_ batch: inout Batch) {
            for share in 0..<(batch.bounds.count - 1) {
                for i in batch.bounds[share]..<batch.bounds[share + 1] {
                    // Moved out, not copied: a copy would retain every string the event holds.
                    // Moved out, not copied: a copy would retain every string the event holds.
                    check(batch.results.take(i), leaf: batch.leaves[i], length: batch.lengths[i])
                    previousLeaf = batch.leaves[i]
                    byteCount += batch.lengths[i] + 1
                    index += 1
                }
                for partial in batch.partialRanges[share] {
                    var tree = accumulator
                    tree.append(partial)
                    roots[tree.size] = tree.root()
                }
                accumulator.append(batch.ranges[share])
                if sizes.contains(accumulator.size) { roots[accumulator.size] = accumulator.root() }
            }
        }

        /// One core's share of a batch: hash every line, build the share's piece of the tree, read each line and
        /// check what it can be judged on alone.
        static func hashAndRead(_ shared: Shared, _ share: Range<Int>, first: Int, share number: Int, sizesInside: [Int],
                                trust: Trust, keys: [String: PersonKey], workflow: Workflow?, judges: [Workflow]) {
            var range = MerkleRange(start: first + share.lowerBound)
            var nextSize = 0
            // Comments recognised by their actor, stage and roles skip building the event (signed logs check every
            // signature in full instead).
            var reference: CommentReference?
            var dates = Timestamp.DayCache()
            let recognise = !trust.requireSignatures && workflow != nil
            for i in share {
                let bytes = shared.lines[i]
                let line = UnsafeBufferPointer(rebasing: shared.text[bytes])
                // The reader leaves a zero byte before every line: the leaf hash's input is contiguous.
                let leaf = SHA256Hash.leaf(prefixed: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: shared.text[(bytes.lowerBound - 1)..<bytes.upperBound])))
                shared.leaves[i] = leaf
                range.append(leaf)
                if nextSize < sizesInside.count, sizesInside[nextSize] == range.end {
                    shared.partialRanges[number].append(range)
                    nextSize += 1
                }
                var result = LineResult()
                let parts = recognise && first + i > 0
                    ? commentParts(line, expectedPrev: i > share.lowerBound ? shared.leaves[i - 1] : nil, dates: &dates) : nil
                if let parts, let known = reference, parts.plainlyNotBlank, same(line, parts.actor, known.actor),
                   same(line, parts.stage, known.stage), same(line, parts.roles, known.roles), parts.roster == known.roster,
                   LogVerifier.rosterTimeHolds(parts.roster, time: parts.time, trust: trust) {
                    result.seq = parts.seq
                    result.prev = parts.prev
                    result.type = .commentAdded
                    result.stage = known.stageText
                    result.time = parts.time
                    result.roster = parts.roster ?? -1
                    (shared.results + i).initialize(to: result)
                    continue
                }
                do {
                    let event = try EventLine.decodeFields(line)
                    result.seq = event.seq
                    result.prev = event.prev
                    result.type = event.type
                    result.stage = event.stage
                    result.time = event.time
                    result.roster = event.roster ?? -1
                    var violations: [HistoryViolation?] = []
                    if first + i > 0 {
                        for (k, judge) in judges.enumerated() {
                            guard let violation = AssessmentHistory.checkAlone(event, workflow: judge) else { continue }
                            if violations.isEmpty { violations = Array(repeating: nil, count: judges.count) }
                            violations[k] = violation
                        }
                    }
                    let signatureProblem = LogVerifier.signatureProblem(line, event: event, keys: keys, trust: trust)
                    let rosterProblem = LogVerifier.rosterProblem(event, trust: trust)
                    if !violations.isEmpty || signatureProblem != nil || rosterProblem != nil {
                        let issue = LineIssue()
                        issue.aloneViolations = violations
                        issue.signatureProblem = signatureProblem
                        issue.rosterProblem = rosterProblem
                        result.issue = issue
                    }
                    // An inert event's place is all the history needs; its words stay on this core.
                    if first + i == 0 || !AssessmentHistory.isInert(event.type) { result.event = EventBox(event) }
                    if let parts, result.issue == nil, event.type == .commentAdded {
                        reference = CommentReference(actor: Array(line[parts.actor]), stage: Array(line[parts.stage]),
                                                     roles: Array(line[parts.roles]), roster: parts.roster, stageText: event.stage)
                    }
                } catch {
                    let issue = LineIssue()
                    issue.malformed = error.reason
                    result.issue = issue
                }
                (shared.results + i).initialize(to: result)
            }
            shared.ranges[number] = range
        }

        /// Every check that depends on the lines before, in order; `index` is the line's event number.
        mutating func check(_ result: LineResult, leaf: SHA256Hash, length: Int) {
            if let (badIndex, badSeq) = pendingSequence {
                // The line after a sequence break tells a swap from a deletion or an insertion.
                pendingSequence = nil
                problem(.sequence, badIndex, LogVerifier.sequenceMessage(index: badIndex, seq: badSeq, nextSeq: result.seq >= 0 ? result.seq : nil))
            }
            if structureBroken { return }
            guard result.seq >= 0 else {
                problem(.malformed, index, "event \(index) is not a well-formed event (\(result.issue?.malformed ?? "it cannot be read")): it was edited or damaged")
                structureBroken = true
                return
            }
            if result.seq != index {
                pendingSequence = (index, result.seq)
                structureBroken = true
                return
            }
            if result.prev != (previousLeaf ?? .zero) {
                // The line before no longer hashes to what this event recorded: that line was changed.
                problem(.chain, max(0, index - 1), index == 0
                        ? "event 0 does not start the chain"
                        : "event \(index - 1) was changed: event \(index) recorded a different hash for it")
                structureBroken = true
                return
            }
            admit(result)
            if let message = result.issue?.rosterProblem { problem(.roster, index, message) }
            if result.roster < 0 {
                if !trust.requireSignatures, result.type != .recoveryTruncated { someUnrequired = true }
            } else {
                if trust.roster.map({ !$0.requireSignatures(atSize: result.roster) }) ?? true { someUnrequired = true }
                if result.roster < latestRoster {
                    problem(.roster, index, "event \(index) names roster state \(result.roster), older than state \(latestRoster) an earlier event named")
                }
                latestRoster = max(latestRoster, result.roster)
            }
            if let message = result.issue?.signatureProblem { problem(.signature, index, message) }
            guard let event = result.event?.event else { return }
            switch event.payload {
            case .assessmentCreated(let p): facts.workflowSHA256 = p.workflow.sha256
            case .evidenceAdded(let p): if let file = p.file { facts.evidenceFiles.append((index, file.sha256)) }
            case .evidenceUpdated(let p): if let file = p.file { facts.evidenceFiles.append((index, file.sha256)) }
            case .disclosureErased(let p): facts.erased.insert(p.digest)
            case .workflowMigrated(let p): facts.migrations.append((index, p.to.sha256))
            default: break
            }
            for digest in event.sd where facts.digestOwner[digest] == nil { facts.digestOwner[digest] = index }
        }

        /// Replays the event through the history's rules; the first it breaks is reported and ends the replay.
        mutating func admit(_ result: LineResult) {
            guard !historyStopped, let workflow else { return }
            do throws(HistoryViolation) {
                // The cores judged the line by every workflow; what counts is their judgement by the one in force here.
                if let violations = result.issue?.aloneViolations, !violations.isEmpty, let violation = violations[current] { throw violation }
                guard let event = result.event?.event else {
                    try history?.admitInert(seq: result.seq, type: result.type, stage: result.stage, time: result.time)
                    return
                }
                if event.seq == 0 {
                    guard case .assessmentCreated(let p) = event.payload, p.workflow.sha256 == workflowSHA256 else {
                        // A first event pinning another workflow is reported by the file checks, with the snapshot.
                        if case .assessmentCreated = event.payload {
                            historyStopped = true
                            return
                        }
                        throw HistoryViolation(seq: 0, reason: "the first event must be assessment.created")
                    }
                    do {
                        history = try AssessmentHistory(first: event.draft, workflow: workflow, workflowSHA256: p.workflow.sha256)
                        history?.snapshots = snapshots
                    } catch {
                        throw HistoryViolation(seq: 0, reason: error.inWords)
                    }
                } else {
                    try history?.admit(event, checkedAlone: true)
                    // From here on, lines are judged by the workflow the move went to (always a snapshot: it was admitted).
                    if event.type == .workflowMigrated, let history { current = judgeIndex[history.state.workflowSHA256] ?? current }
                }
            } catch {
                problem(.history, error.seq, "event \(error.seq) does not fit the assessment's history: \(error.reason)")
                historyStopped = true
                history = nil
            }
        }
    }
}

extension LogVerifier {
    /// The parts of a comment line in exactly the form hria writes, found with the same readers the decoder uses.
    struct CommentParts {
        var actor: Range<Int>
        var roles: Range<Int>
        var seq: Int
        var prev: SHA256Hash
        /// The roster state a version 2 comment names.
        var roster: Int?
        var stage: Range<Int>
        var time: Date
        /// Whether the text starts with a character that is plainly not white space, so it is not blank.
        var plainlyNotBlank: Bool
    }

    /// Whether the bytes of `line` in `range` are exactly `expected`.
    @inline(__always)
    static func same(_ line: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ expected: [UInt8]) -> Bool {
        guard range.count == expected.count, let base = line.baseAddress else { return false }
        return expected.withUnsafeBytes { memcmp(base + range.lowerBound, $0.baseAddress!, range.count) } == 0
    }

    /// What a comment the full reader and rules accepted looked like: a later comment with the same actor, stage and
    /// roles, byte for byte, meets the same rules, except for what its own text and place say.
    struct CommentReference {
        var actor: [UInt8]
        var stage: [UInt8]
        var roles: [UInt8]
        var roster: Int?
        var stageText: String
    }

    /// Reads a comment line without building its event: `{"_sd":[],"actor":…,"data":{"roles":[…],"text":…},"prev":…,
    /// "seq":…,"stage":…,"time":…,"type":"comment.added","v":1}` with no signature, or the same with `"roster":N` after
    /// `prev` and `"v":2`; nil for anything else. The text is
    /// checked as the decoder checks any string (escapes, UTF-8); its words are not kept, since the history keeps
    /// nothing of a comment but its place.
    static func commentParts(_ b: UnsafeBufferPointer<UInt8>) -> CommentParts? {
        var dates = Timestamp.DayCache()
        return commentParts(b, expectedPrev: nil, dates: &dates)
    }

    /// The same, taking `prev` as `expectedPrev` when its hex spells that hash (the leaf of the line before, when the
    /// same core hashed it) instead of decoding it, and days from `dates`.
    static func commentParts(_ b: UnsafeBufferPointer<UInt8>, expectedPrev: SHA256Hash?,
                             dates: inout Timestamp.DayCache) -> CommentParts? {
        var r = JSONReader(b)
        // `stringRange` starts at a string's opening quote, so the literals stop just before it.
        guard r.literal("{\"_sd\":[],\"actor\":"), let (actor, actorEscaped) = try? r.stringValueRange(), !actorEscaped,
              r.literal(",\"data\":{\"roles\":[") else { return nil }
        let rolesStart = r.offset - 1
        // Role ids never need escaping; a list of plain strings is enough to compare with a reference byte for byte.
        while true {
            guard let (_, escaped) = try? r.stringValueRange(), !escaped else { return nil }
            if r.literal(",") { continue }
            guard r.literal("]") else { return nil }
            break
        }
        let roles = rolesStart..<r.offset
        guard r.literal(",\"text\":"), let (text, textEscaped) = try? r.stringValueRange(),
              textEscaped ? JSONReader.decodesAsString(b, text) : UTF8Check.isValid(UnsafeBufferPointer(rebasing: b[text])),
              r.literal("},\"prev\":\""), r.offset + 65 <= b.count else { return nil }
        let prevHex = UnsafeBufferPointer(rebasing: b[r.offset..<(r.offset + 64)])
        let prev: SHA256Hash
        if let expectedPrev, expectedPrev.matchesHex(UnsafeRawBufferPointer(prevHex)) {
            prev = expectedPrev
        } else {
            guard let decoded = SHA256Hash(hex: prevHex) else { return nil }
            prev = decoded
        }
        r.offset += 64
        var roster: Int?
        if r.literal("\",\"roster\":") {
            guard r.peekDigit, let value = try? r.int(), value >= 1, r.literal(",\"seq\":") else { return nil }
            roster = value
        } else {
            guard r.literal("\",\"seq\":") else { return nil }
        }
        guard r.peekDigit, let seq = try? r.int(), r.literal(",\"stage\":"),
              let (stage, stageEscaped) = try? r.stringValueRange(), !stageEscaped, r.literal(",\"time\":\""), r.offset + 21 <= b.count,
              let time = Timestamp.parseStored(UnsafeBufferPointer(rebasing: b[r.offset..<(r.offset + 20)]), days: &dates) else { return nil }
        r.offset += 20
        guard r.literal(roster == nil ? "\",\"type\":\"comment.added\",\"v\":1}" : "\",\"type\":\"comment.added\",\"v\":2}"),
              r.offset == b.count else { return nil }
        let firstByte = text.isEmpty ? 0x20 : b[text.lowerBound]
        return CommentParts(actor: actor, roles: roles, seq: seq, prev: prev, roster: roster, stage: stage, time: time,
                            plainlyNotBlank: firstByte > 0x20 && firstByte < 0x7F && firstByte != 0x5C)
    }
}

extension JSONReader {
    /// Whether a string's content holding escapes decodes (valid escapes, UTF-8).
    static func decodesAsString(_ b: UnsafeBufferPointer<UInt8>, _ content: Range<Int>) -> Bool {
        var reader = JSONReader(b, offset: content.lowerBound - 1)
        return (try? reader.string()) != nil
    }
}
