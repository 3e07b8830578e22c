import Foundation
import HRIAKit
import Hummingbird
import NIOCore

/// Commands prepared for a person to sign, by draft id, until they commit them or the draft expires (two
/// minutes: long enough to sign, short enough that a decision is not recorded long after it was made).
final class PendingCommands: @unchecked Sendable {
    // @unchecked: every member is reached only under `lock`.
    private let lock = NSLock()
    private var drafts: [String: (command: PreparedCommand, expires: Date)] = [:]
    /// Answers already given to a commit, by signer and Idempotency-Key, so a retried request is answered the same.
    private var answered: [String: (body: [UInt8], status: Int, expires: Date)] = [:]
    let lifetime: TimeInterval = 120
    let capacity = 100_000

    func keep(_ command: PreparedCommand, now: Date) -> String? {
        var random = SystemRandomNumberGenerator()
        let id = (0 ..< 4).map { _ in String(random.next(), radix: 16) }.joined(separator: "-")
        lock.lock()
        defer { lock.unlock() }
        if drafts.count >= capacity { drafts = drafts.filter { $0.value.expires > now } }
        guard drafts.count < capacity else { return nil }
        drafts[id] = (command, now.addingTimeInterval(lifetime))
        return id
    }

    func take(_ id: String, now: Date) -> PreparedCommand? {
        lock.lock()
        defer { lock.unlock() }
        guard let found = drafts.removeValue(forKey: id), found.expires > now else { return nil }
        return found.command
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
        if answered.count >= capacity { answered = answered.filter { $0.value.expires > now } }
        if answered.count < capacity { answered[key] = (body, status, now.addingTimeInterval(24 * 3600)) }
    }
}

extension HRIAServer {
    /// The signed API: reading assessments, and acting on them through prepare and commit.
    func addAssessmentRoutes(to router: Router<HRIARequestContext>) {
        let api = router.group("api/v1/assessments").add(middleware: SignedRequests(server: self, nonces: nonces))

        api.get { _, context in
            try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                let (summaries, damaged, vocabularies) = try workspace.summaries()
                let rows = try ListQuery(stage: nil, tier: nil, outcome: nil, overdueOnly: false, sort: .id)
                    .rows(summaries, vocabularies: vocabularies.values, now: Date())
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
            return try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                let loaded = try workspace.current(try Self.existing(id, in: workspace))
                let now = Date()
                let evaluation = StageEvaluation.evaluate(workflow: loaded.workflow, state: loaded.state, now: now)
                var newer: (version: Int, sha256: String)?
                if let current = workspace.currentWorkflow(loaded.state.workflowID), current.sha256 != loaded.state.workflowSHA256 {
                    newer = (current.workflow.version, current.sha256)
                }
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
                let actor = try workspace.person(signer)
                var random = SecureRandom()
                let prepared: PreparedCommand
                do {
                    prepared = try workspace.prepare(try Self.existing(id, in: workspace), command: command, actor: actor, clock: .system,
                                                     random: &random, allowVoiding: allowVoiding)
                } catch let error as EngineError {
                    throw Self.problem(error, id: id, workspace: workspace)
                }
                guard let draft = self.pending.keep(prepared, now: Date()) else {
                    throw HRIAError(.busy, "too many commands are waiting to be signed", help: "try again")
                }
                return Response.json(ServiceWire.Prepared(draft: draft, size: prepared.size, lines: prepared.unsignedLines,
                                                          signaturesRequired: prepared.signaturesRequired, voided: prepared.voided).json)
            }
        }

        api.post(":id/commit") { request, context in
            let id = try context.parameters.require("id")
            let signer = try context.signer.orUnauthorized()
            let (draft, size, signatures) = try ServiceWire.commit(try Self.json(context.body))
            let idempotency = request.headers[.init("Idempotency-Key")!].map { signer + "\u{0}" + id + "\u{0}" + $0 }
            if let idempotency, let earlier = self.pending.answer(for: idempotency, now: Date()) {
                return Response.json(bytes: earlier.body, status: .init(code: earlier.status))
            }
            return try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                let now = Date()
                guard let prepared = self.pending.take(draft, now: now) else {
                    // Recorded already (the answer was lost, or the server restarted since): the same lines are in the log.
                    if let events = try workspace.alreadyRecorded(try Self.existing(id, in: workspace), size: size, count: signatures.count,
                                                                  signatures: signatures),
                       events.allSatisfy({ $0.actor == signer }) {
                        return Response.json(ServiceWire.recorded(events, voided: []))
                    }
                    throw Problem.stale("no command \(DisplayText.escape(draft)) is waiting to be signed here (it expired, or the server restarted)")
                }
                guard prepared.id == id else { throw Problem.badInput("draft \(DisplayText.escape(draft)) is not for \(id)") }
                guard prepared.actor == signer else {
                    ServerMetrics.refusedRequests.increment()
                    throw Problem(status: .forbidden, kind: "forbidden", title: "Not yours to sign",
                                  detail: "this command was prepared for \(prepared.actor); \(signer) cannot sign it", exitCode: ExitStatus.badInput.rawValue)
                }
                let events: [Event]
                do {
                    events = try workspace.commit(prepared, signatures: signatures, clock: .system)
                } catch PreparedCommandFailure.stale {
                    throw Problem.stale("\(id) changed since this was prepared")
                } catch let failure as PreparedCommandFailure {
                    throw Problem(status: .unprocessableContent, kind: "bad-signature", title: "Signature refused", detail: failure.description,
                                  exitCode: ExitStatus.badInput.rawValue)
                } catch let error as EngineError {
                    throw Self.problem(error, id: id, workspace: workspace)
                }
                ServerMetrics.appends.increment(by: events.count)
                let answer = Array(ServiceWire.recorded(events, voided: prepared.voided).rendered(pretty: false).utf8)
                if let idempotency { self.pending.remember(answer: answer, status: 201, for: idempotency, now: now) }
                return Response.json(bytes: answer, status: .created)
            }
        }
    }

    /// The id, if the workspace holds such an assessment; 404 otherwise.
    static func existing(_ id: String, in workspace: Workspace) throws -> String {
        guard AssessmentID.isValid(id), try workspace.assessmentIDs().contains(id) else {
            throw Problem.notFound("there is no assessment \(DisplayText.escape(id)) here")
        }
        return id
    }

    static func json(_ body: ByteBuffer) throws -> JSONValue {
        guard let value = try? JSONParser.parse(Array(body.readableBytesView)) else { throw Problem.badInput("the body is not JSON") }
        return value
    }

    /// An engine error as the command line would report it: a refusal 409 with every blocker and the command that
    /// supplies it, an invalid request 422, an inconsistency 500.
    static func problem(_ error: EngineError, id: String, workspace: Workspace) -> Problem {
        switch error {
        case .refused(let refusal):
            ServerMetrics.refusals.increment()
            var text = RefusalText(refusal)
            if let current = try? workspace.current(id) {
                let evaluation = StageEvaluation.evaluate(workflow: current.workflow, state: current.state, now: Date())
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
