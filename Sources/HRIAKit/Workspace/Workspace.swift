import Foundation

/// Anything that knows where an assessment stands: its pinned workflow and its folded state.
public protocol AssessmentStanding: Sendable {
    var id: String { get }
    var workflow: Workflow { get }
    var state: AssessmentState { get }
}

/// An assessment read from disk: its pinned workflow, its events and the state they fold into.
public struct LoadedAssessment: AssessmentStanding {
    public var id: String
    public var workflow: Workflow
    public var workflowBytes: [UInt8]
    public var events: [Event]
    public var state: AssessmentState

    public var current: CurrentAssessment { CurrentAssessment(id: id, workflow: workflow, state: state) }
}

/// Where an assessment stands, without its full history: what status, advance and list need.
public struct CurrentAssessment: AssessmentStanding {
    public var id: String
    public var workflow: Workflow
    public var state: AssessmentState
}

/// A workspace folder: hria.yaml, workflows/, assessments/, .hria/. The bridge between the pure engine and
/// the files: it reads state, asks the engine, and appends what the engine decides.
public struct Workspace: Sendable {
    public let root: URL
    public let configuration: WorkspaceConfiguration
    public let fs: any FileSystem
    public var crashAt: AppendStep?
    let workflows = WorkflowMemo()

    var stateCache: StateCache { StateCache(folder: privateFolder.appendingPathComponent("cache"), fs: fs) }

    public var assessmentsFolder: URL { root.appendingPathComponent("assessments") }
    public var workflowsFolder: URL { root.appendingPathComponent("workflows") }
    public var privateFolder: URL { root.appendingPathComponent(".hria") }

    /// Opens a workspace, reading and checking its hria.yaml.
    public static func open(root: URL, fs: any FileSystem = PosixFileSystem()) throws(HRIAError) -> Workspace {
        let path = root.appendingPathComponent(WorkspaceLocator.configurationFile)
        let bytes = try WorkflowSource.readBytes(path, displayName: "hria.yaml", limit: 1 << 20)
        guard case .success(let text) = SourceDecoding.decode(bytes) else {
            throw .badInput("hria.yaml is not valid UTF-8")
        }
        let (configuration, diagnostics) = WorkspaceConfiguration.load(text: text, fileName: "hria.yaml")
        guard let configuration else {
            let source = SourceText(fileName: "hria.yaml", text: text)
            let rendered = diagnostics.filter { $0.severity == .error }.map { DiagnosticRenderer.text($0, source: source) }.joined()
            throw HRIAError(.badInput, "hria.yaml has errors:\n" + rendered.trimmingCharacters(in: .newlines))
        }
        return Workspace(root: root, configuration: configuration, fs: fs, crashAt: nil)
    }

    /// The person acting, by id; an unknown id is bad input with a suggestion.
    public func person(_ id: String?) throws(HRIAError) -> Person {
        guard let id, !id.isEmpty else {
            throw .badInput("who is acting? give --as PERSON or set HRIA_ACTOR",
                            help: "people are listed in hria.yaml: " + configuration.people.map(\.id).joined(separator: ", "))
        }
        guard let person = configuration.person(id) else {
            throw .badInput("unknown person \"\(id)\": not listed in hria.yaml",
                            help: Suggestions.closest(to: id, in: configuration.people.map(\.id)).map { "did you mean \"\($0)\"?" }
                                ?? "people: " + configuration.people.map(\.id).joined(separator: ", "))
        }
        return person
    }

    public func log(_ id: String) -> AssessmentLog {
        AssessmentLog(folder: assessmentsFolder.appendingPathComponent(id).path, fs: fs, crashAt: crashAt)
    }

    /// Every assessment id in the workspace, sorted.
    public func assessmentIDs() -> [String] {
        fs.listDirectory(assessmentsFolder.path).filter { AssessmentID.isValid($0) && fs.fileExists(log($0).logPath) }.sorted()
    }

    /// Checks that an assessment with this id exists (bad input otherwise), without reading its log.
    public func requireExisting(_ id: String) throws(HRIAError) {
        _ = try requireAssessment(id)
    }

