import Foundation
import HRIAKit
import Hummingbird
import NIOCore

/// The assessment page: where it stands and what it waits for, with a form for each thing the viewer may do; the path
/// taken, evidence, sign-offs and facts; links to the decision record and the audit page. Forms prepare the act as
/// the command line's would; the review page then signs it in the browser.
extension HRIAServer {
    func addWebAssessmentPages(to web: RouterGroup<HRIARequestContext>) {
        web.get("assessments/:id") { request, context in
            let id = try context.parameters.require("id")
            let recorded = Int(request.uri.queryParameters.get("recorded") ?? "")
            return try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                let loaded = try workspace.load(try Self.existing(id, in: workspace))
                let viewer = try workspace.person(context.signer)
                let body = WebAssessmentPage(loaded: loaded, viewer: viewer, csrf: context.session?.csrf ?? "", now: ServerClock.now(),
                                             recorded: recorded, consultationStore: workspace.log(id)).render()
                return Response.page(HTML.page(title: loaded.state.title ?? id, body: body, viewer: viewer.id, csrf: context.session?.csrf,
                                               current: "portfolio"))
            }
        }

        web.post("assessments/:id/act") { request, context in
            let id = try context.parameters.require("id")
            let fields = try FormFields(context.body.readableBytesView)
            try Self.checkCSRF(fields["csrf"], context)
            let command = try Self.webCommand(fields)
            return try await self.prepareOnWeb(id, command: command, allowVoiding: fields["allow_voiding"] == "yes", upload: nil, request, context)
        }

        web.post("assessments/:id/evidence") { request, context in
            let id = try context.parameters.require("id")
            let form = try await self.multipartForm(request, context)
            try Self.checkCSRF(form.fields["csrf"], context)
            let requirement = try form.fields.required("requirement", "the evidence item")
            var file: EvidenceFile?
            if let upload = form.file {
                file = EvidenceFile(sha256: upload.stored.sha256, size: upload.stored.size, name: upload.name)
            }
            var fields: [(name: String, value: String)] = []
            var confidential: [(name: String, value: String)] = []
            for (name, value) in form.fields.pairs where !value.isEmpty {
                if name.hasPrefix("field:") { fields.append((String(name.dropFirst(6)), value)) }
                if name.hasPrefix("confidential:") { confidential.append((String(name.dropFirst(13)), value)) }
            }
            let command = Command.addEvidence(requirement: requirement, fields: fields, confidential: confidential, file: file)
            return try await self.prepareOnWeb(id, command: command, allowVoiding: form.fields["allow_voiding"] == "yes", upload: form.file?.stored,
                                               request, context)
        }

        web.post("assessments/:id/commit") { request, context in
            let id = try context.parameters.require("id")
            guard AssessmentID.isValid(id) else { throw Problem.notFound("there is no assessment \(DisplayText.escape(id)) here") }
            let count = try await self.commitSignedForm(request, context, self.commandFlow(id))
            return Response.seeOther("/web/assessments/\(HTML.segment(id))?recorded=\(count)")
        }

