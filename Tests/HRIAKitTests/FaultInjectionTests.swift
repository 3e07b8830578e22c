import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import HRIAKit

// Fault injection into AssessmentLog.append through its FileSystem (docs/AUDIT-LOG.md, "How an append is made durable",
// steps 4–5): ENOSPC on a write of log.jsonl, EIO on fsync, short writes, failures while the checkpoint is written.
// Each failed append throws, signs no new checkpoint, never retries, and the next append with the real file system
// finds the log intact (or repairs its torn tail) with every acknowledged event, and LogVerifier passes.

/// A file system that passes everything to the real one, except the Nth call of one operation on one file.
final class FaultyFileSystem: FileSystem, @unchecked Sendable {
    enum Operation: String, Sendable { case write, fsync, link, rename, fsyncDirectory, openForWriting }

    enum Injection: Sendable {
        /// The call fails with this errno and does nothing.
        case fail(Int32)
        /// A write puts the first half of its bytes on disk, then fails with this errno.
        case partialWrite(Int32)
        /// A write is split into many small successful writes (the loop over short writes).
        case splitWrites
    }

    let inner = PosixFileSystem()
    let operation: Operation
    let matches: @Sendable (String) -> Bool
    let nth: Int
    let injection: Injection
    private let lock = NSLock()
    private var seen = 0
    private(set) var injected = 0
    /// Every operation on a matching path after the fault was injected (to prove there is no retry).
    private(set) var afterFault: [String] = []

    init(_ operation: Operation, nth: Int = 1, injection: Injection, matching: @escaping @Sendable (String) -> Bool) {
        self.operation = operation
        self.nth = nth
        self.injection = injection
        self.matches = matching
    }

    /// The injection to apply to this call, if it is the one.
    private func check(_ op: Operation, _ path: String) -> Injection? {
        lock.lock()
        defer { lock.unlock() }
        guard matches(path) else { return nil }
        if injected > 0 { afterFault.append("\(op.rawValue) \(path)") }
        guard op == operation else { return nil }
        seen += 1
        guard seen == nth else { return nil }
        injected += 1
        return injection
    }

    func openForAppend(_ path: String) throws(FileSystemError) -> Int32 { try inner.openForAppend(path) }

    func openForWriting(_ path: String, exclusive: Bool) throws(FileSystemError) -> Int32 {
        if case .fail(let code) = check(.openForWriting, path) { throw FileSystemError("create", path, code: code) }
        return try inner.openForWriting(path, exclusive: exclusive)
    }

    func openForReading(_ path: String) throws(FileSystemError) -> Int32 { try inner.openForReading(path) }
    func close(_ fd: Int32) { inner.close(fd) }

    func write(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FileSystemError) {
        switch check(.write, path) {
        case .fail(let code)?:
            throw FileSystemError("write", path, code: code)
        case .partialWrite(let code)?:
            try inner.write(fd, Array(bytes.prefix(bytes.count / 2)), path: path)
            throw FileSystemError("write", path, code: code)
        case .splitWrites?:
            var offset = 0
            var size = 1
            while offset < bytes.count {
                let end = min(bytes.count, offset + size)
                try inner.write(fd, Array(bytes[offset..<end]), path: path)
                offset = end
                size *= 3
            }
        case nil:
            try inner.write(fd, bytes, path: path)
        }
    }

    func fsync(_ fd: Int32, path: String) throws(FileSystemError) {
        if case .fail(let code) = check(.fsync, path) { throw FileSystemError("fsync", path, code: code) }
        try inner.fsync(fd, path: path)
    }

    func truncate(_ fd: Int32, to size: Int, path: String) throws(FileSystemError) { try inner.truncate(fd, to: size, path: path) }
    func lockExclusive(_ fd: Int32, timeout: Double) -> Bool { inner.lockExclusive(fd, timeout: timeout) }
    func readAll(_ path: String) throws(FileSystemError) -> [UInt8] { try inner.readAll(path) }