    func requireAssessment(_ id: String) throws(HRIAError) -> AssessmentLog {
        guard AssessmentID.isValid(id) else {
            throw .badInput("\"\(id)\" is not a valid assessment id",
                            help: "ids use lower-case letters, digits and -, at most 64 characters")
        }
        let log = log(id)
        guard fs.fileExists(log.logPath) else {
            throw .badInput("unknown assessment \"\(id)\"",
                            help: Suggestions.closest(to: id, in: assessmentIDs()).map { "did you mean \"\($0)\"?" } ?? "see hria list")
        }
        return log
    }

    /// Reads an assessment: its events, its pinned workflow (checked against the recorded hash) and its state.
    public func load(_ id: String) throws(HRIAError) -> LoadedAssessment {
        let log = try requireAssessment(id)
        return try load(id, events: try log.readEvents())
    }

    func load(_ id: String, events: [Event]) throws(HRIAError) -> LoadedAssessment {
        let state: AssessmentState
        do {
            state = try AssessmentState.replay(events)
        } catch {
            throw HRIAError(.integrity, "the log of \(id) is not a valid history: \(error)", help: "run hria verify \(id)")
        }
        let (workflow, bytes) = try pinnedWorkflow(id, sha256: state.workflowSHA256)
        return LoadedAssessment(id: id, workflow: workflow, workflowBytes: bytes, events: events, state: state)
    }

    /// The pinned workflow of an assessment, checked against the hash recorded when it started.
    func pinnedWorkflow(_ id: String, sha256: String) throws(HRIAError) -> (Workflow, [UInt8]) {
        let bytes: [UInt8]
        do {
            bytes = try fs.readAll(log(id).workflowPath)
        } catch {
            throw HRIAError(.integrity, "the pinned workflow of \(id) cannot be read: \(error)")
        }
        guard Digest.sha256Hex(bytes) == sha256 else {
            throw HRIAError(.integrity, "the pinned workflow of \(id) does not match the SHA-256 recorded when it started",
                            help: "run hria verify \(id)")
        }
        do {
            let workflow = try workflows.workflow(sha256: sha256) { () throws(HRIAError) -> Workflow in
                let result = WorkflowLoader.load(bytes: bytes, fileName: "assessments/\(id)/workflow.yaml")
                guard let workflow = result.workflow else {
                    throw HRIAError(.integrity, "the pinned workflow of \(id) no longer loads: "
                                    + (result.diagnostics.first.map { "\($0.location): \($0.message)" } ?? "unknown problem"))
                }
                return workflow
            }
            return (workflow, bytes)
        } catch let error as HRIAError {
            throw error
        } catch {
            throw HRIAError(.internalError, "\(error)")
        }
    }

    /// Where an assessment stands now, from the state cache plus any newer events (rebuilt when stale).
    public func current(_ id: String) throws(HRIAError) -> CurrentAssessment {
        let log = try requireAssessment(id)
        var state: AssessmentState
        var position: AssessmentLog.Position
        if let snapshot = stateCache.read(id), let (newEvents, newPosition, clean) = log.linesAfter(snapshot.position), clean {
            state = snapshot.state
            do {
                for event in newEvents { try state.apply(event) }
            } catch {
                throw HRIAError(.integrity, "the log of \(id) is not a valid history: \(error)", help: "run hria verify \(id)")
            }
            position = newPosition
            if !newEvents.isEmpty { saveSnapshot(id, state: state, position: position) }
        } else {
            let before = fs.stamp(log.logPath)
            let events = try log.readEvents()
            do {
                state = try AssessmentState.replay(events)
            } catch {
                throw HRIAError(.integrity, "the log of \(id) is not a valid history: \(error)", help: "run hria verify \(id)")
            }
            position = AssessmentLog.Position()
            for event in events { position.advance(over: event.line) }
            if before?.size == position.byteCount { position.stamp = before }
            saveSnapshot(id, state: state, position: position)
        }
        let (workflow, _) = try pinnedWorkflow(id, sha256: state.workflowSHA256)
        return CurrentAssessment(id: id, workflow: workflow, state: state)
    }

