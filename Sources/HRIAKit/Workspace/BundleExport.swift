import Foundation

extension Workspace {
    /// Writes a public bundle of one assessment into `destination` (which must not exist or be empty): the log,
    /// the pinned workflow, the checkpoints, the evidence files, the reports given, a manifest and a README;
    /// nothing from private/. Fails closed: an assessment that does not verify is not exported. Returns the files
    /// written, relative to `destination`, and notes on what the bundle could not hold.
    public func exportPublicBundle(_ id: String, to destination: String, reportHTML: String, reportMarkdown: String) throws
        -> (files: [String], notes: [String]) {
        if fs.fileExists(destination) {
            // A file, or a folder that cannot be listed, counts as not empty.
            let contents = (try? FileManager.default.contentsOfDirectory(atPath: destination)) ?? ["?"]
            guard contents.isEmpty else { throw PublicBundle.destinationNotEmpty(destination) }
        }
        let loaded = try load(id)
        let log = log(id)
        guard let logKey = configuration.logKey else { throw HRIAError.badInput("hria.yaml has no log_key") }
        var written: [String] = []
        var notes: [String] = []
        func put(_ relative: String, _ bytes: [UInt8]) throws {
            var folder = destination
            for part in relative.split(separator: "/").dropLast() {
                folder += "/\(part)"
                try fs.makeDirectory(folder)
            }
            try DurableFile.write(bytes, to: "\(destination)/\(relative)", fs: fs)
            written.append(relative)
        }
        func putTiles(_ tiles: LogTiles, under prefix: String) throws {
            let (files, skipped) = tiles.files()
            for file in files { try put(prefix + file.path, file.bytes) }
            notes += skipped.map { PublicBundle.leftOutNote($0, under: prefix, id: id) }
        }
        do {
            // The destination may be several levels new: made as mkdir -p would, then everything in it through the seam.
            try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
            // The verified lines only: an interrupted write after them is not part of the record.
            // The lines of the one standing `loaded` was read from, and the checkpoint of exactly that size: a write
            // landing while the bundle is made cannot give it a checkpoint newer than its log or its tiles.
            let logBytes: [UInt8] = loaded.events.reduce(into: []) { $0 += $1.line; $0.append(0x0A) }
            try put("log.jsonl", logBytes)
            // The same log on the C2SP tlog-tiles read path, at the latest checkpoint's size: the bundle's folder
            // on any static web host is a transparency log that monitors and witnesses can follow.
            try putTiles(LogTiles(logBytes: logBytes, size: loaded.checkpointSize), under: "")
            // The workflow it started on, and each one it moved to: every event is judged by the one then in force.
            try put("workflow.yaml", try log.firstWorkflow().orThrow("the first workflow of \(id) cannot be read"))
            for sha in Set(loaded.state.migrations.map(\.to.sha256)).sorted() {
                try put("workflows/\(sha).yaml", try log.workflowFile(sha256: sha).orThrow("the workflow \(id) moved to cannot be read").bytes)
            }
            let stored = log.storedCheckpoints().filter { ($0.size ?? Int.max) <= loaded.checkpointSize }
            if let latest = stored.first(where: { $0.size == loaded.checkpointSize })?.bytes ?? log.latestCheckpoint() { try put("checkpoint", latest) }
            for checkpoint in stored { try put("checkpoints/\(checkpoint.name)", checkpoint.bytes) }
            let attached = loaded.state.evidence.flatMap { item in [item.file] + item.updates.map(\.file) }.compactMap { $0?.sha256 }
            for sha in Set(attached).sorted() {
                try put("evidence/sha256/\(sha)", try log.evidence(sha256: sha).orThrow("the evidence file \(sha.prefix(12))… cannot be read"))
            }
            if !attached.isEmpty {
                try put(PublicBundle.evidenceIndexName, Array(PublicBundle.evidenceIndex(loaded.state).rendered(pretty: true).utf8) + [0x0A])
            }
            // The roster's log and checkpoints, so an outside auditor can check who was entitled to act; names kept
            // confidential are only digests in it, and roster/private/ never leaves.
            if rosterLog.exists {
                let roster = rosterLog.files
                // The roster's complete lines as read, and its checkpoints up to them: one of the same size is the latest.
                let read = try fs.readAll(roster.logPath)
                let rosterBytes = Array(read[..<(read.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0)])
                try put("roster/log.jsonl", rosterBytes)
                let lines = rosterBytes.filter { $0 == 0x0A }.count
                let rosterCheckpoints = CheckpointFiles(log: roster).stored().filter { ($0.size ?? Int.max) <= lines }
                if let latest = rosterCheckpoints.last(where: { $0.size != nil }), let size = latest.size {
                    try put("roster/checkpoint", latest.bytes)
                    try putTiles(LogTiles(logBytes: rosterBytes, size: size), under: "roster/")
                }
                for stored in rosterCheckpoints { try put("roster/checkpoints/\(stored.name)", stored.bytes) }
            }
            try put("report.html", Array(reportHTML.utf8))
            try put("report.md", Array(reportMarkdown.utf8))
            let actors = Set(loaded.events.map(\.actor))
            var signers: [String: String] = [:]
            // Keys of events written before the roster, from hria.yaml.
            for person in configuration.people where actors.contains(person.id) {
                if let key = person.key { signers[person.id] = key }
            }
            var manifest = PublicBundle.Manifest(id: id, organisation: configuration.organisation, origin: "\(configuration.origin)/\(id)",
                                                 logKey: logKey, signers: signers, requireSignatures: configuration.requireSignatures)
            if rosterLog.exists { manifest.rosterOrigin = rosterOrigin }
            try put(PublicBundle.manifestName, PublicBundle.manifestBytes(manifest))
            try put("README.txt", Array(PublicBundle.readme(id: id, logKey: logKey).utf8))
        } catch let error as HRIAError {
            throw error
        } catch {
            throw HRIAError(.internalError, "could not write the bundle: \(error)")
        }
        return (written, notes)
    }
}

