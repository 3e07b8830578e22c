import Foundation
import HRIAKit
import Hummingbird

/// One of the workspace's workflows (`workflows/NAME.yaml`), read and loaded as `hria workflow show`, `graph` and
/// `lint` read a name.
struct WorkspaceWorkflowFile {
    var name: String
    /// As the command line names it: `workflows/NAME.yaml`.
    var displayName: String
    var bytes: [UInt8]
    var loaded: WorkflowLoadResult

    /// The names of the workflows in workflows/, sorted: what `hria workflow` takes as NAME there.
    static func names(in workspace: Workspace) -> [String] {
        workspace.fs.listDirectory(workspace.workflowsFolder).filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// The workflow called `name`. Only a name workflows/ lists is read, never a path a request makes up: the
    /// command line also takes files, which a server must not.
    static func read(_ name: String, in workspace: Workspace) throws -> WorkspaceWorkflowFile {
        let available = names(in: workspace)
        guard available.contains(name) else {
            // In the command line's words, so that its client prints what it prints on the workspace.
            let unknown = WorkflowSource.unknownWorkflow(DisplayText.escape(name), available: available)
            throw Problem.notFound(unknown.message, help: unknown.help)
        }
        let displayName = "workflows/\(name).yaml"
        let bytes = try WorkflowSource.readBytes(Paths.join(workspace.workflowsFolder, name + ".yaml"), displayName: displayName)
        return WorkspaceWorkflowFile(name: name, displayName: displayName, bytes: bytes,
                                     loaded: WorkflowLoader.load(bytes: bytes, fileName: displayName))
    }

    /// The workflow, when the file has no error; as `hria workflow show` and `graph` refuse one that has, so does
    /// this, with the errors as the command prints them before its message (`diagnostics`).
    func workflow() throws -> Workflow {
        guard let workflow = loaded.workflow else {
            var problem = Problem(status: .unprocessableContent, kind: "invalid-workflow", title: "The workflow has errors",
                                  detail: WorkflowSource.hasErrors(displayName).message,
                                  help: "GET /api/v1/workflows/\(name)/lint lists them", exitCode: ExitStatus.refused.rawValue)
            problem.diagnostics = loaded.diagnostics.filter { $0.severity == .error }.map { DiagnosticRenderer.text($0, source: loaded.source) }.joined()
                + DiagnosticRenderer.summary(loaded.diagnostics) + "\n"
            throw problem
        }
        return workflow
    }
}

extension HRIAServer {
    /// The signed workflow routes: the workspace's workflows listed, described, drawn and checked, as
    /// `hria workflow show`, `graph` and `lint --workspace` give them.
    func addWorkflowRoutes(to router: Router<HRIARequestContext>) {
        let workflows = router.group("api/v1/workflows").add(middleware: SignedRequests(server: self, nonces: nonces))

        workflows.get { request, context in
            _ = try ReadQuery(request, takes: [])
            return try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                var rows: [JSONValue] = []
                for name in WorkspaceWorkflowFile.names(in: workspace) {
                    let file: WorkspaceWorkflowFile
                    do {
                        file = try WorkspaceWorkflowFile.read(name, in: workspace)
                    } catch let error as HRIAError {
                        // One file that cannot be read (too large, unreadable) is named with why, and the others listed.
                        rows.append(.object(["name": .string(name), "file": .string("workflows/\(name).yaml"), "problem": .string(error.message)]))
                        continue
                    }
                    var row: [String: JSONValue] = [
                        "name": .string(name), "file": .string(file.displayName), "sha256": .string(Digest.sha256Hex(file.bytes)),
                        "errors": .int(file.loaded.diagnostics.errorCount), "warnings": .int(file.loaded.diagnostics.warningCount),
                    ]
                    // What a workflow says of itself only when it loads: a file with errors is named, and its count given.
                    if let workflow = file.loaded.workflow {
                        row["id"] = .string(workflow.id)
                        row["version"] = .int(workflow.version)
                        row["title"] = .string(workflow.title)
                    }
                    rows.append(.object(row))
                }
                return Response.json(.object(["workflows": .array(rows)]))
            }
        }

        workflows.get(":name") { request, context in
            let name = try context.decodedParameter("name")
            _ = try ReadQuery(request, takes: [])
            return try await self.blocking {
                let file = try WorkspaceWorkflowFile.read(name, in: try context.workspace ?? self.openWorkspace())
                return Response.document(WorkflowDescription.render(try file.workflow(), file: file.displayName, sha256: Digest.sha256Hex(file.bytes)),
                                         type: "text/plain; charset=utf-8")
            }
        }