    /// Every assessment's list row, from the workspace's list index where a log is untouched since it was indexed.
    public func summaries() throws(HRIAError) -> (summaries: [AssessmentSummary], vocabularies: [String: WorkflowVocabulary]) {
        let path = privateFolder.appendingPathComponent("cache/list.json").path
        var index = (try? fs.readAll(path)).flatMap { try? JSONDecoder().decode(ListIndex.self, from: Data($0)) } ?? ListIndex()
        if index.version != ListIndex.version { index = ListIndex() }
        var changed = false
        var result: [AssessmentSummary] = []
        let ids = assessmentIDs()
        for id in ids {
            let stamp = fs.stamp(log(id).logPath)
            if let entry = index.entries[id], let stamp, entry.stamp == stamp {
                result.append(entry.summary)
                continue
            }
            let current = try current(id)
            let summary = AssessmentSummary(current)
            result.append(summary)
            if index.vocabularies[summary.workflowSHA256] == nil {
                index.vocabularies[summary.workflowSHA256] = WorkflowVocabulary(current.workflow)
                changed = true
            }
            if let stamp, let after = fs.stamp(log(id).logPath), after == stamp {
                index.entries[id] = ListIndex.Entry(stamp: stamp, summary: summary)
                changed = true
            }
        }
        if index.entries.count != ids.count {
            let present = Set(ids)
            index.entries = index.entries.filter { present.contains($0.key) }
            changed = true
        }
        if changed, let data = try? JSONEncoder().encode(index) {
            // A cache: written without fsync, replaced atomically, and rebuilt if lost.
            try? FileManager.default.createDirectory(at: privateFolder.appendingPathComponent("cache"), withIntermediateDirectories: true)
            let temporary = "\(path).tmp-\(getpid())"
            if (try? data.write(to: URL(fileURLWithPath: temporary))) != nil, (try? fs.rename(temporary, path)) == nil { fs.unlink(temporary) }
        }
        return (result, index.vocabularies)
    }

    func saveSnapshot(_ id: String, state: AssessmentState, position: AssessmentLog.Position) {
        stateCache.write(id, StateCache.Snapshot(version: StateCache.Snapshot.version, workflowSHA256: state.workflowSHA256,
                                                 position: position, state: state))
    }

    /// The workspace's current copy of a workflow, if any (to tell when a newer version exists).
    public func currentWorkflow(_ id: String) -> (workflow: Workflow, sha256: String)? {
        let url = workflowsFolder.appendingPathComponent("\(id).yaml")
        guard let bytes = try? fs.readAll(url.path) else { return nil }
        return WorkflowLoader.load(bytes: bytes, fileName: url.lastPathComponent).workflow.map { ($0, Digest.sha256Hex(bytes)) }
    }

    /// Starts an assessment: pins a copy of the workflow file and records its hash in the first event.
    public func create(id: String, workflowName: String, partner: String, title: String?, facts: [(name: String, value: String)],
                       actor: Person, now: Date) throws -> LoadedAssessment {
        let (url, displayName) = try WorkflowSource.resolve(workflowName, workspace: root,
                                                            currentDirectory: URL(fileURLWithPath: fs.currentDirectory))
        let bytes = try WorkflowSource.readBytes(url, displayName: displayName)
        let result = WorkflowLoader.load(bytes: bytes, fileName: displayName)
        guard let workflow = result.workflow else {
            throw HRIAError(.refused, "workflow \(displayName) has errors; fix them first",
                            help: "hria workflow lint \(displayName)")
        }
        guard AssessmentID.isValid(id) else {
            throw HRIAError.badInput("\"\(id)\" is not a valid assessment id",
                                     help: "use lower-case letters, digits and -, starting with a letter or digit, at most 64 characters")
        }
        guard !fs.fileExists(log(id).logPath) else { throw HRIAError.badInput("assessment \(id) already exists") }
        let sha = Digest.sha256Hex(bytes)
        let outcome = try Engine.create(id: id, workflow: workflow, workflowSHA256: sha, partner: partner, title: title,
                                        facts: facts, actor: actor, now: now)
        let signing = try signing(for: id)
        let draft = outcome.events[0]
        let unsigned = LogLine.serialize(draft, seq: 0, prev: Event.genesisPrev)
        let line = try eventSignature(actor: actor, draft: draft, unsignedLine: unsigned)
            .map { LogLine.serialize(draft, seq: 0, prev: Event.genesisPrev, signature: $0) } ?? unsigned
        try log(id).create(workflowBytes: bytes, firstLine: line, signing: signing)
        return try load(id)
    }

