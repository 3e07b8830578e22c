import Foundation
import HRIAKit
import Hummingbird
import NIOCore

/// The web pages under /web (docs/WEB.md): for the people who take part in an assessment without a terminal. The
/// pages are made here from the same HRIAKit calls as the command line; every act is prepared here and signed in
/// the person's browser with its own key, then checked and recorded exactly as the command line's.
extension HRIAServer {
    static let sessionCookie = "hria_session"

    func addWebRoutes(to router: Router<HRIARequestContext>) {
        router.get("/") { _, _ in Response.seeOther("/web") }
        let web = router.group("web").add(middleware: WebErrorPages())
        web.get("static/hria.css") { _, _ in Self.asset(WebAssets.css, type: "text/css; charset=utf-8") }
        web.get("static/hria.js") { _, _ in Self.asset(WebAssets.javascript, type: "text/javascript; charset=utf-8") }

        // Each group is its own: Hummingbird's add(middleware:) adds to the group it is called on, so a group made by
        // adding to `web` would put its middleware on every route added to `web` afterwards.
        let open = router.group("web").add(middleware: WebErrorPages()).add(middleware: WebSameOrigin(maximumBodySize: settings.maximumBodySize))
        open.get("sign-in") { request, context in
            let next = Self.safeNext(request.uri.queryParameters.get("next"))
            return Response.page(HTML.page(title: "Sign in", body: WebAccountPages.signIn(next: next), script: true))
        }
        open.get("enrol") { _, _ in
            Response.page(HTML.page(title: "Enrol this browser", body: WebAccountPages.enrol(), script: true))
        }
        open.post("sign-in/challenge") { _, _ in
            guard let challenge = self.web.challenge(now: Date()) else {
                throw Problem(status: .serviceUnavailable, kind: "busy", title: "Busy", detail: "too many sign-ins are waiting; try again",
                              exitCode: ExitStatus.busy.rawValue)
            }
            return Response.json(.object(["challenge": .string(challenge)]))
        }
        open.post("sign-in") { _, context in
            try await self.signIn(context)
        }

        let signedIn = router.group("web").add(middleware: WebErrorPages()).add(middleware: WebSignedIn(server: self))
        signedIn.post("sign-out") { request, context in
            let fields = try FormFields(context.body.readableBytesView)
            try Self.checkCSRF(fields["csrf"], context)
            if let id = WebSignedIn.cookie(request) { self.web.close(id) }
            var headers = HTTPFields()
            headers[.setCookie] = "\(Self.sessionCookie)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" + (settings.tlsCertificate == nil ? "" : "; Secure")
            return Response.seeOther("/web/sign-in?signed-out=1", extra: headers)
        }
        addWebPortfolio(to: signedIn)
        addWebAssessmentPages(to: signedIn)
        addWebWorkflowPages(to: signedIn)
        addWebRosterPages(to: signedIn)
        addWebAuditPages(to: signedIn)
        addWebConsultation(open: open, signedIn: signedIn)
    }

    /// `/web/assessments/ID/evidence`: the one web form that carries a file.
    static func isWebEvidenceForm(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 5 && parts[1] == "web" && parts[2] == "assessments" && parts[4] == "evidence"
    }

    static func asset(_ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-cache"
        headers[.xContentTypeOptions] = "nosniff"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Where to go after signing in: a page of this server's web pages, never another site.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/web"), !next.hasPrefix("//"), !next.contains("\\"),
              next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else { return "/web" }
        return next
    }

