import Foundation
import HRIAKit
import HRIAServer

// The writing commands through a server (HRIA_SERVER): each prints, and exits, as it does on the workspace.

extension NewCommand {
    func run(through server: ServerClient) throws {
        try checkWorkflowFile()
        let parsed = try facts.map { fact throws(HRIAError) in try nameValue(fact, what: "fact") }
        let (event, warnings) = try server.create(id, ServiceWire.Creation(workflow: workflow, partner: partner, title: title, facts: parsed))
        guard case .assessmentCreated(let created) = event.payload else { return }
        Self.started(id, workflow: created.workflow, stage: event.stage)
        Self.warnTeam(id, workflow: created.workflow.id, given: workflow, messages: warnings)
    }

    /// A workflow given as a file (a path, or a name that is a file here, as `hria new` reads it on a workspace) is
    /// checked here as it would be there, so a file with errors is refused with the same words and exit code; a clean
    /// one is refused too, since the server starts assessments only on its own workflows.
    private func checkWorkflowFile() throws(HRIAError) {
        let looksLikePath = workflow.contains("/") || workflow.hasSuffix(".yaml") || workflow.hasSuffix(".yml")
        guard looksLikePath || FileManager.default.fileExists(atPath: global.absolute(workflow)) else { return }
        let (path, displayName) = try WorkflowSource.resolve(workflow, workspace: nil, currentDirectory: global.currentDirectory)
        let bytes = try WorkflowSource.readBytes(path, displayName: displayName)
        guard WorkflowLoader.load(bytes: bytes, fileName: displayName).workflow != nil else {
            throw HRIAError(.refused, "workflow \(displayName) has errors; fix them first", help: "hria workflow lint \(displayName)")
        }
        throw Workspace.workflowFileThroughServer(option: "--workflow")
    }

    static func started(_ id: String, workflow: WorkflowPin, stage: String) {
        print("started \(id): \(workflow.id) version \(workflow.version) (sha256 \(workflow.sha256.prefix(12))…), at stage \(stage)")
        print("next: hria status \(id)")
    }

    /// What the people of the workspace cannot do at the stages of the new assessment's workflow: said now, not when
    /// the assessment reaches the stage nobody there can run.
    /// `given` is the workflow as the command was given it (a name of the workspace's, or a file): what `hria
    /// workflow lint` checks the same way, whether the assessments are kept in files, in a database or by a server.
    static func warnTeam(_ id: String, workflow: String, given: String, messages: [String]) {
        guard let first = messages.first else { return }
        let word = given.allSatisfy { $0.isLetter || $0.isNumber || "-_./".contains($0) } ? given : "'" + given.replacingOccurrences(of: "'", with: "'\\''") + "'"
        Output.standardError("hria: warning: the people of this workspace cannot run every stage of \(workflow): "
                             + DisplayText.escape(first)
                             + (messages.count > 1 ? " (and \(messages.count - 1) more)" : "") + "\n"
                             + "  help: hria workflow lint --workspace . \(DisplayText.escape(word)) lists them with who holds what\n")
    }
}

extension EvidenceCommand.Add {
    func run(through server: ServerClient) throws {
        let publicFields = try fields.map { f throws(HRIAError) in try nameValue(f, what: "field") }
        // A bare NAME is asked for only when it is a confidential field of the requirement's evidence type, in the
        // workflow the assessment follows: read from the server only then (the words themselves are never sent), as on
        // a workspace, and taken as one when it cannot be read, as on a workspace whose assessment cannot be.
        let bare = confidential.contains { !$0.contains("=") && Workflow.isName($0) }
        let names = bare ? server.confidentialFieldNames(id, requirement: requirement) : nil
        var secretFields = try ConfidentialInput.values(confidential, fieldNames: names)
        for path in confidentialFiles { secretFields += try ConfidentialInput.file(global.absolute(path), displayName: path) }
        let attached = try file.map { path throws(HRIAError) in
            try Workspace.readEvidenceFile(path: path, displayName: path, currentDirectory: FileManager.default.currentDirectoryPath)
        }
        let command = Command.addEvidence(requirement: requirement, fields: publicFields, confidential: secretFields, file: attached?.file)
        let (events, voided) = if let attached {
            try server.performUpload(id, command, file: attached.content, allowVoiding: voidSignoffs)
        } else {
            try server.perform(id, command, allowVoiding: voidSignoffs)
        }
        Self.report(events, voided: voided, requirement: requirement, file: attached?.file, secrets: secretFields.count)
    }

    static func report(_ events: [Event], voided: [String], requirement: String, file: EvidenceFile?, secrets: Int) {
        defer { Output.voided(voided) }
        Output.recorded(events) { event in
            var line = "recorded #\(event.seq): evidence \(requirement)"
            if let file { line += ", file sha256 \(file.sha256.prefix(12))…" }
            if secrets > 0 { line += ", \(secrets) confidential value\(secrets == 1 ? "" : "s") kept in private/" }
            return line
        }
    }
}

extension EvidenceCommand.Update {
    func run(through server: ServerClient, item seq: Int) throws {
        let changed = try fields.map { f throws(HRIAError) in try nameValue(f, what: "field") }
        let attached = try file.map { path throws(HRIAError) in
            try Workspace.readEvidenceFile(path: path, displayName: path, currentDirectory: FileManager.default.currentDirectoryPath)
        }
        let command = Command.updateEvidence(item: seq, fields: changed, file: attached?.file, note: note)
        let (events, voided) = if let attached {
            try server.performUpload(id, command, file: attached.content, allowVoiding: voidSignoffs)
        } else {
            try server.perform(id, command, allowVoiding: voidSignoffs)
        }
        Self.report(events, voided: voided, item: seq, changed: changed, file: attached?.file)
    }

    static func report(_ events: [Event], voided: [String], item seq: Int, changed: [(name: String, value: String)], file: EvidenceFile?) {
        defer { Output.voided(voided) }
        Output.recorded(events) { event in
            var line = "recorded #\(event.seq): evidence #\(seq) updated, " + changed.map { "\($0.name) = \($0.value)" }.joined(separator: ", ")
            if let file { line += ", file sha256 \(file.sha256.prefix(12))…" }
            return line
        }
    }
}

extension MigrateCommand {
    func run(through server: ServerClient) throws {
        let (events, answer) = try server.migrate(id, ServiceWire.Migration(to: to, stages: try stages(), reason: reason, dryRun: dryRun))
        Output.recorded(events.filter { $0.type == .recoveryTruncated }) { _ in "" }
        // Made by the server with the same report as on a workspace, said of what was recorded.
        if json {
            print(answer.json)
        } else {
            print(answer.text, terminator: "")
        }
    }
}

extension PeopleCommand {
    /// A roster change through the server, printed as on the workspace: each event recorded, then (for add and grant,
    /// `notes`) a note for each role no workflow of the workspace declares.
    static func change(_ change: ServiceWire.RosterChange, through server: ServerClient, notes: Bool) throws {
        let (events, undeclared) = try server.changeRoster(change)
        recorded(events)
        if notes { note(undeclared: undeclared) }
    }
}
