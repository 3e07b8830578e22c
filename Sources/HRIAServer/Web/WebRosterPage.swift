import Foundation
import HRIAKit
import Hummingbird

/// The roster: who may act, under which roles, with which key, and every change to it. Admins change it here as
/// `hria people …` does: the change is decided by the roster's rules, signed in the admin's browser, and recorded.
/// Enrolling a person's browser is adding the key that browser made to their entry.
extension HRIAServer {
    func addWebRosterPages(to web: RouterGroup<HRIARequestContext>) {
        web.get("roster") { request, context in
            let recorded = Int(request.uri.queryParameters.get("recorded") ?? "")
            return try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                guard let standing = try workspace.roster() else {
                    let body = "<h1>Roster</h1>\n<p>This workspace has no roster: people are listed in hria.yaml. <code>hria people import</code> starts one.</p>\n"
                    return Response.page(HTML.page(title: "Roster", body: body, viewer: context.signer, csrf: context.session?.csrf, current: "roster"))
                }
                let viewer = try workspace.person(context.signer)
                let page = WebRosterPage(roster: standing.roster, events: standing.events, names: workspace.confidentialNames(),
                                         isAdmin: viewer.roles.contains(Roster.adminRole), csrf: context.session?.csrf ?? "", recorded: recorded)
                return Response.page(HTML.page(title: "Roster", body: page.render(), viewer: context.signer, csrf: context.session?.csrf, current: "roster"))
            }
        }

        web.post("roster/prepare") { _, context in
            let signer = try context.signer.orUnauthorized()
            let fields = try FormFields(context.body.readableBytesView)
            try Self.checkCSRF(fields["csrf"], context)
            let command = try Self.rosterCommand(fields)
            return try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                let prepared: PreparedRosterChange
                do {
                    prepared = try workspace.prepareRosterChange(actor: signer, clock: ServerClock.recording) { _ in [command] }
                } catch let error as EngineError {
                    throw Self.problem(error, id: nil, workspace: workspace)
                }
                let draft = try self.keep(.roster(prepared), in: workspace)
                let sentences = try prepared.unsignedLines.map { RosterReport.sentence(try EventLine.decode($0).payload) }
                return try Self.reviewPage(title: "A change of the roster", sentences: sentences, draft: draft, size: prepared.size,
                                           unsigned: prepared.unsignedLines, voided: [], action: "/web/roster/commit", back: "/web/roster", context: context)
            }
        }

        web.post("roster/commit") { request, context in
            let count = try await self.commitSignedForm(request, context, self.rosterFlow())
            return Response.seeOther("/web/roster?recorded=\(count)")
        }
    }

    /// A roster change from one of the roster page's forms.
    static func rosterCommand(_ fields: FormFields) throws -> RosterCommand {
        func reason() throws -> String { try fields.required("reason", "a reason") }
        switch fields["action"] ?? "" {
        case "key":
            let line = try fields.required("key", "the key line").trimmingCharacters(in: .whitespacesAndNewlines)
            guard (try? SSHPublicKey(authorizedKey: line)) != nil else {
                throw Problem.badInput("the key is not an ssh-ed25519 public key line",
                                       help: "copy the whole line the person's enrol page shows, starting with ssh-ed25519")
            }
            let why = fields["reason"].flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
            return .key(id: try fields.required("person", "the person"), key: line, reason: why)
        case "add":
            let roles = (fields["roles"] ?? "").split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init).filter { !$0.isEmpty }
            let key = fields["key"].flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            return .add(id: try fields.required("id", "the person's id"), name: try fields.required("name", "the person's name"),
                        title: fields["title"].flatMap { $0.isEmpty ? nil : $0 }, roles: roles, key: key, publishName: fields["publish_name"] == "yes")
        case "grant":
            return .grant(id: try fields.required("person", "the person"), role: try fields.required("role", "the role"), reason: try reason())
        case "revoke":
            return .revoke(id: try fields.required("person", "the person"), role: try fields.required("role", "the role"), reason: try reason())
        default:
            throw Problem.badInput("this form asks for no change the roster page knows")
        }
    }
}

struct WebRosterPage {
    var roster: Roster
    var events: [Event]
    var names: [String: String]
    var isAdmin: Bool
    var csrf: String
    var recorded: Int?

