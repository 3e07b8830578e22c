import Foundation
import Glibc

/// Steps of an append where a test may ask the process to die (`HRIA_CRASH_AT=STEP`), to prove that a crash
/// at any point loses no acknowledged event and leaves a log that verifies.
public enum AppendStep: String, Sendable, CaseIterable {
    /// `torn` writes half of the new bytes and dies: the interrupted write a power cut can leave.
    case locked, validated, torn, written, synced, checkpointWritten = "checkpoint-written",
         checkpointLinked = "checkpoint-linked", checkpointRenamed = "checkpoint-renamed", done
}

/// One assessment's folder on disk and the disciplined way to append to its log (DESIGN.md "Append").
public struct AssessmentLog: Sendable {
    public let folder: String
    public let fs: any FileSystem
    /// Where to die on purpose, for crash tests.
    public var crashAt: AppendStep?

    public init(folder: String, fs: any FileSystem = PosixFileSystem(), crashAt: AppendStep? = nil) {
        self.folder = folder
        self.fs = fs
        self.crashAt = crashAt
    }

    public var logPath: String { "\(folder)/log.jsonl" }
    public var lockPath: String { "\(folder)/log.lock" }
    public var workflowPath: String { "\(folder)/workflow.yaml" }
    public var checkpointPath: String { "\(folder)/checkpoint" }
    public var checkpointsFolder: String { "\(folder)/checkpoints" }
    public var evidenceFolder: String { "\(folder)/evidence/sha256" }
    public var privateFolder: String { "\(folder)/private" }
    public var disclosuresFolder: String { "\(folder)/private/disclosures" }

    func crashIfAsked(_ step: AppendStep) {
        if crashAt == step { _exit(99) }
    }

    /// The stored lines, parsed; a damaged line is an integrity error naming it.
    public func readEvents() throws(HRIAError) -> [Event] {
        let bytes: [UInt8]
        do {
            bytes = try fs.readAll(logPath)
        } catch {
            throw HRIAError(.integrity, "cannot read the log: \(error)")
        }
        let (lines, tail) = LogLine.split(bytes)
        if !tail.isEmpty {
            throw HRIAError(.integrity, "the log ends with an incomplete line (\(tail.count) bytes after event \(lines.count - 1))",
                            help: "run hria verify to see the damage")
        }
        var events: [Event] = []
        events.reserveCapacity(lines.count)
        for (index, line) in lines.enumerated() {
            do {
                events.append(try Event.parse(Array(line)))
            } catch {
                throw HRIAError(.integrity, "event \(index) of the log is damaged: \(error)", help: "run hria verify to see the damage")
            }
        }
        return events
    }

    /// Creates the assessment folder atomically: everything is written in a temporary folder that is renamed
    /// into place, so a crash never leaves a half-made assessment.
    public func create(workflowBytes: [UInt8], firstLine: [UInt8], signing: Signing) throws(HRIAError) {
        let parent = (folder as NSString).deletingLastPathComponent
        let name = (folder as NSString).lastPathComponent
        let staging = "\(parent)/.new-\(name)-\(getpid())"
        do {
            try fs.makeDirectory(parent)
            if fs.fileExists(staging) { try? FileManager.default.removeItem(atPath: staging) }
            try fs.makeDirectory(staging)
            let stagingLog = AssessmentLog(folder: staging, fs: fs)
            try DurableFile.write(workflowBytes, to: stagingLog.workflowPath, fs: fs)
            for sub in [stagingLog.checkpointsFolder, "\(staging)/evidence", stagingLog.evidenceFolder, stagingLog.privateFolder,
                        stagingLog.disclosuresFolder] {
                try fs.makeDirectory(sub)
            }
            try DurableFile.write(firstLine + [0x0A], to: stagingLog.logPath, fs: fs)
            try CheckpointFiles(log: stagingLog).write(size: 1, root: Merkle.root(leafHashes: [Merkle.leafHash(firstLine)]),
                                                       origin: signing.origin, signer: signing.signer)
            try fs.fsyncDirectory(staging)
            guard !fs.fileExists(folder) else {
                try? FileManager.default.removeItem(atPath: staging)
                throw HRIAError.badInput("assessment \(name) already exists")
            }
            try fs.rename(staging, folder)
            try fs.fsyncDirectory(parent)
        } catch let error as HRIAError {
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            throw HRIAError(.internalError, "could not create the assessment: \(error)")
        }
    }

