import Foundation
import HRIAKit
import Hummingbird

/// The workflows: each in plain words (as `hria workflow show` says it) with its stage graph drawn by hria itself
/// (as `hria workflow graph --format svg` draws it).
extension HRIAServer {
    func addWebWorkflowPages(to web: RouterGroup<HRIARequestContext>) {
        web.get("workflows") { _, context in
            try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                var body = "<h1>Workflows</h1>\n<p class=\"meta\">The workflows of this workspace. An assessment stays on the exact version it started on.</p>\n<ul>\n"
                for name in WorkspaceWorkflowFile.names(in: workspace) {
                    let file = try? WorkspaceWorkflowFile.read(name, in: workspace)
                    body += "<li><a href=\"/web/workflows/\(HTML.segment(name))\">\(HTML.escape(name))</a>"
                    if let workflow = file?.loaded.workflow {
                        body += ": \(HTML.escape(workflow.title)), version \(workflow.version)"
                    } else {
                        body += " <span class=\"badge bad\">has errors</span>"
                    }
                    body += "</li>\n"
                }
                body += "</ul>\n"
                return Response.page(HTML.page(title: "Workflows", body: body, viewer: context.signer, csrf: context.session?.csrf, current: "workflows"))
            }
        }

        web.get("workflows/:name") { _, context in
            let name = try context.decodedParameter("name")
            return try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                let file = try WorkspaceWorkflowFile.read(name, in: workspace)
                let workflow = try file.workflow()
                let sha256 = Digest.sha256Hex(file.bytes)
                var body = "<h1>\(HTML.escape(workflow.title))</h1>\n<p class=\"meta\">Workflow <code>\(HTML.escape(workflow.id))</code> version \(workflow.version) · "
                    + "\(HTML.escape(file.displayName)) · sha256 <code>\(sha256.prefix(16))…</code></p>\n"
                if let description = workflow.description { body += "<p>\(HTML.escape(description))</p>\n" }
                body += "<h2>The stages, drawn</h2>\n<figure class=\"graph\">" + Self.inlineSVG(WorkflowDiagram.render(workflow, format: .svg),
                                                                                           label: "The stages of \(workflow.title) and the moves between them; the same in words below")
                body += "<figcaption class=\"hint\">Each box is a stage: who owns it, what it requires, who signs it off. Each arrow is a move and its condition.</figcaption></figure>\n"
                body += "<h2>In words</h2>\n<pre class=\"words\">\(HTML.escape(WorkflowDescription.render(workflow, file: file.displayName, sha256: sha256)))</pre>\n"
                return Response.page(HTML.page(title: workflow.title, body: body, viewer: context.signer, csrf: context.session?.csrf, current: "workflows"))
            }
        }
    }

    /// hria's own SVG drawing, placed in a page: without its XML declaration, named for assistive technology.
    static func inlineSVG(_ drawing: String, label: String) -> String {
        guard let start = drawing.range(of: "<svg") else { return "" }
        var svg = String(drawing[start.lowerBound...])
        svg = svg.replacingOccurrences(of: "<svg", with: "<svg role=\"img\" aria-label=\"\(HTML.escape(label))\"", options: [], range: svg.startIndex ..< svg.index(svg.startIndex, offsetBy: 4))
        return svg
    }
}
