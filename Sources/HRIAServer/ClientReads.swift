import Foundation
import HRIAKit

/// The reading commands through a server (`HRIA_SERVER`): each asks the read route that makes what the command
/// prints on a workspace, with the same HRIAKit calls, and hands back the bytes for the command to print or write
/// as it does locally. A failure is the error the command gives on a workspace: same words, same exit code.
extension ServerClient {
    /// A signed GET of a read route about assessment `id`, its query made of `parameters` (repeatable, in order).
    /// An id no assessment can have is refused here, as on a workspace, and never put in a path.
    public func read(assessment id: String, _ route: String = "", _ parameters: [(String, String)] = []) throws -> [UInt8] {
        guard AssessmentID.isValid(id) else { throw Workspace.invalidAssessmentID(id) }
        let reply = try send("GET", "/api/v1/assessments/\(id)" + (route.isEmpty ? "" : "/" + route), query: Self.query(parameters))
        guard reply.status == 200 else { throw assessmentFailure(reply, id: id) }
        return reply.body
    }

    /// Where an assessment stands, as `hria status` prints it (or its JSON), with the warnings and note it prints.
    public func status(_ id: String, json: Bool) throws -> ServiceWire.StatusAnswer {
        let body = try read(assessment: id, "", [("notes", "true")] + (json ? [] : [("format", "text")]))
        guard let value = try? JSONParser.parse(body) else { throw HRIAError(.internalError, "the server's status answer is not JSON") }
        return try ServiceWire.StatusAnswer(value)
    }

    /// The confidential fields of the evidence type `requirement` asks for in the workflow assessment `id` follows,
    /// from its status (`Workflow.confidentialFieldNames`): what tells a field name given to `--confidential` from a
    /// value typed without its name. Nil when the assessment, the requirement or the answer cannot be read, as on a
    /// workspace then. Only the id is sent, never the words being checked.
    public func confidentialFieldNames(_ id: String, requirement: String) -> Set<String>? {
        guard AssessmentID.isValid(id), let reply = try? send("GET", "/api/v1/assessments/\(id)", query: Self.query([("notes", "true")])),
              reply.status == 200, let value = reply.json, let answer = try? ServiceWire.StatusAnswer(value) else { return nil }
        return answer.confidentialFields?[requirement]
    }

    /// `hria prove ID SEQ`: the proof file and the log key to check it with.
    public func proof(_ id: String, seq: Int) throws -> ServiceWire.ProofAnswer {
        let body = try read(assessment: id, "prove", [("seq", String(seq)), ("format", "json")])
        guard let value = try? JSONParser.parse(body) else { throw HRIAError(.internalError, "the server's proof answer is not JSON") }
        return try ServiceWire.ProofAnswer(value)
    }

    /// `hria checkpoint --roster`: the roster's latest checkpoint, from the tlog-tiles read path, which serves it
    /// only for a roster that verifies (as the command prints it only then).
    public func rosterCheckpoint() throws -> [UInt8] {
        let reply = try Self.fetchPublic(base: base, "/logs/_roster/checkpoint")
        guard reply.status == 200 else { throw failure(reply) }
        return reply.body
    }

    /// `hria people list [--json]`: the roster as the command prints it.
    public func roster(json: Bool) throws -> [UInt8] {
        let reply = try send("GET", "/api/v1/roster", query: Self.query([("format", json ? "json" : "text")]))
        guard reply.status == 200 else { throw failure(reply) }
        return reply.body
    }