    func rename(_ from: String, _ to: String) throws(FileSystemError) {
        if case .fail(let code) = check(.rename, to) { throw FileSystemError("rename", from, code: code) }
        try inner.rename(from, to)
    }

    func link(_ from: String, _ to: String) throws(FileSystemError) {
        if case .fail(let code) = check(.link, to) { throw FileSystemError("link", to, code: code) }
        try inner.link(from, to)
    }

    func unlink(_ path: String) { inner.unlink(path) }
    func makeDirectory(_ path: String, mode: mode_t) throws(FileSystemError) { try inner.makeDirectory(path, mode: mode) }

    func fsyncDirectory(_ path: String) throws(FileSystemError) {
        if case .fail(let code) = check(.fsyncDirectory, path) { throw FileSystemError("fsync", path, code: code) }
        try inner.fsyncDirectory(path)
    }

    func fileExists(_ path: String) -> Bool { inner.fileExists(path) }
    func listDirectory(_ path: String) -> [String] { inner.listDirectory(path) }
}

/// One assessment folder made with AssessmentLog.create and appended to directly.
struct FaultFixture {
    static let workflowText = """
    schema: hria.workflow/v1
    id: fault
    version: 1
    title: Fault injection
    roles:
      requester: { description: Runs it }
    initial: intake
    stages:
      intake:
        owner: requester
        transitions: [ { to: done } ]
      done: { terminal: true, outcome: done }

    """

    let parent: URL
    let id = "f1"
    let signing: AssessmentLog.Signing
    let origin: String

    var folder: String { parent.appendingPathComponent(id).path }
    func log(_ fs: any FileSystem = PosixFileSystem()) -> AssessmentLog { AssessmentLog(folder: folder, fs: fs) }

    init(origin: String = "fault.example/hria") throws {
        self.origin = origin
        parent = FileManager.default.temporaryDirectory.appendingPathComponent("hria-fault-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        let key = try NoteSigner.generate(name: origin)
        signing = AssessmentLog.Signing(signer: key.signer, verifier: key.signer.verifier, origin: "\(origin)/\(id)")
        let bytes = Array(Self.workflowText.utf8)
        let workflow = try #require(WorkflowLoader.load(bytes: bytes, fileName: "fault.yaml").workflow)
        let actor = Person(id: "ana", name: "Ana", roles: ["requester"], key: nil)
        let outcome = try Engine.create(id: id, workflow: workflow, workflowSHA256: Digest.sha256Hex(bytes), partner: "Acme",
                                        title: nil, facts: [], actor: actor, now: Date())
        let first = EventLine.encode(outcome.events[0], seq: 0, prev: .zero)
        try log().create(workflowBytes: bytes, firstLine: first, signing: signing)
    }

    func cleanUp() { try? FileManager.default.removeItem(at: parent) }

    /// Appends one comment; returns the events the append acknowledged.
    @discardableResult
    func comment(_ text: String, fs: any FileSystem = PosixFileSystem()) throws -> [Event] {
        try log(fs).append(lockTimeout: 2, signing: signing, now: Date(), establish: { try standing(fs) }) { _ in
            [EventDraft(actor: "ana", stage: "intake", time: Date(), payload: .commentAdded(CommentAdded(text: text, roles: ["requester"])))]
        }.events
    }

    /// Where the log stands, as a command establishes it without a snapshot: by verifying it.
    func standing(_ fs: any FileSystem = PosixFileSystem()) throws -> AssessmentLog.Standing {
        let report = LogVerifier.verify(id: id, log: log(fs), trust: trust)
        guard report.ok, let standing = report.standing else { throw HRIAError(.integrity, report.firstProblem ?? "no standing") }
        return standing
    }

    /// Every event of the verified log.
    func events() throws -> [Event] {
        try log().events(upTo: standing().position)
    }

    var trust: LogVerifier.Trust {
        LogVerifier.Trust(verifier: signing.verifier, origin: signing.origin, people: [], requireSignatures: false)
    }

    func bytes(_ path: String) -> [UInt8]? { try? PosixFileSystem().readAll(path) }
    var logBytes: [UInt8] { bytes(log().logPath) ?? [] }
    var checkpointBytes: [UInt8] { bytes(log().checkpointPath) ?? [] }
    var archivedCheckpoints: [String] { PosixFileSystem().listDirectory(log().checkpointsFolder).sorted() }

    func verify() -> VerificationReport {
        LogVerifier.verify(id: id, log: log(), trust: trust)
    }
}

@Suite("Fault injection: a failed write or fsync aborts, signs nothing, and the next append recovers")
struct FaultInjectionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var operation: FaultyFileSystem.Operation
        var injection: FaultyFileSystem.Injection
        /// Which file the fault hits (by the end of its path).
        var target: Target
        /// Whether the append is expected to fail.
        var fails = true
        /// Whether a new checkpoints/SIZE may already be linked when the fault hits (faults after the link).
        var mayArchive = false
        /// Whether `checkpoint` may already be replaced (a fault after the rename).
        var mayReplaceLatest = false
        /// Whether the failed append leaves a complete but unacknowledged event.
        var leavesEvent = false
        /// Whether it leaves a torn tail that the next append must repair.
        var leavesTornTail = false
        var testDescription: String { name }