    /// What signs this assessment's checkpoints, and the origin they name.
    public struct Signing: Sendable {
        public var signer: NoteSigner
        public var verifier: NoteVerifier
        /// `<workspace origin>/<assessment id>`
        public var origin: String
        public init(signer: NoteSigner, verifier: NoteVerifier, origin: String) {
            self.signer = signer
            self.verifier = verifier
            self.origin = origin
        }
    }

    /// The log as read under the lock: the good events, their leaf hashes, and any damage at the end.
    struct Scan {
        var events: [Event] = []
        var leafHashes: [[UInt8]] = []
        /// Byte offset just after the last good line.
        var goodLength = 0
        /// The first problem found, with the index of the first line it affects.
        var damage: (index: Int, reason: String)?
    }

    func scan(_ bytes: [UInt8]) -> Scan {
        var result = Scan()
        let (lines, tail) = LogLine.split(bytes)
        var prev = Event.genesisPrev
        var offset = 0
        for (index, slice) in lines.enumerated() {
            let line = Array(slice)
            let event: Event
            do {
                event = try Event.parse(line)
            } catch {
                result.damage = (index, "event \(index) is not a well-formed event: \(error)")
                return result
            }
            if event.seq != index {
                result.damage = (index, "event \(index) carries seq \(event.seq)")
                return result
            }
            if event.prev != prev {
                result.damage = (index, "event \(index) does not follow event \(index - 1): its prev hash differs")
                return result
            }
            prev = Digest.sha256Hex(line)
            result.events.append(event)
            result.leafHashes.append(Merkle.leafHash(line))
            offset += line.count + 1
            result.goodLength = offset
        }
        if !tail.isEmpty {
            result.damage = (lines.count, "\(tail.count) bytes after the last complete line")
        }
        return result
    }

    /// Removes leftovers of an interrupted checkpoint write.
    func removeTemporaryFiles() {
        for name in fs.listDirectory(folder) where name.hasPrefix(".tmp-") { fs.unlink("\(folder)/\(name)") }
    }

    /// Appends the events `decide` returns, under an exclusive lock, durably, and signs a new checkpoint.
    /// `decide` sees the events as they are on disk once the lock is held, so two writers never fork the log.
    /// A torn tail beyond the last checkpoint is repaired first; damage inside the checkpointed range is
    /// refused (exit 3) and never repaired. Returns only after the checkpoint is durable.
    @discardableResult
    public func append(lockTimeout: Double, signing: Signing, now: Date,
                       signEvent: (_ draft: EventDraft, _ unsignedLine: [UInt8]) throws -> String? = { _, _ in nil },
                       decide: ([Event]) throws -> [EventDraft]) throws -> [Event] {
        let lockFD: Int32
        do {
            lockFD = try fs.openForAppend(lockPath)
        } catch {
            throw HRIAError(.internalError, "cannot open the lock file: \(error)")
        }
        defer { fs.close(lockFD) }
        guard fs.lockExclusive(lockFD, timeout: lockTimeout) else {
            throw HRIAError(.busy, "another hria command is writing to this assessment; try again",
                            help: "waited \(Int(lockTimeout)) seconds for the lock")
        }
        crashIfAsked(.locked)
        removeTemporaryFiles()
        let bytes: [UInt8]
        do {
            bytes = try fs.readAll(logPath)
        } catch {
            throw HRIAError(.integrity, "cannot read the log: \(error)")
        }
        var scanned = scan(bytes)
        let checkpointed = try CheckpointFiles(log: self).latestSize(verifier: signing.verifier, origin: signing.origin) ?? 0
        if scanned.events.count < checkpointed, scanned.damage == nil {
            throw HRIAError(.integrity, "the log holds \(scanned.events.count) events but its checkpoint covers \(checkpointed): it was truncated",
                            help: "run hria verify")
        }
        if let damage = scanned.damage {
            guard damage.index >= checkpointed else {
                throw HRIAError(.integrity, "the log is damaged inside its checkpointed part: \(damage.reason)",
                                help: "this is never repaired automatically; run hria verify and restore the log from a copy")
            }
            scanned = try repair(bytes: bytes, scanned: scanned, reason: damage.reason, signing: signing, now: now)
        }
        crashIfAsked(.validated)
        let drafts = try decide(scanned.events)
        guard !drafts.isEmpty else { return [] }
        return try write(drafts, after: scanned, signing: signing, signEvent: signEvent)
    }

