import Foundation
import HRIAKit
@testable import HRIAServer
import Testing

/// The web pages over HTTP, without a browser (the browser tests drive a real one): signing in with a signed
/// challenge, what every page sends, forms refused without their token or from another site, and an act prepared on
/// a page, signed exactly as the page script signs it (the cut lines, linked one to the next), and recorded.
@Suite("hria serve: the web pages")
struct WebPagesTests {
    /// A signed-in person: the session cookie and the token its forms carry.
    struct Session {
        var cookie: String
        var csrf: String
        var headers: [String: String] { ["Cookie": cookie] }
    }

    static func challenge(_ server: RunningServer) throws -> String {
        let reply = try server.request("POST", "/web/sign-in/challenge", body: Data("{}".utf8), headers: ["Content-Type": "application/json"])
        try #require(reply.status == 200, "\(reply.text)")
        return try #require(reply.json["challenge"] as? String)
    }

    static func signIn(_ server: RunningServer, key: SSHPrivateKey, namespace: String = "hria-web-sign-in",
                       challenge given: String? = nil) throws -> RunningServer.Reply {
        let challenge = try given ?? Self.challenge(server)
        let signature = Base64.standard.encode(try key.sign(Array(challenge.utf8), namespace: namespace))
        let body = JSONValue.object(["key": .string(key.publicKey.authorizedKey), "challenge": .string(challenge),
                                     "signature": .string(signature), "next": .string("/web/assessments/demo")])
        return try server.request("POST", "/web/sign-in", body: Data(body.rendered(pretty: false).utf8), headers: ["Content-Type": "application/json"])
    }

    static func session(_ server: RunningServer, key: SSHPrivateKey) throws -> Session {
        let reply = try signIn(server, key: key)
        try #require(reply.status == 200, "\(reply.text)")
        let setCookie = try #require(reply.header("Set-Cookie"))
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Max-Age=1800"))
        let cookie = String(setCookie.prefix { $0 != ";" })
        let page = try server.request("GET", "/web", headers: ["Cookie": cookie])
        try #require(page.status == 200, "\(page.text)")
        return Session(cookie: cookie, csrf: try csrf(in: page.text))
    }

    static func csrf(in page: String) throws -> String {
        let marker = "name=\"csrf\" value=\""
        let start = try #require(page.range(of: marker), "the page carries no form token")
        return String(page[start.upperBound...].prefix { $0 != "\"" })
    }

    static func form(_ pairs: [(String, String)]) -> Data {
        let allowed = CharacterSet.alphanumerics.union(.init(charactersIn: "-._~"))
        return Data(pairs.map { "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }
            .joined(separator: "&").utf8)
    }

    static func post(_ server: RunningServer, _ path: String, _ session: Session, _ pairs: [(String, String)],
                     extra: [String: String] = [:]) throws -> RunningServer.Reply {
        var headers = session.headers
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers.merge(extra) { _, new in new }
        return try server.request("POST", path, body: form(pairs), headers: headers)
    }

    /// The signatures of a Check-and-sign page, made as hria.js makes them: each line rebuilt from its cuts with the
    /// hash of the signed line before it, signed as an SSH signature in the namespace `hria-event`.
    static func signReviewPage(_ page: String, key: SSHPrivateKey) throws -> (draft: String, size: String, signatures: [String]) {
        func hidden(_ name: String, by attribute: String = "name") throws -> String {
            let marker = "\(attribute)=\"\(name)\" value=\""
            let start = try #require(page.range(of: marker), "no \(name) on the review page")
            return String(page[start.upperBound...].prefix { $0 != "\"" })
        }
        let encoded = try hidden("lines", by: "id")
        let decoded = encoded.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
        let data = try JSONParser.parse(Array(decoded.utf8))
        var prev = try #require(data["prev"]?.stringValue)
        var signatures: [String] = []
        for line in try #require(data["lines"]?.arrayValue) {
            let before = try #require(line["before"]?.stringValue), middle = try #require(line["middle"]?.stringValue)
            let rest = try #require(line["rest"]?.stringValue)
            let unsigned = Array((before + prev + middle + rest).utf8)
            let signature = Base64.standard.encode(try key.sign(unsigned, namespace: PersonKey.namespace))
            signatures.append(signature)
            let signed = Array((before + prev + middle + "\"sig\":\"\(signature)\"," + rest).utf8)
            prev = Digest.sha256Hex([0] + signed)
        }
        return (try hidden("draft"), try hidden("size"), signatures)
    }