    /// Signing in: the challenge this server gave out, signed (SSHSIG, namespace `hria-web-sign-in`) with the key the
    /// roster lists for a person. The session is theirs; nothing else about them is taken from the browser.
    func signIn(_ context: HRIARequestContext) async throws -> Response {
        let body = try Self.json(context.body)
        guard let line = body["key"]?.stringValue, let challenge = body["challenge"]?.stringValue,
              let signature = body["signature"]?.stringValue else {
            throw Problem.badInput("signing in needs key, challenge and signature")
        }
        guard web.take(challenge: challenge, now: Date()) else {
            throw Problem(status: .unauthorized, kind: "unauthorized", title: "Challenge unknown",
                          detail: "this sign-in challenge was not given out here, was used already or has expired; try again",
                          exitCode: ExitStatus.badInput.rawValue)
        }
        guard let key = try? SSHPublicKey(authorizedKey: line), let blob = Base64.standard.decode(signature, strict: true),
              (try? SSHSignature.verify(blob, message: Array(challenge.utf8), namespace: WebSessions.namespace, publicKey: key)) != nil else {
            ServerMetrics.refusedRequests.increment()
            throw Problem(status: .unauthorized, kind: "unauthorized", title: "Signature refused",
                          detail: "the challenge is not signed with this key", exitCode: ExitStatus.badInput.rawValue)
        }
        let person = try await blocking { () throws -> String? in
            let workspace = try self.openWorkspace()
            guard let standing = try workspace.roster() else { return nil }
            return standing.roster.members.values.first { member in
                !member.isRemoved && member.key.flatMap { try? SSHPublicKey(authorizedKey: $0) } == key
            }?.id
        }
        guard let person, let opened = web.open(person: person, key: line, now: Date()) else {
            ServerMetrics.refusedRequests.increment()
            throw Problem(status: .forbidden, kind: "forbidden", title: "Key not on the roster",
                          detail: "no one on the roster holds this browser's key (\(key.fingerprint))",
                          help: "an admin adds it to your entry on the roster page; the enrol page shows the key to give them",
                          exitCode: ExitStatus.badInput.rawValue)
        }
        var headers = HTTPFields()
        headers[.setCookie] = "\(Self.sessionCookie)=\(opened.id); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(Int(WebSessions.sessionLifetime))"
            + (settings.tlsCertificate == nil ? "" : "; Secure")
        var response = Response.json(.object(["next": .string(Self.safeNext(body["next"]?.stringValue)), "person": .string(person)]))
        response.headers.append(contentsOf: headers)
        return response
    }

    /// A form of a signed-in person carries their session's token: a form sent from another site never does.
    static func checkCSRF(_ token: String?, _ context: HRIARequestContext) throws {
        guard let expected = context.session?.csrf, let token, WebSessions.sameToken(token, expected) else {
            throw Problem(status: .forbidden, kind: "forbidden", title: "Form not accepted",
                          detail: "this form does not carry this session's token (it was sent from another page, or the session changed)",
                          help: "go back, reload the page and send it again", exitCode: ExitStatus.badInput.rawValue)
        }
    }
}

/// Refuses what another site's page sends: a request whose Origin is not this server, or that the browser marks as
/// cross-site. Collects the body (up to `maximumBodySize`) for the route.
struct WebSameOrigin: RouterMiddleware {
    typealias Context = HRIARequestContext
    let maximumBodySize: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post else { return try await next(request, context) }
        var request = request
        var context = context
        context.body = try await Self.admit(&request, upTo: maximumBodySize)
        return try await next(request, context)
    }

    /// A form sent from this server's own pages, collected whole under `cap`: what every POST under /web goes through.
    static func admit(_ request: inout Request, upTo cap: Int) async throws -> ByteBuffer {
        try check(request)
        do {
            return try await request.collectBody(upTo: cap)
        } catch {
            throw Problem(status: .contentTooLarge, kind: "too-large", title: "Form too large",
                          detail: "the form is larger than this server takes (\(cap) bytes)", exitCode: ExitStatus.badInput.rawValue)
        }
    }

    static func check(_ request: Request) throws {
        let site = request.headers.first { $0.name.canonicalName == "sec-fetch-site" }?.value
        if let site, site != "same-origin", site != "none" { throw crossSite() }
        guard let origin = request.headers.first(where: { $0.name.canonicalName == "origin" })?.value else { return }
        let host = request.head.authority ?? request.headers.first { $0.name.canonicalName == "host" }?.value ?? ""
        let bare = origin.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first.map(String.init) ?? ""
        if bare != host { throw crossSite() }
    }

    static func crossSite() -> Problem {
        Problem(status: .forbidden, kind: "forbidden", title: "Sent from another site",
                detail: "this server takes forms only from its own pages", exitCode: ExitStatus.badInput.rawValue)
    }
}

/// The pages of a signed-in person: the session named by the cookie, still open, for a person still on the roster
/// with the key they signed in with. Anyone else is sent to sign in (a page) or refused (a form).
struct WebSignedIn: RouterMiddleware {
    typealias Context = HRIARequestContext
    let server: HRIAServer

