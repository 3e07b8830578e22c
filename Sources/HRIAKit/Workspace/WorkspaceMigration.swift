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

extension Workspace {
    /// Moves a running assessment to another workflow (a name in workflows/ or a file): the engine checks that
    /// everything recorded fits the new rules, stages mapped by `stages` (old → new), and an admin records it with a
    /// reason. The new workflow is kept beside the old one, which stays. With `dryRun`, nothing is written.
    public func migrate(_ id: String, to workflowName: String, stages: [String: String], reason: String, actor: Person, clock: Clock,
                        dryRun: Bool) throws -> MigrationResult {
        let log = try requireAssessment(id)
        let (path, displayName) = try WorkflowSource.resolve(workflowName, workspace: root, currentDirectory: fs.currentDirectory)
        let bytes = try WorkflowSource.readBytes(path, displayName: displayName)
        guard let target = WorkflowLoader.load(bytes: bytes, fileName: displayName).workflow else {
            throw HRIAError(.refused, "workflow \(displayName) has errors; fix them first", help: "hria workflow lint \(displayName)")
        }
        let sha = Digest.sha256Hex(bytes)
        let command = Command.migrate(to: target, sha256: sha, stages: stages, reason: reason)
        let snapshot = "assessments/\(id)/workflows/\(sha).yaml"
        var random = SecureRandom()
        if dryRun {
            let before = try standing(id, log: log).history
            let (acting, _, _) = try actingUnderRoster(actor)
            let now = clock.now()
            let outcome = try Engine.decide(before, command: command, actor: acting, now: now, random: &random)
            guard case .workflowMigrated(let move) = outcome.events[0].payload else { throw HRIAError(.internalError, "the move of \(id) was not decided") }
            let after = try Self.moved(before, by: outcome.events[0], target: target, sha256: sha)
            return MigrationResult(events: [], from: move.from, to: move.to,
                                   effect: MigrationEffect.between(before: before, after: after, now: now), workflow: target, snapshot: snapshot)
        }
        var decidedOn: AssessmentHistory?
        let events = try performReporting(id, command: command, actor: actor, clock: clock, random: &random, workflowSnapshot: bytes,
                                          allowVoiding: true, decidedOn: { decidedOn = $0 }).events
        // Said of what was recorded, against the standing it was decided on under the lock.
        guard let event = events.last(where: { $0.type == .workflowMigrated }), case .workflowMigrated(let recorded) = event.payload,
              let decidedOn else {
            throw HRIAError(.internalError, "the move of \(id) was not recorded")
        }
        let after = try Self.moved(decidedOn, by: event.draft, target: target, sha256: sha)
        return MigrationResult(events: events, from: recorded.from, to: recorded.to,
                               effect: MigrationEffect.between(before: decidedOn, after: after, now: event.time), workflow: target,
                               snapshot: snapshot)
    }

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
