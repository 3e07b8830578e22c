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
    public func create(_ id: String, _ creation: ServiceWire.Creation) throws -> Event {
        // Said as hria new says it on a workspace; the id is never put in a request path unchecked.
        guard AssessmentID.isValid(id) else { throw Workspace.invalidNewAssessmentID(id) }
        let body = Array(creation.json.rendered(pretty: false).utf8)
        let events = try perform(id) { try send("POST", "/api/v1/assessments/\(id)/create", body: body) }.events
        guard let first = events.first, case .assessmentCreated = first.payload else {
            throw HRIAError(.internalError, "the server answered the creation of \(id) without its first event")
        }
        return first
    }
}