    static func cookie(_ request: Request) -> String? {
        for field in request.headers where field.name.canonicalName == "cookie" {
            for part in field.value.split(separator: ";") {
                let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0] == HRIAServer.sessionCookie { return String(pair[1]) }
            }
        }
        return nil
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let id = Self.cookie(request) else { throw WebSignedIn.signedOut(request) }
        guard let session = server.web.session(id, now: Date()) else {
            throw WebSignedIn.signedOut(request, why: "your session has ended (sessions last 30 minutes, and end when the server restarts)")
        }
        let (workspace, current) = try await server.blocking { () throws -> (Workspace, Person?) in
            let workspace = try server.openWorkspace()
            do {
                return (workspace, try workspace.person(session.person))
            } catch let error as HRIAError where error.status == .badInput {
                return (workspace, nil)
            }
        }
        guard let current, current.key.flatMap({ try? SSHPublicKey(authorizedKey: $0) }) == (try? SSHPublicKey(authorizedKey: session.key)) else {
            // Removed from the roster, or their key changed since: the session ends here.
            server.web.close(id)
            throw WebSignedIn.signedOut(request, why: "your entry on the roster changed since you signed in (your key, or you were removed)")
        }
        var context = context
        context.signer = session.person
        context.session = session
        context.workspace = workspace
        if request.method == .post {
            // The evidence form may carry a file: it is read under the upload cap, everything else under the body cap.
            let upload = HRIAServer.isWebEvidenceForm(request.uri.path)
            let cap = upload ? server.settings.maximumUploadSize : server.settings.maximumBodySize
            // An evidence form is held in memory whole: only a few at once, so that they cannot exhaust it.
            if upload {
                guard WebUploads.shared.enter() else {
                    var problem = Problem(status: .serviceUnavailable, kind: "busy", title: "Busy",
                                          detail: "several evidence files are being received; send the form again in a moment",
                                          exitCode: ExitStatus.busy.rawValue)
                    problem.retryAfter = 2
                    throw problem
                }
            }
            defer { if upload { WebUploads.shared.leave() } }
            var request = request
            context.body = try await WebSameOrigin.admit(&request, upTo: cap)
            return try await next(request, context)
        }
        return try await next(request, context)
    }

    static func signedOut(_ request: Request, why: String? = nil) -> Problem {
        var problem = Problem.signedOut
        if let why { problem.detail = why + "; sign in again with this browser's key" }
        if request.method == .get {
            let next = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            problem.location = "/web/sign-in" + HTML.query([("next", next)])
        }
        return problem
    }
}

/// The evidence forms being received at once (each is held in memory whole, up to the upload cap).
final class WebUploads: @unchecked Sendable {
    // @unchecked: `count` is reached only under `lock`.
    private let lock = NSLock()
    private var count = 0
    static let limit = 4
    static let shared = WebUploads()

    func enter() -> Bool {
        lock.withLock {
            guard count < Self.limit else { return false }
            count += 1
            return true
        }
    }

    func leave() { lock.withLock { count -= 1 } }
}

/// Every failure under /web as a page a person can read, with what to do: a refusal lists each blocker; a page that
/// needs a session sends the browser to sign in.
struct WebErrorPages: RouterMiddleware {
    typealias Context = HRIARequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            return Self.page(problem, request: request, context: context)
        } catch let error as HRIAError {
            return Self.page(Problem(error), request: request, context: context)
        } catch let error as any HTTPResponseError where error.status == .notFound {
            return Self.page(Problem.notFound("there is no page at \(DisplayText.escape(request.uri.path))"), request: request, context: context)
        }
    }

    static func page(_ problem: Problem, request: Request, context: Context) -> Response {
        if let location = problem.location { return Response.seeOther(location) }
        // The sign-in calls are made by the page script, which reads problem details.
        if request.uri.path.hasPrefix("/web/sign-in") && request.method == .post, let response = try? problem.response(from: request, context: context) {
            return response
        }
        var body = "<h1>\(HTML.escape(problem.title))</h1>\n<div class=\"notice bad\" role=\"alert\"><p>\(HTML.escape(problem.detail))</p>"
        if let help = problem.help { body += "<p>\(HTML.escape(help))</p>" }
        body += "</div>\n"
        if let blockers = problem.data?["blockers"]?.arrayValue, !blockers.isEmpty {
            body += "<h2>What stands in the way</h2>\n<ul class=\"blockers\">"
            for blocker in blockers {
                body += "<li>\(HTML.escape(blocker["description"]?.stringValue ?? ""))"
                if let next = blocker["next"]?.stringValue { body += "<br><span class=\"hint\">\(HTML.escape(next))</span>" }
                body += "</li>"
            }
            body += "</ul>\n"
        }
        body += "<p><a href=\"/web\">Back to the portfolio</a></p>"
        return Response.page(HTML.page(title: problem.title, body: body, viewer: context.session?.person, csrf: context.session?.csrf),
                             status: problem.status)
    }
}
