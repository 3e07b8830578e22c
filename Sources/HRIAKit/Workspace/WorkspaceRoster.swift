import Foundation

/// The roster this process read, verified once and reused, with the fingerprint of its files taken before it was
/// read: a writer that takes the roster's lock keeps it only while its files are unchanged, so a recording command
/// does not verify the roster twice, and never decides against a roster that changed meanwhile.
final class RosterMemo: @unchecked Sendable {
    // @unchecked: every access holds `lock`.
    private let lock = NSLock()
    private var standing: RosterLog.Standing??
    private var fingerprint: FolderFingerprint?

    func value(_ read: () throws(HRIAError) -> (RosterLog.Standing?, FolderFingerprint?)) throws(HRIAError) -> RosterLog.Standing? {
        lock.lock()
        defer { lock.unlock() }
        if let standing { return standing }
        let (fresh, taken) = try read()
        standing = .some(fresh)
        fingerprint = taken
        return fresh
    }

    /// Forgets the roster unless its files still have `current` as their fingerprint.
    func forget(unlessStill current: FolderFingerprint? = nil) {
        lock.lock()
        if current == nil || current != fingerprint {
            standing = nil
            fingerprint = nil
        }
        lock.unlock()
    }
}

/// The roster of a workspace: reading it as `verify` does, the people it lets act, and changing it.
extension Workspace {
    public var rosterLog: RosterLog { RosterLog(workspaceRoot: root, fs: fs) }
    public var rosterOrigin: String { RosterLog.origin(workspace: configuration.origin) }

    /// The roster as its log verifiably holds it; nil in a workspace that has none yet (whose people are still those
    /// of hria.yaml). A roster that does not verify is an integrity error: nobody's entitlement is judged by it.
    public func roster() throws(HRIAError) -> RosterLog.Standing? {
        try rosterMemo.value { () throws(HRIAError) in
            guard rosterLog.exists else { return (nil, nil) }
            // Taken before the files are read: a change while they are read makes it differ later.
            let fingerprint = rosterFingerprint()
            // Signatures this machine already checked over exactly these bytes are not checked again (a sealed note
            // in .hria/cache; `hria verify --roster` never reads it).
            let notePath = Paths.join(cacheFolder, "roster-signatures")
            let checked = seal.flatMap { seal in (try? fs.readAll(notePath)).flatMap(seal.open).flatMap { SHA256Hash(hex: $0) } }
            let verification = rosterLog.verify(verifier: try logVerifier(), origin: rosterOrigin, signaturesChecked: checked)
            if let seal, verification.standing != nil, let digest = verification.logDigest, digest != checked {
                CacheSeal.writeBestEffort(seal.seal(Array(digest.hex.utf8)), to: notePath, folder: cacheFolder, fs: fs)
            }
            guard let standing = verification.standing else {
                throw HRIAError(.integrity, "the roster does not verify, so nobody's entitlement can be judged and nothing is recorded: "
                                + (verification.report.firstProblem ?? "unknown damage"),
                                help: "hria verify --roster lists every problem; restore roster/ from a backup")
            }
            return (standing, fingerprint)
        }
    }

    /// The stamps of the roster's files (its log, checkpoints and stored names), as an assessment's fingerprint takes them.
    /// Every checkpoint is stamped: the roster's are all verified each time it is read, and a server keeps it
    /// verified across requests while this is unchanged (`WorkspaceMemos`).
    func rosterFingerprint() -> FolderFingerprint { rosterLog.files.fullFingerprint() }

    /// The roster's verification report, as `hria verify --roster` prints it.
    public func verifyRoster(against: [UInt8]? = nil, key: NoteVerifier? = nil) throws(HRIAError) -> RosterLog.Verification {
        guard rosterLog.exists else {
            throw .badInput("this workspace has no roster yet: its people are those of hria.yaml",
                            help: "make one with hria people import --as ADMIN (after hria init --admin on a new workspace)")
        }
        let verifier: NoteVerifier
        if let key { verifier = key } else { verifier = try logVerifier() }
        return rosterLog.verify(verifier: verifier, origin: rosterOrigin, against: against)
    }

    /// How reports and bundles name people: "Name, Title (id)" for everyone the roster lets be named (with
    /// `--publish-name`); nobody else (they are shown by id). Empty without a roster.
    public func publishedNames() -> [String: String] {
        guard let roster = try? roster()?.roster else { return [:] }
        return Self.publishedNames(of: roster)
    }

    /// "Name, Title (id)" for each person whose name the roster publishes.
    public static func publishedNames(of roster: Roster) -> [String: String] {
        var names: [String: String] = [:]
        for member in roster.members.values where member.publishName {
            guard let name = member.name else { continue }
            names[member.id] = name + (member.title.map { ", \($0)" } ?? "") + " (\(member.id))"
        }
        return names
    }

