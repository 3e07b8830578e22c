import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The roster's log, `roster/` beside `assessments/`: the same line format, RFC 6962 tree and signed checkpoints
/// as an assessment's log (its files are laid out the same way, so `AssessmentLog` names them and `CheckpointFiles`
/// writes its checkpoints), for the origin `<workspace origin>/_roster`, which no assessment id can spell. Every
/// change in it is signed by the person who made it; unpublished names are kept as disclosures in
/// `roster/private/disclosures/`, so the log itself can be published.
public struct RosterLog: Sendable {
    /// The folder, laid out as an assessment's.
    public let files: AssessmentLog

    public init(workspaceRoot: String, fs: any FileSystem) {
        files = AssessmentLog(folder: Paths.join(workspaceRoot, "roster"), fs: fs)
    }

    public init(folder: String, fs: any FileSystem) {
        files = AssessmentLog(folder: folder, fs: fs)
    }

    public var fs: any FileSystem { files.fs }
    public var exists: Bool { fs.fileExists(files.logPath) }

    /// The checkpoint origin of a workspace's roster.
    public static func origin(workspace origin: String) -> String { origin + "/_roster" }

    /// A roster as its log verifiably holds it.
    public struct Standing: Sendable {
        public var roster: Roster
        public var events: [Event]
        public var position: AssessmentLog.Position
        public var tornTail: Int
        /// The roster's Merkle root at every size, `roots[n]` over its first n events: an assessment's snapshot is
        /// believed only while the roster still has, at the state its acts name, the root it had when it was taken.
        public var roots: [SHA256Hash] = [Merkle.emptyTreeRoot]
    }

    /// The outcome of checking the roster's log: what was found wrong and, when nothing was, the roster.
    public struct Verification: Sendable {
        public var report: VerificationReport
        public var standing: Standing?
        /// SHA-256 of the log's bytes as read.
        public var logDigest: SHA256Hash?
    }

    /// Checks every line (form, sequence, chain, signature by the key valid then, the roster's rules), every
    /// checkpoint against the recomputed roots, and every stored disclosure against its digest.
    ///
    /// `signaturesChecked` is the SHA-256 of log bytes whose every signature this machine has already checked (a
    /// sealed cache of the commands; `verify` never passes one): when the log is still exactly those bytes, the
    /// signatures are not checked again. Everything else is.
    public func verify(verifier: NoteVerifier, origin: String, against: [UInt8]? = nil, signaturesChecked: SHA256Hash? = nil) -> Verification {
        var report = VerificationReport(id: "roster")
        report.isRoster = true
        var problems: [VerificationProblem] = []
        func problem(_ kind: VerificationProblem.Kind, _ seq: Int?, _ message: String) {
            problems.append(VerificationProblem(kind: kind, seq: seq, message: message))
        }
        let trust = LogVerifier.Trust(verifier: verifier, origin: origin, people: [], requireSignatures: true)
        let checkpointFiles = CheckpointChecks.read(log: files, against: against)
        let (signed, forged, misnamed) = CheckpointChecks.open(checkpointFiles, trust: trust)
        for message in misnamed { problem(.checkpoint, nil, message) }
        let sizes = Set(checkpointFiles.compactMap { CheckpointChecks.claimedSize($0.bytes) })
        let bytes: [UInt8]
        do {
            bytes = try fs.readAll(files.logPath)
        } catch {
            problem(.unreadable, nil, "the roster's log cannot be read: \(error)")
            report.problems = problems
            return Verification(report: report, standing: nil, logDigest: nil)
        }
        let logDigest = SHA256Hash(bytes: Digest.sha256(bytes))
        let checkSignatures = signaturesChecked == nil || logDigest != signaturesChecked
        let (lines, tail) = EventLine.split(bytes)
        var position = AssessmentLog.Position()
        var rootsBySize = [position.tree.root()]
        var roster = Roster()
        var events: [Event] = []
        var broken = false
        var keys: [String: PersonKey] = [:]
        for (index, slice) in lines.enumerated() {
            let line = Array(slice)
            if !broken {
                do throws(EventParseError) {
                    let event = try EventLine.decode(line)
                    if event.seq != index {
                        problem(.sequence, index, "line \(index + 1) of the roster holds event \(event.seq), not \(index)")
                        broken = true
                    } else if event.prev != position.headHash {
                        problem(.chain, max(0, index - 1), index == 0 ? "roster event 0 does not start the chain"
                                    : "roster event \(index - 1) was changed: event \(index) recorded a different hash for it")
                        broken = true
                    } else {
                        if checkSignatures, let message = Self.signatureProblem(event, seq: index, roster: roster, verifier: verifier, keys: &keys) {
                            problem(.signature, index, message)
                        }
                        do throws(HistoryViolation) {
                            try roster.admit(event)
                            events.append(event)
                        } catch {
                            problem(.history, index, "roster event \(index) breaks the roster's rules: \(error.reason)")
                            broken = true
                        }
                    }
                } catch {
                    problem(.malformed, index, "roster event \(index) is not a well-formed event (\(error.reason)): it was edited or damaged")
                    broken = true
                }
            }
            position.advance(over: line)
            rootsBySize.append(position.tree.root())
        }
        report.size = position.eventCount
        report.root = position.tree.root()
        if !tail.isEmpty {
            report.notes.append("\(tail.count) bytes of an interrupted write follow roster event \(position.eventCount - 1); the next change repairs them")
        }
        if lines.isEmpty { problem(.malformed, nil, "the roster's log holds no event") }
        // The roots the checkpoints claim, from the root at every size (a roster is small).
        let roots = Dictionary(uniqueKeysWithValues: sizes.filter { $0 < rootsBySize.count }.map { ($0, rootsBySize[$0]) })
        CheckpointChecks.compare(&report, signed: signed, roots: roots, size: position.eventCount,
                                 interrupted: CheckpointChecks.interruptedWrite(log: files, trust: trust), problem: problem)
        for (label, size, reason) in forged {
            problem(.forgedCheckpoint, size.map { max(1, $0) - 1 }, "\(label) of the roster does not verify with the workspace's log key (\(reason)): it was forged or altered")
        }
        // Stored names and titles must be the ones the roster committed to.
        for name in fs.listDirectory(files.disclosuresFolder) where !name.hasPrefix(".") {
            report.disclosuresChecked += 1
            guard let stored = try? fs.readAll("\(files.disclosuresFolder)/\(name)") else { continue }
            let text = String(decoding: stored, as: UTF8.self)
            if Disclosure.digest(of: text) != name || Disclosure(encoded: text) == nil {
                problem(.disclosure, nil, "the confidential value stored as roster/private/disclosures/\(name.prefix(12))… was altered")
            } else if !roster.digests.contains(name) {
                problem(.disclosure, nil, "roster/private/disclosures holds \(name.prefix(12))…, which no roster event lists")
            }
        }
        report.problems = problems.sorted { ($0.seq ?? Int.max) < ($1.seq ?? Int.max) }
        report.signaturesRequired = roster.requireSignatures
        guard report.ok else { return Verification(report: report, standing: nil, logDigest: logDigest) }
        return Verification(report: report, standing: Standing(roster: roster, events: events, position: position, tornTail: tail.count,
                                                               roots: rootsBySize), logDigest: logDigest)
    }

