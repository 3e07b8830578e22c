import ArgumentParser
import Foundation
import HRIAKit
import HRIAServer

struct WorkflowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workflow",
        abstract: "Check, describe and draw workflow definitions.",
        subcommands: [Lint.self, Show.self, Graph.self, Diff.self]
    )
}

extension WorkflowCommand {
    enum LintFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lint",
            abstract: "Check workflow files and report every problem with its line and column.",
            discussion: """
            With --workspace DIR, each workflow is also checked against that workspace's people (rule team): every \
            stage owner role held by someone, every quorum reachable by people who may sign. \
            Exit status: 0 no errors, 1 problems found, 2 a file could not be read.
            """
        )

        @Argument(help: ArgumentHelp("Workflow files, or names of the workspace's workflows, to check.", valueName: "NAME|FILE"),
                  completion: Completions.workflows)
        var files: [String]

        @Option(help: "Output format: text or json.")
        var format: LintFormat = .text

        @Flag(help: "Treat warnings as problems too.")
        var strict = false

        @OptionGroup var global: ReadOptions

        func validate() throws {
            if files.isEmpty { throw ValidationError("give at least one workflow file") }
        }

        func run() throws {
            if files.allSatisfy({ WorkflowCommand.remoteName($0, global: global) }),
               let server = try global.server() {
                return try run(through: server)
            }
            var all: [Diagnostic] = []
            var sources: [String: SourceText] = [:]
            var unreadable = false
            // Given a workspace, each workflow is also checked against its people: can this team run it?
            let team = try global.workspace.map { _ throws(HRIAError) in try global.openWorkspace().team() }
            let root = try global.workspaceRoot()
            for argument in files {
                let bytes: [UInt8]
                let file: String
                do {
                    // A name (partnership-hria) is the workspace's workflows/NAME.yaml, as show and graph take it.
                    let (path, displayName) = try WorkflowSource.resolve(argument, workspace: root, currentDirectory: global.currentDirectory)
                    file = displayName
                    bytes = try WorkflowSource.readBytes(path, displayName: displayName)
                } catch {
                    Output.error(error)
                    unreadable = true
                    continue
                }
                let result = WorkflowLoader.load(bytes: bytes, fileName: file)
                sources[file] = result.source
                all += result.diagnostics
                if let team, let workflow = result.workflow {
                    all += TeamCheck.diagnostics(workflow, file: file, people: team)
                }
            }
            switch format {
            case .json:
                print(DiagnosticRenderer.json(all))
            case .text:
                for diagnostic in all { print(DiagnosticRenderer.text(diagnostic, source: sources[diagnostic.file]), terminator: "") }
                if all.isEmpty {
                    let checked = files.count - (unreadable ? files.count - sources.count : 0)
                    if checked > 0 { print("no problems in \(checked) workflow \(checked == 1 ? "file" : "files")") }
                } else {
                    print(DiagnosticRenderer.summary(all))
                }
            }
            if unreadable { throw ExitCode(ExitStatus.badInput.rawValue) }
            if all.hasErrors || (strict && all.warningCount > 0) { throw ExitCode(ExitStatus.refused.rawValue) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Describe a workflow in plain words: stages, requirements, sign-offs and transitions."
        )

        @Argument(help: ArgumentHelp("A workflow name from the workspace's workflows/ folder, or a file.", valueName: "NAME|FILE"),
                  completion: Completions.workflows)
        var workflow: String

        @OptionGroup var global: ReadOptions

        func run() throws {
            if WorkflowCommand.remoteName(workflow, global: global), let server = try global.server() {
                return try run(through: server)
            }
            let loaded = try LoadedWorkflowFile.load(workflow, global: global)
            print(WorkflowDescription.render(loaded.workflow, file: loaded.displayName, sha256: loaded.sha256), terminator: "")
        }
    }

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "diff",
            abstract: "What changed between two workflows, in plain words (exit 0 when they are the same, 1 when they differ).",
            discussion: "With --assessment ID, the first is the workflow the assessment is pinned to and the second, unless given, "
                + "the workspace's current copy of that workflow.")
        @Argument(help: ArgumentHelp("Workflow names from the workspace's workflows/ folder, or files: the old, then the new.",
                                     valueName: "A B"), completion: Completions.workflows)
        var workflows: [String] = []
        @Option(help: ArgumentHelp("Compare the workflow this assessment is pinned to.", valueName: "ID"), completion: Completions.assessments)
        var assessment: String?
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var global: ReadOptions

        func validate() throws {
            let wanted = assessment == nil ? 2 : 1
            if workflows.count > wanted || (assessment == nil && workflows.count != 2) {
                throw ValidationError(assessment == nil ? "give two workflows, the old and the new" : "give at most one workflow with --assessment")
            }
        }

        func run() throws {
            if WorkflowCommand.throughServer(global), workflows.allSatisfy({ WorkflowCommand.remoteName($0, global: global) }),
               let server = try ServerClient.fromEnvironment(actor: global.actor) {
                return try run(through: server)
            }
            let old: (workflow: Workflow, name: String), new: (workflow: Workflow, name: String)
            if let assessment {
                let workspace = try global.openWorkspace()
                let pinned = try workspace.load(assessment)
                old = (pinned.workflow, "\(assessment)'s \(pinned.workflow.id) version \(pinned.workflow.version)")
                if let file = workflows.first {
                    let loaded = try LoadedWorkflowFile.load(file, global: global)
                    new = (loaded.workflow, loaded.displayName)
                } else {
                    guard let current = workspace.currentWorkflow(pinned.workflow.id) else {
                        throw WorkflowDiff.noCurrentCopy(of: pinned.workflow.id, assessment: assessment)
                    }
                    new = (current.workflow, "workflows/\(pinned.workflow.id).yaml (version \(current.workflow.version))")
                }
            } else {
                let a = try LoadedWorkflowFile.load(workflows[0], global: global), b = try LoadedWorkflowFile.load(workflows[1], global: global)
                old = (a.workflow, a.displayName)
                new = (b.workflow, b.displayName)
            }
            let changes = WorkflowDiff.compare(old.workflow, new.workflow)
            if json {
                print(WorkflowDiff.json(changes, from: old.name, to: new.name).rendered(pretty: true))
            } else {
                print(WorkflowDiff.text(changes, from: old.name, to: new.name), terminator: "")
            }
            if !changes.isEmpty { throw ExitCode(1) }
        }
    }

    struct Graph: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "graph",
            abstract: "Draw a workflow's stages and transitions as Mermaid, Graphviz DOT, or SVG drawn by hria itself."
        )

        @Argument(help: ArgumentHelp("A workflow name from the workspace's workflows/ folder, or a file.", valueName: "NAME|FILE"),
                  completion: Completions.workflows)
        var workflow: String

        @Option(help: "mermaid, dot, or svg (needs no Graphviz).")
        var format: DiagramFormat = .mermaid

        @Option(help: ArgumentHelp("Write the drawing to this file instead of standard output.", valueName: "FILE"))
        var output: String?

        @OptionGroup var global: ReadOptions

        func run() throws {
            if WorkflowCommand.remoteName(workflow, global: global), let server = try global.server() {
                return try run(through: server)
            }
            let loaded = try LoadedWorkflowFile.load(workflow, global: global)
            let drawing = WorkflowDiagram.render(loaded.workflow, format: format.value)
            if let output {
                try OutputFile.write(Array(drawing.utf8), to: global.absolute(output), displayName: output)
                print("wrote the \(format.rawValue) drawing of \(loaded.workflow.id) to \(output)")
            } else {
                print(drawing, terminator: "")
            }
        }
    }
}

