import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Steps of an append where a test may ask the process to die (`HRIA_CRASH_AT=STEP`), to prove that a crash
/// at any point loses no acknowledged event and leaves a log that verifies.
@_spi(Testing) public enum AppendStep: String, Sendable, CaseIterable {
    /// `torn` writes half of the new bytes and dies: the interrupted write a power cut can leave.
    case locked, validated, torn, written, synced, checkpointWritten = "checkpoint-written",
         checkpointLinked = "checkpoint-linked", checkpointRenamed = "checkpoint-renamed", done
}

/// One assessment's folder on disk and the disciplined way to append to its log (docs/AUDIT-LOG.md, "How an append is made durable").
///
/// Nothing is ever written on top of a log that does not verify: every append first establishes, under the lock,
/// the standing of the log exactly as `hria verify` would judge it (the caller supplies it, from a snapshot bound
/// to the files or from a full verification), and the only damage ever repaired is an incomplete last line.
public struct AssessmentLog: Sendable {
    public let folder: String
    public let fs: any FileSystem
    /// Where to die on purpose, for crash tests.
    @_spi(Testing) public var crashAt: AppendStep?

    public init(folder: String, fs: any FileSystem = PosixFileSystem()) {
        self.init(folder: folder, fs: fs, crashAt: nil)
    }

    @_spi(Testing) public init(folder: String, fs: any FileSystem = PosixFileSystem(), crashAt: AppendStep?) {
        self.folder = folder
        self.fs = fs
        self.crashAt = crashAt
    }

    public var logPath: String { "\(folder)/log.jsonl" }
    public var lockPath: String { "\(folder)/log.lock" }
    public var workflowPath: String { "\(folder)/workflow.yaml" }
    /// Where the workflows an assessment moved to are kept, each as `SHA256.yaml` (workflow.yaml stays the first).
    public var snapshotsFolder: String { "\(folder)/workflows" }
    public func snapshotPath(_ sha256: String) -> String { "\(snapshotsFolder)/\(sha256).yaml" }

    /// The workflow file with this SHA-256: workflow.yaml, or the snapshot a move to another version kept, with its
    /// name in the folder. Nil when neither is there with that hash.
    public func workflowFile(sha256: String) -> (name: String, bytes: [UInt8])? {
        for name in ["workflow.yaml", "workflows/\(sha256).yaml"] {
            if let bytes = try? fs.readAll("\(folder)/\(name)"), Digest.sha256Hex(bytes) == sha256 { return (name, bytes) }
        }
        return nil
    }
    public var checkpointPath: String { "\(folder)/checkpoint" }
    public var checkpointsFolder: String { "\(folder)/checkpoints" }
    public var evidenceFolder: String { "\(folder)/evidence/sha256" }
    public var privateFolder: String { "\(folder)/private" }
    public var disclosuresFolder: String { "\(folder)/private/disclosures" }

    func crashIfAsked(_ step: AppendStep) {
        if crashAt == step { _exit(99) }
    }

    /// Where the complete, verified lines of a log end: enough to append after them and sign the next checkpoint.
    public struct Position: Sendable, Codable, Equatable {
        /// Bytes of the complete lines covered, line breaks included.
        public var byteCount = 0
        public var eventCount = 0
        /// The RFC 6962 leaf hash of the last covered line: the next event's `prev`.
        public var headHash = SHA256Hash.zero
        /// The Merkle tree of the covered lines, as its perfect subtrees.
        public var tree = MerkleAccumulator()

        public init() {}

        mutating func advance(over line: [UInt8]) {
            let leaf = line.withUnsafeBytes { SHA256Hash.leaf($0) }
            byteCount += line.count + 1
            eventCount += 1
            headHash = leaf
            tree.append(leaf)
        }
    }

    /// What a command builds on: the history the log verifiably holds and where its lines end.
    /// The head of a stored log as a reader finds it: the fingerprint of everything `verify` reads, and the
    /// latest checkpoint's bytes. A standing kept with the head it was taken at holds while the head reads the same.
    public struct Head: Sendable, Equatable {
        public var fingerprint: FolderFingerprint
        public var latestCheckpoint: [UInt8]

        public init(fingerprint: FolderFingerprint, latestCheckpoint: [UInt8]) {
            self.fingerprint = fingerprint
            self.latestCheckpoint = latestCheckpoint
        }
    }

    public struct Standing: Sendable {
        public var history: AssessmentHistory
        public var position: Position
        /// Bytes of an interrupted write after the last complete line (none in a log hria left alone); the next
        /// append cuts them, keeping a copy.
        public var tornTail: Int
        /// The size the latest checkpoint covers.
        public var checkpointSize: Int
        /// The latest roster state an act of the log names (0: none): the roster must still hold that state, as
        /// it was, for the log's acts to stand.
        public var latestRoster: Int