    /// The names the roster keeps confidential, from its private disclosures (for internal use on this machine).
    public func confidentialNames() -> [String: String] {
        guard let standing = try? roster() else { return [:] }
        var names: [String: String] = [:]
        let folder = rosterLog.files.disclosuresFolder
        for member in standing.roster.members.values where !member.publishName {
            for digest in member.digests {
                guard let bytes = try? fs.readAll("\(folder)/\(digest)"),
                      let disclosure = Disclosure(encoded: String(decoding: bytes, as: UTF8.self)), disclosure.digest == digest,
                      disclosure.name == "name" else { continue }
                names[member.id] = disclosure.value
            }
        }
        return names
    }

    /// The person acting: with a roster, the one `--as` names (who must be on it), or, without `--as`, the one
    /// person on the roster whose key this user holds; without a roster, hria.yaml's.
    func rosterPerson(_ id: String?, roster: Roster) throws(HRIAError) -> Person {
        let ids = roster.current.map(\.id)
        guard let id, !id.isEmpty else {
            let held = heldPeople(roster)
            if held.count == 1, let member = roster.members[held[0]] { return member.person }
            if held.isEmpty {
                throw .badInput("who is acting? give --as PERSON or set HRIA_ACTOR",
                                help: "none of the roster's keys is in ssh-agent or your key folder; people: " + ids.joined(separator: ", "))
            }
            throw .badInput("who is acting? you hold the keys of " + held.joined(separator: ", ") + "; give --as PERSON")
        }
        return try Self.actingMember(id, roster: roster).person
    }

    /// The member `--as` names, who must be on the roster and not removed from it; otherwise the command line's
    /// words, with the closest id among the people on it now. Also how a client of `hria serve` says it of a person it
    /// holds no key for, from the roster the server publishes (ServerClient), so both say the same.
    public static func actingMember(_ id: String, roster: Roster) throws(HRIAError) -> Roster.Member {
        guard let member = roster.members[id] else {
            let ids = roster.current.map(\.id)
            throw .badInput("unknown person \"\(DisplayText.escape(id))\": not on the roster",
                            help: Suggestions.closest(to: id, in: ids).map { "did you mean \"\($0)\"?" } ?? "people: " + ids.joined(separator: ", "))
        }
        guard let removed = member.removedAt else { return member }
        throw .badInput("\(id) was removed from the roster (event #\(removed)) and can no longer act")
    }

    /// The people on the roster whose current key this user holds, in ssh-agent or in their own key folder.
    func heldPeople(_ roster: Roster) -> [String] {
        let environment = ProcessInfo.processInfo.environment
        let agentKeys = (try? SSHAgent(environment: environment))?.keysOrEmpty() ?? []
        let personal = PersonalKeys(environment: environment)
        return roster.current.filter { member in
            member.key.map { personal.canSign(as: member.id, with: $0, agentKeys: agentKeys) } ?? false
        }.map(\.id)
    }

    /// What signs the roster's checkpoints: the workspace's log key, for the roster's origin.
    func rosterSigning() throws(HRIAError) -> AssessmentLog.Signing {
        var signing = try signing(for: "_roster")
        signing.origin = rosterOrigin
        return signing
    }

    /// Holds the roster's lock shared while an assessment's writer decides against the roster, so no roster change
    /// falls between reading it and recording the act; forgets what this process read of it before. Returns the
    /// lock's descriptor (to close), or nil when there is no roster.
    func lockRosterShared() throws(HRIAError) -> Int32? {
        guard rosterLog.exists else { return nil }
        let fd: Int32
        do {
            fd = try fs.openForAppend(rosterLog.files.lockPath)
        } catch {
            throw HRIAError(.internalError, "cannot open the roster's lock file: \(error)")
        }
        guard fs.lockShared(fd, timeout: Double(configuration.lockTimeoutSeconds)) else {
            fs.close(fd)
            throw HRIAError(.busy, "the roster is being changed; try again",
                            help: "waited \(configuration.lockTimeoutSeconds) seconds for the roster's lock")
        }
        rosterMemo.forget(unlessStill: rosterFingerprint())
        return fd
    }

    /// Makes roster changes as `actor`, each signed with their own key (never a workspace key), and returns the
    /// events written. A new roster starts with the first admin adding themselves (`hria init --admin`).
    @discardableResult
    public func changeRoster(_ commands: [RosterCommand], actor actorID: String?, clock: Clock) throws -> [Event] {
        let signing = try rosterSigning()
        let log = rosterLog
        let personal = PersonalKeys(environment: ProcessInfo.processInfo.environment)
        var random = SecureRandom()
        return try log.append(lockTimeout: Double(configuration.lockTimeoutSeconds), signing: signing, now: clock.now(), establish: {
            try rosterUnderItsLock(signing)
        }, sign: { draft, line, before in
            // The key the roster holds for the actor before this change (for the first, the key it adds).
            try signRosterChange(actor: draft.actor, key: before.signingKey(for: draft, seq: before.size), line: line, personal: personal)
        }, decide: { standing in
            try decideRosterChange(commands, actor: actorID, standing: standing, now: clock.now(), random: &random)
        })
    }

