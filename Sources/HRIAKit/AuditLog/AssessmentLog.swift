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

    /// Where a reading of the log stopped: enough to pick up from there later after checking, cheaply, that
    /// the log still holds the same last line at the same place. Kept in the workspace's private cache.
    public struct Position: Sendable, Codable, Equatable {
        /// Bytes of complete lines covered.
        public var byteCount = 0
        public var eventCount = 0
        /// The chain hash of the last covered line (`LogLine.chainHash`): the next event's `prev`.
        public var headHash = Event.genesisPrev
        /// Length of that line without its line break.
        public var headLength = 0
        /// The Merkle tree of the covered lines, as its perfect subtrees.
        public var tree = MerkleAccumulator()
        /// The log file's stamp when the position was taken; a position is only picked up from while the file
        /// is untouched since, so damage anywhere in it is never built upon unseen.
        public var stamp: FileStamp?

        public init() {}

        mutating func advance(over line: [UInt8]) {
            byteCount += line.count + 1
            eventCount += 1
            headHash = LogLine.chainHash(line)
            headLength = line.count
            tree.append(leafHash: Merkle.leafHash(line))
        }
    }

    /// The log as read under the lock: where good lines end, the events read, and any damage at the end.
    struct Scan {
        /// The events read in this scan (all of them, or those after a trusted position).
        var events: [Event] = []
        var position = Position()
        /// The scan started at a remembered position rather than at the first byte.
        var fromPosition = false
        /// The first problem found, with the index of the first line it affects.
        var damage: (index: Int, reason: String)?
    }

    /// Reads lines after `start`, checking seq and prev, until the end or the first damage.
    func scan(_ bytes: ArraySlice<UInt8>, from start: Position) -> Scan {
        var result = Scan()
        result.position = start
        var lineStart = bytes.startIndex
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == 0x0A {
                let line = Array(bytes[lineStart..<index])
                let number = result.position.eventCount
                let event: Event
                do {
                    event = try Event.parse(line)
                } catch {
                    result.damage = (number, "event \(number) is not a well-formed event: \(error)")
                    return result
                }
                if event.seq != number {
                    result.damage = (number, "event \(number) carries seq \(event.seq)")
                    return result
                }
                if event.prev != result.position.headHash {
                    result.damage = (number, "event \(number) does not follow event \(number - 1): its prev hash differs")
                    return result
                }
                result.events.append(event)
                result.position.advance(over: line)
                lineStart = index + 1
            }
            index += 1
        }
        if lineStart < bytes.endIndex {
            result.damage = (result.position.eventCount, "\(bytes.endIndex - lineStart) bytes after the last complete line")
        }
        return result
    }

    /// The lines after a remembered position, if the log still holds that position's last line where it was;
    /// nil when it does not (the caller then reads from the start).
    public func linesAfter(_ position: Position) -> (events: [Event], position: Position, clean: Bool)? {
        guard let bytes = readTail(from: position) else { return nil }
        let scanned = scan(bytes[...], from: position)
        return (scanned.events, scanned.position, scanned.damage == nil)
    }

    /// The bytes after `position`, once the file is confirmed untouched since the position was taken and the
    /// line ending there is the one it remembers. Nil otherwise: the caller reads (and checks) everything.
    func readTail(from position: Position) -> [UInt8]? {
        guard let stamp = position.stamp, stamp == fs.stamp(logPath), stamp.size == position.byteCount else { return nil }
        guard position.eventCount > 0 else { return try? fs.readAll(logPath) }
        let headStart = position.byteCount - position.headLength - 1
        guard headStart >= 0, let bytes = try? fs.readFrom(logPath, offset: headStart) else { return nil }
        guard bytes.count >= position.headLength + 1, bytes[position.headLength] == 0x0A,
              LogLine.chainHash(bytes[0..<position.headLength]) == position.headHash else { return nil }
        // The byte before the head line must end the line before it (or the head is the first line).
        if headStart > 0 {
            guard let before = try? fs.readFrom(logPath, offset: headStart - 1, count: 1), before == [0x0A] else { return nil }
        }
        return Array(bytes[(position.headLength + 1)...])
    }

    /// Removes leftovers of an interrupted checkpoint write.
    func removeTemporaryFiles() {
        for name in fs.listDirectory(folder) where name.hasPrefix(".tmp-") { fs.unlink("\(folder)/\(name)") }
    }

    /// Appends the events `decide` returns, under an exclusive lock, durably, and signs a new checkpoint.
    /// `decide` sees the log as it is on disk once the lock is held, so two writers never fork it: given a
    /// remembered `position` that still matches, it gets only the events after it (`fromStart` false); otherwise
    /// all of them. A torn tail beyond the last checkpoint is repaired first; damage inside the checkpointed
    /// range is refused (exit 3) and never repaired. Returns only after the checkpoint is durable.
    @discardableResult
    public func append(lockTimeout: Double, signing: Signing, now: Date, from position: Position? = nil,
                       signEvent: (_ draft: EventDraft, _ unsignedLine: [UInt8]) throws -> String? = { _, _ in nil },
                       decide: (_ events: [Event], _ fromStart: Bool) throws -> [EventDraft]) throws -> (events: [Event], position: Position) {
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
        var scanned: Scan
        if let position, let tail = readTail(from: position) {
            scanned = scan(tail[...], from: position)
            scanned.fromPosition = true
        } else {
            let bytes: [UInt8]
            let before = fs.stamp(logPath)
            do {
                bytes = try fs.readAll(logPath)
            } catch {
                throw HRIAError(.integrity, "cannot read the log: \(error)")
            }
            scanned = scan(bytes[...], from: Position())
            if scanned.damage == nil, before?.size == bytes.count { scanned.position.stamp = before }
        }
        let checkpointed = try CheckpointFiles(log: self).latestSize(verifier: signing.verifier, origin: signing.origin) ?? 0
        if scanned.position.eventCount < checkpointed, scanned.damage == nil {
            throw HRIAError(.integrity, "the log holds \(scanned.position.eventCount) events but its checkpoint covers \(checkpointed): it was truncated",
                            help: "run hria verify")
        }
        var repairedNow: [Event] = []
        if let damage = scanned.damage {
            guard damage.index >= checkpointed else {
                throw HRIAError(.integrity, "the log is damaged inside its checkpointed part: \(damage.reason)",
                                help: "this is never repaired automatically; run hria verify and restore the log from a copy")
            }
            scanned = try repair(scanned: scanned, reason: damage.reason, signing: signing, now: now)
            repairedNow = scanned.events.filter { $0.type == .recoveryTruncated && $0.seq >= damage.index }
        }
        crashIfAsked(.validated)
        let drafts = try decide(scanned.events, !scanned.fromPosition)
        guard !drafts.isEmpty else { return (repairedNow, scanned.position) }
        let written = try write(drafts, after: scanned.position, signing: signing, signEvent: signEvent)
        // A repair made on the way is reported with the command's own events, so the user hears of it.
        return (repairedNow + written.events, written.position)
    }

    /// Appends with a full read of the log: `decide` sees every event. For callers that keep no position.
    @discardableResult
    public func append(lockTimeout: Double, signing: Signing, now: Date,
                       signEvent: (_ draft: EventDraft, _ unsignedLine: [UInt8]) throws -> String? = { _, _ in nil },
                       decide: ([Event]) throws -> [EventDraft]) throws -> [Event] {
        try append(lockTimeout: lockTimeout, signing: signing, now: now, from: nil, signEvent: signEvent) { events, _ in
            try decide(events)
        }.events
    }

    /// Keeps a copy of the damaged file, cuts the log back to its last good line and records that it did.
    private func repair(scanned: Scan, reason: String, signing: Signing, now: Date) throws -> Scan {
        let goodLength = scanned.position.byteCount
        let bytes: [UInt8]
        do {
            bytes = try fs.readAll(logPath)
            let stamp = Timestamp.format(now).replacingOccurrences(of: ":", with: "")
            try DurableFile.write(bytes, to: "\(folder)/log.jsonl.broken-\(stamp)-\(getpid())", fs: fs)
            let fd = try fs.openForAppend(logPath)
            defer { fs.close(fd) }
            try fs.truncate(fd, to: goodLength, path: logPath)
            try fs.fsync(fd, path: logPath)
        } catch {
            // Never retried: the next command finds the same damage and tries again from the start.
            throw HRIAError(.internalError, "the interrupted write at the end of the log could not be repaired (\(error))",
                            help: "nothing was recorded; free disk space or fix the disk, then run the command again")
        }
        let removed = Array(bytes[goodLength...])
        // The stage comes from the events read; after a remembered position, from the head line itself.
        let stage = AssessmentState.currentStage(of: scanned.events)
            ?? (try? Event.parse(Array(bytes[(goodLength - scanned.position.headLength - 1)..<(goodLength - 1)])))?.stage ?? ""
        let draft = EventDraft(type: .recoveryTruncated, actor: "hria", stage: stage, time: now,
                               data: .object(["bytes": .int(removed.count), "sha256": .string(Digest.sha256Hex(removed)),
                                              "reason": .string(reason)]))
        let (recovery, position) = try write([draft], after: scanned.position, signing: signing) { _, line in
            // The system's own events are signed with the log key.
            try Data(signing.signer.sign(line)).base64EncodedString()
        }
        var repaired = scanned
        repaired.damage = nil
        repaired.events += recovery
        repaired.position = position
        return repaired
    }

    /// Serialises, writes once, fsyncs, then checkpoints.
    private func write(_ drafts: [EventDraft], after start: Position, signing: Signing,
                       signEvent: (EventDraft, [UInt8]) throws -> String?) throws -> (events: [Event], position: Position) {
        var bytes: [UInt8] = []
        var position = start
        var newEvents: [Event] = []
        for draft in drafts {
            let seq = position.eventCount
            let unsigned = LogLine.serialize(draft, seq: seq, prev: position.headHash)
            let signature = try signEvent(draft, unsigned)
            let line = signature.map { LogLine.serialize(draft, seq: seq, prev: position.headHash, signature: $0) } ?? unsigned
            bytes += line
            bytes.append(0x0A)
            position.advance(over: line)
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
        let written = fs.stamp(logPath)
        position.stamp = written?.size == position.byteCount ? written : nil
        do {
            try CheckpointFiles(log: self).write(size: position.eventCount, root: position.tree.root(), origin: signing.origin,
                                                 signer: signing.signer)
        } catch let error as HRIAError {
            throw error
        } catch {
            throw HRIAError(.internalError, "the checkpoint could not be written durably (\(error)); nothing was acknowledged",
                            help: "the next command signs the checkpoint")
        }
        crashIfAsked(.done)
        return (newEvents, position)
    }
}