    /// Runs a command on an assessment under its lock; returns the events appended.
    @discardableResult
    public func perform(_ id: String, command: Command, actor: Person, clock: Clock, random: inout some RandomSource,
                        files: [String: [UInt8]] = [:]) throws -> [Event] {
        let started = clock.now()
        let log = try requireAssessment(id)
        var disclosures: [Disclosure] = []
        var randomSource = random
        defer { random = randomSource }
        let signing = try signing(for: id)
        let snapshot = stateCache.read(id)
        var state = AssessmentState()
        let (appended, position) = try log.append(lockTimeout: Double(configuration.lockTimeoutSeconds), signing: signing, now: started,
                                                  from: snapshot?.position,
                                                  signEvent: { draft, line in try eventSignature(actor: actor, draft: draft, unsignedLine: line) }) { events, fromStart in
            state = fromStart ? AssessmentState() : (snapshot?.state ?? AssessmentState())
            do {
                for event in events { try state.apply(event) }
            } catch {
                throw HRIAError(.integrity, "the log of \(id) is not a valid history: \(error)", help: "run hria verify \(id)")
            }
            let (workflow, _) = try pinnedWorkflow(id, sha256: state.workflowSHA256)
            // The time is read under the lock, so events of concurrent writers are recorded in time order.
            let now = clock.now()
            let outcome = try Engine.decide(workflow: workflow, state: state, command: command, actor: actor,
                                             now: now, random: &randomSource)
            disclosures = outcome.disclosures
            // Files and plaintext are stored only once the engine accepted the command, and before the event
            // that commits to their digests is written.
            for (sha, bytes) in files where !fs.fileExists("\(log.evidenceFolder)/\(sha)") {
                try fs.makeDirectory("\(log.folder)/evidence")
                try fs.makeDirectory(log.evidenceFolder)
                try DurableFile.write(bytes, to: "\(log.evidenceFolder)/\(sha)", fs: fs)
            }
            for disclosure in disclosures {
                try DurableFile.write(Array(disclosure.encoded.utf8), to: "\(log.disclosuresFolder)/\(disclosure.digest)", fs: fs)
            }
            return outcome.events
        }
        for event in appended { try? state.apply(event) }
        saveSnapshot(id, state: state, position: position)
        return appended
    }

    /// The log key's verifier, from hria.yaml.
    public func logVerifier() throws(HRIAError) -> NoteVerifier {
        guard let key = configuration.logKey else {
            throw .badInput("hria.yaml has no log_key, so checkpoints cannot be checked", help: "a workspace made by hria init has one")
        }
        do {
            return try NoteVerifier(verifierKey: key)
        } catch {
            throw .badInput("the log_key in hria.yaml is not a valid verifier key: \(error)")
        }
    }

    /// What signs the checkpoints of one assessment: the workspace's private log key, which must match
    /// the verifier key hria.yaml publishes.
    public func signing(for id: String) throws(HRIAError) -> AssessmentLog.Signing {
        let verifier = try logVerifier()
        let path = privateFolder.appendingPathComponent("log.key").path
        guard let bytes = try? fs.readAll(path) else {
            throw .badInput("the workspace's private log key (.hria/log.key) is not on this machine, so nothing can be recorded here",
                            help: "reading, status and verify work without it; recording needs the machine that holds the key")
        }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let signer: NoteSigner
        do {
            signer = try NoteSigner(privateKey: text)
        } catch {
            throw HRIAError(.badInput, ".hria/log.key is not a valid private key: \(error)")
        }
        guard signer.verifierKey == configuration.logKey else {
            throw .badInput(".hria/log.key does not match the log_key published in hria.yaml")
        }
        return AssessmentLog.Signing(signer: signer, verifier: verifier, origin: "\(configuration.origin)/\(id)")
    }