    func render() -> String {
        let e = HTML.escape
        var out = "<h1>Roster</h1>\n<p class=\"meta\">\(roster.size) change\(roster.size == 1 ? "" : "s") recorded · signatures "
            + (roster.requireSignatures ? "required" : "not required") + " on every act</p>\n"
        if let recorded {
            out += "<div class=\"notice good\" role=\"status\"><p>Recorded \(recorded) signed change\(recorded == 1 ? "" : "s") of the roster.</p></div>\n"
        }
        let people = roster.order.compactMap { roster.members[$0] }
        out += "<div class=\"table-wrap\"><table>\n<caption>People</caption>\n<thead><tr><th scope=\"col\">Id</th><th scope=\"col\">Name</th>"
            + "<th scope=\"col\">Roles</th><th scope=\"col\">Key</th><th scope=\"col\">Status</th></tr></thead>\n<tbody>\n"
        for member in people {
            let fingerprint = member.key.map { RosterReport.fingerprint($0) } ?? "none"
            out += "<tr><th scope=\"row\">\(e(member.id))</th><td>\(e(names[member.id] ?? member.name ?? ""))</td>"
                + "<td>\(e(member.roles.joined(separator: ", ")))</td><td><code>\(e(fingerprint))</code></td>"
                + "<td>\(member.isRemoved ? "<span class=\"badge bad\">removed</span>" : (member.key == nil ? "<span class=\"badge warn\">no key</span>" : "active"))</td></tr>\n"
        }
        out += "</tbody>\n</table></div>\n"
        if isAdmin { out += forms(people.filter { !$0.isRemoved }) }
        out += "<h2>Changes, newest first</h2>\n<ol class=\"timeline\" reversed>\n"
        for event in events.reversed() {
            out += "<li><time datetime=\"\(Timestamp.format(event.time))\">\(HTML.time(event.time))</time> · \(e(event.actor)): "
                + "\(e(RosterReport.sentence(event.payload)))</li>\n"
        }
        return out + "</ol>\n"
    }

    private func personSelect(_ id: String, _ people: [Roster.Member]) -> String {
        var out = "<select id=\"\(id)\" name=\"person\" required>\n<option value=\"\">Choose a person</option>\n"
        for member in people { out += "<option value=\"\(HTML.escape(member.id))\">\(HTML.escape(member.id))" + (member.key == nil ? " (no key)" : "") + "</option>\n" }
        return out + "</select>\n"
    }

    private func forms(_ people: [Roster.Member]) -> String {
        let csrf = HTML.hiddenCSRF(self.csrf)
        var out = "<h2>Enrol a browser</h2>\n"
        out += "<form class=\"act\" id=\"roster-key\" method=\"post\" action=\"/web/roster/prepare\">\n\(csrf)<input type=\"hidden\" name=\"action\" value=\"key\">\n"
        out += "<p>The person opens <a href=\"/web/enrol\">the enrol page</a> in their browser, which makes a key there and shows its public line and "
            + "fingerprint. Check the fingerprint with them over a channel you trust, then add the line to their entry. It replaces the key they held.</p>\n"
        out += "<label for=\"key-person\">Person</label>\n" + personSelect("key-person", people)
        out += "<label for=\"key-line\">Their browser's public key <span class=\"hint\">The line starting with ssh-ed25519.</span></label>\n"
        out += "<textarea id=\"key-line\" name=\"key\" class=\"keyline\" rows=\"3\" required></textarea>\n"
        out += "<label for=\"key-reason\">Reason <span class=\"hint\">Optional.</span></label>\n<input type=\"text\" id=\"key-reason\" name=\"reason\">\n"
        out += "<button type=\"submit\">Prepare the key change</button>\n</form>\n"

        out += "<h2>Add a person</h2>\n<form class=\"act\" id=\"roster-add\" method=\"post\" action=\"/web/roster/prepare\">\n\(csrf)<input type=\"hidden\" name=\"action\" value=\"add\">\n"
        out += "<label for=\"add-id\">Id <span class=\"hint\">Lower-case letters, digits and dashes; never reused.</span></label>\n<input type=\"text\" id=\"add-id\" name=\"id\" required>\n"
        out += "<label for=\"add-name\">Name</label>\n<input type=\"text\" id=\"add-name\" name=\"name\" required>\n"
        out += "<label for=\"add-title\">Title <span class=\"hint\">Optional.</span></label>\n<input type=\"text\" id=\"add-title\" name=\"title\">\n"
        out += "<label for=\"add-roles\">Roles <span class=\"hint\">Separated by commas.</span></label>\n<input type=\"text\" id=\"add-roles\" name=\"roles\">\n"
        out += "<label for=\"add-key\">Key <span class=\"hint\">Optional: their browser's or their own ssh-ed25519 line.</span></label>\n"
        out += "<textarea id=\"add-key\" name=\"key\" class=\"keyline\" rows=\"2\"></textarea>\n"
        out += "<p><input type=\"checkbox\" id=\"add-publish\" name=\"publish_name\" value=\"yes\"> <label class=\"inline\" for=\"add-publish\">Publish the name "
            + "(otherwise only its salted digest enters the roster's log)</label></p>\n"
        out += "<button type=\"submit\">Prepare the addition</button>\n</form>\n"

        for (action, title) in [("grant", "Grant a role"), ("revoke", "Revoke a role")] {
            out += "<h2>\(title)</h2>\n<form class=\"act\" id=\"roster-\(action)\" method=\"post\" action=\"/web/roster/prepare\">\n\(csrf)"
                + "<input type=\"hidden\" name=\"action\" value=\"\(action)\">\n"
            out += "<label for=\"\(action)-person\">Person</label>\n" + personSelect("\(action)-person", people)
            out += "<label for=\"\(action)-role\">Role</label>\n<input type=\"text\" id=\"\(action)-role\" name=\"role\" required>\n"
            out += "<label for=\"\(action)-reason\">Reason</label>\n<input type=\"text\" id=\"\(action)-reason\" name=\"reason\" required>\n"
            out += "<button type=\"submit\">Prepare</button>\n</form>\n"
        }
        return out
    }
}