        web.get("assessments/:id/report") { request, context in
            let id = try context.parameters.require("id")
            return try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                // The decision record exactly as hria report writes it: the internal version, for people on the roster.
                let record = try workspace.decisionRecord(try Self.existing(id, in: workspace), isPublic: false, now: ServerClock.now())
                return Response.document(DecisionReport.html(record), type: "text/html; charset=utf-8")
            }
        }
    }

    /// A command from one of the assessment page's forms (all but evidence, which carries a file).
    static func webCommand(_ fields: FormFields) throws -> Command {
        switch fields["action"] ?? "" {
        case "comment":
            return .comment(try fields.required("text", "the comment"))
        case "signoff":
            let decision = try fields.required("decision", "your decision (approve or reject)")
            guard decision == "approve" || decision == "reject" else { throw Problem.badInput("the decision is approve or reject") }
            let comment = fields["comment"].flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
            return .signoff(approve: decision == "approve", comment: comment)
        case "advance":
            let to = fields["to"].flatMap { $0.isEmpty ? nil : $0 }
            let reason = fields["reason"].flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
            return .advance(to: to, reason: reason)
        case "fact":
            var facts: [(name: String, value: String)] = []
            for (name, value) in fields.pairs where name.hasPrefix("fact:") && !value.isEmpty {
                facts.append((String(name.dropFirst(5)), value))
            }
            guard !facts.isEmpty else { throw Problem.badInput("no fact was given a value") }
            let reason = fields["reason"].flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
            return .setFacts(facts, reason: reason)
        default:
            throw Problem.badInput("this form asks for nothing the page knows")
        }
    }

    /// Prepares a web form's command as its signer, and answers with the page that signs it.
    /// `commit` is where the signatures go (the assessment's commit route unless said), `back` where Cancel leads.
    func prepareOnWeb(_ id: String, command: Command, allowVoiding: Bool, upload: UploadedFile?, _ request: Request?,
                      _ context: HRIARequestContext, title: String? = nil, commit: String? = nil, back: String? = nil) async throws -> Response {
        let signer = try context.signer.orUnauthorized()
        return try await blocking {
            let workspace = try context.workspace ?? self.openWorkspace()
            let prepared = try Self.prepare(id, command: command, allowVoiding: allowVoiding, as: signer, in: workspace)
            let draft = try self.keep(.command(prepared), upload: upload, in: workspace)
            let workflow = try workspace.current(id).workflow
            let sentences = try prepared.unsignedLines.map { line in
                HistoryReport.sentence(try EventLine.decode(line), workflow: workflow)
            }
            let path = "/web/assessments/\(HTML.segment(id))"
            return try Self.reviewPage(title: title ?? "Assessment \(id)", sentences: sentences, draft: draft, size: prepared.size,
                                       unsigned: prepared.unsignedLines, voided: prepared.voided, action: commit ?? "\(path)/commit",
                                       back: back ?? path, context: context)
        }
    }

    /// A multipart form: its text fields, and its file (if one was chosen), written to a temporary file as an upload
    /// is, so that the draft holds it on disk until it is signed.
    struct MultipartForm {
        var fields = FormFields(pairs: [])
        var file: (name: String, stored: UploadedFile)?
    }

    func multipartForm(_ request: Request, _ context: HRIARequestContext) async throws -> MultipartForm {
        guard let type = request.headers[.contentType], let boundary = MultipartFormData.boundary(contentType: type) else {
            throw Problem.badInput("the evidence form is sent as multipart/form-data")
        }
        let parts: [MultipartFormData.Part]
        do {
            parts = try MultipartFormData.parse(Array(context.body.readableBytesView), boundary: boundary)
        } catch .malformed(let why) {
            throw Problem.badInput("the form could not be read as multipart/form-data: \(why)")
        }
        var form = MultipartForm()
        for part in parts {
            guard let disposition = part.headers["content-disposition"] else { continue }
            let parameters = Self.dispositionParameters(disposition)
            guard let name = parameters["name"] else { continue }
            if let filename = parameters["filename"] {
                // A file input left empty still sends a part, with an empty file name: no file was chosen.
                guard name == "file", !filename.isEmpty else { continue }
                let base = String(filename.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last ?? "")
                guard ServiceWire.isFileName(base) else {
                    throw Problem.badInput("\"\(DisplayText.escape(base))\" is not a file name an evidence file can have")
                }
                let writer = try UploadWriter()
                try writer.write(part.body)
                form.file = (base, try writer.finish(size: part.body.count, sha256: HRIAKit.Digest.sha256Hex(part.body)))
            } else {
                form.fields.append(name, String(decoding: part.body, as: UTF8.self))
            }
        }
        return form
    }

    /// `form-data; name="x"; filename="y"` as its parameters.
    static func dispositionParameters(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for piece in text.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            out[pair[0].trimmingCharacters(in: .whitespaces).lowercased()] = value.replacingOccurrences(of: "\\\"", with: "\"")
        }
        return out
    }
}

/// The assessment page itself, made from the verified standing.
struct WebAssessmentPage {
    var loaded: LoadedAssessment
    var viewer: Person
    var csrf: String
    var now: Date
    var recorded: Int?
    /// Where the assessment's consultation forms and answers awaiting review are kept (WebConsultation.swift).
    var consultationStore: (any AssessmentRecord)? = nil

    private var id: String { loaded.state.id }
    private var state: AssessmentState { loaded.state }
    private var workflow: Workflow { loaded.workflow }
    private var path: String { "/web/assessments/\(HTML.segment(id))" }

