import Foundation

/// What `hria migrate` did, or would do.
public struct MigrationResult: Sendable {
    /// The events recorded (none for a dry run; a repair of an interrupted write may come first).
    public var events: [Event]
    public var from: WorkflowPin
    public var to: WorkflowPin
    public var effect: MigrationEffect
    /// The workflow moved to.
    public var workflow: Workflow
    /// Where the new workflow is kept, relative to the workspace.
    public var snapshot: String
}

/// The workflow an assessment moves to: the file as read, its SHA-256 and what it loads as.
public struct MigrationTarget: Sendable {
    public var workflow: Workflow
    public var sha256: String
    public var bytes: [UInt8]
    /// How the command names it (a path, or `workflows/NAME.yaml`).
    public var displayName: String
}

extension Workspace {
    /// Moves a running assessment to another workflow (a name in workflows/ or a file): the engine checks that
    /// everything recorded fits the new rules, stages mapped by `stages` (old → new), and an admin records it with a
    /// reason. The new workflow is kept beside the old one, which stays. With `dryRun`, nothing is written.
    public func migrate(_ id: String, to workflowName: String, stages: [String: String], reason: String, actor: Person, clock: Clock,
                        dryRun: Bool) throws -> MigrationResult {
        let log = try requireAssessment(id)
        let (path, displayName) = try WorkflowSource.resolve(workflowName, workspace: root, currentDirectory: fs.currentDirectory)
        let target = try Self.migrationTarget(path: path, displayName: displayName)
        let command = Command.migrate(to: target.workflow, sha256: target.sha256, stages: stages, reason: reason)
        var random = SecureRandom()
        if dryRun { return try migrationDryRun(id, log: log, target: target, command: command, actor: actor, clock: clock, random: &random) }
        var decidedOn: AssessmentHistory?
        let events = try performReporting(id, command: command, actor: actor, clock: clock, random: &random, workflowSnapshot: target.bytes,
                                          allowVoiding: true, decidedOn: { decidedOn = $0 }).events
        // Said of what was recorded, against the standing it was decided on under the lock.
        guard let decidedOn else { throw HRIAError(.internalError, "the move of \(id) was not recorded") }
        return try Self.migrationResult(id, events: events, decidedOn: decidedOn, target: target)
    }

    /// Decides a move as `hria migrate` does, without recording it, for a person who signs it elsewhere (a server's
    /// client): the same checks in the same order, but the workflow is only ever one of the workspace's, by name
    /// (`workflows/NAME.yaml`), never a path a request makes up. With `dryRun` there is nothing to sign (nil), only
    /// what would change; otherwise the lines to sign, and what `hria migrate` will say once they are recorded:
    /// a commit records exactly these lines or none (it is stale when the assessment moved meanwhile).
    public func prepareMigration(_ id: String, to workflowName: String, stages: [String: String], reason: String, actor: Person,
                                 clock: Clock, dryRun: Bool) throws -> (prepared: PreparedCommand?, result: MigrationResult) {
        let log = try requireAssessment(id)
        let (path, displayName) = try Self.workspaceWorkflow(workflowName, option: "--to", folder: workflowsFolder, root: root)
        let target = try Self.migrationTarget(path: path, displayName: displayName)
        let command = Command.migrate(to: target.workflow, sha256: target.sha256, stages: stages, reason: reason)
        var random = SecureRandom()
        if dryRun {
            return (nil, try migrationDryRun(id, log: log, target: target, command: command, actor: actor, clock: clock, random: &random))
        }
        let decided = try decidedWithStanding(id, command: command, actor: actor, clock: clock, random: &random, files: [:], allowVoiding: true)
        var prepared = decided.prepared
        prepared.moving = target
        let events: [Event]
        do {
            events = try prepared.unsignedLines.map { try EventLine.decode($0) }
        } catch {
            throw HRIAError(.internalError, "the prepared move of \(id) does not read back: \(error)")
        }
        return (prepared, try Self.migrationResult(id, events: events, decidedOn: decided.standing.history, target: target))
    }

    /// The workflow file a move goes to, loaded; one with errors is refused as `hria migrate` refuses it.
    static func migrationTarget(path: String, displayName: String) throws -> MigrationTarget {
        let bytes = try WorkflowSource.readBytes(path, displayName: displayName)
        guard let workflow = WorkflowLoader.load(bytes: bytes, fileName: displayName).workflow else {
            throw HRIAError(.refused, "workflow \(displayName) has errors; fix them first", help: "hria workflow lint \(displayName)")
        }
        return MigrationTarget(workflow: workflow, sha256: Digest.sha256Hex(bytes), bytes: bytes, displayName: displayName)
    }

    /// What a move would change, deciding it on the assessment as it stands and recording nothing (`--dry-run`).
    func migrationDryRun(_ id: String, log: any AssessmentRecord, target: MigrationTarget, command: Command, actor: Person, clock: Clock,
                         random: inout some RandomSource) throws -> MigrationResult {
        let before = try standing(id, log: log).history
        let (acting, _, _) = try actingUnderRoster(actor)
        let now = clock.now()
        let outcome = try Engine.decide(before, command: command, actor: acting, now: now, random: &random)
        guard case .workflowMigrated(let move) = outcome.events[0].payload else { throw HRIAError(.internalError, "the move of \(id) was not decided") }
        let after = try Self.moved(before, by: outcome.events[0], target: target.workflow, sha256: target.sha256)
        return MigrationResult(events: [], from: move.from, to: move.to, effect: MigrationEffect.between(before: before, after: after, now: now),
                               workflow: target.workflow, snapshot: Self.snapshotPath(id, target))
    }

    /// What `hria migrate` says of the move among `events`, against the history it was decided on.
    static func migrationResult(_ id: String, events: [Event], decidedOn: AssessmentHistory, target: MigrationTarget) throws -> MigrationResult {
        guard let event = events.last(where: { $0.type == .workflowMigrated }), case .workflowMigrated(let recorded) = event.payload else {
            throw HRIAError(.internalError, "the move of \(id) was not recorded")
        }
        let after = try moved(decidedOn, by: event.draft, target: target.workflow, sha256: target.sha256)
        return MigrationResult(events: events, from: recorded.from, to: recorded.to,
                               effect: MigrationEffect.between(before: decidedOn, after: after, now: event.time), workflow: target.workflow,
                               snapshot: snapshotPath(id, target))
    }

    static func snapshotPath(_ id: String, _ target: MigrationTarget) -> String { "assessments/\(id)/workflows/\(target.sha256).yaml" }

    static func moved(_ history: AssessmentHistory, by draft: EventDraft, target: Workflow, sha256: String) throws -> AssessmentHistory {
        var after = history
        after.snapshots[sha256] = target
        do {
            try after.record(draft)
        } catch {
            throw EngineError.refused(error)
        }
        return after
    }
}
