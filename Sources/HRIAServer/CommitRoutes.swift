import Foundation
import HRIAKit
import Hummingbird

/// A draft as one commit route takes it: the assessment's commands, or the roster's changes.
struct CommitFlow<Prepared: Sendable>: Sendable {
    /// What `scope` is called in the answers ("command", "change").
    var what: String
    /// The log the route writes to: an assessment's id, or `PendingDraft.rosterScope`.
    var scope: String
    /// The draft this route commits, from what `DraftKeeping.begin` found (with the file uploaded for it, from where
    /// `drafts` keeps it); nil for a draft of the other kind.
    var ready: @Sendable (_ found: PendingCommands.Lookup, _ draft: String, _ drafts: any DraftKeeping) throws -> Prepared?
    /// Said when the draft is of the other kind.
    var otherKind: @Sendable (_ draft: String) -> Problem
    /// The events when the draft was recorded already (its answer lost, or the server restarted since); nil otherwise.
    var recorded: @Sendable (_ workspace: Workspace, _ size: Int, _ signatures: [String]) throws -> [Event]?
    /// Records the draft with the signatures: the events, and those the command voided.
    var commit: @Sendable (_ workspace: Workspace, _ prepared: Prepared, _ signatures: [String]) throws -> (events: [Event], voided: [String])
    /// Said when the log moved since the draft was prepared.
    var stale: String
    /// The assessment an engine refusal is about (nil for the roster).
    var assessment: String?
}

extension HRIAServer {
    /// What every commit route does, whichever log its draft writes to: answers a retry with the same
    /// Idempotency-Key as the first try was answered; takes the draft for the signer (a retry of a commit still
    /// running is busy, another person's draft is theirs, a draft no longer here may have been recorded already);
    /// records it; and says why not in the command line's terms (stale: prepare again; a refused signature; the
    /// engine's refusal).
    func commitDraft<Prepared: Sendable>(_ request: Request, _ context: HRIARequestContext, _ flow: CommitFlow<Prepared>) async throws -> Response {
        let signer = try context.signer.orUnauthorized()
        let (draft, size, signatures) = try ServiceWire.commit(try Self.json(context.body))
        let idempotency = request.headers.first { $0.name.canonicalName == "idempotency-key" }
            .map { signer + "\u{0}" + flow.scope + "\u{0}" + $0.value }
        return try await blocking {
            let workspace = try context.workspace ?? self.openWorkspace()
            let drafts = self.drafts(in: workspace)
            let now = Date()
            let found = try drafts.begin(draft, id: flow.scope, signer: signer, answerKey: idempotency, now: now)
            let prepared: Prepared
            switch found {
            case .answered(let body, let status):
                return Response.json(bytes: body, status: .init(code: status))
            case .committing:
                // Shared with other instances, the first try may have been recorded by one that died before it could
                // answer: its lines in the log say so.
                if drafts.shared, let events = try flow.recorded(workspace, size, signatures), events.allSatisfy({ $0.actor == signer }) {
                    return Response.json(ServiceWire.recorded(events, voided: []))
                }
                // A retry while the first try still runs: its answer will be kept under the same key.
                throw Problem(status: .serviceUnavailable, kind: "busy", title: "Being recorded",
                              detail: "this \(flow.what) is being recorded by an earlier request; ask again with the same Idempotency-Key",
                              exitCode: ExitStatus.busy.rawValue)
            case .notYours(let actor):
                ServerMetrics.refusedRequests.increment()
                throw Problem(status: .forbidden, kind: "forbidden", title: "Not yours to sign",
                              detail: "this \(flow.what) was prepared for \(actor); \(signer) cannot sign it", exitCode: ExitStatus.badInput.rawValue)
            case .unknown:
                if let events = try flow.recorded(workspace, size, signatures), events.allSatisfy({ $0.actor == signer }) {
                    return Response.json(ServiceWire.recorded(events, voided: []))
                }
                throw Problem.stale("no \(flow.what) \(DisplayText.escape(draft)) is waiting to be signed here (it expired, or the server restarted)")
            case .ready, .readyRoster, .otherAssessment:
                guard let taken = try flow.ready(found, draft, drafts) else { throw flow.otherKind(draft) }
                prepared = taken
            }
            // The answer is kept with the draft's end, when there is one to keep.
            var kept: KeptAnswer?
            defer { drafts.finish(draft, answer: kept, now: now) }
            let events: [Event], voided: [String]
            do {
                (events, voided) = try flow.commit(workspace, prepared, signatures)
            } catch PreparedCommandFailure.stale {
                throw Problem.stale(flow.stale)
            } catch let failure as PreparedCommandFailure {
                throw Problem(status: .unprocessableContent, kind: "bad-signature", title: "Signature refused", detail: failure.description,
                              exitCode: ExitStatus.badInput.rawValue)
            } catch let error as EngineError {
                throw Self.problem(error, id: flow.assessment, workspace: workspace)
            }
            ServerMetrics.appends.increment(by: events.count)
            let answer = Array(ServiceWire.recorded(events, voided: voided).rendered(pretty: false).utf8)
            kept = idempotency.map { KeptAnswer(key: $0, body: answer, status: 201) }
            return Response.json(bytes: answer, status: .created)
        }
    }
}
