import Foundation

/// An assessment read from disk: its pinned workflow, its events and the state they fold into, all verified.
public struct LoadedAssessment: AssessmentStanding {
    public var id: String
    public var workflow: Workflow
    public var workflowBytes: [UInt8]
    public var events: [Event]
    public var state: AssessmentState
    /// How many events the latest checkpoint covers.
    public var checkpointSize: Int

    public var current: CurrentAssessment {
        CurrentAssessment(id: id, workflow: workflow, state: state, tornTail: 0, checkpointSize: checkpointSize)
    }
}

/// Where an assessment stands, without its full history: what status, advance and list need.
public struct CurrentAssessment: AssessmentStanding {
    public var id: String
    public var workflow: Workflow
    public var state: AssessmentState
    /// Bytes of an interrupted write at the end of the log, which the next recorded action cuts.
    public var tornTail: Int
    /// How many events the latest checkpoint covers.
    public var checkpointSize: Int
}

/// A workspace folder: hria.yaml, workflows/, assessments/, .hria/. The bridge between the pure engine and
/// the files: it reads state, asks the engine, and appends what the engine decides.
public struct Workspace: Sendable {
    public let root: String
    public let configuration: WorkspaceConfiguration
    public let fs: any FileSystem
    /// Where the assessments are kept: files under assessments/, or a database (docs/STORE.md).
    public private(set) var store: any AssessmentStore
    @_spi(Testing) public var crashAt: AppendStep? {
        didSet {
            if var files = store as? FileAssessmentStore {
                files.crashAt = crashAt
                store = files
            }
        }
    }
    /// Checked workflows of this process, compiled once per machine when the caches can be sealed.
    let workflows: WorkflowMemo
    /// The same, read only from the workflow files: what `verify` uses, since it trusts no cache.
    let workflowsFromFiles = WorkflowMemo()
    /// Seals the caches; nil on a machine without the private log key, which then verifies every log it reads.
    let seal: CacheSeal?
    /// The roster as this process verified it.
    let rosterMemo: RosterMemo
    /// Snapshots already opened by this process, when it keeps them between workspaces (`WorkspaceMemos`).
    let snapshotMemo: SnapshotMemo?
    /// Standings this process verified or wrote (`WorkspaceMemos`); when kept, they replace the snapshot files.
    let standingMemo: StandingMemo?
    /// The rest of what a long-running process keeps (the log key's signer), when it keeps anything.
    let memos: WorkspaceMemos?

    var cacheFolder: String { Paths.join(privateFolder, "cache") }
    var stateCache: StateCache? { seal.map { StateCache(folder: cacheFolder, fs: fs, seal: $0, memo: snapshotMemo) } }

    public var assessmentsFolder: String { Paths.join(root, "assessments") }
    public var workflowsFolder: String { Paths.join(root, "workflows") }
    public var privateFolder: String { Paths.join(root, ".hria") }

    /// Opens a workspace, reading and checking its hria.yaml. Its assessments are in files unless `store:` in
    /// hria.yaml or `HRIA_STORE` names a database, which `databases` then opens.
    /// `memos` carries what a long-running process learnt from earlier workspaces of the same root (a server opens
    /// one per request); every piece of it is used only while the files it came from are unchanged.
    public static func open(root: String, fs: any FileSystem = PosixFileSystem(), databases: (any DatabaseStoreOpener)? = nil,
                            environment: [String: String] = ProcessInfo.processInfo.environment,
                            memos: WorkspaceMemos? = nil) throws(HRIAError) -> Workspace {
        let path = Paths.join(root, WorkspaceLocator.configurationFile)
        let bytes = try WorkflowSource.readBytes(path, displayName: "hria.yaml", limit: 1 << 20)
        let configuration: WorkspaceConfiguration
        if let known = memos?.configuration(of: bytes) {
            configuration = known
        } else {
            guard case .success(let text) = SourceDecoding.decode(bytes) else {
                throw .badInput("hria.yaml is not valid UTF-8")
            }
            let (loaded, diagnostics) = WorkspaceConfiguration.load(text: text, fileName: "hria.yaml")
            guard let loaded else {
                let source = SourceText(fileName: "hria.yaml", text: text)
                let rendered = diagnostics.filter { $0.severity == .error }.map { DiagnosticRenderer.text($0, source: source) }.joined()
                throw HRIAError(.badInput, "hria.yaml has errors:\n" + rendered.trimmingCharacters(in: .newlines))
            }
            configuration = loaded
            memos?.remember(configuration: loaded, of: bytes)
        }
        let keyFile = try? fs.readAll(Paths.join(root, ".hria", "log.key"))
        let seal = keyFile.map(CacheSeal.init(logKeyFile:))
        let compiled = seal.map { CompiledWorkflowCache(folder: Paths.join(root, ".hria", "cache", "workflows"), fs: fs, seal: $0) }
        let files = FileAssessmentStore(folder: Paths.join(root, "assessments"), fs: fs)
        var store: any AssessmentStore = files
        let override = environment["HRIA_STORE"].flatMap { $0.isEmpty ? nil : $0 }
        if let override, let problem = StoreAddress.problem(override, inConfiguration: false) {
            throw HRIAError(.badInput, "HRIA_STORE: " + problem.message, help: problem.help)
        }
        if let address = override ?? configuration.store, address != "files" {
            guard let databases else {
                throw HRIAError(.badInput, "this program cannot open the database store \(StoreAddress.redacted(address))",
                                help: "use the hria command line, which can")
            }
            store = try databases.open(address: address, origin: configuration.origin)
        }
        let workspace = Workspace(root: root, configuration: configuration, fs: fs, store: store, crashAt: nil,
                                  workflows: memos?.workflows(sealedBy: keyFile) { WorkflowMemo(store: compiled) } ?? WorkflowMemo(store: compiled),
                                  seal: seal, rosterMemo: memos?.roster ?? RosterMemo(), snapshotMemo: memos?.snapshots,
                                  standingMemo: memos?.standings, memos: memos)
        // The roster verified by an earlier workspace stands only while its files are those it was verified from.
        memos?.roster.forget(unlessStill: workspace.rosterFingerprint())
        return workspace
    }