    /// The roster as a change establishes it under the roster's exclusive lock: verified in full (never from what
    /// this process remembered, which is forgotten), or empty when there is none yet.
    func rosterUnderItsLock(_ signing: AssessmentLog.Signing) throws(HRIAError) -> RosterLog.Standing {
        rosterMemo.forget()
        let log = rosterLog
        guard log.exists else { return RosterLog.Standing(roster: Roster(), events: [], position: .init(), tornTail: 0) }
        let verification = log.verify(verifier: signing.verifier, origin: signing.origin)
        guard let standing = verification.standing else {
            throw HRIAError(.integrity, "the roster does not verify, so nothing is changed in it: " + (verification.report.firstProblem ?? "unknown damage"),
                            help: "hria verify --roster lists every problem; restore roster/ from a backup")
        }
        return standing
    }

    /// The roster's decision on `commands` by `actorID` (with a roster, someone on it; without one, the first admin),
    /// at `now`, as a local change and a server's prepared one both decide it: refused when an act already decided
    /// against the roster as it stands is dated after the change, or when the roster's rules refuse it.
    func decideRosterChange(_ commands: [RosterCommand], actor actorID: String?, standing: RosterLog.Standing, now: Date,
                            random: inout some RandomSource) throws -> (events: [EventDraft], disclosures: [Disclosure]) {
        var actorID = actorID
        if standing.roster.size > 0 {
            actorID = try rosterPerson(actorID, roster: standing.roster).id
        }
        guard let actor = actorID else { throw HRIAError.badInput("who is making this change? give --as ADMIN") }
        // A change dated before an act already decided against the state it replaces would make that act one
        // decided against an outdated roster: refused, so the writer never makes what verify rejects.
        if standing.roster.size > 0, let (id, time) = latestAct(naming: standing.roster.size),
           floor(time.timeIntervalSince1970) > floor(max(now, standing.roster.times.last ?? now).timeIntervalSince1970) {
            throw EngineError.refused(Refusal("an act of \(id) dated \(Timestamp.format(time)) was decided against the roster as it stands; "
                                              + "a change dated \(Timestamp.format(now)) cannot come before it (check the clock)", []))
        }
        do throws(Refusal) {
            return try standing.roster.decide(commands, actor: actor, now: now, random: &random)
        } catch {
            throw EngineError.refused(error)
        }
    }

    /// The latest act (by time) among the last acts of every assessment that names roster state `size`, if any.
    /// Acts are in time order within a log and name states in order, so each log's last act is its latest.
    func latestAct(naming size: Int) -> (id: String, time: Date)? {
        var latest: (id: String, time: Date)?
        for id in (try? assessmentIDs()) ?? [] {
            for line in log(id).lastLines(64) {
                guard let event = try? EventLine.decode(line), let named = event.roster else { continue }
                if named == size, latest.map({ event.time > $0.time }) ?? true { latest = (id, event.time) }
                break
            }
        }
        return latest
    }

    /// The actor's SSH signature over a roster change, with the key the roster holds for them (or, for the first
    /// admin, the key the event adds).
    func signRosterChange(actor: String, key: String?, line: [UInt8], personal: PersonalKeys) throws -> String {
        guard let key else {
            throw HRIAError.badInput("\(actor) has no key on the roster, so cannot sign a roster change",
                                     help: "an admin sets one with hria people key \(actor) \"$(cat KEY.pub)\"")
        }
        guard case .ssh(let publicKey)? = PersonKey(published: key) else {
            throw HRIAError.badInput("the key of \(actor) on the roster is not an SSH key of their own",
                                     help: "make one with hria keys new \(actor), and have an admin set it with hria people key")
        }
        guard let signature = try sshSignature(actor: actor, publicKey: publicKey, unsignedLine: line, personal: personal, required: true) else {
            throw HRIAError.badInput("\(actor) cannot sign: their key is neither in ssh-agent nor in \(personal.folder)")
        }
        return signature
    }
}

extension SSHAgent {
    /// The agent's keys, or none when it cannot be asked.
    func keysOrEmpty() -> [SSHPublicKey] { ((try? keys()) ?? []).map(\.key) }
}

extension Workspace {
    /// The error for reading the roster of a workspace that has none yet (`hria people list`, and the server's
    /// roster route, which a client prints the same).
    public static let noRosterYet = HRIAError.badInput("this workspace has no roster yet: its people are those of hria.yaml",
                                                        help: "an admin makes one with hria people import --as ADMIN after hria init --admin; see docs/IDENTITY.md")

