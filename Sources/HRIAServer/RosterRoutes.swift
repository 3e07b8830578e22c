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
                    prepared = try workspace.prepareRosterChange(actor: signer, clock: ServerClock.recording) { roster in
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
                let draft = try self.keep(.roster(prepared), in: workspace)
                // Every roster change is signed, whatever the roster says of acts in assessments.
                return Response.json(ServiceWire.Prepared(draft: draft, size: prepared.size, lines: prepared.unsignedLines, signaturesRequired: true,
                                                          voided: [], undeclaredRoles: prepared.undeclaredRoles).json)
            }
        }

        roster.post("commit") { request, context in
            try await self.commitDraft(request, context, self.rosterFlow())
        }
    }

    /// How a change of the roster is committed: by the API's commit route and the web pages' alike.
    func rosterFlow() -> CommitFlow<PreparedRosterChange> {
        CommitFlow<PreparedRosterChange>(
            what: "change", scope: PendingDraft.rosterScope,
            ready: { found, _, _ in
                guard case .readyRoster(let change) = found else { return nil }
                return change
            },
            otherKind: { draft in
                Problem.badInput("draft \(DisplayText.escape(draft)) is not a change of the roster",
                                 help: "a command on an assessment is committed with POST /api/v1/assessments/ID/commit")
            },
            recorded: { workspace, size, signatures in
                // The same signed lines are in the roster. Every roster change is signed, so its signatures pin it.
                try workspace.rosterChangeRecorded(size: size, signatures: signatures)
            },
            commit: { workspace, prepared, signatures in
                (try workspace.commitRosterChange(prepared, signatures: signatures, clock: ServerClock.recording), [])
            },
            stale: "the roster changed since this was prepared", assessment: nil)
    }
}