        enum Target: Sendable { case log, checkpointTemp, archive, latest, checkpointsFolder, assessmentFolder }

        func matches(_ fixture: FaultFixture) -> @Sendable (String) -> Bool {
            let log = fixture.log()
            let logPath = log.logPath, folder = log.folder, checkpointsFolder = log.checkpointsFolder
            let checkpointPath = log.checkpointPath
            switch target {
            case .log: return { $0 == logPath }
            case .checkpointTemp: return { $0.hasPrefix("\(folder)/.tmp-checkpoint") }
            case .archive: return { $0.hasPrefix("\(checkpointsFolder)/") }
            case .latest: return { $0 == checkpointPath }
            case .checkpointsFolder: return { $0 == checkpointsFolder }
            case .assessmentFolder: return { $0 == folder }
            }
        }
    }

    static let cases: [Case] = [
        Case(name: "ENOSPC on the 4th write of log.jsonl", operation: .write, injection: .fail(ENOSPC), target: .log),
        Case(name: "a short write, then ENOSPC", operation: .write, injection: .partialWrite(ENOSPC), target: .log,
             leavesTornTail: true),
        Case(name: "EIO on fsync of log.jsonl", operation: .fsync, injection: .fail(EIO), target: .log, leavesEvent: true),
        Case(name: "short writes that complete", operation: .write, injection: .splitWrites, target: .log, fails: false),
        Case(name: "ENOSPC creating the checkpoint's temporary file", operation: .openForWriting, injection: .fail(ENOSPC),
             target: .checkpointTemp, leavesEvent: true),
        Case(name: "ENOSPC writing the checkpoint", operation: .write, injection: .fail(ENOSPC), target: .checkpointTemp,
             leavesEvent: true),
        Case(name: "a short write of the checkpoint, then ENOSPC", operation: .write, injection: .partialWrite(ENOSPC),
             target: .checkpointTemp, leavesEvent: true),
        Case(name: "EIO on fsync of the checkpoint", operation: .fsync, injection: .fail(EIO), target: .checkpointTemp, leavesEvent: true),
        Case(name: "EIO linking checkpoints/SIZE", operation: .link, injection: .fail(EIO), target: .archive, leavesEvent: true),
        Case(name: "EIO on fsync of checkpoints/", operation: .fsyncDirectory, injection: .fail(EIO), target: .checkpointsFolder,
             mayArchive: true, leavesEvent: true),
        Case(name: "EIO renaming over checkpoint", operation: .rename, injection: .fail(EIO), target: .latest, mayArchive: true,
             leavesEvent: true),
        Case(name: "EIO on fsync of the assessment folder after the rename", operation: .fsyncDirectory, injection: .fail(EIO),
             target: .assessmentFolder, mayArchive: true, mayReplaceLatest: true, leavesEvent: true),
    ]

    @Test("a fault in an append", arguments: cases)
    func fault(_ c: Case) throws {
        let fixture = try FaultFixture()
        defer { fixture.cleanUp() }
        // Three acknowledged appends through the faulty file system (the fault is set for a later call where it counts writes).
        let nth = c.target == .log && c.operation == .write ? 4 : 1
        let faulty = FaultyFileSystem(c.operation, nth: nth, injection: c.injection, matching: c.matches(fixture))
        var acknowledged: [Event] = []
        for i in 0..<3 {
            let fs: any FileSystem = nth == 4 ? faulty : PosixFileSystem()
            acknowledged += try fixture.comment("acknowledged \(i)", fs: fs)
        }
        #expect(acknowledged.count == 3)
        let logBefore = fixture.logBytes, checkpointBefore = fixture.checkpointBytes, archivedBefore = fixture.archivedCheckpoints

        var thrown: (any Error)?
        do {
            try fixture.comment("the faulty one", fs: faulty)
        } catch {
            thrown = error
        }
        #expect(faulty.injected == 1, "the fault was not reached")
        if c.fails {
            let error = try #require(thrown, "the append must fail")
            #expect(error is HRIAError, "\(error)")
            #expect("\(error)".contains("durabl") || "\(error)".contains("checkpoint"), "\(error)")
            // Never retried: no later write or fsync of the file that failed.
            #expect(!faulty.afterFault.contains { $0.hasPrefix("write ") || $0.hasPrefix("fsync ") }, "retried: \(faulty.afterFault)")
        } else {
            #expect(thrown == nil, "\(String(describing: thrown))")
        }
        if c.fails && !c.mayReplaceLatest {
            #expect(fixture.checkpointBytes == checkpointBefore, "a failed append must not sign a new latest checkpoint")
        }
        if c.fails && !c.mayArchive {
            #expect(fixture.archivedCheckpoints == archivedBefore, "a failed append must not store a new checkpoint")
        }
        let logAfterFault = fixture.logBytes
        #expect(Array(logAfterFault.prefix(logBefore.count)) == logBefore, "acknowledged bytes changed")
        if c.fails && !c.leavesEvent && !c.leavesTornTail { #expect(logAfterFault == logBefore) }
        if c.leavesTornTail { #expect(logAfterFault.count > logBefore.count && logAfterFault.last != 0x0A) }
        if c.leavesEvent { #expect(logAfterFault.count > logBefore.count && logAfterFault.last == 0x0A) }
        // Verification of the state the fault left: an interrupted write or an unsigned tail is not damage.
        let middle = fixture.verify()
        #expect(middle.ok, "\(middle.text)")

        // The next append, on the real file system, finds the log intact or repairs it.
        let next = try fixture.comment("after the fault")
        // A repair made on the way is returned with the command's own event.
        #expect(next.filter { $0.type == .commentAdded }.count == 1)
        #expect(next.filter { $0.type != .commentAdded }.allSatisfy { $0.type == .recoveryTruncated })
        let events = try fixture.events()
        for event in acknowledged {
            #expect(events.indices.contains(event.seq) && events[event.seq].line == event.line, "acknowledged event \(event.seq) lost")
        }
        #expect(events.last?.data["text"]?.stringValue == "after the fault")
        let repaired = events.contains { $0.type == .recoveryTruncated }
        #expect(repaired == c.leavesTornTail, "repair expected: \(c.leavesTornTail), happened: \(repaired)")
        let texts = events.compactMap { $0.data["text"]?.stringValue }
        #expect(texts.filter { $0 == "the faulty one" }.count == ((c.leavesEvent || !c.fails) ? 1 : 0))
        #expect(!PosixFileSystem().listDirectory(fixture.folder).contains { $0.hasPrefix(".tmp") }, "temporary files left behind")
        let report = fixture.verify()
        #expect(report.ok, "\(report.text)")
        #expect(report.size == events.count)
        #expect(report.checkpointSize == events.count)
    }

    /// Where a repair of a torn tail can fail: the copy of the damaged file, cutting the tail, the recovery event.
    enum RepairFault: String, CaseIterable, Sendable {
        case copyWrite = "ENOSPC writing the log.jsonl.broken copy"
        case truncateFsync = "EIO on fsync after cutting the tail"
        case recoveryWrite = "ENOSPC writing the recovery.truncated event"
        case recoveryFsync = "EIO on fsync of the recovery.truncated event"
    }

    @Test("a failure while repairing a torn tail aborts with an internal error and loses nothing", arguments: RepairFault.allCases)
    func faultDuringRepair(_ fault: RepairFault) throws {
        let fixture = try FaultFixture()
        defer { fixture.cleanUp() }
        let acknowledged = try fixture.comment("acknowledged")
        let checkpointBefore = fixture.checkpointBytes
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: fixture.log().logPath))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([UInt8](repeating: 0, count: 300)))
        try handle.close()
        let logPath = fixture.log().logPath, folder = fixture.folder
        let faulty: FaultyFileSystem
        switch fault {
        case .copyWrite:
            faulty = FaultyFileSystem(.write, injection: .fail(ENOSPC), matching: { $0.hasPrefix("\(folder)/.tmp-") })
        case .truncateFsync:
            faulty = FaultyFileSystem(.fsync, injection: .fail(EIO), matching: { $0 == logPath })
        case .recoveryWrite:
            faulty = FaultyFileSystem(.write, injection: .fail(ENOSPC), matching: { $0 == logPath })
        case .recoveryFsync:
            faulty = FaultyFileSystem(.fsync, nth: 2, injection: .fail(EIO), matching: { $0 == logPath })
        }
        var thrown: (any Error)?
        do {
            try fixture.comment("during the repair", fs: faulty)
        } catch {
            thrown = error
        }
        #expect(faulty.injected == 1, "the fault was not reached")
        let error = try #require(thrown, "the append must fail")
        if fault == .recoveryWrite || fault == .recoveryFsync {
            #expect((error as? HRIAError)?.status == .internalError, "\(type(of: error)): \(error)")
        }
        #expect(fixture.checkpointBytes == checkpointBefore, "a failed repair must not sign a checkpoint")
        #expect(fixture.verify().ok, "\(fixture.verify().text)")
        try fixture.comment("after")
        let events = try fixture.events()
        #expect(events[acknowledged[0].seq].line == acknowledged[0].line)
        #expect(!events.contains { $0.data["text"]?.stringValue == "during the repair" })
        #expect(events.last?.data["text"]?.stringValue == "after")
        let report = fixture.verify()
        #expect(report.ok, "\(report.text)")
        #expect(report.checkpointSize == events.count)
    }

    @Test("an I/O error while repairing a torn tail is an internal error (exit 70), not bad input",
          arguments: [RepairFault.copyWrite, .truncateFsync])
    func repairIOErrorIsInternalError(_ fault: RepairFault) throws {
        let fixture = try FaultFixture()
        defer { fixture.cleanUp() }
        try fixture.comment("acknowledged")
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: fixture.log().logPath))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([UInt8](repeating: 0, count: 300)))
        try handle.close()
        let logPath = fixture.log().logPath, folder = fixture.folder
        let faulty = fault == .copyWrite
            ? FaultyFileSystem(.write, injection: .fail(ENOSPC), matching: { $0.hasPrefix("\(folder)/.tmp-") })
            : FaultyFileSystem(.fsync, injection: .fail(EIO), matching: { $0 == logPath })
        do {
            try fixture.comment("during the repair", fs: faulty)
            Issue.record("the append must fail")
        } catch {
            #expect((error as? HRIAError)?.status == .internalError, "\(type(of: error)): \(error)")
        }
    }
}