    @Test("a browser key signs in with a fresh challenge; pages need a session and send a strict policy")
    func signingIn() throws {
        let (ws, server) = try ServerAPITests.serving("hria-web-sign-in")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        let key = try ServerAPITests.key(ws, "ana")

        // Without a session a page leads to signing in, with where to come back to.
        let anonymous = try server.request("GET", "/web/assessments/demo")
        #expect(anonymous.status == 200 && anonymous.text.contains("id=\"sign-in\""), "\(anonymous.status)")
        let signInPage = try server.get("/web/sign-in")
        #expect(signInPage.header("Content-Security-Policy")?.contains("script-src 'self'") == true)
        #expect(signInPage.header("Content-Security-Policy")?.contains("frame-ancestors 'none'") == true)
        #expect(!signInPage.text.contains("<script>") && !signInPage.text.contains("style=\""))

        // A challenge is used once; a signature in another namespace (an event's) never opens a session.
        let challenge = try Self.challenge(server)
        #expect(try Self.signIn(server, key: key, namespace: PersonKey.namespace, challenge: challenge).status == 401)
        #expect(try Self.signIn(server, key: key, challenge: challenge).status == 401, "a challenge taken once is gone")
        // A key nobody on the roster holds.
        let stranger = SSHPrivateKey(comment: "stranger")
        let refused = try Self.signIn(server, key: stranger)
        #expect(refused.status == 403 && refused.text.contains("roster"))

        let session = try Self.session(server, key: key)
        let page = try server.request("GET", "/web/assessments/demo", headers: session.headers)
        #expect(page.status == 200)
        #expect(page.text.contains("Tamper fixture") && page.text.contains("Signed in as <strong>ana</strong>"))
        #expect(page.header("Cache-Control") == "no-store" && page.header("X-Content-Type-Options") == "nosniff")
        for path in ["/web", "/web/workflows", "/web/workflows/demo", "/web/roster", "/web/assessments/demo/audit"] {
            let reply = try server.request("GET", path, headers: session.headers)
            #expect(reply.status == 200, "\(path): \(reply.status) \(reply.text.prefix(300))")
            #expect(reply.header("Content-Security-Policy") != nil, "\(path)")
        }
        let audit = try server.request("GET", "/web/assessments/demo/audit", headers: session.headers)
        #expect(audit.text.contains("Verified now") && audit.text.contains("Latest checkpoint"), "\(audit.text.suffix(3000))")

        // Signing out ends the session.
        _ = try Self.post(server, "/web/sign-out", session, [("csrf", session.csrf)])
        let after = try server.request("GET", "/web/roster", headers: session.headers)
        #expect(after.text.contains("id=\"sign-in\""))
    }