enum DiagramFormat: String, ExpressibleByArgument, CaseIterable {
    case mermaid, dot, svg
    var value: WorkflowDiagram.Format {
        switch self {
        case .mermaid: .mermaid
        case .dot: .dot
        case .svg: .svg
        }
    }
}

/// A workflow resolved from `NAME|FILE`, loaded and checked; problems are printed and refuse the command.
struct LoadedWorkflowFile {
    var workflow: Workflow
    var displayName: String
    var sha256: String

    static func load(_ argument: String, global: some CommandContext) throws -> LoadedWorkflowFile {
        let workspace = try global.workspaceRoot()
        let (path, displayName) = try WorkflowSource.resolve(argument, workspace: workspace, currentDirectory: global.currentDirectory)
        let bytes = try WorkflowSource.readBytes(path, displayName: displayName)
        let result = WorkflowLoader.load(bytes: bytes, fileName: displayName)
        guard let workflow = result.workflow else {
            for diagnostic in result.diagnostics where diagnostic.severity == .error {
                Output.standardError(DiagnosticRenderer.text(diagnostic, source: result.source))
            }
            Output.standardError(DiagnosticRenderer.summary(result.diagnostics) + "\n")
            throw WorkflowSource.hasErrors(displayName)
        }
        return LoadedWorkflowFile(workflow: workflow, displayName: displayName, sha256: Digest.sha256Hex(bytes))
    }
}
