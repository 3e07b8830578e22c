import Foundation
import HRIAKit
import Hummingbird
import NIOCore

/// What waits for its signer: a command on an assessment, or a change of the roster.
enum PendingDraft: Sendable {
    case command(PreparedCommand)
    case roster(PreparedRosterChange)

    var actor: String {
        switch self {
        case .command(let command): command.actor
        case .roster(let change): change.actor
        }
    }

    /// What its commit must be sent to: the assessment's id, or the roster's log name (which no assessment id can
    /// spell), so a draft of one is never committed as the other.
    var scope: String {
        switch self {
        case .command(let command): command.id
        case .roster: PendingDraft.rosterScope
        }
    }

    static let rosterScope = "_roster"

    /// What it holds in memory, counted against the bounds.
    var bytes: Int {
        switch self {
        case .command(let command):
            command.unsignedLines.reduce(0) { $0 + $1.count } * 2
                + command.disclosures.reduce(0) { $0 + $1.encoded.utf8.count } + command.files.values.reduce(0) { $0 + $1.bytes.count }
                + (command.creating?.count ?? 0) + (command.moving?.bytes.count ?? 0) + 512
        case .roster(let change):
            change.unsignedLines.reduce(0) { $0 + $1.count } * 2 + change.disclosures.reduce(0) { $0 + $1.encoded.utf8.count } + 512
        }
    }
}

/// Commands prepared for a person to sign, by draft id, until they commit them or the draft expires (two
/// minutes: long enough to sign, short enough that a decision is not recorded long after it was made), and the
/// answers already given to commits. Bounded in bytes, in all and per person, so that preparing without committing
/// cannot fill the server's memory: past the bounds, preparing is answered busy.
final class PendingCommands: DraftKeeping, @unchecked Sendable {
    // @unchecked: every member is reached only under `lock`.
    private let lock = NSLock()
    private struct Draft {
        var prepared: PendingDraft
        var expires: Date
        var bytes: Int
        /// The evidence file uploaded with it, on disk until the draft is committed or dropped.
        var upload: UploadedFile?
        /// A commit of it is running: a second one (a retry whose first try still runs) waits for its answer.
        var committing = false
    }

    private var drafts: [String: Draft] = [:]
    private var heldBySigner: [String: Int] = [:]
    private var held = 0
    /// Answers already given to a commit, by signer, assessment and Idempotency-Key, oldest first.
    private var answered: [String: (body: [UInt8], status: Int, expires: Date)] = [:]
    private var answerOrder: [String] = []
    private var answerBytes = 0
    let lifetime = DraftLimits.lifetime
    let limit = DraftLimits.total
    let limitPerSigner = DraftLimits.perPerson
    let answerLimit = DraftLimits.answer
    /// Uploaded files held for drafts, on disk: bounded too, in all and per person, so drafts cannot fill the disk.
    private var uploadsHeld = 0
    private var uploadsBySigner: [String: Int] = [:]
    let uploadLimit = DraftLimits.filesTotal
    let uploadLimitPerSigner = DraftLimits.filesPerPerson

    /// What a commit finds for its draft.
    enum Lookup {
        /// A commit with the same Idempotency-Key was answered already: the same answer again.
        case answered(body: [UInt8], status: Int)
        case ready(PreparedCommand)
        case readyRoster(PreparedRosterChange)
        case committing
        case unknown
        case notYours(actor: String)
        case otherAssessment
    }

    func keep(_ command: PreparedCommand, upload: UploadedFile? = nil, now: Date) -> String? {
        keep(.command(command), upload: upload, now: now)
    }

    func keep(_ prepared: PendingDraft, upload: UploadedFile? = nil, now: Date) -> String? {
        let id = DraftLimits.newID()
        let bytes = prepared.bytes
        let actor = prepared.actor
        let onDisk = upload?.size ?? 0
        lock.lock()
        defer { lock.unlock() }
        sweep(now: now)
        guard held + bytes <= limit, heldBySigner[actor, default: 0] + bytes <= limitPerSigner,
              uploadsHeld + onDisk <= uploadLimit, uploadsBySigner[actor, default: 0] + onDisk <= uploadLimitPerSigner else { return nil }
        drafts[id] = Draft(prepared: prepared, expires: now.addingTimeInterval(lifetime), bytes: bytes, upload: upload)
        held += bytes
        heldBySigner[actor, default: 0] += bytes
        if onDisk > 0 {
            uploadsHeld += onDisk
            uploadsBySigner[actor, default: 0] += onDisk
        }
        return id
    }

    /// Drops the drafts that expired, with their files. Under `lock`.
    private func sweep(now: Date) {
        for (key, draft) in drafts where draft.expires <= now && !draft.committing { drop(key, draft) }
    }