    /// Keeps a copy of the damaged file, cuts the log back to its last good line and records that it did.
    private func repair(bytes: [UInt8], scanned: Scan, reason: String, signing: Signing, now: Date) throws -> Scan {
        let removed = Array(bytes[scanned.goodLength...])
        let stamp = Timestamp.format(now).replacingOccurrences(of: ":", with: "")
        try DurableFile.write(bytes, to: "\(folder)/log.jsonl.broken-\(stamp)-\(getpid())", fs: fs)
        let fd = try fs.openForAppend(logPath)
        do {
            defer { fs.close(fd) }
            try fs.truncate(fd, to: scanned.goodLength, path: logPath)
            try fs.fsync(fd, path: logPath)
        }
        let stage = AssessmentState.currentStage(of: scanned.events) ?? ""
        let draft = EventDraft(type: .recoveryTruncated, actor: "hria", stage: stage, time: now,
                               data: .object(["bytes": .int(removed.count), "sha256": .string(Digest.sha256Hex(removed)),
                                              "reason": .string(reason)]))
        var repaired = scanned
        repaired.damage = nil
        let recovery = try write([draft], after: scanned, signing: signing) { draft, line in
            // The system's own events are signed with the log key when signatures are required.
            try Data(signing.signer.sign(line)).base64EncodedString()
        }
        repaired.events += recovery
        repaired.leafHashes += recovery.map { Merkle.leafHash($0.line) }
        repaired.goodLength += recovery.reduce(0) { $0 + $1.line.count + 1 }
        return repaired
    }

    /// Serialises, writes once, fsyncs, then checkpoints.
    private func write(_ drafts: [EventDraft], after scanned: Scan, signing: Signing,
                       signEvent: (EventDraft, [UInt8]) throws -> String?) throws -> [Event] {
        var bytes: [UInt8] = []
        var prev = scanned.events.last.map { Digest.sha256Hex($0.line) } ?? Event.genesisPrev
        var newEvents: [Event] = []
        for draft in drafts {
            let seq = scanned.events.count + newEvents.count
            let unsigned = LogLine.serialize(draft, seq: seq, prev: prev)
            let signature = try signEvent(draft, unsigned)
            let line = signature.map { LogLine.serialize(draft, seq: seq, prev: prev, signature: $0) } ?? unsigned
            bytes += line
            bytes.append(0x0A)
            prev = Digest.sha256Hex(line)
            newEvents.append(try Event.parse(line))
        }
        let fd: Int32
        do {
            fd = try fs.openForAppend(logPath)
        } catch {
            throw HRIAError(.internalError, "cannot open the log: \(error)")
        }
        defer { fs.close(fd) }
        do {
            if crashAt == .torn {
                try fs.write(fd, Array(bytes.prefix(max(1, bytes.count / 2))), path: logPath)
                crashIfAsked(.torn)
            }
            try fs.write(fd, bytes, path: logPath)
            crashIfAsked(.written)
            try fs.fsync(fd, path: logPath)
        } catch {
            // Never retry: after a failed write or fsync the page cache cannot be trusted (the PostgreSQL lesson).
            throw HRIAError(.internalError, "the event could not be written durably (\(error)); nothing was acknowledged",
                            help: "the next command repairs an incomplete last line")
        }
        crashIfAsked(.synced)
        var accumulator = MerkleAccumulator()
        for leaf in scanned.leafHashes { accumulator.append(leafHash: leaf) }
        for event in newEvents { accumulator.append(leafHash: Merkle.leafHash(event.line)) }
        do {
            try CheckpointFiles(log: self).write(size: accumulator.size, root: accumulator.root(), origin: signing.origin,
                                                 signer: signing.signer)
        } catch let error as HRIAError {
            throw error
        } catch {
            throw HRIAError(.internalError, "the checkpoint could not be written durably (\(error)); nothing was acknowledged",
                            help: "the next command signs the checkpoint")
        }
        crashIfAsked(.done)
        return newEvents
    }
}