extension PublicBundle {
    /// What `hria export` notes of an entry bundle it leaves out (`LogTiles.files().skipped`) because a line of it is
    /// too long for tlog-tiles; `prefix` is where those tiles sit in the bundle: "" for the assessment's, "roster/"
    /// for the roster's. One wording for the bundle written on a workspace and the one downloaded from a server.
    public static func leftOutNote(_ bundle: (path: String, seq: Int), under prefix: String, id: String) -> String {
        "\(prefix)\(bundle.path) is left out: event \(bundle.seq) of \(prefix.isEmpty ? id : "the roster") is longer than a "
            + "tlog-tiles entry bundle can carry (\(LogTiles.maximumEntryLength) bytes); log.jsonl and the hash tiles hold it"
    }

    /// The notes `hria export` gave when it wrote the bundle in `folder`, worked out again from what the bundle holds:
    /// the assessment's log at the size of its checkpoint, then the roster's at the size of its own, as the export
    /// tiled them. A server sends the bundle and not the notes, so the command line prints these instead of taking
    /// the server's word for them. A checkpoint that does not open with the manifest's key gives no notes: such a
    /// bundle fails `hria verify --bundle`, which says why.
    public static func leftOutNotes(inBundle folder: String, manifest: Manifest) -> [String] {
        guard let verifier = try? NoteVerifier(verifierKey: manifest.logKey) else { return [] }
        func skipped(_ log: AssessmentLog, origin: String) -> [(path: String, seq: Int)] {
            guard let bytes = try? log.fs.readAll(log.logPath),
                  let size = try? CheckpointFiles(log: log).latestSize(verifier: verifier, origin: origin) else { return [] }
            return LogTiles.skippedEntryBundles(logBytes: bytes, size: size)
        }
        let roster = RosterLog(folder: Paths.join(folder, "roster"), fs: PosixFileSystem()).files
        return skipped(AssessmentLog(folder: folder), origin: manifest.origin).map { leftOutNote($0, under: "", id: manifest.id) }
            + skipped(roster, origin: manifest.rosterOrigin ?? "").map { leftOutNote($0, under: "roster/", id: manifest.id) }
    }

    /// The error for a bundle's destination that holds something already: `hria export` never writes into it, on
    /// a workspace or through a server.
    public static func destinationNotEmpty(_ destination: String) -> HRIAError {
        .badInput("\(destination) already exists and is not empty")
    }
}
