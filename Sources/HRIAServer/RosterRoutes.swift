import Foundation
import HRIAKit
import Hummingbird

extension HRIAServer {
    /// Changing the roster through the server (`hria people add|grant|revoke|key|remove|require-signatures|import`):
    /// prepare and commit, as for an assessment's commands. The server decides the change with the roster's rules
    /// as the signer, exactly as the command decides it on the workspace; the signer's client signs each line with the
    /// key the roster holds for them; the server checks every signature as `verify --roster` does and records.
    func addRosterRoutes(to router: Router<HRIARequestContext>) {
        let roster = router.group("api/v1/roster").add(middleware: SignedRequests(server: self, nonces: nonces))

        roster.post("prepare") { _, context in
            let signer = try context.signer.orUnauthorized()
            let change = try ServiceWire.RosterChange(try Self.json(context.body))
            return try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                let prepared: PreparedRosterChange
                do {
                    prepared = try workspace.prepareRosterChange(actor: signer, clock: .system) { roster in
                        switch change {
                        case .change(let command):
                            return [command]
                        case .importPeople(let publishNames, let name):
                            // The first admin's key is the one hria.yaml lists (it signed this request): the server has no
                            // key folder of theirs to look in.
                            let commands = try workspace.importCommands(roster: roster, publishNames: publishNames,
                                                                        firstAdmin: roster.size == 0 ? (signer, name) : nil, lookInKeyFolder: false)
                            guard !commands.isEmpty else { throw Workspace.nothingToImport }
                            return commands
                        }
                    }
                } catch let error as EngineError {
                    throw Self.problem(error, id: nil, workspace: workspace)
                }
                guard let draft = self.pending.keep(.roster(prepared), now: Date()) else {
                    throw HRIAError(.busy, "too many commands are waiting to be signed", help: "try again")
                }
                // Every roster change is signed, whatever the roster says of acts in assessments.
                return Response.json(ServiceWire.Prepared(draft: draft, size: prepared.size, lines: prepared.unsignedLines, signaturesRequired: true,
                                                          voided: [], undeclaredRoles: prepared.undeclaredRoles).json)
            }
        }

        roster.post("commit") { request, context in
            let signer = try context.signer.orUnauthorized()
            let (draft, size, signatures) = try ServiceWire.commit(try Self.json(context.body))
            let scope = PendingDraft.rosterScope
            let idempotency = request.headers.first { $0.name.canonicalName == "idempotency-key" }
                .map { signer + "\u{0}" + scope + "\u{0}" + $0.value }
            if let idempotency, let earlier = self.pending.answer(for: idempotency, now: Date()) {
                return Response.json(bytes: earlier.body, status: .init(code: earlier.status))
            }
            return try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                let now = Date()
                let prepared: PreparedRosterChange
                switch self.pending.begin(draft, id: scope, signer: signer, now: now) {
                case .readyRoster(let found):
                    prepared = found
                case .committing:
                    // A retry while the first try still runs: its answer will be kept under the same key.
                    throw Problem(status: .serviceUnavailable, kind: "busy", title: "Being recorded",
                                  detail: "this change is being recorded by an earlier request; ask again with the same Idempotency-Key",
                                  exitCode: ExitStatus.busy.rawValue)
                case .notYours(let actor):
                    ServerMetrics.refusedRequests.increment()
                    throw Problem(status: .forbidden, kind: "forbidden", title: "Not yours to sign",
                                  detail: "this change was prepared for \(actor); \(signer) cannot sign it", exitCode: ExitStatus.badInput.rawValue)
                case .ready, .otherAssessment:
                    throw Problem.badInput("draft \(DisplayText.escape(draft)) is not a change of the roster",
                                           help: "a command on an assessment is committed with POST /api/v1/assessments/ID/commit")
                case .unknown:
                    // Recorded already (the answer was lost, or the server restarted since): the same signed lines are in
                    // the roster. Every roster change is signed, so its signatures pin it.
                    if let events = try workspace.rosterChangeRecorded(size: size, signatures: signatures), events.allSatisfy({ $0.actor == signer }) {
                        return Response.json(ServiceWire.recorded(events, voided: []))
                    }
                    throw Problem.stale("no roster change \(DisplayText.escape(draft)) is waiting to be signed here (it expired, or the server restarted)")
                }
                defer { self.pending.finish(draft) }
                let events: [Event]
                do {
                    events = try workspace.commitRosterChange(prepared, signatures: signatures, clock: .system)
                } catch PreparedCommandFailure.stale {
                    throw Problem.stale("the roster changed since this was prepared")
                } catch let failure as PreparedCommandFailure {
                    throw Problem(status: .unprocessableContent, kind: "bad-signature", title: "Signature refused", detail: failure.description,
                                  exitCode: ExitStatus.badInput.rawValue)
                } catch let error as EngineError {
                    throw Self.problem(error, id: nil, workspace: workspace)
                }
                ServerMetrics.appends.increment(by: events.count)
                let answer = Array(ServiceWire.recorded(events, voided: []).rendered(pretty: false).utf8)
                if let idempotency { self.pending.remember(answer: answer, status: 201, for: idempotency, now: now) }
                return Response.json(bytes: answer, status: .created)
            }
        }
    }
}