    /// The actor's signature over an event line, when the actor has a key here; required when hria.yaml says so.
    func eventSignature(actor: Person, draft: EventDraft, unsignedLine: [UInt8]) throws -> String? {
        let path = privateFolder.appendingPathComponent("keys/\(actor.id).key").path
        guard let bytes = try? fs.readAll(path) else {
            if configuration.requireSignatures {
                throw HRIAError.badInput("hria.yaml requires every event to be signed, and \(actor.id) has no key on this machine",
                                         help: "create one with: hria keys new \(actor.id)")
            }
            return nil
        }
        let signer: NoteSigner
        do {
            signer = try NoteSigner(privateKey: String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        } catch {
            throw HRIAError.badInput(".hria/keys/\(actor.id).key is not a valid private key: \(error)")
        }
        guard let published = actor.key else {
            if configuration.requireSignatures {
                throw HRIAError.badInput("hria.yaml lists no key for \(actor.id), so their signature cannot be checked",
                                         help: "add key: \"\(signer.verifierKey)\" to \(actor.id) in hria.yaml")
            }
            return nil
        }
        guard published == signer.verifierKey else {
            throw HRIAError.badInput("the key of \(actor.id) on this machine does not match the key hria.yaml lists for them")
        }
        let signature = try signer.sign(unsignedLine)
        // Check before writing: a wrongly signed event never enters the log.
        let verifier = try NoteVerifier(verifierKey: published)
        guard verifier.verify(unsignedLine, signature: signature) else {
            throw HRIAError(.internalError, "the signature of \(actor.id) did not verify")
        }
        return Data(signature).base64EncodedString()
    }

    /// Deletes a confidential value's plaintext and records that it did. The event is written first, then the
    /// file removed; if a crash falls in between, running the command again finishes the deletion.
    public func erase(_ id: String, digest: String, reason: String, actor: Person, clock: Clock) throws -> [Event] {
        let log = try requireAssessment(id)
        guard !digest.isEmpty, digest.unicodeScalars.allSatisfy({ $0.isNameScalar || $0 == "-" }) else {
            throw HRIAError.badInput("\"\(digest)\" is not a disclosure digest", help: "digests are base64url, as listed in an event's _sd")
        }
        let path = "\(log.disclosuresFolder)/\(digest)"
        let loaded = try load(id)
        guard loaded.events.contains(where: { $0.sd.contains(digest) }) else {
            throw HRIAError.badInput("no event of \(id) lists the digest \(digest)")
        }
        if loaded.state.erasedDigests.contains(digest) {
            guard fs.fileExists(path) else { throw HRIAError.badInput("the value with digest \(digest) was already erased") }
            try removeDurably(path, folder: log.disclosuresFolder)
            return []
        }
        guard fs.fileExists(path) else {
            throw HRIAError.badInput("no confidential value with digest \(digest) is stored here",
                                     help: "it may be a decoy, or stored on another machine")
        }
        var random = SecureRandom()
        let events = try perform(id, command: .erase(digest: digest, reason: reason), actor: actor, clock: clock, random: &random)
        try removeDurably(path, folder: log.disclosuresFolder)
        return events
    }

    private func removeDurably(_ path: String, folder: String) throws {
        fs.unlink(path)
        guard !fs.fileExists(path) else { throw HRIAError(.internalError, "could not delete \(path)") }
        try fs.fsyncDirectory(folder)
    }

    /// The stored disclosures of an assessment by digest (for the internal report); unreadable ones are skipped.
    public func disclosures(_ id: String) -> [String: Disclosure] {
        let folder = log(id).disclosuresFolder
        var result: [String: Disclosure] = [:]
        for name in fs.listDirectory(folder) where !name.hasPrefix(".") {
            guard let bytes = try? fs.readAll("\(folder)/\(name)"),
                  let disclosure = Disclosure(encoded: String(decoding: bytes, as: UTF8.self)), disclosure.digest == name else { continue }
            result[name] = disclosure
        }
        return result
    }

    /// Reads an evidence file and describes it; it is stored only when the command is accepted.
    public func readEvidenceFile(path: String, displayName: String) throws(HRIAError) -> (file: EvidenceFile, bytes: [UInt8]) {
        let url = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: fs.currentDirectory))
        let bytes = try WorkflowSource.readBytes(url, displayName: displayName, limit: Workspace.maximumEvidenceSize)
        if bytes.count > Workspace.maximumEvidenceSize {
            throw .badInput("\(displayName) is larger than \(Workspace.maximumEvidenceSize / 1024 / 1024) MiB, the most an evidence file may be")
        }
        return (EvidenceFile(sha256: Digest.sha256Hex(bytes), size: bytes.count, name: url.lastPathComponent), bytes)
    }

    public static let maximumEvidenceSize = 256 * 1024 * 1024
}

extension FileSystem {
    var currentDirectory: String { FileManager.default.currentDirectoryPath }
}
