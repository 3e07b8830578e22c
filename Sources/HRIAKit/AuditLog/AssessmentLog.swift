import Foundation
import Glibc

/// Steps of an append where a test may ask the process to die (`HRIA_CRASH_AT=STEP`), to prove that a crash
/// at any point loses no acknowledged event and leaves a log that verifies.
public enum AppendStep: String, Sendable, CaseIterable {
    case locked, validated, written, synced, checkpointWritten = "checkpoint-written", checkpointRenamed = "checkpoint-renamed",
         done
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
    public func create(workflowBytes: [UInt8], firstLine: [UInt8]) throws(HRIAError) {
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

    /// Appends the events `decide` returns, under an exclusive lock, durably. `decide` sees the events as they
    /// are on disk once the lock is held, so two writers can never fork the log.
    @discardableResult
    public func append(lockTimeout: Double, sign: (EventDraft, Int, String) throws -> String? = { _, _, _ in nil },
                       afterSync: ([Event]) throws -> Void = { _ in },
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
        var events = try readEvents()
        crashIfAsked(.validated)
        let drafts = try decide(events)
        guard !drafts.isEmpty else { return [] }
        var bytes: [UInt8] = []
        var prev = events.last.map { Digest.sha256Hex($0.line) } ?? Event.genesisPrev
        var newEvents: [Event] = []
        for draft in drafts {
            let seq = events.count + newEvents.count
            let signature = try sign(draft, seq, prev)
            let line = LogLine.serialize(draft, seq: seq, prev: prev, signature: signature)
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
            try fs.write(fd, bytes, path: logPath)
            crashIfAsked(.written)
            try fs.fsync(fd, path: logPath)
        } catch {
            // Never retry: after a failed write or fsync the page cache cannot be trusted (the PostgreSQL lesson).
            throw HRIAError(.internalError, "the event could not be written durably (\(error)); nothing was acknowledged",
                            help: "the next command repairs an incomplete last line")
        }
        crashIfAsked(.synced)
        events += newEvents
        try afterSync(events)
        crashIfAsked(.done)
        return newEvents
    }
}
