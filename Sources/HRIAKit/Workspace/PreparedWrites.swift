import Foundation

extension Command {
    /// The evidence file a command names: its bytes must reach the workspace with the command, or the record would
    /// name a file it does not hold.
    public var namedFile: EvidenceFile? {
        switch self {
        case .addEvidence(_, _, _, let file): file
        case .updateEvidence(_, _, let file, _): file
        default: nil
        }
    }
}

/// A new assessment's id is taken: what `hria new` reports as bad input, and a server as a conflict (409).
public struct AssessmentExists: Error, Sendable {
    public var id: String
    public var message: String { "assessment \(id) already exists" }
}

extension Workspace {
    /// The refusal of a workflow file given to `hria new` or `hria migrate` through a server, which reads only its own
    /// workflows; the command line says it too, once it has checked the file as the command does on a workspace.
    public static func workflowFileThroughServer(option: String) -> HRIAError {
        .badInput("through a server, \(option) names one of the workspace's workflows (workflows/NAME.yaml), not a file",
                  help: "add the file to the workspace's workflows/ first, or run the command on the workspace")
    }

    /// Decides a new assessment as `hria new` does, without recording it: its first line, unsigned, for the person
    /// starting it to sign (docs/SERVER.md, "Acting through the server"). `workflowName` names a workflow of this
    /// workspace (`workflows/NAME.yaml`) and nothing else: a server never reads a path a request makes up. With it,
    /// what the people of the workspace cannot do at the workflow's stages (the `team` rule's messages), which
    /// `hria new` warns of.
    public func prepareCreation(id: String, workflowName: String, partner: String, title: String?, facts: [(name: String, value: String)],
                                actor: Person, now: Date) throws -> (command: PreparedCommand, teamWarnings: [String]) {
        let (path, displayName) = try Self.workspaceWorkflow(workflowName, option: "--workflow", folder: workflowsFolder, root: root)
        let bytes = try WorkflowSource.readBytes(path, displayName: displayName)
        guard let workflow = WorkflowLoader.load(bytes: bytes, fileName: displayName).workflow else {
            throw HRIAError(.refused, "workflow \(displayName) has errors; fix them first", help: "hria workflow lint \(displayName)")
        }
        guard AssessmentID.isValid(id) else { throw Self.invalidNewAssessmentID(id) }
        guard !log(id).exists else { throw AssessmentExists(id: id) }
        let sha = Digest.sha256Hex(bytes)
        let rosterLock = try lockRosterShared()
        defer { if let rosterLock { fs.close(rosterLock) } }
        let (actor, rosterSize, required) = try actingUnderRoster(actor)
        var draft = try Engine.create(id: id, workflow: workflow, workflowSHA256: sha, partner: partner, title: title, facts: facts,
                                      actor: actor, now: now).events[0]
        draft.roster = rosterSize
        try judgeUnderRoster([draft])
        let command = PreparedCommand(id: id, actor: actor.id, size: 0, head: .zero, rosterSize: rosterSize, signaturesRequired: required,
                                      drafts: [draft], disclosures: [], voided: [], files: [:],
                                      unsignedLines: [EventLine.encode(draft, seq: 0, prev: .zero)], creating: bytes)
        return (command, TeamCheck.diagnostics(workflow, file: "assessments/\(id)/workflow.yaml", people: try team()).map(\.message))
    }

