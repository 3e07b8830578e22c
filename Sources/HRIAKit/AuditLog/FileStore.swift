import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The embedded store: each assessment a folder under `assessments/` (docs/AUDIT-LOG.md).
public struct FileAssessmentStore: AssessmentStore {
    public let folder: String
    public let fs: any FileSystem
    @_spi(Testing) public var crashAt: AppendStep?

    public init(folder: String, fs: any FileSystem = PosixFileSystem()) {
        self.folder = folder
        self.fs = fs
    }

    public var description: String { "files in assessments/" }

    public func record(_ id: String) -> any AssessmentRecord { folderLog(id) }

    public func folderLog(_ id: String) -> AssessmentLog {
        AssessmentLog(folder: Paths.join(folder, id), fs: fs, crashAt: crashAt)
    }

    public func assessmentIDs() throws(HRIAError) -> [String] {
        fs.listDirectory(folder).filter { AssessmentID.isValid($0) && fs.fileExists(folderLog($0).logPath) }.sorted()
    }
}

extension AssessmentLog: AssessmentRecord {
    public var id: String { Paths.name(folder) }
    public var location: String { "assessments/\(id)" }
    public var restorePlaces: (damaged: String, checkpoints: String) {
        ("the damaged files of assessments/\(id)", "assessments/\(id)/checkpoint and checkpoints/")
    }
    public var exists: Bool { fs.fileExists(logPath) }

    public func logBytes(upTo position: Position) throws(HRIAError) -> [UInt8] {
        let bytes: [UInt8]
        do {
            bytes = try fs.readFrom(logPath, offset: 0, count: position.byteCount)
        } catch {
            throw HRIAError(.integrity, "cannot read the log: \(error)")
        }
        guard bytes.count == position.byteCount else {
            throw HRIAError(.integrity, "the log changed while it was read", help: "run the command again, or hria verify")
        }
        return bytes
    }

    public func openLog() throws(FileSystemError) -> any LogByteSource {
        try FileByteSource(fs: fs, path: logPath)
    }

    public func lastLines(_ count: Int) -> [[UInt8]] {
        guard let stamp = fs.stamp(logPath) else { return [] }
        let bytes = (try? fs.readFrom(logPath, offset: max(0, Int(stamp.size) - 65_536), count: nil)) ?? []
        return EventLine.split(bytes).lines.reversed().prefix(count).map { Array($0) }
    }

    public func latestCheckpoint() -> [UInt8]? { CheckpointFiles(log: self).latest() }

    public func storedCheckpoints() -> [StoredCheckpoint] {
        CheckpointFiles(log: self).stored().map { StoredCheckpoint(label: "checkpoints/\($0.name)", size: $0.size, bytes: $0.bytes, name: $0.name) }
    }

    public func interruptedCheckpoints() -> [[UInt8]] {
        fs.listDirectory(folder).filter { $0.hasPrefix(".tmp-checkpoint-") }.compactMap { try? fs.readAll("\(folder)/\($0)") }
    }

    public func firstWorkflow() -> [UInt8]? { try? fs.readAll(workflowPath) }

    public func workflowSnapshots() -> [(claimedSHA256: String, bytes: [UInt8])] {
        fs.listDirectory(snapshotsFolder).filter { $0.hasSuffix(".yaml") }.compactMap { name in
            (try? fs.readAll("\(snapshotsFolder)/\(name)")).map { (String(name.dropLast(5)), $0) }
        }
    }

    public func storeWorkflowSnapshot(_ bytes: [UInt8]) throws {
        // Kept under its hash; a file already there with other bytes (damaged, or left by hand) is replaced, since
        // no verified event can name it: an event names a snapshot only once it is in place.
        let path = snapshotPath(Digest.sha256Hex(bytes))
        guard (try? fs.readAll(path)).map(Digest.sha256Hex) != Digest.sha256Hex(bytes) else { return }
        if !fs.fileExists(snapshotsFolder) {
            try fs.makeDirectory(snapshotsFolder)
            // The new folder's entry is durable before the event that needs what it holds.
            try fs.fsyncDirectory(folder)
        }
        try DurableFile.write(bytes, to: path, fs: fs)
    }

    public func evidence(sha256: String) -> [UInt8]? { try? fs.readAll("\(evidenceFolder)/\(sha256)") }

    public func storeEvidence(sha256: String, bytes: [UInt8], permissions: UInt16) throws {
        guard !fs.fileExists("\(evidenceFolder)/\(sha256)") else { return }
        try fs.makeDirectory("\(folder)/evidence")
        try fs.makeDirectory(evidenceFolder)
        // The copy is never more readable than the original, and never executable or writable by others.
        try DurableFile.write(bytes, to: "\(evidenceFolder)/\(sha256)", fs: fs, mode: mode_t(permissions & 0o644))
    }

    public func evidenceDigests() -> [String] { fs.listDirectory(evidenceFolder).filter { !$0.hasPrefix(".") } }

    /// Made in a staging folder renamed into place, as `create` does, so a copy is never found half made.
    public func restore(_ copy: RecordCopy) throws(HRIAError) {
        try makeInPlace(workflowBytes: copy.firstWorkflow, failure: "could not copy \(id) into \(location)") { staged throws in
            if !copy.workflowSnapshots.isEmpty { try fs.makeDirectory(staged.snapshotsFolder) }
            for (sha, bytes) in copy.workflowSnapshots { try DurableFile.write(bytes, to: staged.snapshotPath(sha), fs: fs) }
            for (sha, bytes) in copy.evidence { try DurableFile.write(bytes, to: "\(staged.evidenceFolder)/\(sha)", fs: fs, mode: 0o644) }
            for (digest, bytes) in copy.disclosures {
                try DurableFile.write(bytes, to: "\(staged.disclosuresFolder)/\(digest)", fs: fs, mode: 0o600)
            }
            for (name, bytes) in copy.privateItems { try staged.storePrivateItem(name: name, bytes: bytes) }
            for (size, bytes) in copy.checkpoints { try DurableFile.write(bytes, to: "\(staged.checkpointsFolder)/\(size)", fs: fs) }
            try DurableFile.write(copy.latestCheckpoint, to: staged.checkpointPath, fs: fs)
            try DurableFile.write(copy.lines.reduce(into: []) { $0 += $1; $0.append(0x0A) }, to: staged.logPath, fs: fs)
        }
    }