    /// Drops expired drafts now, so that their files do not wait for the next command to be prepared.
    func sweep(at now: Date) {
        lock.lock()
        defer { lock.unlock() }
        sweep(now: now)
    }

    /// A draft being committed with the bytes of its uploaded file, read from disk only now; the draft is dropped
    /// (and the file removed) if they cannot be read.
    func withUpload(_ command: PreparedCommand, draft: String) throws -> PreparedCommand {
        guard let upload = lock.withLock({ drafts[draft]?.upload }) else { return command }
        var command = command
        do {
            command.files = [upload.sha256: try upload.read()]
        } catch {
            finish(draft)
            throw error
        }
        return command
    }

    /// The draft for `signer`'s commit on `id` (an assessment, or `PendingDraft.rosterScope`), marked as being
    /// committed; another person's commit or one for another assessment (or the roster) leaves it as it was.
    func begin(_ draft: String, id: String, signer: String, now: Date) -> Lookup {
        lock.lock()
        defer { lock.unlock() }
        sweep(now: now)
        guard var found = drafts[draft], found.expires > now || found.committing else { return .unknown }
        guard found.prepared.scope == id else { return .otherAssessment }
        guard found.prepared.actor == signer else { return .notYours(actor: found.prepared.actor) }
        if found.committing { return .committing }
        found.committing = true
        drafts[draft] = found
        switch found.prepared {
        case .command(let command): return .ready(command)
        case .roster(let change): return .readyRoster(change)
        }
    }

    /// The answer already given under `answerKey`, else the draft for the commit (`begin(_:id:signer:now:)`).
    func begin(_ draft: String, id: String, signer: String, answerKey: String?, now: Date) -> Lookup {
        if let answerKey, let earlier = answer(for: answerKey, now: now) { return .answered(body: earlier.body, status: earlier.status) }
        return begin(draft, id: id, signer: signer, now: now)
    }

    /// The commit of `draft` ended: its answer kept when it was recorded, and the draft gone.
    func finish(_ draft: String, answer: KeptAnswer?, now: Date) {
        if let answer { remember(answer: answer.body, status: answer.status, for: answer.key, now: now) }
        finish(draft)
    }

    /// The commit of `draft` ended, recorded or refused: the draft is gone.
    func finish(_ draft: String) {
        lock.lock()
        defer { lock.unlock() }
        if let found = drafts[draft] { drop(draft, found) }
    }

    private func drop(_ key: String, _ draft: Draft) {
        drafts.removeValue(forKey: key)
        held -= draft.bytes
        let actor = draft.prepared.actor
        heldBySigner[actor, default: 0] -= draft.bytes
        if heldBySigner[actor] == 0 { heldBySigner.removeValue(forKey: actor) }
        if let upload = draft.upload {
            upload.remove()
            uploadsHeld -= upload.size
            uploadsBySigner[actor, default: 0] -= upload.size
            if uploadsBySigner[actor] == 0 { uploadsBySigner.removeValue(forKey: actor) }
        }
    }

    func answer(for key: String, now: Date) -> (body: [UInt8], status: Int)? {
        lock.lock()
        defer { lock.unlock() }
        guard let found = answered[key], found.expires > now else { return nil }
        return (found.body, found.status)
    }

    func remember(answer body: [UInt8], status: Int, for key: String, now: Date) {
        lock.lock()
        defer { lock.unlock() }
        guard answered[key] == nil, body.count <= answerLimit else { return }
        while answerBytes + body.count > answerLimit, !answerOrder.isEmpty {
            let oldest = answerOrder.removeFirst()
            answerBytes -= answered.removeValue(forKey: oldest)?.body.count ?? 0
        }
        answered[key] = (body, status, now.addingTimeInterval(24 * 3600))
        answerOrder.append(key)
        answerBytes += body.count
    }
}