    func render() -> String {
        let e = HTML.escape
        let stage = workflow.stage(state.stage)
        var out = "<h1>\(e(state.title ?? id))</h1>\n"
        out += "<p class=\"meta\">Assessment <code>\(e(id))</code> of \(e(state.partner)) · workflow <a href=\"/web/workflows/\(HTML.segment(state.workflowID))\">\(e(state.workflowID))</a> "
            + "version \(state.workflowVersion) · \(state.size) events</p>\n"
        out += "<p><a href=\"\(path)/report\">Decision record</a> · <a href=\"\(path)/audit\">Audit: log, checkpoint, verification</a></p>\n"
        if let recorded {
            out += "<div class=\"notice good\" role=\"status\"><p>Recorded \(recorded) signed event\(recorded == 1 ? "" : "s").</p></div>\n"
        }
        out += "<h2>Where it stands</h2>\n"
        if let outcome = state.outcome {
            out += "<p>This assessment has ended: <strong>\(e(outcome))</strong>.</p>\n"
        } else {
            out += "<p>Stage <strong>\(e(stage?.displayTitle ?? state.stage))</strong> (visit \(state.visit)), since \(HTML.time(state.stageEnteredAt))"
            if let owner = stage?.owner?.value { out += ", owned by the role <em>\(e(owner))</em>" }
            out += ".</p>\n"
            if let deadline = loaded.deadline {
                let overdue = now > deadline
                out += "<p>Deadline \(HTML.day(deadline))" + (overdue ? " <span class=\"badge bad\">overdue</span>" : "") + "</p>\n"
            }
            if let description = stage?.description { out += "<p>\(e(description))</p>\n" }
            out += waiting()
            out += forms()
        }
        out += timeline()
        out += evidence()
        out += signoffs()
        out += facts()
        return out
    }

    private var evaluation: StageEvaluation { StageEvaluation.evaluate(workflow: workflow, state: state, now: now) }

    /// What the stage waits for: each blocker, what resolves it, and the form for it.
    private func waiting() -> String {
        let e = HTML.escape
        let evaluation = self.evaluation
        let blockers = evaluation.stageBlockers
        var out = "<h3>What it waits for</h3>\n"
        if blockers.isEmpty && evaluation.unsetFacts.isEmpty {
            if let next = evaluation.next {
                out += "<p>Nothing: the rules let it move on to <strong>\(e(workflow.stage(next.transition.to.value)?.displayTitle ?? next.transition.to.value))</strong>."
                    + (mayOwn ? " <a href=\"#advance\">Advance it</a>." : "") + "</p>\n"
            } else {
                out += "<p>No requirement is open; no transition's condition holds yet.</p>\n"
            }
            return out
        }
        let (commands, unset) = StatusReport.nextSteps(for: blockers, id: id, workflow: workflow, evaluation: evaluation)
        out += "<ul class=\"blockers\">\n"
        for (blocker, command) in zip(blockers, commands) {
            out += "<li>\(e(blocker.description))"
            // A link only to a form this page shows the viewer.
            switch blocker {
            case .missingEvidence(let requirement, _, _, _, _, _) where mayOwn:
                out += " <a href=\"#evidence-\(HTML.segment(requirement))\">Add this evidence</a>"
            case .missingSignoff, .signoffRejected:
                if maySignOff { out += " <a href=\"#signoff\">Sign off</a>" }
            default: break
            }
            if let command { out += "<br><span class=\"hint\">From the command line: <code>\(e(command))</code></span>" }
            out += "</li>\n"
        }
        for fact in unset {
            out += "<li>The fact <strong>\(e(fact.name))</strong> is not set." + (mayOwn ? " <a href=\"#facts\">Set it</a>" : "")
                + "<br><span class=\"hint\">From the command line: <code>\(e(fact.command))</code></span></li>\n"
        }
        return out + "</ul>\n"
    }

    private var roles: Set<String> { Set(viewer.roles) }

    /// The viewer holds the role that owns the current stage: they add evidence, set facts and advance.
    private var mayOwn: Bool { workflow.stage(state.stage)?.owner.map { roles.contains($0.value) } ?? false }

    /// The viewer holds a role that signs the current stage off.
    private var maySignOff: Bool {
        guard let stage = workflow.stage(state.stage), !stage.signoffs.isEmpty else { return false }
        return !roles.isDisjoint(with: stage.signoffs.flatMap { $0.roles.map(\.value) })
    }