    /// Decides an erasure as `hria erase` does (`prepare` with `.erase` comes here), without recording it: the event that records the deletion, and the
    /// digest whose plaintext goes once it is recorded. When the erasure is recorded already and only the plaintext
    /// is left (a crash fell between the two), there is nothing to sign: committing it only deletes the plaintext.
    func prepareErasure(_ id: String, digest: String, reason: String, actor: Person, clock: Clock,
                        random: inout some RandomSource) throws -> PreparedCommand {
        let log = try requireAssessment(id)
        guard DisclosureDigest.isWellFormed(digest) else {
            throw HRIAError.badInput("\"\(digest)\" is not a disclosure digest", help: "digests are 43 base64url characters, as listed in an event's _sd")
        }
        let stored = log.disclosureDigests().contains(digest)
        if let failure = log.readFailure() { throw failure }
        let standing = try standing(id, log: log)
        let state = standing.history.state
        guard state.digests.contains(digest) else { throw HRIAError.badInput("no event of \(id) lists the digest \(digest)") }
        if state.erasedDigests.contains(digest) {
            guard stored else { throw HRIAError.badInput("the value with digest \(digest) was already erased") }
            return PreparedCommand(id: id, actor: actor.id, size: standing.position.eventCount, head: standing.position.headHash,
                                   rosterSize: nil, signaturesRequired: false, drafts: [], disclosures: [], voided: [], files: [:],
                                   unsignedLines: [], erasing: [digest])
        }
        guard stored else {
            throw HRIAError.badInput("no confidential value with digest \(digest) is stored here", help: "it may be a decoy, or stored on another machine")
        }
        var prepared = try decided(id, command: .erase(digest: digest, reason: reason), actor: actor, clock: clock, random: &random,
                                   files: [:], allowVoiding: true)
        prepared.erasing = [digest]
        return prepared
    }

    /// Records a prepared creation: the assessment's folder is made with its pinned workflow and the signed first
    /// line, or not at all. Stale when the roster moved or the assessment was started meanwhile.
    func commitCreation(_ prepared: PreparedCommand, workflow bytes: [UInt8], signatures: [String]) throws -> [Event] {
        guard prepared.drafts.count == 1, let draft = prepared.drafts.first, let unsigned = prepared.unsignedLines.first else {
            throw HRIAError(.internalError, "a prepared creation holds one event")
        }
        guard signatures.count == 1 else { throw HRIAError.badInput("1 signature is needed, \(signatures.count) were given") }
        let signing = try signing(for: prepared.id)
        let rosterLock = try lockRosterShared()
        defer { if let rosterLock { fs.close(rosterLock) } }
        let (actor, rosterSize, required) = try actingUnderRoster(try person(prepared.actor))
        guard rosterSize == prepared.rosterSize else { throw PreparedCommandFailure.stale }
        let signature = signatures[0]
        if signature.isEmpty {
            guard !required else { throw PreparedCommandFailure.badSignature(seq: 0, why: "is missing, and the roster requires one") }
        } else {
            guard let key = actor.key, let published = PersonKey(published: key) else {
                throw PreparedCommandFailure.badSignature(seq: 0, why: "cannot be checked: \(actor.id) has no key on the roster")
            }
            guard published.verifies(unsigned, signature: signature) else {
                throw PreparedCommandFailure.badSignature(seq: 0, why: "does not verify with the key the roster lists for \(actor.id)")
            }
        }
        let line = signature.isEmpty ? unsigned : EventLine.encode(draft, seq: 0, prev: .zero, signature: signature)
        // Two creations of one id in this process would share a staging folder (it is named by the process): one at a
        // time. A creation by another process is refused by the store, which renames the folder into place only once.
        try Self.creations.withLock { () throws in
            guard !log(prepared.id).exists else { throw PreparedCommandFailure.stale }
            try log(prepared.id).create(workflowBytes: bytes, firstLine: line, signing: signing)
        }
        return [try EventLine.decode(line)]
    }

    private static let creations = NSLock()

    /// The file of one of the workspace's workflows, named as `workflows/NAME.yaml` names it, and nothing else: what a
    /// server takes where the command line also takes a path (`--workflow` of new, `--to` of migrate), since it never
    /// reads a path a request makes up. Resolved from inside workflows/, so that a bare name can only mean a file there.
    static func workspaceWorkflow(_ name: String, option: String, folder: String, root: String) throws(HRIAError) -> (path: String, displayName: String) {
        guard !name.isEmpty, !name.hasPrefix("."), !name.contains("/"), !name.contains("\u{0}"), !name.hasSuffix(".yaml"), !name.hasSuffix(".yml") else {
            throw workflowFileThroughServer(option: option)
        }
        return try WorkflowSource.resolve(name, workspace: root, currentDirectory: folder)
    }

    /// Deletes the plaintext of the values an erasure recorded. Run after the event is written, as `erase` does:
    /// if the process stops in between, erasing again deletes what is left.
    func finishErasure(_ prepared: PreparedCommand) throws {
        let log = try requireAssessment(prepared.id)
        for digest in prepared.erasing { try log.removeDisclosure(digest: digest) }
    }
}