        workflows.get(":name/graph") { request, context in
            let name = try context.decodedParameter("name")
            let query = try ReadQuery(request, takes: ["format"])
            // The command line's default, Mermaid; dot for Graphviz, svg drawn by hria itself.
            let format = try query.choice("format", among: WorkflowDiagram.Format.allCases.map(\.rawValue), fallback: "mermaid")
            guard let diagram = WorkflowDiagram.Format(rawValue: format) else { throw Problem.badInput("format \(format) is not known") }
            return try await self.blocking {
                let file = try WorkspaceWorkflowFile.read(name, in: try context.workspace ?? self.openWorkspace())
                let drawing = WorkflowDiagram.render(try file.workflow(), format: diagram)
                switch diagram {
                case .dot: return Response.document(drawing, type: "text/vnd.graphviz; charset=utf-8")
                case .svg: return Response.document(drawing, type: "image/svg+xml")
                case .mermaid: return Response.document(drawing, type: "text/plain; charset=utf-8")
                }
            }
        }

        workflows.get(":name/diff") { request, context in
            let name = try context.decodedParameter("name")
            let query = try ReadQuery(request, takes: ["to", "format"])
            let format = try query.choice("format", among: ["json", "text"], fallback: "json")
            guard let other = query.value("to") else {
                throw Problem.badInput("say which workflow to compare \(DisplayText.escape(name)) with: to=NAME", help: "GET /api/v1/workflows lists them")
            }
            return try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                // In the command's order: the old one read and checked, then the new one.
                let old = try WorkspaceWorkflowFile.read(name, in: workspace)
                let oldWorkflow = try old.workflow()
                let new = try WorkspaceWorkflowFile.read(other, in: workspace)
                return Self.diff(oldWorkflow, old.displayName, try new.workflow(), new.displayName, format: format)
            }
        }

        // hria workflow diff --assessment ID [NAME]: the workflow the assessment follows, from its verified standing,
        // against one of the workspace's workflows (by default the current copy of the same one).
        router.group("api/v1/assessments").add(middleware: SignedRequests(server: self, nonces: nonces)).get(":id/workflow-diff") { request, context in
            let id = try context.parameters.require("id")
            let query = try ReadQuery(request, takes: ["to", "format"])
            let format = try query.choice("format", among: ["json", "text"], fallback: "json")
            let other = query.value("to")
            return try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                let pinned = try workspace.load(try Self.existing(id, in: workspace))
                let old = (pinned.workflow, "\(id)'s \(pinned.workflow.id) version \(pinned.workflow.version)")
                if let other {
                    let file: WorkspaceWorkflowFile
                    do {
                        file = try WorkspaceWorkflowFile.read(other, in: workspace)
                    } catch var problem as Problem where problem.status == .notFound {
                        // The assessment is there; the request names a workflow that is not (a 404 would say the assessment is not).
                        problem.status = .unprocessableContent
                        throw problem
                    }
                    return Self.diff(old.0, old.1, try file.workflow(), file.displayName, format: format)
                }
                guard let current = workspace.currentWorkflow(pinned.workflow.id) else {
                    throw WorkflowDiff.noCurrentCopy(of: pinned.workflow.id, assessment: id)
                }
                return Self.diff(old.0, old.1, current.workflow, "workflows/\(pinned.workflow.id).yaml (version \(current.workflow.version))",
                                 format: format)
            }
        }

        workflows.get(":name/lint") { request, context in
            let name = try context.decodedParameter("name")
            let query = try ReadQuery(request, takes: ["format", "team"])
            let format = try query.choice("format", among: ["json", "text"], fallback: "json")
            // team=false: the file alone, as hria workflow lint NAME in the workspace checks it (the client asks so).
            let team = try query.choice("team", among: ["true", "false"], fallback: "true") == "true"
            return try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                let file = try WorkspaceWorkflowFile.read(name, in: workspace)
                var all = file.loaded.diagnostics
                // As hria workflow lint --workspace: each workflow is also checked against the people who would run it.
                if team, let workflow = file.loaded.workflow {
                    all += TeamCheck.diagnostics(workflow, file: file.displayName, people: try workspace.team())
                }
                if format == "json" { return Response.document(DiagnosticRenderer.json(all) + "\n", type: "application/json") }
                var text = all.map { DiagnosticRenderer.text($0, source: file.loaded.source) }.joined()
                text += all.isEmpty ? "no problems in 1 workflow file\n" : DiagnosticRenderer.summary(all) + "\n"
                return Response.document(text, type: "text/plain; charset=utf-8")
            }
        }
    }

    /// What `hria workflow diff` prints of two workflows: its JSON (with `same`, which makes its exit status), or
    /// its text.
    static func diff(_ old: Workflow, _ oldName: String, _ new: Workflow, _ newName: String, format: String) -> Response {
        let changes = WorkflowDiff.compare(old, new)
        if format == "text" { return Response.document(WorkflowDiff.text(changes, from: oldName, to: newName), type: "text/plain; charset=utf-8") }
        return Response.document(WorkflowDiff.json(changes, from: oldName, to: newName).rendered(pretty: true) + "\n", type: "application/json")
    }
}