    private func forms() -> String {
        guard let stage = workflow.stage(state.stage) else { return "" }
        var out = "<h2>Act</h2>\n"
        var any = false
        if maySignOff {
            out += signoffForm()
            any = true
        }
        if mayOwn {
            out += evidenceForms(stage)
            out += factForm(stage)
            out += advanceForm(stage)
            any = true
        }
        out += WebConsultation.ownerSection(workflow: workflow, state: state, viewer: viewer, csrf: csrf, record: consultationStore)
        if workflow.declaresAnyRole(of: viewer.roles) {
            out += commentForm()
            any = true
        }
        if !any {
            out += "<p>You hold no role that acts in this stage (you hold: \(HTML.escape(viewer.roles.isEmpty ? "none" : viewer.roles.joined(separator: ", ")))).</p>\n"
        }
        return out
    }

    private func formStart(_ id: String, _ title: String, action: String = "act", multipart: Bool = false) -> String {
        "<form class=\"act\" id=\"\(id)\" tabindex=\"-1\" method=\"post\" action=\"\(path)/\(action)\"" + (multipart ? " enctype=\"multipart/form-data\"" : "")
            + " aria-labelledby=\"\(id)-title\">\n<h3 id=\"\(id)-title\">\(HTML.escape(title))</h3>\n" + HTML.hiddenCSRF(csrf) + "\n"
    }

    private func signoffForm() -> String {
        var out = formStart("signoff", "Sign off this stage") + "<input type=\"hidden\" name=\"action\" value=\"signoff\">\n"
        out += "<fieldset><legend>Your decision</legend>\n"
        out += "<input type=\"radio\" id=\"decision-approve\" name=\"decision\" value=\"approve\" required> <label class=\"inline\" for=\"decision-approve\">Approve</label>\n"
        out += "<input type=\"radio\" id=\"decision-reject\" name=\"decision\" value=\"reject\"> <label class=\"inline\" for=\"decision-reject\">Reject</label>\n"
        out += "</fieldset>\n<label for=\"signoff-comment\">Comment <span class=\"hint\">Needed to reject: say what must change.</span></label>\n"
        out += "<textarea id=\"signoff-comment\" name=\"comment\"></textarea>\n"
        out += "<button type=\"submit\">Prepare my sign-off</button>\n</form>\n"
        return out
    }

    private func commentForm() -> String {
        formStart("comment", "Add a comment for the record") + "<input type=\"hidden\" name=\"action\" value=\"comment\">\n"
            + "<label for=\"comment-text\">Comment</label>\n<textarea id=\"comment-text\" name=\"text\" required></textarea>\n"
            + "<button type=\"submit\" class=\"secondary\">Prepare the comment</button>\n</form>\n"
    }

    private func advanceForm(_ stage: Stage) -> String {
        let e = HTML.escape
        var out = formStart("advance", "Advance to the next stage") + "<input type=\"hidden\" name=\"action\" value=\"advance\">\n"
        out += "<label for=\"advance-to\">Move to</label>\n<select id=\"advance-to\" name=\"to\">\n<option value=\"\">The stage the rules choose</option>\n"
        for transition in stage.transitions {
            let target = transition.to.value
            out += "<option value=\"\(e(target))\">\(e(workflow.stage(target)?.displayTitle ?? target))</option>\n"
        }
        out += "</select>\n<label for=\"advance-reason\">Reason <span class=\"hint\">Optional; some transitions ask for one.</span></label>\n"
        out += "<input type=\"text\" id=\"advance-reason\" name=\"reason\">\n<button type=\"submit\">Prepare the move</button>\n</form>\n"
        return out
    }

    private func factForm(_ stage: Stage) -> String {
        let e = HTML.escape
        let settable = workflow.facts.filter { fact in !fact.informational && (fact.setIn.isEmpty || fact.setIn.contains { $0.value == stage.id }) }
        guard !settable.isEmpty else { return "" }
        var out = formStart("facts", "Set facts") + "<input type=\"hidden\" name=\"action\" value=\"fact\">\n"
        out += "<p class=\"hint\">Leave a fact empty to keep it as it is.</p>\n"
        for fact in settable {
            let field = "fact-\(HTML.segment(fact.id))"
            let current = state.facts[fact.id].map { Self.plain($0.value) }
            out += "<label for=\"\(field)\">\(e(fact.id))"
            if let description = fact.description { out += " <span class=\"hint\">\(e(description))</span>" }
            if let current { out += " <span class=\"hint\">Now: \(e(current))</span>" }
            out += "</label>\n"
            let name = "fact:\(fact.id)"
            switch fact.type {
            case .bool:
                out += Self.select(field, name, ["true", "false"])
            case .enumeration(let values):
                out += Self.select(field, name, values)
            case .int(let min, let max):
                out += "<input type=\"number\" id=\"\(field)\" name=\"\(e(name))\"" + (min.map { " min=\"\($0)\"" } ?? "") + (max.map { " max=\"\($0)\"" } ?? "") + ">\n"
            case .date:
                out += "<input type=\"date\" id=\"\(field)\" name=\"\(e(name))\">\n"
            case .string:
                out += "<input type=\"text\" id=\"\(field)\" name=\"\(e(name))\">\n"
            }
        }
        out += "<label for=\"fact-reason\">Reason <span class=\"hint\">Optional: why these values.</span></label>\n<input type=\"text\" id=\"fact-reason\" name=\"reason\">\n"
        out += "<button type=\"submit\">Prepare the facts</button>\n</form>\n"
        return out
    }

