import ArgumentParser
import Foundation
import HRIAKit
import HRIAServer

// The reading commands through a server (HRIA_SERVER): each prints what it prints on the workspace, from what the
// server's read route made with the same HRIAKit calls. What the command writes as is (a checkpoint, a proof, CSV,
// a file given with --output) is written as the server sent it; what it prints through `print` is printed so too,
// which shows any control character in it as an escape.

/// Prints bytes a read route sent as the command prints its own text.
private func printBody(_ bytes: [UInt8]) {
    print(String(decoding: bytes, as: UTF8.self), terminator: "")
}

/// Writes bytes a read route sent to standard output as they are, as the command writes the same bytes.
private func writeBody(_ bytes: [UInt8]) {
    FileHandle.standardOutput.write(Data(bytes))
}

extension LogCommand {
    func run(through server: ServerClient, id: String, format: LogFormat) throws {
        var parameters: [(String, String)] = [("format", format.rawValue)]
        parameters += actors.map { ("actor", $0) } + stages.map { ("stage", $0) } + types.map { ("type", $0) }
        if let since { parameters.append(("since", since)) }
        if let until { parameters.append(("until", until)) }
        let body = try server.read(assessment: id, "log", parameters)
        if format == .csv { writeBody(body) } else { printBody(body) }
    }
}

extension ListCommand {
    func run(through server: ServerClient) throws {
        var parameters: [(String, String)] = [("format", json ? "json" : "text"), ("sort", sort.rawValue)]
        if let stage { parameters.append(("stage", stage)) }
        if let tier { parameters.append(("tier", tier)) }
        if let outcome { parameters.append(("outcome", outcome)) }
        if overdue { parameters.append(("overdue", "true")) }
        let (output, leftOut) = try server.list(parameters)
        printBody(output)
        try Self.leaveOut(leftOut)
    }
}

extension ReportCommand {
    func run(through server: ServerClient) throws {
        let body: [UInt8]
        if portfolio {
            body = try server.portfolio(format: format.rawValue)
        } else if let id {
            body = try server.read(assessment: id, "report", [("format", format.rawValue), ("public", `public` ? "true" : "false")])
        } else {
            return
        }
        if let output {
            // As on the workspace: a report with confidential values is readable by its writer alone; the portfolio holds none.
            try OutputFile.write(body, to: global.absolute(output), displayName: output, permissions: `public` || portfolio ? 0o644 : 0o600)
            print("wrote \(output)")
        } else {
            printBody(body)
        }
    }
}

extension CheckpointCommand {
    func run(through server: ServerClient) throws {
        writeBody(try id.map { try server.read(assessment: $0, "checkpoint") } ?? server.rosterCheckpoint())
    }
}

extension ProveCommand {
    func run(through server: ServerClient) throws {
        let answer = try server.proof(id, seq: seq)
        if let output {
            try OutputFile.write(answer.proof, to: global.absolute(output), displayName: output)
            print("wrote the proof of event \(seq) to \(output); check it with: hria verify --proof \(output) --key \"\(answer.logKey)\"")
        } else {
            writeBody(answer.proof)
        }
    }
}

extension ExportCommand {
    func run(through server: ServerClient) throws {
        let (files, logKey, notes) = try server.export(id, to: global.absolute(`public`))
        for note in notes { Output.standardError("hria: note: \(DisplayText.escape(note))\n") }
        print("wrote a public bundle of \(id) to \(`public`) (\(files) files, nothing from private/)")
        print("check it anywhere with: hria verify --bundle \(`public`) --key \"\(logKey)\"")
    }
}

extension PeopleCommand.List {
    func run(through server: ServerClient) throws {
        printBody(try server.roster(json: json))
    }
}

extension PeopleCommand.Show {
    func run(through server: ServerClient) throws {
        printBody(try server.person(id))
    }
}

extension PeopleCommand.AllowedSignersCommand {
    func run(through server: ServerClient) throws {
        printBody(try server.allowedSigners())
    }
}

extension DisclosuresCommand {
    /// Through a server, only someone who could erase the values (a role of the assessment's workflow) may list them;
    /// anyone else is refused as an erasure would be, exit 1.
    func run(through server: ServerClient) throws {
        printBody(try server.read(assessment: id, "disclosures", [("format", json ? "json" : "text")]))
    }
}

extension SignoffCommand {
    func run(through server: ServerClient) throws {
        let outcome = try server.performReporting(id, .signoff(approve: approve, comment: comment))
        Output.recorded(outcome.events) { "recorded #\($0.seq): \(server.person) \(approve ? "approved" : "rejected") \($0.stage)" }
        Self.noteRepeated(outcome.alreadyApproved, events: outcome.events, person: server.person)
    }