        public init(history: AssessmentHistory, position: Position, tornTail: Int, checkpointSize: Int, latestRoster: Int = 0) {
            self.history = history
            self.position = position
            self.tornTail = tornTail
            self.checkpointSize = checkpointSize
            self.latestRoster = latestRoster
        }
    }

    /// Creates the assessment folder atomically: everything is written in a temporary folder that is renamed
    /// into place, so a crash never leaves a half-made assessment.
    public func create(workflowBytes: [UInt8], firstLine: [UInt8], signing: Signing) throws(HRIAError) {
        try makeInPlace(workflowBytes: workflowBytes, failure: "could not create the assessment") { staged throws in
            try DurableFile.write(firstLine + [0x0A], to: staged.logPath, fs: fs)
            try CheckpointFiles(log: staged).write(size: 1, root: firstLine.withUnsafeBytes { SHA256Hash.leaf($0) },
                                                   origin: signing.origin, signer: signing.signer)
        }
    }

    /// Builds the assessment's folder in a staging folder beside it (its workflow, its empty folders, then what
    /// `fill` writes), and renames it into place: the folder is found whole or not at all. Refused when the
    /// assessment already exists, also when another process made it meanwhile.
    func makeInPlace(workflowBytes: [UInt8], failure: String, fill: (AssessmentLog) throws -> Void) throws(HRIAError) {
        let parent = (folder as NSString).deletingLastPathComponent
        let name = (folder as NSString).lastPathComponent
        let staging = "\(parent)/.new-\(name)-\(getpid())"
        do {
            try fs.makeDirectory(parent)
            Self.removeAbandonedStaging(in: parent, fs: fs)
            if fs.fileExists(staging) { fs.removeTree(staging) }
            try fs.makeDirectory(staging)
            let staged = AssessmentLog(folder: staging, fs: fs)
            try DurableFile.write(workflowBytes, to: staged.workflowPath, fs: fs)
            for sub in [staged.checkpointsFolder, "\(staging)/evidence", staged.evidenceFolder] {
                try fs.makeDirectory(sub)
            }
            // Confidential plaintext: only the workspace's owner may list or read it, whatever the umask.
            for sub in [staged.privateFolder, staged.disclosuresFolder] {
                try fs.makeDirectory(sub, mode: 0o700)
            }
            try fill(staged)
            for sub in [staged.checkpointsFolder, staged.evidenceFolder, staged.disclosuresFolder, staging] { try fs.fsyncDirectory(sub) }
            guard !fs.fileExists(folder) else {
                fs.removeTree(staging)
                throw HRIAError.badInput("assessment \(name) already exists")
            }
            do {
                try fs.rename(staging, folder)
            } catch {
                guard error.code == EEXIST || error.code == ENOTEMPTY else { throw error }
                // Another `hria new` of the same id got there between the check above and this rename.
                fs.removeTree(staging)
                throw HRIAError.badInput("assessment \(name) already exists")
            }
            try fs.fsyncDirectory(parent)
        } catch let error as HRIAError {
            throw error
        } catch {
            fs.removeTree(staging)
            throw HRIAError(.internalError, "\(failure): \(error)")
        }
    }