    private static func select(_ id: String, _ name: String, _ values: [String]) -> String {
        var out = "<select id=\"\(id)\" name=\"\(HTML.escape(name))\">\n<option value=\"\">(unchanged)</option>\n"
        for value in values { out += "<option value=\"\(HTML.escape(value))\">\(HTML.escape(value))</option>\n" }
        return out + "</select>\n"
    }

    private func evidenceForms(_ stage: Stage) -> String {
        let e = HTML.escape
        guard !stage.requirements.isEmpty else { return "" }
        let status = Dictionary(evaluation.requirements.map { ($0.requirement.id, $0.met) }, uniquingKeysWith: { a, _ in a })
        var out = ""
        for requirement in stage.requirements {
            guard let type = workflow.evidenceType(requirement.type.value) else { continue }
            let anchor = "evidence-\(HTML.segment(requirement.id))"
            out += "<details id=\"\(anchor)\"" + (status[requirement.id] == false ? " open" : "") + ">\n<summary>Add evidence: \(e(requirement.id))"
                + (status[requirement.id] == true ? " <span class=\"badge good\">met</span>" : " <span class=\"badge warn\">open</span>") + "</summary>\n"
            out += formStart("\(anchor)-form", "Evidence \(requirement.id) (\(type.id))", action: "evidence", multipart: true)
            out += "<input type=\"hidden\" name=\"requirement\" value=\"\(e(requirement.id))\">\n"
            if let description = requirement.description ?? type.description { out += "<p class=\"hint\">\(e(description))</p>\n" }
            for field in type.fields {
                let input = "\(anchor)-\(HTML.segment(field.name))"
                let name = (field.confidential ? "confidential:" : "field:") + field.name
                out += "<label for=\"\(input)\">\(e(field.name))" + (field.optional ? " <span class=\"hint\">Optional.</span>" : "")
                    + (field.confidential ? " <span class=\"hint\">Confidential: kept in the private disclosures, only its salted digest enters the log.</span>" : "")
                    + "</label>\n"
                let required = field.optional ? "" : " required"
                switch field.type {
                case .text:
                    out += "<textarea id=\"\(input)\" name=\"\(e(name))\"\(required)></textarea>\n"
                case .bool:
                    out += Self.select(input, name, ["true", "false"])
                case .enumeration(let values):
                    out += Self.select(input, name, values)
                case .int(let range):
                    out += "<input type=\"number\" id=\"\(input)\" name=\"\(e(name))\"" + (range.map { " min=\"\($0.lowerBound)\" max=\"\($0.upperBound)\"" } ?? "") + "\(required)>\n"
                case .date:
                    out += "<input type=\"date\" id=\"\(input)\" name=\"\(e(name))\"\(required)>\n"
                case .string:
                    out += "<input type=\"text\" id=\"\(input)\" name=\"\(e(name))\"\(required)>\n"
                }
            }
            if type.file != .none {
                out += "<label for=\"\(anchor)-file\">File" + (type.file == .required ? "" : " <span class=\"hint\">Optional.</span>") + "</label>\n"
                out += "<input type=\"file\" id=\"\(anchor)-file\" name=\"file\"" + (type.file == .required ? " required" : "") + ">\n"
            }
            out += "<p role=\"group\" aria-labelledby=\"\(anchor)-form-title\"><input type=\"checkbox\" id=\"\(anchor)-void\" name=\"allow_voiding\" value=\"yes\"> "
                + "<label class=\"inline\" for=\"\(anchor)-void\">Record it even if it voids approvals already given in this visit</label></p>\n"
            out += "<button type=\"submit\">Prepare the evidence</button>\n</form>\n</details>\n"
        }
        return out
    }