    /// Says that an approval which already stood was given again: it counts once.
    static func noteRepeated(_ already: Bool, events: [Event], person: String) {
        if already, events.contains(where: { $0.type == .signoffRecorded }) {
            print("\(person) had already approved this visit of the stage: the approval counts once")
        }
    }
}

extension StatusCommand {
    func run(through server: ServerClient, id: String) throws {
        let answer = try server.status(id, json: json)
        Output.tornTailNote(answer.tornTail)
        Self.warn(answer.warnings.map { ($0.message, $0.help) })
        print(answer.output, terminator: "")
    }

    /// What the people of the workspace cannot do at the current stage.
    static func warn(_ problems: [(message: String, help: String?)]) {
        for problem in problems {
            Output.standardError("hria: warning: \(DisplayText.escape(problem.message))\n" + (problem.help.map { "  help: \(DisplayText.escape($0))\n" } ?? ""))
        }
    }
}

// MARK: Workflows

extension WorkflowCommand {
    /// Whether `argument` names one of the server's workflows: only through a server, without --workspace, and when
    /// it is a name rather than a path or a file here. A file on this machine is read here, as always.
    static func remoteName(_ argument: String, global: ReadOptions) -> Bool {
        guard throughServer(global) else { return false }
        let looksLikePath = argument.contains("/") || argument.hasSuffix(".yaml") || argument.hasSuffix(".yml")
        return !looksLikePath && !FileManager.default.fileExists(atPath: global.absolute(argument))
    }

    /// Whether the workflow commands ask the server: HRIA_SERVER is set, and no --workspace names one here.
    static func throughServer(_ global: ReadOptions) -> Bool {
        global.workspace == nil && ProcessInfo.processInfo.environment["HRIA_SERVER"].map { !$0.isEmpty } == true
    }

    /// Runs `body`; a workflow the server refused for its errors prints them first, as the command does here.
    static func printingErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let refused as RemoteWorkflowErrors {
            Output.standardError(refused.diagnostics)
            throw refused.error
        }
    }
}

extension WorkflowCommand.Show {
    func run(through server: ServerClient) throws {
        printBody(try WorkflowCommand.printingErrors { try server.workflowDescription(workflow) })
    }
}

extension WorkflowCommand.Graph {
    func run(through server: ServerClient) throws {
        let (drawing, id) = try WorkflowCommand.printingErrors { try server.workflowDrawing(workflow, format: format.rawValue, needID: output != nil) }
        if let output {
            try OutputFile.write(drawing, to: global.absolute(output), displayName: output)
            print("wrote the \(format.rawValue) drawing of \(id) to \(output)")
        } else {
            printBody(drawing)
        }
    }
}

extension WorkflowCommand.Diff {
    /// Two of the workspace's workflows, or an assessment's pinned one and the workspace's (or a named) current
    /// copy, compared by the server; printed as the command prints them, exit 1 when they differ.
    func run(through server: ServerClient) throws {
        let (json, answer) = try WorkflowCommand.printingErrors {
            try server.workflowDiff(from: assessment == nil ? workflows.first : nil, assessment: assessment,
                                    to: assessment == nil ? workflows.dropFirst().first : workflows.first)
        }
        if self.json {
            printBody(json)
        } else {
            print(WorkflowDiff.text(answer.changes, from: answer.from, to: answer.to), terminator: "")
        }
        if !answer.changes.isEmpty { throw ExitCode(1) }
    }
}

extension WorkflowCommand.Lint {
    /// One of the workspace's workflows checked through the server, as `hria workflow lint NAME` checks it there (the
    /// file alone: the team is checked with --workspace, which reads a workspace here).
    func run(through server: ServerClient) throws {
        guard files.count == 1, let name = files.first else {
            throw HRIAError.badInput("through a server, hria workflow lint checks one of the workspace's workflows at a time",
                                     help: "give one name, or run it once for each; files on this machine are checked here")
        }
        let result: (output: [UInt8], errors: Int, warnings: Int)
        do {
            result = try server.workflowLint(name, format: format.rawValue)
        } catch let error as HRIAError where error.status == .badInput {
            // A workflow that is not there, as a file that cannot be read: said, and the exit status is 2.
            Output.error(error)
            if format == .json { print(DiagnosticRenderer.json([])) }
            throw ExitCode(ExitStatus.badInput.rawValue)
        }
        printBody(result.output)
        if result.errors > 0 || (strict && result.warnings > 0) { throw ExitCode(ExitStatus.refused.rawValue) }
    }
}