    /// `hria export ID --public DIR`: the public bundle the server builds, as one archive, unpacked into
    /// `destination` (absolute) as the command writes it; the files written, the log key its bundle.json names, and
    /// the notes the command gives of the entry bundles it leaves out, worked out here from the bundle's own logs.
    /// The archive is read as hostile input (TarReader) in a scratch folder beside the destination, and only the
    /// assessment's folder of it is moved into place, once whole: nothing is left half written.
    public func export(_ id: String, to destination: String) throws -> (files: Int, logKey: String, notes: [String]) {
        let archive = try read(assessment: id, "bundle")
        // Checked after the download, as the command checks it after reading the assessment: the same error comes first.
        if FileManager.default.fileExists(atPath: destination) {
            // A file, or a folder that cannot be listed, counts as not empty.
            let contents = (try? FileManager.default.contentsOfDirectory(atPath: destination)) ?? ["?"]
            guard contents.isEmpty else { throw PublicBundle.destinationNotEmpty(destination) }
        }
        let parent = (destination as NSString).deletingLastPathComponent
        let scratch = Paths.join(parent, ".hria-export-\(UUID().uuidString)")
        do {
            // The destination may be several levels new: made as mkdir -p would, as the command makes it.
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            throw HRIAError(.internalError, "could not write the bundle: \(error)")
        }
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let entries: [(path: String, bytes: [UInt8])]
        do {
            entries = try TarReader.entries(archive)
            try TarReader.extract(archive, into: scratch)
        } catch {
            throw HRIAError(.integrity, "the server's bundle of \(id) is not a bundle hria can read: \(error.description)",
                            help: "nothing of it was written; run hria export on the workspace, or ask its administrator")
        }
        let folder = Paths.join(scratch, id)
        guard FileManager.default.fileExists(atPath: Paths.join(folder, PublicBundle.manifestName)) else {
            throw HRIAError(.integrity, "the server's bundle of \(id) has no \(id)/\(PublicBundle.manifestName)",
                            help: "nothing of it was written; run hria export on the workspace, or ask its administrator")
        }
        let manifest: PublicBundle.Manifest
        do {
            manifest = try PublicBundle.manifest(at: folder)
        } catch {
            throw HRIAError(.integrity, "the server's bundle of \(id) has a \(PublicBundle.manifestName) hria cannot read: \(error.message)",
                            help: "nothing of it was written")
        }
        guard manifest.id == id else {
            throw HRIAError(.integrity, "the server's bundle of \(id) is a bundle of \(manifest.id)", help: "nothing of it was written")
        }
        // From the files in the scratch folder, which only this process writes to, before they are handed over.
        let notes = PublicBundle.leftOutNotes(inBundle: folder, manifest: manifest)
        do {
            // An empty folder given as the destination is replaced by the bundle's.
            if FileManager.default.fileExists(atPath: destination) { try FileManager.default.removeItem(atPath: destination) }
            try FileManager.default.moveItem(atPath: folder, toPath: destination)
        } catch {
            throw HRIAError(.internalError, "could not write the bundle to \(destination): \(error)")
        }
        let prefix = id + "/"
        return (entries.filter { $0.path.hasPrefix(prefix) && !$0.path.hasSuffix("/") }.count, manifest.logKey, notes)
    }

    /// What `hria list` prints, made by the server with the filters and order in `parameters`, and the assessments it
    /// left out because they do not verify (the command names them and fails).
    public func list(_ parameters: [(String, String)]) throws -> (output: [UInt8], leftOut: [(id: String, problem: String)]) {
        let reply = try send("GET", "/api/v1/assessments", query: Self.query(parameters))
        guard reply.status == 200 else { throw failure(reply) }
        guard let json = reply.json, let output = json["output"]?.stringValue, let leftOut = json["left_out"]?.arrayValue else {
            throw HRIAError(.internalError, "the server's list answer is not the list hria asks for")
        }
        var damaged: [(id: String, problem: String)] = []
        for item in leftOut {
            guard let id = item["id"]?.stringValue, let problem = item["problem"]?.stringValue else {
                throw HRIAError(.internalError, "the server's list answer names an assessment left out without saying why")
            }
            damaged.append((id, problem))
        }
        return (Array(output.utf8), damaged)
    }