    private func timeline() -> String {
        let e = HTML.escape
        var out = "<h2>The path taken</h2>\n<ol class=\"timeline\">\n"
        for visit in state.path {
            out += "<li><strong>\(e(workflow.stage(visit.stage)?.displayTitle ?? visit.stage))</strong>" + (visit.visit > 1 ? " (visit \(visit.visit))" : "")
                + " <time datetime=\"\(Timestamp.format(visit.enteredAt))\">\(HTML.time(visit.enteredAt))</time>, entered by \(e(visit.enteredBy))"
                + (visit.leftAt.map { "; left \(HTML.time($0))" } ?? "; current") + "</li>\n"
        }
        return out + "</ol>\n"
    }

    private func evidence() -> String {
        let e = HTML.escape
        var out = "<h2>Evidence</h2>\n"
        guard !state.evidence.isEmpty else { return out + "<p>None recorded yet.</p>\n" }
        out += "<div class=\"table-wrap\"><table>\n<caption>Evidence recorded, oldest first</caption>\n"
        out += "<thead><tr><th scope=\"col\">#</th><th scope=\"col\">Item</th><th scope=\"col\">Stage</th><th scope=\"col\">By</th><th scope=\"col\">When</th>"
            + "<th scope=\"col\">Fields</th><th scope=\"col\">File</th></tr></thead>\n<tbody>\n"
        for item in state.evidence {
            var fields = item.fields.keys.sorted().map { "<strong>\(e($0))</strong>: \(e(Self.plain(item.fields[$0] ?? .null)))" }
            fields += item.confidential.map { "<strong>\(e($0))</strong>: <em>confidential</em>" }
            out += "<tr><td>\(item.seq)</td><td>\(e(item.requirement)) <span class=\"hint\">\(e(item.type))</span></td><td>\(e(item.stage))</td>"
                + "<td>\(e(item.actor))</td><td>\(HTML.day(item.time))</td><td>\(fields.joined(separator: "<br>"))</td>"
                + "<td>\(item.file.map { "\(e($0.name)) (\($0.size) bytes)" } ?? "")</td></tr>\n"
        }
        return out + "</tbody>\n</table></div>\n"
    }

    private func signoffs() -> String {
        let e = HTML.escape
        var out = "<h2>Sign-offs</h2>\n"
        guard !state.signoffs.isEmpty else { return out + "<p>None yet.</p>\n" }
        out += "<div class=\"table-wrap\"><table>\n<caption>Sign-offs, oldest first</caption>\n<thead><tr><th scope=\"col\">#</th><th scope=\"col\">Stage</th>"
            + "<th scope=\"col\">By</th><th scope=\"col\">As</th><th scope=\"col\">Decision</th><th scope=\"col\">Comment</th><th scope=\"col\">When</th></tr></thead>\n<tbody>\n"
        for signoff in state.signoffs {
            out += "<tr><td>\(signoff.seq)</td><td>\(e(signoff.stage)) (visit \(signoff.visit))</td><td>\(e(signoff.actor))</td>"
                + "<td>\(e(signoff.roles.joined(separator: ", ")))</td><td>"
                + (signoff.approve ? "<span class=\"badge good\">approved</span>" : "<span class=\"badge bad\">rejected</span>")
                + "</td><td>\(e(signoff.comment ?? ""))</td><td>\(HTML.day(signoff.time))</td></tr>\n"
        }
        return out + "</tbody>\n</table></div>\n"
    }

    private func facts() -> String {
        let e = HTML.escape
        var out = "<h2>Facts</h2>\n"
        guard !state.facts.isEmpty else { return out + "<p>None set yet.</p>\n" }
        out += "<dl class=\"facts\">\n"
        for name in state.facts.keys.sorted() {
            guard let fact = state.facts[name] else { continue }
            out += "<dt>\(e(name))</dt><dd>\(e(Self.plain(fact.value))) <span class=\"hint\">set by \(e(fact.actor)), \(HTML.day(fact.time)), event \(fact.seq)</span></dd>\n"
        }
        return out + "</dl>\n"
    }

    /// A value as a person reads it: a string without its quotes.
    static func plain(_ value: JSONValue) -> String {
        if let text = value.stringValue { return text }
        return value.rendered(pretty: false)
    }
}
