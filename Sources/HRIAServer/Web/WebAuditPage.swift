import Foundation
import HRIAKit
import Hummingbird

/// The audit page of an assessment: its log with `hria log`'s filters, the latest checkpoint, a full verification
/// made now from the stored bytes (as `hria verify ID`), and downloads of an inclusion proof and of the public bundle.
extension HRIAServer {
    func addWebAuditPages(to web: RouterGroup<HRIARequestContext>) {
        web.get("assessments/:id/audit") { request, context in
            let id = try context.parameters.require("id")
            let query = try ReadQuery(request, takes: ["actor", "since", "until", "type", "stage"], repeating: ["actor", "type", "stage"])
            let actors = query.all("actor").filter { !$0.isEmpty }, stages = query.all("stage").filter { !$0.isEmpty }
            let types = query.all("type").filter { !$0.isEmpty }
            let since = query.value("since").flatMap { $0.isEmpty ? nil : $0 }, until = query.value("until").flatMap { $0.isEmpty ? nil : $0 }
            let filter: LogFilter
            do throws(HRIAError) {
                filter = try LogFilter(actors: actors, stages: stages, types: types, since: since, until: until) { $0 }
            } catch {
                throw Problem(error)
            }
            return try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                let checked = try Self.existing(id, in: workspace)
                // Verified in full now, from the stored bytes; the page says what was found whatever it is.
                let report = try workspace.verify(checked)
                let loaded = report.ok ? try workspace.load(checked) : nil
                let checkpoint = report.ok ? workspace.log(checked).latestCheckpoint() : nil
                let page = WebAuditPage(id: checked, loaded: loaded, report: report,
                                        restoreHelp: report.restoreHelp(for: workspace.log(checked)), checkpoint: checkpoint, filter: filter,
                                        chosen: (actors, stages, types, since ?? "", until ?? ""))
                return Response.page(HTML.page(title: "Audit of \(id)", body: page.render(), viewer: context.signer, csrf: context.session?.csrf,
                                               current: "portfolio"))
            }
        }

        web.get("assessments/:id/proof") { request, context in
            let id = try context.parameters.require("id")
            let query = try ReadQuery(request, takes: ["seq"])
            guard let text = query.value("seq"), let seq = Int(text), seq >= 0, String(seq) == text else {
                throw Problem.badInput("say which event to prove, by its number")
            }
            return try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                let proof = try workspace.proof(try Self.existing(id, in: workspace), seq: seq)
                return Response.document(proof.rendered(), type: "text/plain; charset=utf-8", filename: "\(id)-\(seq).proof")
            }
        }

        web.get("assessments/:id/bundle") { _, context in
            let id = try context.parameters.require("id")
            return try await self.blocking { try Self.bundle(id, workspace: try context.workspace ?? self.openWorkspace(), cache: "no-store") }
        }
    }
}

struct WebAuditPage {
    var id: String
    var loaded: LoadedAssessment?
    var report: VerificationReport
    /// What to restore when the report says the log is damaged, in the words of the store that keeps it.
    var restoreHelp: String
    var checkpoint: [UInt8]?
    var filter: LogFilter
    var chosen: (actors: [String], stages: [String], types: [String], since: String, until: String)