    /// The same workspace with its assessments in another store (for copying between stores).
    public func with(store: any AssessmentStore) -> Workspace {
        var copy = self
        copy.store = store
        return copy
    }

    /// The person acting, by id; an unknown id is bad input with a suggestion.
    public func person(_ id: String?) throws(HRIAError) -> Person {
        if let standing = try roster() { return try rosterPerson(id, roster: standing.roster) }
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

    public func log(_ id: String) -> any AssessmentRecord {
        store.record(id)
    }

    /// Every assessment id in the workspace, sorted.
    public func assessmentIDs() throws(HRIAError) -> [String] {
        try store.assessmentIDs()
    }

    /// Checks that an assessment with this id exists (bad input otherwise), without reading its log.
    /// Whether the store holds an assessment with this id: one look, not a listing of them all. A store that
    /// cannot be read is an error, never a "no".
    public func holds(_ id: String) throws(HRIAError) -> Bool {
        guard AssessmentID.isValid(id) else { return false }
        if standingMemo?.contains(id) == true { return true }
        let log = log(id)
        if log.exists { return true }
        if let failure = log.readFailure() { throw failure }
        return false
    }

    public func requireExisting(_ id: String) throws(HRIAError) {
        _ = try requireAssessment(id)
    }

    func requireAssessment(_ id: String) throws(HRIAError) -> any AssessmentRecord {
        guard AssessmentID.isValid(id) else { throw Self.invalidAssessmentID(id) }
        let log = log(id)
        // A standing this process keeps names an assessment that existed; if it went since, the head read next
        // no longer matches, and the log is verified as it is now (and found missing).
        if standingMemo?.contains(id) == true { return log }
        guard log.exists else {
            if let failure = log.readFailure() { throw failure }
            throw Self.unknownAssessment(id, among: try assessmentIDs())
        }
        return log
    }

    /// The error for an id no assessment could have; a client of a server says the same.
    public static func invalidAssessmentID(_ id: String) -> HRIAError {
        .badInput("\"\(id)\" is not a valid assessment id", help: "ids use lower-case letters, digits and -, at most 64 characters")
    }

    /// The error for an id `hria new` cannot give an assessment, with what an id may hold; a client of a server says the same.
    public static func invalidNewAssessmentID(_ id: String) -> HRIAError {
        .badInput("\"\(id)\" is not a valid assessment id",
                  help: "use lower-case letters, digits and -, starting with a letter or digit, at most 64 characters")
    }

    /// The error for an assessment that is not there, with the closest of `ids`; a client of a server says the same.
    public static func unknownAssessment(_ id: String, among ids: [String]) -> HRIAError {
        .badInput("unknown assessment \"\(id)\"", help: Suggestions.closest(to: id, in: ids).map { "did you mean \"\($0)\"?" } ?? "see hria list")
    }

    /// What `verify` trusts for one assessment: the log key, its origin, the people's keys and the signature policy.
    public func trust(for id: String, key: NoteVerifier? = nil) throws(HRIAError) -> LogVerifier.Trust {
        let verifier: NoteVerifier
        if let key { verifier = key } else { verifier = try logVerifier() }
        return LogVerifier.Trust(verifier: verifier, origin: "\(configuration.origin)/\(id)", people: configuration.people,
                                 requireSignatures: configuration.requireSignatures, roster: try roster()?.roster)
    }

    /// Verifies an assessment's log in full, as `hria verify` does.
    public func verify(_ id: String, against: [UInt8]? = nil, key: NoteVerifier? = nil) throws(HRIAError) -> VerificationReport {
        try requireExisting(id)
        let trust: LogVerifier.Trust
        do {
            trust = try self.trust(for: id, key: key)
        } catch {
            // A roster that does not verify judges no act: the report says so, beside the roster's own.
            guard error.status == .integrity else { throw error }
            var report = VerificationReport(id: id)
            report.problems = [VerificationProblem(kind: .roster, seq: nil, message: error.message)]
            return report
        }
        // verify reads the pinned workflow from its file, never from a compiled form.
        let log = log(id)
        let report = LogVerifier.verify(id: id, log: log, trust: trust, against: against, workflows: workflowsFromFiles)
        // A store that could not be read is not damage: the record was not seen, so nothing is said of it.
        if let failure = log.readFailure() { throw failure }
        return report
    }

    /// Where an assessment verifiably stands: from its snapshot while nothing `verify` reads has changed since it was
    /// taken (O(log n): the latest checkpoint's signature and root), otherwise from a full verification. A log
    /// that does not verify is an integrity error naming the first problem, and nothing is built on it.
    public func standing(_ id: String) throws(HRIAError) -> AssessmentLog.Standing {
        try standing(id, log: try requireAssessment(id))
    }

    func standing(_ id: String, log: any AssessmentRecord) throws(HRIAError) -> AssessmentLog.Standing {
        if let kept = standingMemo?.find(id) {
            // What `trust` would check, without reading every key of the roster again on each request: the roster
            // verifies (memoised; a damaged one stops everything, as it does below), and the log key and origin are
            // those hria.yaml names.
            _ = try roster()
            let head = log.head(newestCheckpoint: kept.standing.checkpointSize)
            if kept.verifierKey == configuration.logKey, kept.origin == "\(configuration.origin)/\(id)", head.fingerprint == kept.fingerprint,
               head.latestCheckpoint == kept.checkpoint, rosterStillHolds(kept.standing.latestRoster, root: kept.rosterRoot) {
                return kept.standing
            }
            standingMemo?.forget(id)
            if let failure = log.readFailure() { throw failure }
            guard log.exists else { throw Self.unknownAssessment(id, among: try assessmentIDs()) }
        }
        let trust = try trust(for: id)
        if let snapshot = stateCache?.read(id), snapshot.checkpointSize == snapshot.position.eventCount,
           case let head = log.head(newestCheckpoint: snapshot.checkpointSize), head.fingerprint == snapshot.fingerprint,
           let latest = head.latestCheckpoint,
           let checkpoint = try? SignedCheckpoint.open(latest, verifier: trust.verifier, expectedOrigin: trust.origin),
           checkpoint.size == snapshot.position.eventCount, checkpoint.rootHash == snapshot.position.tree.root(),
           rosterStillHolds(snapshot.latestRoster, root: snapshot.rosterRoot),
           let (workflow, _) = try? pinnedWorkflow(id, sha256: snapshot.state.workflowSHA256) {
            return AssessmentLog.Standing(history: AssessmentHistory(workflow: workflow, resuming: snapshot.state), position: snapshot.position,
                                          tornTail: snapshot.tornTail, checkpointSize: checkpoint.size, latestRoster: snapshot.latestRoster)
        }
        // The newest stored checkpoint is known only after verifying; the one named by the latest is taken before.
        let latestBytes = log.latestCheckpoint()
        let latest = latestBytes.flatMap { try? SignedCheckpoint.open($0, verifier: trust.verifier, expectedOrigin: trust.origin) }
        let latestSize = latest?.size ?? 0
        let before = log.fingerprint(newestCheckpoint: latestSize)
        let report = LogVerifier.verify(id: id, log: log, trust: trust, workflows: workflows)
        if let failure = log.readFailure() { throw failure }
        guard report.ok, let standing = report.standing else {
            throw HRIAError(.integrity, "\(id) does not verify, so nothing is read from it or recorded on it: \(report.firstProblem ?? "unknown damage")",
                            help: report.restoreHelp(for: log))
        }
        // Taken only if nothing changed while the log was read, and kept with the checkpoint checked above, which
        // the verified standing must be exactly what it covers.
        if let before, let latestBytes, let latest, standing.checkpointSize == latestSize, standing.position.eventCount == latest.size,
           standing.position.tree.root() == latest.rootHash {
            let after = log.head(newestCheckpoint: latestSize)
            if after.fingerprint == before, after.latestCheckpoint == latestBytes {
                remember(id, standing, head: AssessmentLog.Head(fingerprint: before, latestCheckpoint: latestBytes), signing: nil, trust: trust)
            }
        }
        return standing
    }

    /// Keeps `standing` for the commands after this one: in the process's memory when it keeps standings (a
    /// server), else as a sealed snapshot file. `head` is the store's head right after the standing was taken, and
    /// its checkpoint one this process checked (`trust`) or signed (`signing`).
    func remember(_ id: String, _ standing: AssessmentLog.Standing, head: AssessmentLog.Head, signing: AssessmentLog.Signing?,
                  trust: LogVerifier.Trust?) {
        let rosterRoot = rosterRoot(at: standing.latestRoster)
        if let standingMemo {
            guard standing.checkpointSize == standing.position.eventCount,
                  let (verifierKey, origin) = signing.map({ ($0.verifier.verifierKey, $0.origin) }) ?? trust.map({ ($0.verifier.verifierKey, $0.origin) })
            else { return }
            standingMemo.remember(id, StandingMemo.Entry(fingerprint: head.fingerprint, checkpoint: head.latestCheckpoint, verifierKey: verifierKey,
                                                         origin: origin, standing: standing, rosterRoot: rosterRoot))
            return
        }
        stateCache?.write(id, StateCache.Snapshot(version: StateCache.Snapshot.version, id: id, position: standing.position,
                                                  tornTail: standing.tornTail, checkpointSize: standing.checkpointSize,
                                                  fingerprint: head.fingerprint, state: standing.history.state,
                                                  latestRoster: standing.latestRoster, rosterRoot: rosterRoot))
    }

    /// What this process keeps of an assessment's standing (in memory, or its snapshot file): the fingerprint it
    /// was taken at and what a list row needs to stay bound to it.
    func keptStanding(_ id: String) -> (fingerprint: FolderFingerprint, eventCount: Int, latestRoster: Int, rosterRoot: SHA256Hash?)? {
        if let standingMemo {
            return standingMemo.find(id).map { ($0.fingerprint, $0.standing.position.eventCount, $0.standing.latestRoster, $0.rosterRoot) }
        }
        return stateCache?.read(id).map { ($0.fingerprint, $0.position.eventCount, $0.latestRoster, $0.rosterRoot) }
    }

    /// The roster's root at state `n` as it verifiably stands now (nil for state 0, or when there is none).
    func rosterRoot(at n: Int) -> SHA256Hash? {
        guard n > 0, let standing = try? roster(), n < standing.roots.count else { return nil }
        return standing.roots[n]
    }

    /// Whether the roster still holds state `n` as it was when a snapshot was taken (its root then): a roster cut
    /// back or rewritten below the states a log's acts name makes the snapshot worthless, and the log is verified
    /// in full against the roster as it is.
    func rosterStillHolds(_ n: Int, root: SHA256Hash?) -> Bool {
        guard n > 0 else { return true }
        guard let root else { return false }
        return rosterRoot(at: n) == root
    }

    /// Where an assessment stands now: what status, advance and list need.
    public func current(_ id: String) throws(HRIAError) -> CurrentAssessment {
        let standing = try standing(id)
        return CurrentAssessment(id: id, workflow: standing.history.workflow, state: standing.history.state, tornTail: standing.tornTail,
                                 checkpointSize: standing.checkpointSize)
    }

    /// An assessment with its whole history, for the log, reports, proofs and bundles.
    public func load(_ id: String) throws(HRIAError) -> LoadedAssessment {
        let log = try requireAssessment(id)
        let standing = try standing(id, log: log)
        let (_, bytes) = try pinnedWorkflow(id, sha256: standing.history.state.workflowSHA256)
        return LoadedAssessment(id: id, workflow: standing.history.workflow, workflowBytes: bytes,
                                events: try log.events(upTo: standing.position), state: standing.history.state,
                                checkpointSize: standing.checkpointSize)
    }

    /// The workflow an assessment follows now, checked against the hash its log records: workflow.yaml, pinned when it
    /// started, or the snapshot its latest move to another version kept (`workflows/SHA256.yaml`).
    func pinnedWorkflow(_ id: String, sha256: String) throws(HRIAError) -> (Workflow, [UInt8]) {
        let log = log(id)
        guard let (name, bytes) = log.workflowFile(sha256: sha256) else {
            throw HRIAError(.integrity, "the workflow \(id) follows (SHA-256 \(sha256.prefix(12))…) is missing from its folder or was changed",
                            help: "run hria verify \(id)")
        }
        guard let workflow = workflows.workflow(bytes: bytes, sha256: sha256, fileName: "assessments/\(id)/\(name)") else {
            throw HRIAError(.integrity, "the pinned workflow of \(id) no longer loads", help: "run hria verify \(id)")
        }
        return (workflow, bytes)
    }

    /// Every assessment's list row, from the workspace's list index where nothing `verify` reads has changed since
    /// the row was taken from a verified standing; the ids of assessments that do not verify, with their first problem.
    public func summaries() throws(HRIAError) -> (summaries: [AssessmentSummary], damaged: [(id: String, problem: String)],
                                                  vocabularies: [String: WorkflowVocabulary]) {
        let path = Paths.join(cacheFolder, "list.json")
        var index = ListIndex()
        if let seal, let bytes = try? fs.readAll(path), let body = seal.open(bytes),
           let stored = try? JSONDecoder().decode(ListIndex.self, from: Data(body)), stored.version == ListIndex.version {
            index = stored
        }
        var changed = false
        var result: [AssessmentSummary] = []
        var damaged: [(String, String)] = []
        let ids = try assessmentIDs()
        for id in ids {
            let log = log(id)
            let fingerprint = log.fingerprint(newestCheckpoint: index.entries[id]?.checkpointSize ?? 0)
            if let entry = index.entries[id], let fingerprint, entry.fingerprint == fingerprint, rosterStillHolds(entry.latestRoster, root: entry.rosterRoot) {
                result.append(entry.summary)
                continue
            }
            let current: CurrentAssessment
            do throws(HRIAError) {
                current = try self.current(id)
            } catch {
                guard error.status == .integrity else { throw error }
                damaged.append((id, error.message))
                if index.entries.removeValue(forKey: id) != nil { changed = true }
                continue
            }
            let summary = AssessmentSummary(current)
            result.append(summary)
            if index.vocabularies[summary.workflowSHA256] == nil {
                index.vocabularies[summary.workflowSHA256] = WorkflowVocabulary(current.workflow)
                changed = true
            }
            // The entry binds the summary to the files as they were when the standing was taken from them.
            let checkpointSize = current.checkpointSize
            if let after = log.fingerprint(newestCheckpoint: checkpointSize), let kept = keptStanding(id), kept.fingerprint == after,
               kept.eventCount == current.state.size {
                index.entries[id] = ListIndex.Entry(fingerprint: after, checkpointSize: checkpointSize, latestRoster: kept.latestRoster,
                                                    rosterRoot: kept.rosterRoot, summary: summary)
                changed = true
            }
        }
        if index.entries.count != Set(index.entries.keys).intersection(ids).count {
            let present = Set(ids)
            index.entries = index.entries.filter { present.contains($0.key) }
            changed = true
        }
        if changed, let seal, let body = try? JSONEncoder().encode(index) {
            CacheSeal.writeBestEffort(seal.seal(Array(body)), to: path, folder: cacheFolder, fs: fs)
        }
        return (result, damaged, index.vocabularies)
    }

    /// The workspace's current copy of a workflow, if any (to tell when a newer version exists).
    public func currentWorkflow(_ id: String) -> (workflow: Workflow, sha256: String)? {
        let path = Paths.join(workflowsFolder, "\(id).yaml")
        guard let bytes = try? fs.readAll(path) else { return nil }
        let sha256 = Digest.sha256Hex(bytes)
        return workflows.workflow(bytes: bytes, sha256: sha256, fileName: Paths.name(path)).map { ($0, sha256) }
    }

    /// Starts an assessment: pins a copy of the workflow file and records its hash in the first event.
    public func create(id: String, workflowName: String, partner: String, title: String?, facts: [(name: String, value: String)],
                       actor: Person, now: Date) throws -> LoadedAssessment {
        let (path, displayName) = try WorkflowSource.resolve(workflowName, workspace: root, currentDirectory: fs.currentDirectory)
        let bytes = try WorkflowSource.readBytes(path, displayName: displayName)
        let result = WorkflowLoader.load(bytes: bytes, fileName: displayName)
        guard let workflow = result.workflow else {
            throw HRIAError(.refused, "workflow \(displayName) has errors; fix them first",
                            help: "hria workflow lint \(displayName)")
        }
        guard AssessmentID.isValid(id) else { throw Self.invalidNewAssessmentID(id) }
        guard !log(id).exists else { throw HRIAError.badInput("assessment \(id) already exists") }
        let sha = Digest.sha256Hex(bytes)
        let rosterLock = try lockRosterShared()
        defer { if let rosterLock { fs.close(rosterLock) } }
        let (actor, rosterSize, required) = try actingUnderRoster(actor)
        let outcome = try Engine.create(id: id, workflow: workflow, workflowSHA256: sha, partner: partner, title: title,
                                        facts: facts, actor: actor, now: now)
        let signing = try signing(for: id)
        var draft = outcome.events[0]
        draft.roster = rosterSize
        try judgeUnderRoster([draft])
        let unsigned = EventLine.encode(draft, seq: 0, prev: .zero)
        let line = try eventSignature(actor: actor, unsignedLine: unsigned, required: required)
            .map { EventLine.encode(draft, seq: 0, prev: .zero, signature: $0) } ?? unsigned
        try log(id).create(workflowBytes: bytes, firstLine: line, signing: signing)
        return try load(id)
    }

    /// Runs a command on an assessment under its lock; returns the events appended.
    @discardableResult
    public func perform(_ id: String, command: Command, actor: Person, clock: Clock, random: inout some RandomSource,
                        files: [String: InputFile] = [:], allowVoiding: Bool = true) throws -> [Event] {
        try performReporting(id, command: command, actor: actor, clock: clock, random: &random, files: files, allowVoiding: allowVoiding).events
    }

    /// The same, saying also whose approvals the change voided (refused unless `allowVoiding`).
    /// `workflowSnapshot`: the bytes of the workflow a move to another version moves to, kept in the folder once the
    /// engine accepts the move and before the event that names its SHA-256 is written.
    public func performReporting(_ id: String, command: Command, actor: Person, clock: Clock, random: inout some RandomSource,
                                 files: [String: InputFile] = [:], workflowSnapshot: [UInt8]? = nil, allowVoiding: Bool,
                                 decidedOn: (AssessmentHistory) -> Void = { _ in }) throws -> (events: [Event], voided: [String]) {
        var voided: [String] = []
        let started = clock.now()
        let log = try requireAssessment(id)
        var randomSource = random
        defer { random = randomSource }
        let signing = try signing(for: id)
        // The roster is read under its shared lock, and the actor's roles and key taken from it then.
        let rosterLock = try lockRosterShared()
        defer { if let rosterLock { fs.close(rosterLock) } }
        let (actor, rosterSize, required) = try actingUnderRoster(actor)
        let (appended, _) = try log.append(lockTimeout: Double(configuration.lockTimeoutSeconds), signing: signing, now: started,
                                           establish: {
                                               var standing = try standing(id, log: log)
                                               // A move is recorded through the history by the workflow it moves to.
                                               if case .migrate(let target, let sha256, _, _) = command { standing.history.snapshots[sha256] = target }
                                               return standing
                                           },
                                           signEvent: { _, line in try eventSignature(actor: actor, unsignedLine: line, required: required) },
                                           remember: { standing, head in
                                               if let head { remember(id, standing, head: head, signing: signing, trust: nil) }
                                           }) { standing in
            // The time is read under the lock, so events of concurrent writers are recorded in time order.
            let outcome = try decideUnderRoster(id, standing, command: command, actor: actor, rosterSize: rosterSize, now: clock.now(),
                                                random: &randomSource, allowVoiding: allowVoiding)
            voided = outcome.voided
            decidedOn(standing.history)
            try keep(files: files, workflowSnapshot: workflowSnapshot, disclosures: outcome.disclosures, in: log)
            return outcome.events
        }
        return (appended, voided)
    }

    /// The engine's decision on a standing, each act naming the roster state it is decided against and judged by
    /// the roster's rules: what a local command records, and what a server prepares for a person to sign.
    func decideUnderRoster(_ id: String, _ standing: AssessmentLog.Standing, command: Command, actor: Person, rosterSize: Int?, now: Date,
                           random: inout some RandomSource, allowVoiding: Bool) throws -> Outcome {
        if let rosterSize, rosterSize < standing.latestRoster {
            throw HRIAError(.integrity, "the roster holds \(rosterSize) events, but an act of \(id) named roster state \(standing.latestRoster): the roster was cut back",
                            help: "hria verify --all lists the damage; restore roster/ from a backup")
        }
        var outcome = try Engine.decide(standing.history, command: command, actor: actor, now: now, random: &random, allowVoiding: allowVoiding)
        for index in outcome.events.indices { outcome.events[index].roster = rosterSize }
        try judgeUnderRoster(outcome.events)
        return outcome
    }

    /// Stores what the events about to be written commit to: files and plaintext are kept only once the engine
    /// accepted the command, and before the event that names their digests is written.
    func keep(files: [String: InputFile], workflowSnapshot: [UInt8]?, disclosures: [Disclosure], in log: any AssessmentRecord) throws {
        for (sha, file) in files {
            try log.storeEvidence(sha256: sha, bytes: file.bytes, permissions: UInt16(file.permissions & 0o777))
        }
        if let workflowSnapshot { try log.storeWorkflowSnapshot(workflowSnapshot) }
        try log.protectDisclosures()
        for disclosure in disclosures {
            try log.storeDisclosure(digest: disclosure.digest, bytes: Array(disclosure.encoded.utf8))
        }
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
        let path = Paths.join(privateFolder, "log.key")
        guard let bytes = try? fs.readAll(path) else {
            throw .badInput("the workspace's private log key (.hria/log.key) is not on this machine, so nothing can be recorded here",
                            help: "reading, status and verify work without it; recording needs the machine that holds the key")
        }
        let signer: NoteSigner
        if let known = memos?.signer(of: bytes) {
            signer = known
        } else {
            let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            do {
                signer = try NoteSigner(privateKey: text)
            } catch {
                throw HRIAError(.badInput, ".hria/log.key is not a valid private key: \(error)")
            }
            memos?.remember(signer: signer, of: bytes)
        }
        guard signer.verifierKey == configuration.logKey else {
            throw .badInput(".hria/log.key does not match the log_key published in hria.yaml")
        }
        return AssessmentLog.Signing(signer: signer, verifier: verifier, origin: "\(configuration.origin)/\(id)")
    }

    /// The actor as the roster has them now (their roles and key), the roster size an act is decided against, and
    /// whether it must be signed; without a roster, hria.yaml's person and policy.
    func actingUnderRoster(_ actor: Person) throws -> (actor: Person, rosterSize: Int?, required: Bool) {
        guard let standing = try roster() else { return (actor, nil, configuration.requireSignatures) }
        return (try rosterPerson(actor.id, roster: standing.roster), standing.roster.size, standing.roster.requireSignatures)
    }

    /// The roster's rules for the acts about to be written (the engine already gave them the actor's current roles).
    func judgeUnderRoster(_ drafts: [EventDraft]) throws {
        guard let roster = try roster()?.roster else { return }
        for draft in drafts {
            do {
                try RosterRules.judgeAct(draft, roster: roster)
            } catch {
                throw EngineError.refused(error)
            }
        }
    }

    /// The actor's signature over an event line, when they have a published key and its private half is at hand;
    /// `required` when the roster (or, before it, hria.yaml) says so.
    func eventSignature(actor: Person, unsignedLine: [UInt8], required: Bool) throws -> String? {
        let personal = PersonalKeys(environment: ProcessInfo.processInfo.environment)
        let listing = rosterLog.exists ? "the roster" : "hria.yaml"
        guard let published = actor.key else {
            guard required else { return nil }
            if rosterLog.exists {
                throw HRIAError.badInput("the roster requires every act to be signed, and \(actor.id) has no key on it",
                                         help: "make one with hria keys new \(actor.id); an admin then sets it with hria people key \(actor.id) \"KEY\"")
            }
            // Say what to publish when the person has a key that hria.yaml does not list yet.
            if let unlisted = (try? personal.key(of: actor.id))??.publicKey.authorizedKey {
                throw HRIAError.badInput("hria.yaml lists no key for \(actor.id), so their signature cannot be checked",
                                         help: "add key: \"\(unlisted)\" to \(actor.id) in hria.yaml")
            }
            throw HRIAError.badInput("hria.yaml requires every event to be signed, and \(actor.id) has no key",
                                     help: "make one with: hria keys new \(actor.id), then publish the key it prints in hria.yaml")
        }
        switch PersonKey(published: published) {
        case .ssh(let publicKey)?:
            // The private key stays with its person: in their ssh-agent or their own key folder, never the workspace.
            return try sshSignature(actor: actor.id, publicKey: publicKey, unsignedLine: unsignedLine, personal: personal, required: required)
        case .note?:
            // Signed-note keys were kept in the workspace, where anyone with the workspace could sign as the person.
            // Events they signed still verify; new events are signed only with a key the person holds.
            throw HRIAError.badInput("the key \(listing) lists for \(actor.id) is a signed-note key, kept in a workspace where others could sign with it",
                                     help: "make an SSH key of their own with: hria keys new \(actor.id), and publish the line it prints in hria.yaml")
        case nil:
            throw HRIAError.badInput("the key \(listing) lists for \(actor.id) is neither an ssh-ed25519 key nor a verifier key")
        }
    }

    /// The actor's SSH signature over an event line: through ssh-agent when it holds the published key, else with
    /// the key file in the person's own key folder (`PersonalKeys`). Checked before it is returned.
    func sshSignature(actor: String, publicKey: SSHPublicKey, unsignedLine: [UInt8], personal: PersonalKeys, required: Bool) throws -> String? {
        let listing = rosterLog.exists ? "the roster" : "hria.yaml"
        var blob: [UInt8]?
        if let agent = try? SSHAgent(environment: ProcessInfo.processInfo.environment), let held = try? agent.keys(),
           held.contains(where: { $0.key == publicKey }) {
            do {
                blob = try agent.sign(unsignedLine, namespace: PersonKey.namespace, with: publicKey)
            } catch {
                throw HRIAError.badInput("ssh-agent could not sign for \(actor): \(error)")
            }
        } else if let key = try personal.key(of: actor) {
            guard key.publicKey == publicKey else {
                throw HRIAError.badInput("the key in \(personal.folder)/\(actor) does not match the key \(listing) lists for \(actor)",
                                         help: "\(listing) lists \(publicKey.fingerprint); that file holds \(key.publicKey.fingerprint)")
            }
            do {
                blob = try key.sign(unsignedLine, namespace: PersonKey.namespace)
            } catch {
                throw HRIAError(.internalError, "the signature of \(actor) could not be made: \(error)")
            }
        }
        guard let blob else {
            if required {
                throw HRIAError.badInput("\(listing) requires every event to be signed, and the key it lists for \(actor) "
                                         + "(\(publicKey.fingerprint)) is neither in ssh-agent nor in their key folder",
                                         help: "load it with ssh-add, or keep it in \(personal.folder)/\(actor)")
            }
            return nil
        }
        // Check before writing: a wrongly signed event never enters the log.
        guard PersonKey.ssh(publicKey).verifies(unsignedLine, signature: Base64.standard.encode(blob)) else {
            throw HRIAError(.internalError, "the signature of \(actor) did not verify")
        }
        return Base64.standard.encode(blob)
    }

    /// Deletes a confidential value's plaintext and records that it did. The event is written first, then the
    /// file removed; if a crash falls in between, running the command again finishes the deletion.
    public func erase(_ id: String, digest: String, reason: String, actor: Person, clock: Clock) throws -> [Event] {
        let log = try requireAssessment(id)
        guard DisclosureDigest.isWellFormed(digest) else {
            throw HRIAError.badInput("\"\(digest)\" is not a disclosure digest", help: "digests are 43 base64url characters, as listed in an event's _sd")
        }
        let stored = log.disclosureDigests().contains(digest)
        if let failure = log.readFailure() { throw failure }
        let state = try standing(id, log: log).history.state
        guard state.digests.contains(digest) else {
            throw HRIAError.badInput("no event of \(id) lists the digest \(digest)")
        }
        if state.erasedDigests.contains(digest) {
            guard stored else { throw HRIAError.badInput("the value with digest \(digest) was already erased") }
            try log.removeDisclosure(digest: digest)
            return []
        }
        guard stored else {
            throw HRIAError.badInput("no confidential value with digest \(digest) is stored here",
                                     help: "it may be a decoy, or stored on another machine")
        }
        var random = SecureRandom()
        let events = try perform(id, command: .erase(digest: digest, reason: reason), actor: actor, clock: clock, random: &random)
        try log.removeDisclosure(digest: digest)
        return events
    }

    /// The stored disclosures of an assessment by digest (for the internal report); unreadable ones are skipped.
    public func disclosures(_ id: String) -> [String: Disclosure] {
        let log = log(id)
        var result: [String: Disclosure] = [:]
        for name in log.disclosureDigests() {
            guard let bytes = log.disclosure(digest: name),
                  let disclosure = Disclosure(encoded: String(decoding: bytes, as: UTF8.self)), disclosure.digest == name else { continue }
            result[name] = disclosure
        }
        return result
    }

    /// Reads an evidence file and describes it; it is stored only when the command is accepted.
    public func readEvidenceFile(path: String, displayName: String) throws(HRIAError) -> (file: EvidenceFile, content: InputFile) {
        try Self.readEvidenceFile(path: path, displayName: displayName, currentDirectory: fs.currentDirectory)
    }

    /// The same without a workspace: a client of a server reads the file it uploads so.
    public static func readEvidenceFile(path: String, displayName: String, currentDirectory: String) throws(HRIAError)
        -> (file: EvidenceFile, content: InputFile) {
        let content = try InputFile.read(Paths.absolute(path, from: currentDirectory), displayName: displayName,
                                         limit: Workspace.maximumEvidenceSize)
        if content.bytes.count > Workspace.maximumEvidenceSize {
            throw .badInput("\(displayName) is larger than \(Workspace.maximumEvidenceSize / 1024 / 1024) MiB, the most an evidence file may be")
        }
        return (EvidenceFile(sha256: Digest.sha256Hex(content.bytes), size: content.bytes.count, name: Paths.name(path)), content)
    }

    public static let maximumEvidenceSize = 256 * 1024 * 1024
}

extension FileSystem {
    var currentDirectory: String { FileManager.default.currentDirectoryPath }
}