    /// Removes the staging folders (`.new-ID-PID`) of `hria new` runs that died before renaming them into place
    /// (killed, or the machine stopped). Only folders whose process is gone are touched: a running `new` keeps its own.
    static func removeAbandonedStaging(in parent: String, fs: any FileSystem) {
        for name in fs.listDirectory(parent) where name.hasPrefix(".new-") {
            guard let dash = name.lastIndex(of: "-"), let pid = Int32(name[name.index(after: dash)...]), pid > 0,
                  pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            fs.removeTree("\(parent)/\(name)")
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

    /// Keeps confidential plaintext to the workspace's owner: `private/` and `private/disclosures/` 0700 and each
    /// stored value 0600. Assessments made before this rule have 0755 folders and 0644 files; the first write after
    /// it tightens them (two stat calls when there is nothing to do).
    public func protectPrivateFolder() throws(FileSystemError) {
        var loose = false
        for path in [privateFolder, disclosuresFolder] {
            if let mode = fs.permissions(path) {
                if mode & 0o077 != 0 {
                    loose = true
                    try fs.changePermissions(path, to: 0o700)
                }
            } else {
                try fs.makeDirectory(path, mode: 0o700)
            }
        }
        guard loose else { return }
        for name in fs.listDirectory(disclosuresFolder) {
            try fs.changePermissions("\(disclosuresFolder)/\(name)", to: 0o600)
        }
    }

    /// Removes leftovers of an interrupted checkpoint write.
    func removeTemporaryFiles() {
        for name in fs.listDirectory(folder) where name.hasPrefix(".tmp-") { fs.unlink("\(folder)/\(name)") }
    }

    /// Appends the events `decide` returns, under an exclusive lock, durably, and signs a new checkpoint.
    ///
    /// `establish` runs once the lock is held and says where the log stands, as `verify` would judge it; it throws
    /// (an integrity error, exit 3) when the log does not verify, and then nothing is written. An interrupted write
    /// at the end (an incomplete last line, necessarily past the last checkpoint since the log verified) is cut
    /// first, with a copy kept and a `recovery.truncated` event recorded. `decide` sees the standing and returns
    /// the events to write; each is recorded through the history's rules once more before any byte is written.
    /// `remember` sees the new standing while the lock is still held (to keep it), with the log's head then: its
    /// fingerprint and the checkpoint this append signed. Returns only after the checkpoint is durable.
    @discardableResult
    public func append(lockTimeout: Double, signing: Signing, now: Date,
                       establish: () throws -> Standing,
                       signEvent: (_ draft: EventDraft, _ unsignedLine: [UInt8]) throws -> String? = { _, _ in nil },
                       remember: (_ standing: Standing, _ head: Head?) -> Void = { _, _ in },
                       decide: (_ standing: Standing) throws -> [EventDraft]) throws -> (events: [Event], standing: Standing) {
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
        // The standing first: an interrupted checkpoint write's temporary file explains a lagging latest checkpoint.
        var standing = try establish()
        removeTemporaryFiles()
        crashIfAsked(.validated)
        var repaired: [Event] = []
        var repairHead: Head?
        if standing.tornTail > 0 {
            let checkpoint: [UInt8]
            (repaired, standing, checkpoint) = try repair(standing, signing: signing, now: now)
            repairHead = Head(fingerprint: folderFingerprint(newestCheckpoint: standing.checkpointSize), latestCheckpoint: checkpoint)
        }
        let drafts: [EventDraft]
        do {
            drafts = try decide(standing)
        } catch {
            if let repairHead { remember(standing, repairHead) }
            throw error
        }
        guard !drafts.isEmpty else {
            if let repairHead { remember(standing, repairHead) }
            return (repaired, standing)
        }
        let (written, after, checkpoint) = try write(drafts, on: standing, signing: signing, signEvent: signEvent)
        // Still under the lock, so no other writer's event can slip between the write and what is remembered of it.
        remember(after, Head(fingerprint: folderFingerprint(newestCheckpoint: after.checkpointSize), latestCheckpoint: checkpoint))
        // A repair made on the way is reported with the command's own events, so the user hears of it.
        return (repaired + written, after)
    }

    /// Keeps a copy of the file, cuts the incomplete last line and records that it did.
    private func repair(_ standing: Standing, signing: Signing, now: Date) throws -> ([Event], Standing, [UInt8]) {
        let goodLength = standing.position.byteCount
        let bytes: [UInt8]
        do {
            bytes = try fs.readAll(logPath)
            // Only an incomplete last line is an interrupted write: no line break in the bytes to cut.
            guard bytes.count == goodLength + standing.tornTail, !bytes[goodLength...].contains(0x0A) else {
                throw HRIAError(.integrity, "the log changed while it was being repaired", help: "run hria verify")
            }
            let stamp = Timestamp.format(now).replacingOccurrences(of: ":", with: "")
            try DurableFile.write(bytes, to: "\(folder)/log.jsonl.broken-\(stamp)-\(getpid())", fs: fs)
            let fd = try fs.openForAppend(logPath)
            defer { fs.close(fd) }
            try fs.truncate(fd, to: goodLength, path: logPath)
            try fs.fsync(fd, path: logPath)
        } catch let error as HRIAError {
            throw error
        } catch {
            // Never retried: the next command finds the same tail and tries again from the start.
            throw HRIAError(.internalError, "the interrupted write at the end of the log could not be repaired (\(error))",
                            help: "nothing was recorded; free disk space or fix the disk, then run the command again")
        }
        let removed = Array(bytes[goodLength...])
        var truncated = standing
        truncated.tornTail = 0
        let draft = EventDraft(actor: Person.systemID, stage: standing.history.state.stage,
                               time: max(now, standing.history.state.lastEventTime),
                               payload: .recoveryTruncated(RecoveryTruncated(bytes: removed.count, sha256: Digest.sha256Hex(removed),
                                                                             reason: "an incomplete last line of \(removed.count) bytes")))
        return try write([draft], on: truncated, signing: signing) { _, line in
            // The system's own events are signed with the log key.
            try Base64.standard.encode(signing.signer.sign(line))
        }
    }

    /// Records each draft through the history's rules, serialises, writes once, fsyncs, then checkpoints.
    private func write(_ drafts: [EventDraft], on standing: AssessmentLog.Standing, signing: Signing,
                       signEvent: (EventDraft, [UInt8]) throws -> String?) throws -> (events: [Event], standing: Standing, checkpoint: [UInt8]) {
        let prepared = try PreparedAppend.prepare(drafts, on: standing, signEvent: signEvent)
        var after = prepared.after
        let newEvents = prepared.events
        let bytes: [UInt8] = prepared.lines.reduce(into: []) { $0 += $1; $0.append(0x0A) }
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
        let checkpoint: [UInt8]
        do {
            checkpoint = try CheckpointFiles(log: self).write(size: after.position.eventCount, root: after.position.tree.root(), origin: signing.origin,
                                                 signer: signing.signer)
        } catch let error as HRIAError {
            throw error
        } catch {
            throw HRIAError(.internalError, "the checkpoint could not be written durably (\(error)); nothing was acknowledged",
                            help: "the next command signs the checkpoint")
        }
        after.checkpointSize = after.position.eventCount
        crashIfAsked(.done)
        return (newEvents, after, checkpoint)
    }
}

/// The stamps of what `verify` reads in an assessment folder: the log, the workflow snapshot, the latest checkpoint,
/// the `checkpoints/` folder (its change time moves whenever a checkpoint is added, removed or renamed) and the
/// newest stored checkpoint, every evidence file and confidential value and their folders. A state snapshot is
/// believed only while its fingerprint still matches: any such change, by anyone, changes a stamp, in a number of
/// `stat` calls that does not grow with the log. Kept as one SHA-256 over the sorted names and stamps, since it is
/// only ever compared (the list index holds thousands).
///
/// Not seen: an older stored checkpoint rewritten in place (same file, folder untouched); `hria verify` reports it,
/// and so does every command once any other change makes it verify in full.
public struct FolderFingerprint: Sendable, Codable, Equatable {
    public var digest: SHA256Hash

    public init(digest: SHA256Hash) {
        self.digest = digest
    }
}

extension AssessmentLog {
    /// Stamps what `verify` reads (a file that cannot be stamped is left out, so its return is a change too);
    /// `newestCheckpoint` is the size of the newest stored checkpoint the caller knows of.
    public func folderFingerprint(newestCheckpoint: Int) -> FolderFingerprint {
        var entries: [String] = []
        func add(_ name: String, _ path: String) {
            if let stamp = fs.stamp(path) { entries.append(Self.entry(name, stamp)) }
        }
        for name in ["log.jsonl", "workflow.yaml", "checkpoint"] { add(name, "\(folder)/\(name)") }
        add("checkpoints/", checkpointsFolder)
        add("workflows/", snapshotsFolder)
        for name in fs.listDirectory(snapshotsFolder) where !name.hasPrefix(".") { add("workflows/\(name)", "\(snapshotsFolder)/\(name)") }
        add("checkpoints/\(newestCheckpoint)", "\(checkpointsFolder)/\(newestCheckpoint)")
        for (relative, path) in [("evidence/sha256", evidenceFolder), ("private/disclosures", disclosuresFolder)] {
            add("\(relative)/", path)
            for name in fs.listDirectory(path) where !name.hasPrefix(".") { add("\(relative)/\(name)", "\(path)/\(name)") }
        }
        entries.sort()
        return FolderFingerprint(digest: SHA256Hash(bytes: Digest.sha256(Array(entries.joined().utf8)))!)
    }

    /// As `folderFingerprint`, with every stored checkpoint stamped, not only the newest: for a log whose every
    /// checkpoint a reader verifies each time (the roster's), so that a memo of it notices any of them changing.
    public func fullFingerprint() -> FolderFingerprint {
        let newest = folderFingerprint(newestCheckpoint: 0)
        var entries = [newest.digest.hex + "\n"]
        for name in fs.listDirectory(checkpointsFolder).sorted() where !name.hasPrefix(".") {
            if let stamp = fs.stamp("\(checkpointsFolder)/\(name)") { entries.append(Self.entry("checkpoints/\(name)", stamp)) }
        }
        // A SHA-256 digest is always 32 bytes; the fallback is never taken.
        return SHA256Hash(bytes: Digest.sha256(Array(entries.joined().utf8))).map(FolderFingerprint.init(digest:)) ?? newest
    }

    private static func entry(_ name: String, _ stamp: FileStamp) -> String {
        "\(name)\u{0}\(stamp.size)\u{0}\(stamp.inode)\u{0}\(stamp.changeSeconds)\u{0}\(stamp.changeNanoseconds)\n"
    }
}