    /// Every roster change is signed by its actor with the key they held before it (the first, by the key it
    /// adds); hria's own repair, with the log key.
    static func signatureProblem(_ event: Event, seq: Int, roster: Roster, verifier: NoteVerifier, keys: inout [String: PersonKey]) -> String? {
        guard let (message, signature) = EventLine.signedBytes(of: event.line) else {
            return event.signature == nil ? "roster event \(seq) by \(event.actor) is not signed; every roster change must be"
                : "the signature of \(event.actor) on roster event \(seq) cannot be read"
        }
        let key: PersonKey
        if event.actor == Person.systemID {
            key = .note(verifier)
        } else {
            guard let published = roster.signingKey(for: event.draft, seq: seq) else {
                return "roster event \(seq) is signed by \(event.actor), who has no key on the roster"
            }
            guard let parsed = keys[published] ?? PersonKey(published: published) else {
                return "the key of \(event.actor) on the roster cannot be read"
            }
            keys[published] = parsed
            key = parsed
        }
        guard key.verifies(message, signature: signature) else {
            return "the signature of \(event.actor) on roster event \(seq) does not verify: the event was changed or signed by someone else"
        }
        return nil
    }

    /// Appends roster changes under the roster's exclusive lock, each signed by `sign` and checked against the key
    /// the roster holds for its actor before any byte is written, then signs a checkpoint. `establish` verifies the
    /// log under the lock (an empty standing when there is no log yet); an interrupted write at the end is cut first,
    /// with a copy kept and the repair recorded. `decide` returns the events and the disclosures to keep.
    @discardableResult
    public func append(lockTimeout: Double, signing: AssessmentLog.Signing, now: Date,
                       establish: () throws -> Standing,
                       sign: (_ draft: EventDraft, _ unsignedLine: [UInt8], _ before: Roster) throws -> String,
                       decide: (_ standing: Standing) throws -> (events: [EventDraft], disclosures: [Disclosure])) throws -> [Event] {
        do {
            try fs.makeDirectory(files.folder)
            try fs.makeDirectory(files.checkpointsFolder)
            try fs.makeDirectory(files.privateFolder, mode: 0o700)
            try fs.makeDirectory(files.disclosuresFolder, mode: 0o700)
        } catch {
            throw HRIAError(.internalError, "cannot create the roster's folder: \(error)")
        }
        let lockFD: Int32
        do {
            lockFD = try fs.openForAppend(files.lockPath)
        } catch {
            throw HRIAError(.internalError, "cannot open the roster's lock file: \(error)")
        }
        defer { fs.close(lockFD) }
        guard fs.lockExclusive(lockFD, timeout: lockTimeout) else {
            throw HRIAError(.busy, "another hria command is using the roster; try again", help: "waited \(Int(lockTimeout)) seconds for the lock")
        }
        var standing = try establish()
        files.removeTemporaryFiles()
        var written: [Event] = []
        var bytes: [UInt8] = []
        var roster = standing.roster
        func add(_ draft: EventDraft, signature: (EventDraft, [UInt8], Roster) throws -> String) throws {
            let before = roster
            do {
                try roster.record(draft)
            } catch {
                throw EngineError.refused(error)
            }
            let seq = standing.position.eventCount
            let unsigned = EventLine.encode(draft, seq: seq, prev: standing.position.headHash)
            let line = EventLine.encode(draft, seq: seq, prev: standing.position.headHash, signature: try signature(draft, unsigned, before))
            let event: Event
            do {
                event = try EventLine.decode(line)
            } catch {
                throw HRIAError(.internalError, "roster event \(seq) would not read back: \(error)")
            }
            // The signature is checked as `verify` will check it, before anything is written.
            var keys: [String: PersonKey] = [:]
            if let problem = Self.signatureProblem(event, seq: seq, roster: before, verifier: signing.verifier, keys: &keys) {
                throw HRIAError(.badInput, problem)
            }
            standing.roster = roster
            bytes += line
            bytes.append(0x0A)
            standing.position.advance(over: line)
            standing.roots.append(standing.position.tree.root())
            standing.events.append(event)
            written.append(event)
        }
        if standing.tornTail > 0 {
            let good = standing.position.byteCount
            do {
                let all = try fs.readAll(files.logPath)
                guard all.count == good + standing.tornTail, !all[good...].contains(0x0A) else {
                    throw HRIAError(.integrity, "the roster's log changed while it was being repaired", help: "run hria verify --roster")
                }
                let stamp = Timestamp.format(now).replacingOccurrences(of: ":", with: "")
                try DurableFile.write(all, to: "\(files.folder)/log.jsonl.broken-\(stamp)-\(getpid())", fs: fs)
                let fd = try fs.openForAppend(files.logPath)
                defer { fs.close(fd) }
                try fs.truncate(fd, to: good, path: files.logPath)
                try fs.fsync(fd, path: files.logPath)
                let removed = Array(all[good...])
                let draft = EventDraft(actor: Person.systemID, stage: Roster.stage, time: max(now, standing.roster.times.last ?? now),
                                       payload: .recoveryTruncated(RecoveryTruncated(bytes: removed.count, sha256: Digest.sha256Hex(removed),
                                                                                     reason: "an incomplete last line of \(removed.count) bytes")))
                standing.tornTail = 0
                try add(draft) { _, line, _ in try Base64.standard.encode(signing.signer.sign(line)) }
            } catch let error as HRIAError {
                throw error
            } catch {
                throw HRIAError(.internalError, "the interrupted write at the end of the roster's log could not be repaired (\(error))")
            }
        }
        let (drafts, disclosures) = try decide(standing)
        for draft in drafts { try add(draft, signature: sign) }
        guard !bytes.isEmpty else { return written }
        do {
            for disclosure in disclosures {
                try DurableFile.write(Array(disclosure.encoded.utf8), to: "\(files.disclosuresFolder)/\(disclosure.digest)", fs: fs, mode: 0o600)
            }
            let fd = try fs.openForAppend(files.logPath)
            defer { fs.close(fd) }
            try fs.write(fd, bytes, path: files.logPath)
            try fs.fsync(fd, path: files.logPath)
            if standing.position.eventCount == written.count { try fs.fsyncDirectory(files.folder) }
        } catch {
            throw HRIAError(.internalError, "the roster change could not be written durably (\(error)); nothing was acknowledged")
        }
        do {
            try CheckpointFiles(log: files).write(size: standing.position.eventCount, root: standing.position.tree.root(),
                                                  origin: signing.origin, signer: signing.signer)
        } catch let error as HRIAError {
            throw error
        } catch {
            throw HRIAError(.internalError, "the roster's checkpoint could not be written durably (\(error)); nothing was acknowledged",
                            help: "the next roster change signs the checkpoint")
        }
        return written
    }
}