extension HRIAServer {
    /// The signed API: reading assessments, and acting on them through prepare and commit.
    func addAssessmentRoutes(to router: Router<HRIARequestContext>) {
        let api = router.group("api/v1/assessments").add(middleware: SignedRequests(server: self, nonces: nonces))
        addWriteRoutes(to: router, signed: api)

        api.get(":id") { request, context in
            let id = try context.parameters.require("id")
            let text = request.uri.queryParameters.get("format") == "text"
            let notes = request.uri.queryParameters.get("notes") == "true"
            return try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                let loaded = try workspace.current(try Self.existing(id, in: workspace))
                let now = ServerClock.now()
                let evaluation = StageEvaluation.evaluate(workflow: loaded.workflow, state: loaded.state, now: now)
                var newer: (version: Int, sha256: String)?
                if let current = workspace.currentWorkflow(loaded.state.workflowID), current.sha256 != loaded.state.workflowSHA256 {
                    newer = (current.workflow.version, current.sha256)
                }
                if notes { return Response.json(try Self.statusAnswer(loaded, evaluation: evaluation, newer: newer, now: now, text: text, in: workspace).json) }
                if text {
                    var headers = HTTPFields()
                    headers[.contentType] = "text/plain; charset=utf-8"
                    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(
                        string: StatusReport.text(loaded, evaluation: evaluation, newer: newer, now: now))))
                }
                return Response.json(StatusReport.json(loaded, evaluation: evaluation, newer: newer, now: now))
            }
        }

        api.post(":id/prepare") { _, context in
            let id = try context.parameters.require("id")
            let signer = try context.signer.orUnauthorized()
            let body = try Self.json(context.body)
            if let migration = try ServiceWire.Migration.asked(in: body) {
                return try await self.blocking {
                    try self.prepareMigration(id, migration, as: signer, in: try context.workspace ?? self.openWorkspace())
                }
            }
            let (command, allowVoiding) = try ServiceWire.command(body)
            return try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                let prepared = try Self.prepare(id, command: command, allowVoiding: allowVoiding, as: signer, in: workspace)
                let draft = try self.keep(.command(prepared), in: workspace)
                return Response.json(ServiceWire.Prepared(draft: draft, size: prepared.size, lines: prepared.unsignedLines,
                                                          signaturesRequired: prepared.signaturesRequired, voided: prepared.voided,
                                                          alreadyApproved: try Self.alreadyApproved(command, actor: signer, id: id, in: workspace)).json)
            }
        }

        api.post(":id/commit") { request, context in
            let id = try context.parameters.require("id")
            // No assessment can be named so; the roster's drafts (scope `_roster`) are committed on their own route.
            guard AssessmentID.isValid(id) else { throw Problem.notFound("there is no assessment \(DisplayText.escape(id)) here") }
            return try await self.commitDraft(request, context, self.commandFlow(id))
        }
    }

    /// How a command prepared on assessment `id` is committed: by the API's commit route and the web pages' alike.
    func commandFlow(_ id: String) -> CommitFlow<PreparedCommand> {
        CommitFlow<PreparedCommand>(
            what: "command", scope: id,
            ready: { found, draft, drafts in
                guard case .ready(let command) = found else { return nil }
                return try drafts.withUpload(command, draft: draft)
            },
            otherKind: { draft in Problem.badInput("draft \(DisplayText.escape(draft)) is not for \(id)") },
            recorded: { workspace, size, signatures in
                // The same signed lines are in the log. Unsigned lines are never recognised so: another command
                // could look the same.
                guard !signatures.contains("") else { return nil }
                return try workspace.alreadyRecorded(try Self.existing(id, in: workspace), size: size, count: signatures.count,
                                                     signatures: signatures)
            },
            commit: { workspace, prepared, signatures in
                do {
                    return (try workspace.commit(prepared, signatures: signatures, clock: ServerClock.recording), prepared.voided)
                } catch let error as EngineError {
                    // Only a refused advance says what supplies each blocker, as hria advance prints it.
                    throw Self.problem(error, id: id, workspace: workspace,
                                       advancing: prepared.drafts.contains { $0.payload.type == .stageAdvanced })
                }
            },
            stale: "\(id) changed since this was prepared", assessment: id)
    }

    /// `command` decided as `signer` on the assessment as it stands, nothing recorded: what every prepare route
    /// (a command, an upload) answers with; the engine's refusals as the command line reports them.
    static func prepare(_ id: String, command: Command, allowVoiding: Bool, as signer: String, in workspace: Workspace) throws -> PreparedCommand {
        let actor = try workspace.person(signer)
        var random = SecureRandom()
        do {
            return try workspace.prepare(try existing(id, in: workspace), command: command, actor: actor, clock: ServerClock.recording,
                                         random: &random, allowVoiding: allowVoiding)
        } catch let error as EngineError {
            let advancing = if case .advance = command { true } else { false }
            throw problem(error, id: id, workspace: workspace, advancing: advancing)
        }
    }

    /// A move between workflows decided as `hria migrate` decides it, as `signer`: a dry run answers what would change;
    /// otherwise the lines to sign, kept as a draft, with what the command will say once they are recorded.
    func prepareMigration(_ id: String, _ migration: ServiceWire.Migration, as signer: String, in workspace: Workspace) throws -> Response {
        let actor = try workspace.person(signer)
        let prepared: PreparedCommand?
        let result: MigrationResult
        do {
            (prepared, result) = try workspace.prepareMigration(try Self.existing(id, in: workspace), to: migration.to, stages: migration.stages,
                                                                reason: migration.reason, actor: actor, clock: ServerClock.recording, dryRun: migration.dryRun)
        } catch EngineError.refused(let refusal) {
            // As hria migrate reports it: the blockers alone, and how to map stages when a stage is what stands in the way
            // (a fact or an item the new version cannot hold needs a different version, not a map).
            ServerMetrics.refusals.increment()
            var problem = Problem(status: .conflict, kind: "refused", title: "Refused by the rules", detail: refusal.summary,
                                  exitCode: ExitStatus.refused.rawValue)
            problem.data = ServiceWire.refusal(RefusalText(refusal))
            if refusal.blockers.contains(where: { $0.rule == "migration-stage" }) {
                problem.help = "map each stage the new version renames or removes with --map OLD=NEW; "
                    + "hria workflow diff --assessment \(id) \(DisplayText.escape(migration.to)) lists what changed"
            }
            throw problem
        } catch let error as EngineError {
            throw Self.problem(error, id: id, workspace: workspace)
        }
        let answer = ServiceWire.MigrationAnswer(text: MigrationReport.text(result, id: id, dryRun: migration.dryRun),
                                                 json: MigrationReport.json(result, dryRun: migration.dryRun).rendered(pretty: true))
        guard let prepared else { return Response.json(.object(["migration": answer.value])) }
        let draft = try keep(.command(prepared), in: workspace)
        return Response.json(ServiceWire.Prepared(draft: draft, size: prepared.size, lines: prepared.unsignedLines,
                                                  signaturesRequired: prepared.signaturesRequired, voided: prepared.voided, migration: answer).json)
    }

    /// The id, if the workspace holds such an assessment; 404 otherwise. On the signed routes, which answer people on
    /// the roster (who may list every assessment), the 404 says what the workspace says, with the closest id, so the
    /// command line prints it as it does locally; the anonymous routes (`signed: false`) never suggest an id.
    static func existing(_ id: String, in workspace: Workspace, signed: Bool = true) throws -> String {
        // An id no assessment can have: the command line checks ids before it sends any, so only other clients see this.
        guard AssessmentID.isValid(id) else { throw Problem.notFound("there is no assessment \(DisplayText.escape(id)) here") }
        // One look at the store; all the ids are listed only to suggest one for an id that is not there.
        guard try workspace.holds(id) else {
            guard signed else { throw Problem.notFound("there is no assessment \(id) here") }
            let unknown = Workspace.unknownAssessment(id, among: try workspace.assessmentIDs())
            throw Problem.notFound(unknown.message, help: unknown.help)
        }
        return id
    }

    static func json(_ body: ByteBuffer) throws -> JSONValue {
        guard let value = try? JSONParser.parse(Array(body.readableBytesView)) else { throw Problem.badInput("the body is not JSON") }
        return value
    }

    /// An engine error as the command line would report it: a refusal 409 with every blocker, an invalid request
    /// 422, an inconsistency 500. Only a refused advance on an assessment (`advancing`, `id`) adds the command that
    /// supplies each blocker and the unset facts a transition reads, as `hria advance` prints them; every other
    /// command prints the bare refusal, so the server answers it bare too.
    static func problem(_ error: EngineError, id: String?, workspace: Workspace, advancing: Bool = false) -> Problem {
        switch error {
        case .refused(let refusal):
            ServerMetrics.refusals.increment()
            var text = RefusalText(refusal)
            if advancing, let id, let current = try? workspace.current(id) {
                let evaluation = StageEvaluation.evaluate(workflow: current.workflow, state: current.state, now: ServerClock.now())
                let (commands, unset) = StatusReport.nextSteps(for: refusal.blockers, id: id, workflow: current.workflow, evaluation: evaluation)
                text = RefusalText(refusal, next: commands, unsetFacts: unset)
            }
            var problem = Problem(status: .conflict, kind: "refused", title: "Refused by the rules", detail: refusal.summary,
                                  exitCode: ExitStatus.refused.rawValue)
            problem.data = ServiceWire.refusal(text)
            return problem
        case .invalid, .inconsistent:
            let reported = error.commandLineError
            var problem = Problem(reported)
            if reported.status == .badInput { problem.status = .unprocessableContent }
            return problem
        }
    }
}

extension Optional where Wrapped == String {
    func orUnauthorized() throws -> String {
        guard let self else {
            throw Problem(status: .unauthorized, kind: "unauthorized", title: "Not signed", detail: "this route needs a signed request",
                          exitCode: ExitStatus.badInput.rawValue)
        }
        return self
    }
}

extension Response {
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        json(bytes: Array((value.rendered(pretty: false) + "\n").utf8), status: status)
    }

    static func json(bytes: [UInt8], status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