    /// `hria report --portfolio --format md|html`: the portfolio, as the command makes it.
    public func portfolio(format: String) throws -> [UInt8] {
        let reply = try send("GET", "/api/v1/portfolio", query: Self.query([("format", format)]))
        guard reply.status == 200 else { throw failure(reply) }
        return reply.body
    }

    /// `hria people show ID`: the person, as the command prints them.
    public func person(_ id: String) throws -> [UInt8] {
        let reply = try send("GET", "/api/v1/roster/people/" + Self.pathSegment(id))
        guard reply.status == 200 else { throw failure(reply) }
        return reply.body
    }

    /// `hria people allowed-signers`: the people's keys as an OpenSSH allowed_signers file.
    public func allowedSigners() throws -> [UInt8] {
        let reply = try send("GET", "/api/v1/roster/allowed-signers")
        guard reply.status == 200 else { throw failure(reply) }
        return reply.body
    }

    // MARK: Workflows

    /// A signed GET of a workflow route about the workspace's workflow `name`.
    func workflowRead(_ name: String, _ route: String, _ parameters: [(String, String)]) throws -> Reply {
        try send("GET", "/api/v1/workflows/" + Self.pathSegment(name) + (route.isEmpty ? "" : "/" + route), query: Self.query(parameters))
    }

    /// `hria workflow show NAME`: the description, as the command prints it.
    public func workflowDescription(_ name: String) throws -> [UInt8] {
        let reply = try workflowRead(name, "", [])
        guard reply.status == 200 else { throw workflowFailure(reply) }
        return reply.body
    }

    /// `hria workflow graph NAME --format F`: the drawing, and the workflow's id (which `--output` names).
    public func workflowDrawing(_ name: String, format: String, needID: Bool) throws -> (drawing: [UInt8], id: String) {
        let reply = try workflowRead(name, "graph", [("format", format)])
        guard reply.status == 200 else { throw workflowFailure(reply) }
        guard needID else { return (reply.body, name) }
        let listed = try send("GET", "/api/v1/workflows")
        guard listed.status == 200 else { throw failure(listed) }
        guard let row = listed.json?["workflows"]?.arrayValue?.first(where: { $0["name"]?.stringValue == name }),
              let id = row["id"]?.stringValue else {
            throw HRIAError(.internalError, "the server drew \(DisplayText.escape(name)) but does not list it as a workflow that loads")
        }
        return (reply.body, id)
    }

    /// `hria workflow lint NAME` (the file alone, as in the workspace without `--workspace`): the output in `format`
    /// (text or json), and how many errors and warnings it found.
    public func workflowLint(_ name: String, format: String) throws -> (output: [UInt8], errors: Int, warnings: Int) {
        let counted = try workflowRead(name, "lint", [("format", "json"), ("team", "false")])
        guard counted.status == 200 else { throw failure(counted) }
        guard let items = counted.json?.arrayValue else { throw HRIAError(.internalError, "the server's lint answer is not a JSON array") }
        let severities = items.map { $0["severity"]?.stringValue }
        let counts = (errors: severities.filter { $0 == Severity.error.rawValue }.count,
                      warnings: severities.filter { $0 == Severity.warning.rawValue }.count)
        if format == "json" { return (counted.body, counts.errors, counts.warnings) }
        let text = try workflowRead(name, "lint", [("format", "text"), ("team", "false")])
        guard text.status == 200 else { throw failure(text) }
        return (text.body, counts.errors, counts.warnings)
    }