    @Test("a comment prepared on the page, signed as the page script signs it, is recorded as ana's and verifies")
    func actingFromAPage() throws {
        let (ws, server) = try ServerAPITests.serving("hria-web-act")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        let key = try ServerAPITests.key(ws, "ana")
        let session = try Self.session(server, key: key)
        let before = try ws.events().count

        // Without the session's token, or sent from another site, a form is refused and nothing is prepared.
        let text = "From the web page: \u{202E}reversed? <b>no</b>\r\nA second line."
        let noToken = try Self.post(server, "/web/assessments/demo/act", session, [("action", "comment"), ("text", text)])
        #expect(noToken.status == 403)
        let crossSite = try Self.post(server, "/web/assessments/demo/act", session, [("csrf", session.csrf), ("action", "comment"), ("text", text)],
                                      extra: ["Sec-Fetch-Site": "cross-site"])
        #expect(crossSite.status == 403)
        let otherOrigin = try Self.post(server, "/web/assessments/demo/act", session, [("csrf", session.csrf), ("action", "comment"), ("text", text)],
                                        extra: ["Origin": "https://elsewhere.example"])
        #expect(otherOrigin.status == 403)

        let review = try Self.post(server, "/web/assessments/demo/act", session, [("csrf", session.csrf), ("action", "comment"), ("text", text)])
        try #require(review.status == 200, "\(review.text.prefix(500))")
        #expect(review.text.contains("Check and sign") && review.text.contains("&lt;b&gt;no&lt;/b&gt;") && review.text.contains("\\u{202e}"))
        #expect(try ws.events().count == before, "preparing records nothing")

        let (draft, size, signatures) = try Self.signReviewPage(review.text, key: key)
        // A signature made with another key is refused, and nothing is recorded.
        let forged = try Self.post(server, "/web/assessments/demo/commit", session,
                                   [("csrf", session.csrf), ("draft", draft), ("size", size),
                                    ("signatures", "[\"" + Base64.standard.encode(try SSHPrivateKey(comment: "x").sign(Array("x".utf8), namespace: PersonKey.namespace)) + "\"]")])
        #expect(forged.status == 422, "\(forged.status) \(forged.text.prefix(300))")
        #expect(try ws.events().count == before)

        // The forged try used the draft up: prepare again, and sign it properly.
        let again = try Self.post(server, "/web/assessments/demo/act", session, [("csrf", session.csrf), ("action", "comment"), ("text", text)])
        let (draft2, size2, signatures2) = try Self.signReviewPage(again.text, key: key)
        #expect(signatures.count == 1)
        let json = "[" + signatures2.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        let committed = try Self.post(server, "/web/assessments/demo/commit", session,
                                      [("csrf", session.csrf), ("draft", draft2), ("size", size2), ("signatures", json)])
        #expect(committed.status == 200 && committed.text.contains("Recorded 1 signed event"), "\(committed.status) \(committed.text.prefix(400))")
        let events = try ws.events()
        #expect(events.count == before + 1)
        let last = try #require(events.last)
        #expect(last["actor"] as? String == "ana" && last["type"] as? String == "comment.added" && last["sig"] != nil)
        // The text area's CR LF is recorded as the command line records a line break.
        #expect((last["data"] as? [String: Any])?["text"] as? String == "From the web page: \u{202E}reversed? <b>no</b>\nA second line.")
        try ws.ok(["verify", "demo"])
    }

    @Test("an admin enrols a browser on the roster page: the key line replaces the person's key, signed by the admin")
    func enrollingOnTheRosterPage() throws {
        let (ws, server) = try ServerAPITests.serving("hria-web-roster")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        let adminKey = try ServerAPITests.key(ws, "admin")
        let session = try Self.session(server, key: adminKey)
        let browser = SSHPrivateKey(comment: "kofi's browser")
        let malformed = try Self.post(server, "/web/roster/prepare", session,
                                      [("csrf", session.csrf), ("action", "key"), ("person", "kofi"), ("key", "not a key")])
        #expect(malformed.status == 400 && malformed.text.contains("ssh-ed25519"))
        let review = try Self.post(server, "/web/roster/prepare", session,
                                   [("csrf", session.csrf), ("action", "key"), ("person", "kofi"), ("key", browser.publicKey.authorizedKey)])
        try #require(review.status == 200, "\(review.text.prefix(500))")
        let (draft, size, signatures) = try Self.signReviewPage(review.text, key: adminKey)
        let json = "[" + signatures.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        let committed = try Self.post(server, "/web/roster/commit", session, [("csrf", session.csrf), ("draft", draft), ("size", size), ("signatures", json)])
        #expect(committed.status == 200 && committed.text.contains("Recorded 1 signed change"), "\(committed.text.prefix(400))")
        // Kofi's browser now signs in as kofi.
        let kofi = try Self.signIn(server, key: browser)
        #expect(kofi.status == 200 && kofi.json["person"] as? String == "kofi", "\(kofi.text)")
        try ws.ok(["verify", "--roster"])
    }