    func render() -> String {
        let e = HTML.escape
        let base = "/web/assessments/\(HTML.segment(id))"
        var out = "<h1>Audit of \(e(id))</h1>\n<p class=\"meta\"><a href=\"\(base)\">Back to the assessment</a></p>\n<h2>Verification</h2>\n"
        if report.ok {
            out += "<div class=\"notice good\" role=\"status\"><p><strong>Verified now:</strong> \(report.size) events, the hash chain, every signature "
                + "with the signer's key on the roster at the time, the workflow's rules, \(report.checkpointsChecked) checkpoint\(report.checkpointsChecked == 1 ? "" : "s"), "
                + "\(report.evidenceFilesChecked) evidence file\(report.evidenceFilesChecked == 1 ? "" : "s") and \(report.disclosuresChecked) disclosure\(report.disclosuresChecked == 1 ? "" : "s").</p>"
                + "<p>Tree root <code>\(report.root.hex)</code>.</p></div>\n"
        } else {
            out += "<div class=\"notice bad\" role=\"alert\"><p><strong>This log does not verify.</strong> Nothing in it can be trusted until it is restored.</p><ul>"
            for problem in report.problems { out += "<li>" + (problem.seq.map { "event \($0): " } ?? "") + "\(e(problem.message))</li>" }
            out += "</ul><p>\(e(restoreHelp))</p></div>\n"
            return out
        }
        out += "<h2>Latest checkpoint</h2>\n"
        if let checkpoint {
            out += "<pre>\(e(String(decoding: checkpoint, as: UTF8.self)))</pre>\n<p>Anyone can check it with the log key in hria.yaml; "
                + "monitors follow it at <a href=\"/logs/\(HTML.segment(id))/checkpoint\">/logs/\(e(id))/checkpoint</a>.</p>\n"
        } else {
            out += "<p>None yet.</p>\n"
        }
        out += "<h2>Downloads</h2>\n<ul><li><a href=\"\(base)/bundle\">The public bundle</a> (a tar archive: public report, log, checkpoints, tiles)</li>\n"
        out += "<li><form method=\"get\" action=\"\(base)/proof\" class=\"filters\"><div><label for=\"proof-seq\">Inclusion proof of event</label>"
            + "<input type=\"number\" id=\"proof-seq\" name=\"seq\" min=\"0\" max=\"\(max(0, (loaded?.checkpointSize ?? 1) - 1))\" required></div>"
            + "<div><button type=\"submit\" class=\"secondary\">Download the proof</button></div></form></li></ul>\n"
        out += log()
        return out
    }

    private func log() -> String {
        let e = HTML.escape
        guard let loaded else { return "" }
        var out = "<h2>The log</h2>\n<form method=\"get\" action=\"/web/assessments/\(HTML.segment(id))/audit\" class=\"filters\" aria-label=\"Filter the log\">\n"
        let actors = Set(loaded.events.map(\.actor)).sorted(), stages = Set(loaded.events.map(\.stage)).sorted()
        let types = Set(loaded.events.map(\.type.rawValue)).sorted()
        func select(_ id: String, _ name: String, _ label: String, _ values: [String], _ chosen: [String]) -> String {
            var out = "<div><label for=\"\(id)\">\(label)</label><select id=\"\(id)\" name=\"\(name)\"><option value=\"\">any</option>"
            for value in values { out += "<option value=\"\(e(value))\"" + (chosen.contains(value) ? " selected" : "") + ">\(e(value))</option>" }
            return out + "</select></div>\n"
        }
        out += select("log-actor", "actor", "Person", actors, chosen.actors)
        out += select("log-stage", "stage", "Stage", stages, chosen.stages)
        out += select("log-type", "type", "Kind of event", types, chosen.types)
        out += "<div><label for=\"log-since\">Since</label><input type=\"date\" id=\"log-since\" name=\"since\" value=\"\(e(chosen.since))\"></div>\n"
        out += "<div><label for=\"log-until\">Until</label><input type=\"date\" id=\"log-until\" name=\"until\" value=\"\(e(chosen.until))\"></div>\n"
        out += "<div><button type=\"submit\">Filter</button></div>\n</form>\n"
        let shown = loaded.events.filter { filter.matches($0) }
        out += "<div class=\"table-wrap\"><table>\n<caption>\(shown.count) of \(loaded.events.count) events</caption>\n<thead><tr><th scope=\"col\">#</th>"
            + "<th scope=\"col\">When</th><th scope=\"col\">Who</th><th scope=\"col\">Stage</th><th scope=\"col\">What</th><th scope=\"col\">Signed</th></tr></thead>\n<tbody>\n"
        for event in shown {
            out += "<tr><td>\(event.seq)</td><td><time datetime=\"\(Timestamp.format(event.time))\">\(HTML.time(event.time))</time></td><td>\(e(event.actor))</td>"
                + "<td>\(e(event.stage))</td><td>\(e(HistoryReport.sentence(event, workflow: loaded.workflow)))</td><td>\(event.signature == nil ? "no" : "yes")</td></tr>\n"
        }
        return out + "</tbody>\n</table></div>\n"
    }
}