    public func disclosureDigests() -> [String] { fs.listDirectory(disclosuresFolder).filter { !$0.hasPrefix(".") } }

    public func disclosure(digest: String) -> [UInt8]? { try? fs.readAll("\(disclosuresFolder)/\(digest)") }

    public func storeDisclosure(digest: String, bytes: [UInt8]) throws {
        try DurableFile.write(bytes, to: "\(disclosuresFolder)/\(digest)", fs: fs, mode: 0o600)
    }

    public func removeDisclosure(digest: String) throws {
        let path = "\(disclosuresFolder)/\(digest)"
        fs.unlink(path)
        guard !fs.fileExists(path) else { throw HRIAError(.internalError, "could not delete \(path)") }
        try fs.fsyncDirectory(disclosuresFolder)
    }

    public func protectDisclosures() throws { try protectPrivateFolder() }

    /// Private items are files under `private/` beside `private/disclosures/` (never in the fingerprint, the bundle or
    /// verify's reading): folders 0700 and files 0600, written to a temporary file and renamed as disclosures are.
    public func privateItems(prefix: String) -> [(name: String, bytes: [UInt8])] {
        var found: [(name: String, bytes: [UInt8])] = []
        func walk(_ relative: String, depth: Int) {
            let path = relative.isEmpty ? privateFolder : "\(privateFolder)/\(relative)"
            for entry in fs.listDirectory(path).sorted() where !entry.hasPrefix(".") {
                let name = relative.isEmpty ? entry : "\(relative)/\(entry)"
                if relative.isEmpty, entry == "disclosures" { continue }
                if let bytes = try? fs.readAll("\(privateFolder)/\(name)"), PrivateItemName.isValid(name) {
                    if name.hasPrefix(prefix) { found.append((name, bytes)) }
                } else if depth < 3 {
                    walk(name, depth: depth + 1)
                }
            }
        }
        walk("", depth: 1)
        return found
    }

    public func privateItem(_ name: String) -> [UInt8]? {
        guard PrivateItemName.isValid(name) else { return nil }
        return try? fs.readAll("\(privateFolder)/\(name)")
    }

    public func storePrivateItem(name: String, bytes: [UInt8]) throws {
        try makePrivateFolders(for: name)
        try DurableFile.write(bytes, to: "\(privateFolder)/\(name)", fs: fs, mode: 0o600)
    }

    /// Created with O_EXCL under its own name, so that of two callers at once exactly one makes it.
    public func storePrivateItemIfAbsent(name: String, bytes: [UInt8]) throws -> Bool {
        try makePrivateFolders(for: name)
        let path = "\(privateFolder)/\(name)"
        let fd: Int32
        do {
            fd = try fs.openForWriting(path, exclusive: true)
        } catch {
            if error.code == EEXIST { return false }
            throw error
        }
        do {
            defer { fs.close(fd) }
            try fs.changePermissions(fd, to: 0o600, path: path)
            try fs.write(fd, bytes, path: path)
            try fs.fsync(fd, path: path)
        } catch {
            fs.unlink(path)
            throw error
        }
        try fs.fsyncDirectory((path as NSString).deletingLastPathComponent)
        return true
    }

    /// The folders of an item's name under `private/`, 0700, each durable before anything is stored in it.
    private func makePrivateFolders(for name: String) throws {
        try PrivateItemName.check(name)
        var folder = privateFolder
        try fs.makeDirectory(folder, mode: 0o700)
        for part in name.split(separator: "/").dropLast() {
            folder += "/\(part)"
            if !fs.fileExists(folder) {
                try fs.makeDirectory(folder, mode: 0o700)
                // The new folder's entry is durable before anything is said to be stored in it.
                try fs.fsyncDirectory((folder as NSString).deletingLastPathComponent)
            }
        }
    }

    public func removePrivateItem(_ name: String) throws {
        try PrivateItemName.check(name)
        let path = "\(privateFolder)/\(name)"
        guard fs.fileExists(path) else { return }
        fs.unlink(path)
        guard !fs.fileExists(path) else { throw HRIAError(.internalError, "could not delete \(path)") }
        try fs.fsyncDirectory((path as NSString).deletingLastPathComponent)
    }

    public func fingerprint(newestCheckpoint: Int) -> FolderFingerprint? { folderFingerprint(newestCheckpoint: newestCheckpoint) }

    public func readFailure() -> HRIAError? { nil }
}

/// A log file, read from its start.
final class FileByteSource: LogByteSource {
    private let fs: any FileSystem
    private let path: String
    private let fd: Int32
    let sizeHint: Int?
    var problems: [(seq: Int, message: String)] { [] }

    init(fs: any FileSystem, path: String) throws(FileSystemError) {
        self.fs = fs
        self.path = path
        fd = try fs.openForReading(path)
        var info = stat()
        sizeHint = fstat(fd, &info) == 0 ? Int(info.st_size) : nil
    }

    deinit { fs.close(fd) }

    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(FileSystemError) -> Int {
        while true {
            let read = systemRead(fd, buffer, count)
            if read >= 0 { return read }
            if errno != EINTR { throw FileSystemError("read", path, code: errno) }
        }
    }
}
