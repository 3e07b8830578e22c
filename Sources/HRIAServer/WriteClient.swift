import Foundation
import HRIAKit

extension ServerClient {
    /// Evidence with its file through the server: the file is uploaded with the command (one line of JSON, a line
    /// feed, the file's bytes), so the request's signature covers the file too; the events are signed here, as for
    /// any command. Without a file, evidence goes through `perform` like the other commands.
    public func performUpload(_ id: String, _ command: Command, file: InputFile, allowVoiding: Bool) throws -> (events: [Event], voided: [String]) {
        guard command.namedFile != nil, let wire = ServiceWire.encode(command, allowVoiding: allowVoiding) else {
            throw HRIAError(.internalError, "only evidence with a file is uploaded")
        }
        let body = ServiceWire.upload(wire, file: file.bytes)
        let performed = try perform(id) {
            try send("POST", "/api/v1/assessments/\(id)/evidence/prepare", body: body, contentType: "application/octet-stream")
        }
        return (performed.events, performed.voided)
    }

    /// `hria new` through the server: the server decides the first event with one of its workflows, this machine
    /// signs it as the person, the server records it. The event recorded.
    /// `hria new` through the server: the assessment's first event, and what the people of the workspace cannot do
    /// at the stages of its workflow (the `team` rule's messages), which the command warns of as on a workspace.
    public func create(_ id: String, _ creation: ServiceWire.Creation) throws -> (event: Event, teamWarnings: [String]) {
        // Said as hria new says it on a workspace; the id is never put in a request path unchecked.
        guard AssessmentID.isValid(id) else { throw Workspace.invalidNewAssessmentID(id) }
        let body = Array(creation.json.rendered(pretty: false).utf8)
        let performed = try perform(id) { try send("POST", "/api/v1/assessments/\(id)/create", body: body) }
        guard let first = performed.events.first, case .assessmentCreated = first.payload else {
            throw HRIAError(.internalError, "the server answered the creation of \(id) without its first event")
        }
        return (first, performed.prepared.teamWarnings)
    }

    /// `hria migrate` through the server: the move is decided there, with one of its workflows (by name), as the
    /// command decides it on the workspace; this machine signs it as the person; the server records it. The events
    /// recorded (none for a dry run) and what the command prints of the move.
    public func migrate(_ id: String, _ migration: ServiceWire.Migration) throws -> (events: [Event], answer: ServiceWire.MigrationAnswer) {
        // Said as the workspace says it; the id is never put in a request path unchecked.
        guard AssessmentID.isValid(id) else { throw Workspace.invalidAssessmentID(id) }
        let body = Array(migration.json.rendered(pretty: false).utf8)
        let path = "/api/v1/assessments/\(id)/prepare"
        if migration.dryRun {
            // Nothing to sign: the answer is what would change.
            let reply = try send("POST", path, body: body)
            guard reply.status == 200, let answer = reply.json?["migration"] else { throw assessmentFailure(reply, id: id) }
            return ([], try ServiceWire.MigrationAnswer(answer))
        }
        let performed = try perform(id, failed: { assessmentFailure($0, id: id) }) { try send("POST", path, body: body) }
        guard let answer = performed.prepared.migration else {
            throw HRIAError(.internalError, "the server recorded the move of \(id) without saying what it changed", help: "hria status \(id) shows where it stands")
        }
        return (performed.events, answer)
    }

    /// A roster change (`hria people …`) through the server: decided there with the roster's rules, signed here by
    /// the person with the key the roster holds for them, checked and recorded there. The events recorded, and the
    /// roles the change names that no workflow of the workspace declares.
    public func changeRoster(_ change: ServiceWire.RosterChange) throws -> (events: [Event], undeclaredRoles: [String]) {
        let body = Array(change.json.rendered(pretty: false).utf8)
        let performed = try perform(committingTo: "/api/v1/roster/commit", subject: "the roster", check: "hria people list") {
            try send("POST", "/api/v1/roster/prepare", body: body)
        }
        return (performed.events, performed.prepared.undeclaredRoles)
    }
}