    /// `hria workflow diff A B` on two of the workspace's workflows, or `--assessment ID [B]` (`to` nil: the
    /// workspace's current copy of the assessment's workflow): what `--json` prints, and the changes it lists.
    public func workflowDiff(from name: String?, assessment: String?, to other: String?) throws -> (json: [UInt8], diff: WorkflowDiffAnswer) {
        let parameters = other.map { [("to", $0)] } ?? []
        let reply: Reply
        if let assessment {
            guard AssessmentID.isValid(assessment) else { throw Workspace.invalidAssessmentID(assessment) }
            reply = try send("GET", "/api/v1/assessments/\(assessment)/workflow-diff", query: Self.query(parameters))
            guard reply.status == 200 else { throw workflowFailure(reply, assessment: assessment) }
        } else {
            reply = try workflowRead(name ?? "", "diff", parameters)
            guard reply.status == 200 else { throw workflowFailure(reply) }
        }
        guard let json = reply.json, let from = json["from"]?.stringValue, let to = json["to"]?.stringValue,
              let same = json["same"]?.boolValue, let listed = json["changes"]?.arrayValue else {
            throw HRIAError(.internalError, "the server's diff answer is not the diff hria asks for")
        }
        var changes: [WorkflowDiff.Change] = []
        for item in listed {
            guard let change = WorkflowDiff.Change(json: item) else { throw HRIAError(.internalError, "the server's diff answer lists a change hria cannot read") }
            changes.append(change)
        }
        guard same == changes.isEmpty else { throw HRIAError(.internalError, "the server's diff answer says the workflows are the same and lists changes") }
        return (reply.body, WorkflowDiffAnswer(from: from, to: to, changes: changes))
    }

    /// A failure of a workflow route, as the command line reports it: a workflow with errors is refused after its
    /// errors are printed, which the server hands over with its refusal (`diagnostics`). The refusal's help names
    /// the lint route, for HTTP clients; the command's message names the command already.
    func workflowFailure(_ reply: Reply, assessment: String? = nil) -> any Error {
        let error = assessment.map { assessmentFailure(reply, id: $0) } ?? failure(reply)
        if let diagnostics = reply.json?["diagnostics"]?.stringValue, let refusal = error as? HRIAError {
            return RemoteWorkflowErrors(diagnostics: diagnostics, error: HRIAError(refusal.status, refusal.message))
        }
        return error
    }

    // MARK: Failures and queries

    /// A failure of a route about assessment `id`: an assessment the server does not have is reported as the
    /// command reports it on a workspace, with the closest id it has. The ids are asked for only then, and only
    /// from this signed route, which answers people on the roster: the anonymous routes never suggest an id.
    func assessmentFailure(_ reply: Reply, id: String) -> any Error {
        guard reply.status == 404, reply.json?["type"]?.stringValue == "urn:hria:problem:not-found" else { return failure(reply) }
        var ids: [String] = []
        if let listed = try? send("GET", "/api/v1/assessments"), listed.status == 200, let json = listed.json {
            for key in ["assessments", "left_out"] { ids += (json[key]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue } }
        }
        return Workspace.unknownAssessment(id, among: ids)
    }

    /// `name=value&…`, every byte but the unreserved ones percent-encoded, so that the query the request is signed
    /// over is the one the server reads.
    static func query(_ parameters: [(String, String)]) -> String {
        parameters.map { pathSegment($0.0) + "=" + pathSegment($0.1) }.joined(separator: "&")
    }

    /// Text percent-encoded but for the unreserved characters of RFC 3986.
    static func pathSegment(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A") ... UInt8(ascii: "Z"), UInt8(ascii: "a") ... UInt8(ascii: "z"), UInt8(ascii: "0") ... UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.append(Character(UnicodeScalar(byte)))
            default:
                encoded += String(format: "%%%02X", byte)
            }
        }
        return encoded
    }
}

/// The server's `hria workflow diff`: the two workflows as the command names them, and what changed.
public struct WorkflowDiffAnswer: Sendable {
    public var from: String
    public var to: String
    public var changes: [WorkflowDiff.Change]
}

/// A workflow the server refused to describe or draw because it has errors: the errors, as the command prints them
/// on standard error before its message, and the message.
public struct RemoteWorkflowErrors: Error, Sendable {
    public var diagnostics: String
    public var error: HRIAError
}