    /// The error for an import that finds nothing to bring in (`hria people import`, and a server's roster route).
    public static let nothingToImport = HRIAError.badInput("nothing to import: everyone in hria.yaml's people: block is on the roster with their roles",
                                                           help: "remove the people: block from hria.yaml; hria people list shows the roster")

    /// The people who may act now, with their roles: the roster's, or hria.yaml's in a workspace without one.
    public func team() throws(HRIAError) -> [Person] {
        if let standing = try roster() { return standing.roster.current.map(\.person) }
        return configuration.people
    }

    /// Every role a workflow in workflows/ declares (for a note when a roster change names another).
    public func declaredRoles() -> [String] {
        Set(workspaceWorkflows().flatMap { $0.roles.map(\.id) }).sorted()
    }

    /// The roles among `roles` that no workflow of workflows/ declares (`admin` is the roster's own): each is noted
    /// when a change names it, a typo or a workflow still to come.
    public func undeclaredRoles(_ roles: [String]) -> [String] {
        let declared = Set(declaredRoles())
        return roles.filter { $0 != Roster.adminRole && !declared.contains($0) }
    }

    /// Every workflow in workflows/ that loads without errors.
    func workspaceWorkflows() -> [Workflow] {
        fs.listDirectory(workflowsFolder).filter { $0.hasSuffix(".yaml") }.compactMap { name in
            guard let bytes = try? fs.readAll(Paths.join(workflowsFolder, name)) else { return nil }
            return workflows.workflow(bytes: bytes, sha256: Digest.sha256Hex(bytes), fileName: name)
        }
    }

    /// What `hria people import` records: each person of hria.yaml's `people:` block not yet on the roster, with their
    /// roles and key; the roles someone already on it lacks; and hria.yaml's `require_signatures: false`, if it says so.
    /// In a workspace without a roster, `firstAdmin` starts it: the person named (from hria.yaml, or with the name
    /// given) is added first, with their roles and `admin`, and their own SSH key (hria.yaml's, else the one in their
    /// key folder), which signs that first event.
    /// `lookInKeyFolder`: whether the first admin's key may come from their key folder on this machine; a server
    /// deciding for a person elsewhere has no such folder of theirs (the key hria.yaml lists signed the request).
    public func importCommands(roster: Roster, publishNames: Bool, firstAdmin: (id: String, name: String?)? = nil,
                               lookInKeyFolder: Bool = true) throws(HRIAError) -> [RosterCommand] {
        var commands: [RosterCommand] = []
        var skip: String?
        if roster.size == 0 {
            guard let firstAdmin else {
                throw .badInput("this workspace has no roster yet: who starts it? give --as ID, the first admin")
            }
            let listed = configuration.person(firstAdmin.id)
            guard let name = firstAdmin.name ?? listed?.name else {
                throw .badInput("\(firstAdmin.id) is not in hria.yaml; give their name with --name to start the roster with them")
            }
            var key = listed?.key.flatMap { $0.hasPrefix(SSHPublicKey.algorithm + " ") ? $0 : nil }
            if key == nil, lookInKeyFolder { key = try PersonalKeys(environment: ProcessInfo.processInfo.environment).key(of: firstAdmin.id)?.publicKey.authorizedKey }
            guard let key else {
                throw .badInput("\(firstAdmin.id) has no SSH key to sign the roster's first event with",
                                help: "make one with hria keys new \(firstAdmin.id), then run the import again")
            }
            commands.append(.add(id: firstAdmin.id, name: name, title: nil, roles: (listed?.roles ?? []) + [Roster.adminRole], key: key,
                                 publishName: publishNames, importedFrom: "hria.yaml"))
            skip = firstAdmin.id
        }
        for person in configuration.people where person.id != skip {
            if let member = roster.member(person.id) {
                guard !member.isRemoved else { continue }
                for role in Set(person.roles).subtracting(member.roles).sorted() {
                    commands.append(.grant(id: person.id, role: role, reason: "imported from hria.yaml"))
                }
                continue
            }
            commands.append(.add(id: person.id, name: person.name, title: nil, roles: person.roles, key: person.key, publishName: publishNames))
        }
        if !configuration.requireSignatures, roster.requireSignatures, !commands.isEmpty {
            commands.append(.requireSignatures(false, reason: "imported from hria.yaml, which said require_signatures: false"))
        }
        return commands
    }
}

extension Workspace {
    /// Every requirement id the workspace's workflows declare (for shell completion).
    public func requirementIDs() -> [String] {
        Set(workspaceWorkflows().flatMap { $0.stages.flatMap { $0.requirements.map(\.id) } }).sorted()
    }
}
