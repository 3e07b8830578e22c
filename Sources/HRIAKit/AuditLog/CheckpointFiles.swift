import Foundation

/// The signed checkpoints of one assessment: `checkpoint` (the latest) and `checkpoints/SIZE` (every one).
public struct CheckpointFiles: Sendable {
    public let log: AssessmentLog

    public init(log: AssessmentLog) {
        self.log = log
    }

    /// The latest checkpoint's bytes, if one was ever written.
    public func latest() -> [UInt8]? {
        try? log.fs.readAll(log.checkpointPath)
    }

    /// Every stored checkpoint, by the size its file name gives, smallest first.
    public func stored() -> [(name: String, size: Int?, bytes: [UInt8])] {
        log.fs.listDirectory(log.checkpointsFolder).filter { !$0.hasPrefix(".") }.compactMap { name in
            guard let bytes = try? log.fs.readAll("\(log.checkpointsFolder)/\(name)") else { return nil }
            return (name, Int(name).flatMap { String($0) == name ? $0 : nil }, bytes)
        }.sorted { ($0.size ?? Int.max, $0.name) < ($1.size ?? Int.max, $1.name) }
    }

    /// The size the latest checkpoint covers, after checking its signature; nil when there is none.
    public func latestSize(verifier: NoteVerifier, origin: String) throws(HRIAError) -> Int? {
        guard let bytes = latest() else { return nil }
        do {
            return try SignedCheckpoint.open(bytes, verifier: verifier, expectedOrigin: origin).size
        } catch {
            throw HRIAError(.integrity, "the latest checkpoint does not verify: \(error)", help: "run hria verify")
        }
    }

    /// Signs and stores a checkpoint durably: temp file, fsync, link as checkpoints/SIZE, rename over
    /// `checkpoint`, fsync both folders. Signing one body twice gives the same bytes (Ed25519 is
    /// deterministic), so redoing it after a crash finds an identical checkpoints/SIZE.
    @discardableResult
    public func write(size: Int, root: SHA256Hash, origin: String, signer: NoteSigner) throws -> [UInt8] {
        let checkpoint = Checkpoint(origin: origin, size: size, rootHash: root, extensions: [])
        let bytes = try SignedCheckpoint.sign(checkpoint, signer: signer)
        let fs = log.fs
        try fs.makeDirectory(log.checkpointsFolder)
        let temporary = "\(log.folder)/.tmp-checkpoint-\(getpid())"
        fs.unlink(temporary)
        let fd = try fs.openForWriting(temporary, exclusive: true)
        do {
            defer { fs.close(fd) }
            try fs.write(fd, bytes, path: temporary)
            try fs.fsync(fd, path: temporary)
        } catch {
            fs.unlink(temporary)
            throw error
        }
        log.crashIfAsked(.checkpointWritten)
        let archived = "\(log.checkpointsFolder)/\(size)"
        if fs.fileExists(archived) {
            let existing = (try? fs.readAll(archived)) ?? []
            if existing != bytes {
                fs.unlink(temporary)
                throw HRIAError(.integrity, "a different checkpoint of size \(size) is already stored: the log has forked",
                                help: "run hria verify")
            }
        } else {
            try fs.link(temporary, archived)
            try fs.fsyncDirectory(log.checkpointsFolder)
        }
        log.crashIfAsked(.checkpointLinked)
        try fs.rename(temporary, log.checkpointPath)
        try fs.fsyncDirectory(log.folder)
        log.crashIfAsked(.checkpointRenamed)
        return bytes
    }
}
