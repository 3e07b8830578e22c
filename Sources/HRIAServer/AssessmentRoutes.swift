import Foundation
import HRIAKit
import Hummingbird
import NIOCore

/// Commands prepared for a person to sign, by draft id, until they commit them or the draft expires (two
/// minutes: long enough to sign, short enough that a decision is not recorded long after it was made), and the
/// answers already given to commits. Bounded in bytes, in all and per person, so that preparing without committing
/// cannot fill the server's memory: past the bounds, preparing is answered busy.
final class PendingCommands: @unchecked Sendable {
    // @unchecked: every member is reached only under `lock`.
    private let lock = NSLock()
    private struct Draft {
        var command: PreparedCommand
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
    let lifetime: TimeInterval = 120
    let limit = 256 << 20
    let limitPerSigner = 16 << 20
    let answerLimit = 64 << 20
    /// Uploaded files held for drafts, on disk: bounded too, in all and per person, so drafts cannot fill the disk.
    private var uploadsHeld = 0
    private var uploadsBySigner: [String: Int] = [:]
    let uploadLimit = 2 << 30
    let uploadLimitPerSigner = 512 << 20

    /// What a commit finds for its draft.
    enum Lookup {
        case ready(PreparedCommand)
        case committing
        case unknown
        case notYours(actor: String)
        case otherAssessment
    }

    func keep(_ command: PreparedCommand, upload: UploadedFile? = nil, now: Date) -> String? {
        var random = SystemRandomNumberGenerator()
        let id = (0 ..< 4).map { _ in String(random.next(), radix: 16) }.joined(separator: "-")
        let bytes = command.unsignedLines.reduce(0) { $0 + $1.count } * 2
            + command.disclosures.reduce(0) { $0 + $1.encoded.utf8.count } + command.files.values.reduce(0) { $0 + $1.bytes.count }
            + (command.creating?.count ?? 0) + 512
        let onDisk = upload?.size ?? 0
        lock.lock()
        defer { lock.unlock() }
        sweep(now: now)
        guard held + bytes <= limit, heldBySigner[command.actor, default: 0] + bytes <= limitPerSigner,
              uploadsHeld + onDisk <= uploadLimit, uploadsBySigner[command.actor, default: 0] + onDisk <= uploadLimitPerSigner else { return nil }
        drafts[id] = Draft(command: command, expires: now.addingTimeInterval(lifetime), bytes: bytes, upload: upload)
        held += bytes
        heldBySigner[command.actor, default: 0] += bytes
        if onDisk > 0 {
            uploadsHeld += onDisk
            uploadsBySigner[command.actor, default: 0] += onDisk
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

    /// The draft for `signer`'s commit on `id`, marked as being committed; another person's commit or one for
    /// another assessment leaves it as it was.
    func begin(_ draft: String, id: String, signer: String, now: Date) -> Lookup {
        lock.lock()
        defer { lock.unlock() }
        sweep(now: now)
        guard var found = drafts[draft], found.expires > now || found.committing else { return .unknown }
        guard found.command.id == id else { return .otherAssessment }
        guard found.command.actor == signer else { return .notYours(actor: found.command.actor) }
        if found.committing { return .committing }
        found.committing = true
        drafts[draft] = found
        return .ready(found.command)
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
        heldBySigner[draft.command.actor, default: 0] -= draft.bytes
        if heldBySigner[draft.command.actor] == 0 { heldBySigner.removeValue(forKey: draft.command.actor) }
        if let upload = draft.upload {
            upload.remove()
            uploadsHeld -= upload.size
            uploadsBySigner[draft.command.actor, default: 0] -= upload.size
            if uploadsBySigner[draft.command.actor] == 0 { uploadsBySigner.removeValue(forKey: draft.command.actor) }
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

        api.get { _, context in
            try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                let (summaries, damaged, vocabularies) = try workspace.summaries()
                let rows = try ListQuery(stage: nil, tier: nil, outcome: nil, overdueOnly: false, sort: .id)
                    .rows(summaries, vocabularies: vocabularies.values, now: ServerClock.now())
                // The rows of hria list --json, and the assessments left out because they do not verify.
                return Response.json(.object([
                    "assessments": ListReport.json(rows),
                    "left_out": .array(damaged.map { .object(["id": .string($0.id), "problem": .string($0.problem)]) }),
                ]))
            }
        }

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
            let (command, allowVoiding) = try ServiceWire.command(body)
            return try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                let prepared = try Self.prepare(id, command: command, allowVoiding: allowVoiding, as: signer, in: workspace)
                guard let draft = self.pending.keep(prepared, now: Date()) else {
                    throw HRIAError(.busy, "too many commands are waiting to be signed", help: "try again")
                }
                return Response.json(ServiceWire.Prepared(draft: draft, size: prepared.size, lines: prepared.unsignedLines,
                                                          signaturesRequired: prepared.signaturesRequired, voided: prepared.voided,
                                                          alreadyApproved: try Self.alreadyApproved(command, actor: signer, id: id, in: workspace)).json)
            }
        }

        api.post(":id/commit") { request, context in
            let id = try context.parameters.require("id")
            let signer = try context.signer.orUnauthorized()
            let (draft, size, signatures) = try ServiceWire.commit(try Self.json(context.body))
            let idempotency = request.headers.first { $0.name.canonicalName == "idempotency-key" }
                .map { signer + "\u{0}" + id + "\u{0}" + $0.value }
            if let idempotency, let earlier = self.pending.answer(for: idempotency, now: Date()) {
                return Response.json(bytes: earlier.body, status: .init(code: earlier.status))
            }
            return try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                let now = Date()
                let prepared: PreparedCommand
                switch self.pending.begin(draft, id: id, signer: signer, now: now) {
                case .ready(let found):
                    prepared = try self.pending.withUpload(found, draft: draft)
                case .committing:
                    // A retry while the first try still runs: its answer will be kept under the same key.
                    throw Problem(status: .serviceUnavailable, kind: "busy", title: "Being recorded",
                                  detail: "this command is being recorded by an earlier request; ask again with the same Idempotency-Key",
                                  exitCode: ExitStatus.busy.rawValue)
                case .notYours(let actor):
                    ServerMetrics.refusedRequests.increment()
                    throw Problem(status: .forbidden, kind: "forbidden", title: "Not yours to sign",
                                  detail: "this command was prepared for \(actor); \(signer) cannot sign it", exitCode: ExitStatus.badInput.rawValue)
                case .otherAssessment:
                    throw Problem.badInput("draft \(DisplayText.escape(draft)) is not for \(id)")
                case .unknown:
                    // Recorded already (the answer was lost, or the server restarted since): the same signed lines are in
                    // the log. Unsigned lines are never recognised so: another command could look the same.
                    if !signatures.contains(""),
                       let events = try workspace.alreadyRecorded(try Self.existing(id, in: workspace), size: size, count: signatures.count,
                                                                  signatures: signatures),
                       events.allSatisfy({ $0.actor == signer }) {
                        return Response.json(ServiceWire.recorded(events, voided: []))
                    }
                    throw Problem.stale("no command \(DisplayText.escape(draft)) is waiting to be signed here (it expired, or the server restarted)")
                }
                defer { self.pending.finish(draft) }
                let events: [Event]
                do {
                    events = try workspace.commit(prepared, signatures: signatures, clock: ServerClock.recording)
                } catch PreparedCommandFailure.stale {
                    throw Problem.stale("\(id) changed since this was prepared")
                } catch let failure as PreparedCommandFailure {
                    throw Problem(status: .unprocessableContent, kind: "bad-signature", title: "Signature refused", detail: failure.description,
                                  exitCode: ExitStatus.badInput.rawValue)
                } catch let error as EngineError {
                    throw Self.problem(error, id: id, workspace: workspace,
                                       advancing: prepared.drafts.contains { $0.payload.type == .stageAdvanced })
                }
                ServerMetrics.appends.increment(by: events.count)
                let answer = Array(ServiceWire.recorded(events, voided: prepared.voided).rendered(pretty: false).utf8)
                if let idempotency { self.pending.remember(answer: answer, status: 201, for: idempotency, now: now) }
                return Response.json(bytes: answer, status: .created)
            }
        }
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