    @Test("the cuts a review page gives the script rebuild each line of a several-event draft exactly, and linking them gives the command line's signed lines")
    func cutsRebuildTheLines() throws {
        let ws = try AuditFixture.copy("hria-web-cuts")
        defer { ws.cleanUp() }
        let workspace = try Workspace.open(root: ws.root.path, environment: [:])
        let key = try ServerAPITests.key(ws, "admin")
        var random = SecureRandom()
        // Leaving intake for the terminal stage records the move and the decision: two lines, the second linked to the first.
        let prepared = try workspace.prepare(AuditFixture.id, command: .advance(to: "done", reason: "all done"), actor: try workspace.person("ana"),
                                             clock: .fixed(Date(timeIntervalSince1970: 1_800_000_000)), random: &random)
        try #require(prepared.unsignedLines.count >= 2, "the draft has \(prepared.unsignedLines.count) lines")
        let data = try SignableLines.data(prepared.unsignedLines, key: key.publicKey.authorizedKey)
        let expected = try PreparedLines.sign(prepared.unsignedLines) { Base64.standard.encode(try key.sign($0, namespace: PersonKey.namespace)) }
        var prev = try #require(data["prev"]?.stringValue)
        for (index, cut) in try #require(data["lines"]?.arrayValue).enumerated() {
            let before = try #require(cut["before"]?.stringValue), middle = try #require(cut["middle"]?.stringValue)
            let rest = try #require(cut["rest"]?.stringValue)
            if index == 0 { #expect(Array((before + prev + middle + rest).utf8) == prepared.unsignedLines[0]) }
            let signature = Base64.standard.encode(try key.sign(Array((before + prev + middle + rest).utf8), namespace: PersonKey.namespace))
            let signed = Array((before + prev + middle + "\"sig\":\"\(signature)\"," + rest).utf8)
            #expect(signed == expected.lines[index], "line \(index) differs from the command line's")
            prev = Digest.sha256Hex([0] + signed)
        }
    }

    @Test("the evidence form's multipart body: parts with their headers, a file holding line breaks and dashes, and malformed bodies refused")
    func multipartBodies() throws {
        #expect(MultipartFormData.boundary(contentType: "multipart/form-data; boundary=\"a b\"") == "a b")
        #expect(MultipartFormData.boundary(contentType: "multipart/form-data; charset=utf-8; boundary=XyZ") == "XyZ")
        #expect(MultipartFormData.boundary(contentType: "application/x-www-form-urlencoded") == nil)
        #expect(MultipartFormData.boundary(contentType: "multipart/form-data; boundary=" + String(repeating: "x", count: 71)) == nil)
        let file = "line one --XyZ, not after a line break\r\n-- and dashes\r\n"
        let body = "preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntoken\r\n"
            + "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\n\(file)\r\n--XyZ--\r\nepilogue"
        let parts = try MultipartFormData.parse(Array(body.utf8), boundary: "XyZ")
        try #require(parts.count == 2)
        #expect(parts[0].headers["content-disposition"] == "form-data; name=\"csrf\"" && parts[0].body == Array("token".utf8))
        #expect(parts[1].headers["content-type"] == "text/plain" && parts[1].body == Array(file.utf8))
        for bad in ["no boundary at all", "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end",
                    "--XyZ\r\nNo colon here\r\n\r\nx\r\n--XyZ--", "--XyZ junk", "--XyZ\r\n" + String(repeating: "h", count: 20_000)] {
            #expect(throws: MultipartFormData.Failure.self, "\(bad.prefix(40))") { try MultipartFormData.parse(Array(bad.utf8), boundary: "XyZ") }
        }
        let many = (0 ..< 1_001).map { _ in "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n" }.joined() + "--XyZ--"
        #expect(throws: MultipartFormData.Failure.self) { try MultipartFormData.parse(Array(many.utf8), boundary: "XyZ") }
    }
}