    /// The id, if the workspace holds such an assessment; 404 otherwise. On the signed routes, which answer people on
    /// the roster (who may list every assessment), the 404 says what the workspace says, with the closest id, so the
    /// command line prints it as it does locally; the anonymous routes (`signed: false`) never suggest an id.
    static func existing(_ id: String, in workspace: Workspace, signed: Bool = true) throws -> String {
        // An id no assessment can have: the command line checks ids before it sends any, so only other clients see this.
        guard AssessmentID.isValid(id) else { throw Problem.notFound("there is no assessment \(DisplayText.escape(id)) here") }
        let ids = try workspace.assessmentIDs()
        guard ids.contains(id) else {
            guard signed else { throw Problem.notFound("there is no assessment \(id) here") }
            let unknown = Workspace.unknownAssessment(id, among: ids)
            throw Problem.notFound(unknown.message, help: unknown.help)
        }
        return id
    }

    static func json(_ body: ByteBuffer) throws -> JSONValue {
        guard let value = try? JSONParser.parse(Array(body.readableBytesView)) else { throw Problem.badInput("the body is not JSON") }
        return value
    }

    /// An engine error as the command line would report it: a refusal 409 with every blocker, an invalid request
    /// 422, an inconsistency 500. Only a refused advance (`advancing`) adds the command that supplies each blocker
    /// and the unset facts a transition reads, as `hria advance` prints them; every other command prints the bare
    /// refusal, so the server answers it bare too.
    static func problem(_ error: EngineError, id: String, workspace: Workspace, advancing: Bool = false) -> Problem {
        switch error {
        case .refused(let refusal):
            ServerMetrics.refusals.increment()
            var text = RefusalText(refusal)
            if advancing, let current = try? workspace.current(id) {
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
