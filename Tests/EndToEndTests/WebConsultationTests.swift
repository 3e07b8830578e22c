import Foundation
import HRIAKit
@testable import HRIAServer
import Testing

/// Stakeholder input on the web (docs/WEB.md, "Stakeholder input"), over HTTP without a browser: the owner opens a
/// consultation form; anyone with its link answers it without a session or a script; the answer waits as a private
/// item, never in the log, a public bundle or the server's logs; the owner records it as evidence (signed as the page
/// script signs) or declines it, and either way it is gone.
@Suite("hria serve: consultation forms for people at risk")
struct WebConsultationTests {
    typealias Session = WebPagesTests.Session

    /// The audit fixture served with every log line the server can write (trace), on files or on a database.
    static func serving(_ name: String, store: String? = nil) throws -> (TestWorkspace, RunningServer) {
        let ws = try AuditFixture.copy(name)
        try ws.publishKey("ana")
        let serverHome = ws.parent.appendingPathComponent("server-home")
        try FileManager.default.createDirectory(at: serverHome, withIntermediateDirectories: true)
        var environment = ["XDG_CONFIG_HOME": serverHome.path, "SSH_AUTH_SOCK": ""]
        if let store { environment["HRIA_STORE"] = store }
        let server = try RunningServer(in: ws.root, ["--log-level", "trace"], environment: environment)
        return (ws, server)
    }

    /// Opens a consultation form for `talks` as the signed-in owner; its public link.
    static func open(_ server: RunningServer, _ session: Session, language: String, questions: String = "") throws -> String {
        let before = try server.request("GET", "/web/assessments/demo", headers: session.headers)
        #expect(before.text.contains("Open a consultation form"), "\(before.text.prefix(300))")
        let opened = try WebPagesTests.post(server, "/web/assessments/demo/consultations/open", session,
                                            [("csrf", session.csrf), ("requirement", "talks"), ("title", "Your voice on the platform"),
                                             ("introduction", "We are asking people who use the platform.\n\nNobody needs to give a name."),
                                             ("questions", questions), ("language", language), ("closes", "2099-12-31")])
        try #require(opened.status == 200, "\(opened.status) \(opened.text.prefix(500))")
        return try link(in: opened.text)
    }

    static func link(in page: String) throws -> String {
        let start = try #require(page.range(of: "href=\"/web/consult/"), "no consultation link on the page")
        return "/web/consult/" + String(page[start.upperBound...].prefix { $0 != "\"" })
    }

    static func hidden(_ name: String, in page: String) throws -> String {
        let marker = "name=\"\(name)\" value=\""
        let start = try #require(page.range(of: marker), "no \(name) in the page")
        return String(page[start.upperBound...].prefix { $0 != "\"" })
    }

    static func answer(_ server: RunningServer, _ link: String, _ pairs: [(String, String)]) throws -> RunningServer.Reply {
        try server.request("POST", link, body: WebPagesTests.form(pairs), headers: ["Content-Type": "application/x-www-form-urlencoded"])
    }

    /// The key of the first answer awaiting review on the owner's page of `demo`.
    static func waitingKey(_ server: RunningServer, _ session: WebPagesTests.Session) throws -> String {
        let owner = try server.request("GET", "/web/assessments/demo", headers: session.headers)
        let action = try #require(owner.text.range(of: "/consultations/answers/"))
        return String(owner.text[action.upperBound...].prefix { $0 != "/" })
    }

    /// The commit form of an answer of `demo` prepared for recording and signed with `key`, as the page script does.
    static func preparedRecording(_ server: RunningServer, _ session: WebPagesTests.Session, key: SSHPrivateKey, answer: String) throws -> [(String, String)] {
        let review = try WebPagesTests.post(server, "/web/assessments/demo/consultations/answers/\(answer)/record", session,
                                            [("csrf", session.csrf), ("field:group", "Defenders"), ("confidential:statement", "we were not asked"),
                                             ("confidential:participants", "one person")])
        try #require(review.status == 200, "\(review.status) \(review.text.prefix(400))")
        let (draft, size, signatures) = try WebPagesTests.signReviewPage(review.text, key: key)
        return [("csrf", session.csrf), ("draft", draft), ("size", size), ("signatures", "[" + signatures.map { "\"\($0)\"" }.joined(separator: ",") + "]")]
    }

    static func files(under folder: URL) -> [URL] {
        let names = (try? FileManager.default.subpathsOfDirectory(atPath: folder.path)) ?? []
        return names.map { folder.appendingPathComponent($0) }.filter { url in
            var directory: ObjCBool = false
            return FileManager.default.fileExists(atPath: url.path, isDirectory: &directory) && !directory.boolValue
        }
    }

    static func contains(_ folder: URL, _ marker: String) -> [String] {
        files(under: folder).filter { (try? Data(contentsOf: $0)).map { String(decoding: $0, as: UTF8.self).contains(marker) } ?? false }.map(\.path)
    }

    @Test("every language of the catalogue has every string; Arabic is right to left")
    func catalogueIsComplete() throws {
        #expect(Set(WebCatalogue.languages.map(\.code)) == Set(WebCatalogue.strings.keys))
        for language in WebCatalogue.languages {
            let strings = try #require(WebCatalogue.strings[language.code])
            for key in WebCatalogue.Key.allCases {
                let text = strings[key]?.trimmingCharacters(in: .whitespaces) ?? ""
                #expect(!text.isEmpty, "\(language.code) has no \(key.rawValue)")
            }
            #expect(language.direction == (language.code == "ar" ? "rtl" : "ltr"))
        }
    }

    @Test("an anonymous answer: no script, consent needed, kept as a private item, never in the log, a bundle or the server's logs; recorded as evidence, then gone")
    func answeringAndRecording() throws {
        let (ws, server) = try Self.serving("hria-web-consult")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        let session = try WebPagesTests.session(server, key: try ServerAPITests.key(ws, "ana"))
        let link = try Self.open(server, session, language: "ar", questions: "statement: ما الذي يقلقك؟")
        let token = String(try #require(link.split(separator: "/").last))

        // The public page: no session, no script, no image, in the consultation's language, right to left.
        let page = try server.get(link)
        #expect(page.status == 200, "\(page.text.prefix(300))")
        #expect(page.text.contains("<html lang=\"ar\" dir=\"rtl\">") && page.text.contains("ما الذي يقلقك؟"))
        #expect(!page.text.lowercased().contains("<script") && !page.text.lowercased().contains("<img") && !page.text.contains("style=\""))
        #expect(page.text.contains(WebCatalogue.text(.confidentialHint, "ar")) && page.text.contains(WebCatalogue.text(.consentText, "ar")))
        #expect(page.text.contains(WebCatalogue.text(.skipToContent, "ar")) && !page.text.contains("Sign in"))
        #expect(page.body.count < 16_000, "a page for a slow phone: \(page.body.count) bytes")
        #expect(page.header("Content-Security-Policy")?.contains("script-src 'self'") == true)
        let form = try Self.hidden("form", in: page.text)

        let secret = "CONFIDENTIAL-\(UUID().uuidString)", name = "NAME-\(UUID().uuidString)"
        let answers = [("form", form), ("f:group", "Women journalists"), ("f:statement", secret), ("name", name)]
        let privateFolder = ws.assessment("demo").appendingPathComponent("private/submissions")

        // Without consent nothing is kept, and what was written comes back to be sent again.
        let noConsent = try Self.answer(server, link, answers)
        #expect(noConsent.status == 422 && noConsent.text.contains(WebCatalogue.text(.consentRequired, "ar")), "\(noConsent.status)")
        #expect(noConsent.text.contains(secret) && noConsent.text.contains("dir=\"rtl\""))
        #expect(Self.files(under: privateFolder).isEmpty)
        // A form not served for this consultation, another site, or a wrong token: refused, nothing kept.
        #expect(try Self.answer(server, link, [("form", "forged")] + answers.dropFirst() + [("consent", "yes")]).status == 403)
        let crossSite = try server.request("POST", link, body: WebPagesTests.form(answers + [("consent", "yes")]),
                                           headers: ["Content-Type": "application/x-www-form-urlencoded", "Origin": "https://elsewhere.example"])
        #expect(crossSite.status == 403)
        let wrongToken = try Self.answer(server, link.replacingOccurrences(of: token, with: String(token.reversed())), answers + [("consent", "yes")])
        #expect(wrongToken.status == 404 && !wrongToken.text.contains("<script"))
        #expect(Self.files(under: privateFolder).isEmpty)

        let sent = try Self.answer(server, link, answers + [("consent", "yes")])
        #expect(sent.status == 200 && sent.text.contains(WebCatalogue.text(.thanksText, "ar")), "\(sent.status) \(sent.text.prefix(300))")
        let stored = Self.files(under: privateFolder)
        try #require(stored.count == 1)
        let item = try String(contentsOf: stored[0], encoding: .utf8)
        #expect(item.contains(secret) && item.contains(name) && item.contains("\"given\":true"))
        let kept = try JSONParser.parse(Array(item.utf8))
        #expect(kept["day"]?.stringValue?.count == 10 && kept["time"] == nil, "only the day is kept")
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: stored[0].path)[.posixPermissions] as? Int)
        #expect(mode & 0o077 == 0, "mode \(String(mode, radix: 8))")

        // Never in the log, the public bundle, the server's logs or its metrics.
        let log = try String(contentsOf: ws.assessment("demo").appendingPathComponent("log.jsonl"), encoding: .utf8)
        #expect(!log.contains(secret) && !log.contains(name))
        try ws.ok(["verify", "demo"])
        let bundle = ws.parent.appendingPathComponent("bundle")
        try ws.ok(["export", "demo", "--public", bundle.path])
        #expect(Self.contains(bundle, secret).isEmpty && Self.contains(bundle, name).isEmpty)
        #expect(!Self.files(under: bundle).contains { $0.path.contains("/private/") })
        let metrics = try server.get("/metrics")
        #expect(!metrics.text.contains(token))

        // The owner reads it and records it: the review page, signed as the page script signs, committed.
        let owner = try server.request("GET", "/web/assessments/demo", headers: session.headers)
        #expect(owner.text.contains("Answers awaiting review (1)") && owner.text.contains(secret) && owner.text.contains(name))
        let action = try #require(owner.text.range(of: "/consultations/answers/"))
        let key = String(owner.text[action.upperBound...].prefix { $0 != "/" })
        let review = try WebPagesTests.post(server, "/web/assessments/demo/consultations/answers/\(key)/record", session,
                                            [("csrf", session.csrf), ("field:group", "Women journalists"), ("confidential:statement", secret),
                                             ("confidential:participants", "one person")])
        try #require(review.status == 200 && review.text.contains("Check and sign"), "\(review.status) \(review.text.prefix(600))")
        #expect(Self.files(under: privateFolder).count == 1, "preparing keeps the answer until it is recorded")
        let (draft, size, signatures) = try WebPagesTests.signReviewPage(review.text, key: try ServerAPITests.key(ws, "ana"))
        let committed = try WebPagesTests.post(server, "/web/assessments/demo/consultations/answers/\(key)/commit", session,
                                               [("csrf", session.csrf), ("draft", draft), ("size", size),
                                                ("signatures", "[" + signatures.map { "\"\($0)\"" }.joined(separator: ",") + "]")])
        #expect(committed.status == 200 && committed.text.contains("Recorded 1 signed event"), "\(committed.status) \(committed.text.prefix(400))")
        #expect(Self.files(under: privateFolder).isEmpty, "the recorded answer leaves no copy behind")
        let last = try #require(try ws.events().last)
        #expect(last["type"] as? String == "evidence.added" && last["actor"] as? String == "ana" && last["sig"] != nil)
        let after = try String(contentsOf: ws.assessment("demo").appendingPathComponent("log.jsonl"), encoding: .utf8)
        #expect(!after.contains(secret), "a confidential field goes to the disclosures, never into the log")
        let disclosed = Self.files(under: ws.assessment("demo").appendingPathComponent("private/disclosures")).compactMap { file in
            (try? String(contentsOf: file, encoding: .utf8)).flatMap { Base64URL.decode($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
                .map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(disclosed.contains { $0.contains(secret) }, "the confidential field is a disclosure")
        try ws.ok(["verify", "demo"])

        // A second answer, declined: gone without a trace in the log.
        let declined = "DECLINED-\(UUID().uuidString)"
        #expect(try Self.answer(server, link, [("form", form), ("f:statement", declined), ("consent", "yes")]).status == 200)
        let second = try server.request("GET", "/web/assessments/demo", headers: session.headers)
        let secondAction = try #require(second.text.range(of: "/consultations/answers/"))
        let secondKey = String(second.text[secondAction.upperBound...].prefix { $0 != "/" })
        #expect(try WebPagesTests.post(server, "/web/assessments/demo/consultations/answers/\(secondKey)/decline", session, []).status == 403,
                "declining needs the session's token")
        let gone = try WebPagesTests.post(server, "/web/assessments/demo/consultations/answers/\(secondKey)/decline", session, [("csrf", session.csrf)])
        #expect(gone.status == 200 && Self.files(under: privateFolder).isEmpty)

        // Closed: the link says so, in the consultation's language.
        let consultationID = String(link.split(separator: "/")[2])
        let closed = try WebPagesTests.post(server, "/web/assessments/demo/consultations/\(consultationID)/close", session, [("csrf", session.csrf)])
        #expect(closed.status == 200 && !closed.text.contains(link))
        let closedPage = try server.get(link)
        #expect(closedPage.status == 410 && closedPage.text.contains(WebCatalogue.text(.closedTitle, "ar")) && closedPage.text.contains("dir=\"rtl\""))
        #expect(try server.get("/web/consult/demo.0123456789abcdef0123456789abcdef/x").status == 404)

        // Nothing of any answer, nor the link's token, reached the server's logs (trace level: everything it logs).
        let outcome = server.stop()
        let logs = outcome.stdout + outcome.stderr
        #expect(logs.contains("/web/consult/…"), "consultation requests are logged, without their path")
        for text in [secret, name, declined, token, consultationID] {
            #expect(!logs.contains(text), "the server's logs hold \(text)")
        }
    }

    @Test("an answer is recorded once: a commit while another records it is refused (409), one after is not found; a claim left by a stopped server lapses")
    func recordedOnce() throws {
        let (ws, server) = try Self.serving("hria-web-once")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        let key = try ServerAPITests.key(ws, "ana")
        let session = try WebPagesTests.session(server, key: key)
        let link = try Self.open(server, session, language: "en")
        let form = try Self.hidden("form", in: try server.get(link).text)
        let record = AssessmentLog(folder: ws.assessment("demo").path, fs: PosixFileSystem())
        func waitingKey() throws -> String { try Self.waitingKey(server, session) }
        func prepared(_ answer: String) throws -> [(String, String)] { try Self.preparedRecording(server, session, key: key, answer: answer) }
        func commit(_ answer: String, _ fields: [(String, String)]) throws -> RunningServer.Reply {
            try WebPagesTests.post(server, "/web/assessments/demo/consultations/answers/\(answer)/commit", session, fields)
        }
        func recorded() throws -> Int { try ws.events().filter { $0["type"] as? String == "evidence.added" }.count }
        let now = Int(Date().timeIntervalSince1970)

        #expect(try Self.answer(server, link, [("form", form), ("f:statement", "first"), ("consent", "yes")]).status == 200)
        let first = try waitingKey()
        let before = try recorded()
        try record.storePrivateItem(name: "recording/\(first)", bytes: Array(String(now).utf8))
        // Another commit of this answer is under way (its claim is there): this one is refused, and nothing is lost.
        let refused = try commit(first, try prepared(first))
        #expect(refused.status == 409 && refused.text.contains("someone is recording this answer right now"), "\(refused.status) \(refused.text.prefix(400))")
        #expect(try recorded() == before && record.privateItem("submissions/\(first)") != nil)
        #expect(record.privateItem("recording/\(first)") != nil, "the other commit's claim is left to it")
        try record.removePrivateItem("recording/\(first)")
        let submission = try #require(record.privateItem("submissions/\(first)"))
        let committed = try commit(first, try prepared(first))
        #expect(committed.status == 200 && committed.text.contains("Recorded 1 signed event"), "\(committed.status) \(committed.text.prefix(400))")
        #expect(try recorded() == before + 1)
        #expect(record.privateItem("submissions/\(first)") == nil && record.privateItem("recording/\(first)") == nil, "no copy and no claim left")

        // The moment between a commit and the removal of its answer: the answer is still there, with that commit's
        // claim. A second owner who prepared it on the new head is refused, not recorded a second time.
        try record.storePrivateItem(name: "submissions/\(first)", bytes: submission)
        let again = try prepared(first)
        try record.storePrivateItem(name: "recording/\(first)", bytes: Array(String(now).utf8))
        let second = try commit(first, again)
        #expect(second.status == 409, "\(second.status) \(second.text.prefix(400))")
        #expect(try recorded() == before + 1, "the answer was recorded twice")
        // Once that commit has removed the answer and its claim, a late commit finds nothing waiting.
        try record.removePrivateItem("submissions/\(first)")
        try record.removePrivateItem("recording/\(first)")
        let late = try commit(first, again)
        #expect(late.status == 404 && late.text.contains("no longer waiting"), "\(late.status) \(late.text.prefix(400))")
        #expect(try recorded() == before + 1 && record.privateItem("recording/\(first)") == nil)

        // A claim older than five minutes was left by a server stopped mid-commit: it lapses.
        #expect(try Self.answer(server, link, [("form", form), ("f:statement", "second"), ("consent", "yes")]).status == 200)
        let stranded = try waitingKey()
        try record.storePrivateItem(name: "recording/\(stranded)", bytes: Array(String(now - 301).utf8))
        let taken = try commit(stranded, try prepared(stranded))
        #expect(taken.status == 200, "\(taken.status) \(taken.text.prefix(400))")
        #expect(try recorded() == before + 2 && record.privateItems(prefix: "").allSatisfy { !$0.name.hasPrefix("recording/") && !$0.name.hasPrefix("submissions/") })
        try ws.ok(["verify", "demo"])
    }

    @Test("the file store's claim: of two stores of one name only the first is made, 0600")
    func fileStoreClaim() throws {
        let ws = try AuditFixture.copy("hria-private-claim")
        defer { ws.cleanUp() }
        let record = AssessmentLog(folder: ws.assessment("demo").path, fs: PosixFileSystem())
        #expect(try record.storePrivateItemIfAbsent(name: "recording/demo.1.a", bytes: Array("1".utf8)))
        #expect(try !record.storePrivateItemIfAbsent(name: "recording/demo.1.a", bytes: Array("2".utf8)))
        #expect(record.privateItem("recording/demo.1.a") == Array("1".utf8))
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: ws.assessment("demo").appendingPathComponent("private/recording/demo.1.a").path)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        #expect(throws: HRIAError.self) { try record.storePrivateItemIfAbsent(name: "../log.jsonl", bytes: []) }
    }

    @Test("the file store keeps private items beside the disclosures, 0600, and refuses names outside its folder")
    func fileStoreItems() throws {
        let ws = try AuditFixture.copy("hria-private-items")
        defer { ws.cleanUp() }
        let record = AssessmentLog(folder: ws.assessment("demo").path, fs: PosixFileSystem())
        try record.storePrivateItem(name: "consultations/demo.1", bytes: Array("one".utf8))
        try record.storePrivateItem(name: "submissions/demo.1.a", bytes: Array("two".utf8))
        try record.storePrivateItem(name: "consultations/demo.1", bytes: Array("one again".utf8))
        #expect(record.privateItem("consultations/demo.1") == Array("one again".utf8))
        #expect(record.privateItems(prefix: "submissions/").map(\.name) == ["submissions/demo.1.a"])
        #expect(record.privateItems(prefix: "").count == 2, "the disclosures are not private items")
        for bad in ["../log.jsonl", "disclosures/x", ".hidden", "a/b/c/d", ""] {
            #expect(throws: HRIAError.self) { try record.storePrivateItem(name: bad, bytes: []) }
        }
        try record.removePrivateItem("submissions/demo.1.a")
        #expect(record.privateItem("submissions/demo.1.a") == nil)
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: ws.assessment("demo").appendingPathComponent("private/consultations").path)[.posixPermissions] as? Int)
        #expect(mode == 0o700)
        try ws.ok(["verify", "demo"])
    }

    @Test("on PostgreSQL: an answer is a row of private_items, copied by hria store copy, deleted when declined, recorded once",
          .enabled(if: TestDatabase.available, "PostgreSQL's server is not installed here (CI installs it)"))
    func onPostgres() throws {
        let url = try TestDatabase.fresh("web_consult")
        let seed = try AuditFixture.copy("hria-web-consult-pg-seed")
        defer { seed.cleanUp() }
        try seed.ok(["store", "copy", "--to", url])
        let (ws, server) = try Self.serving("hria-web-consult-pg", store: url)
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        let session = try WebPagesTests.session(server, key: try ServerAPITests.key(ws, "ana"))
        let link = try Self.open(server, session, language: "fr")
        let page = try server.get(link)
        #expect(page.status == 200 && page.text.contains("<html lang=\"fr\" dir=\"ltr\">") && page.text.contains(WebCatalogue.text(.consentText, "fr")))
        let secret = "PG-\(UUID().uuidString)"
        #expect(try Self.answer(server, link, [("form", try Self.hidden("form", in: page.text)), ("f:statement", secret), ("consent", "yes")]).status == 200)
        let rows = try TestDatabase.sql(url, "SELECT name FROM private_items WHERE assessment = 'demo' ORDER BY name")
        #expect(rows.split(separator: "\n").count == 2 && rows.contains("consultations/demo.") && rows.contains("submissions/demo."), "\(rows)")
        #expect(try TestDatabase.sql(url, "SELECT count(*) FROM events WHERE convert_from(line, 'UTF8') LIKE '%\(secret)%'") == "0")

        // Copied out with the assessment, into the folder's private/ (0600), and verified there.
        let out = ws.parent.appendingPathComponent("copied")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let copied = try ws.run(["store", "copy", "--to", out.path], environment: ["HRIA_STORE": url])
        #expect(copied.status == 0, "\(copied.stdout)\(copied.stderr)")
        let answers = Self.files(under: out.appendingPathComponent("assessments/demo/private/submissions"))
        #expect(answers.count == 1 && Self.contains(out.appendingPathComponent("assessments/demo/private/submissions"), secret).count == 1)

        let owner = try server.request("GET", "/web/assessments/demo", headers: session.headers)
        #expect(owner.text.contains(secret))
        let action = try #require(owner.text.range(of: "/consultations/answers/"))
        let key = String(owner.text[action.upperBound...].prefix { $0 != "/" })
        let declined = try WebPagesTests.post(server, "/web/assessments/demo/consultations/answers/\(key)/decline", session, [("csrf", session.csrf)])
        #expect(declined.status == 200)
        #expect(try TestDatabase.sql(url, "SELECT count(*) FROM private_items WHERE name LIKE 'submissions/%'") == "0")

        // Recorded once: a claim row of another commit refuses this one; without it, recorded, no row left behind.
        #expect(try Self.answer(server, link, [("form", try Self.hidden("form", in: page.text)), ("f:statement", "to record"), ("consent", "yes")]).status == 200)
        let waiting = try Self.waitingKey(server, session)
        let signed = try Self.preparedRecording(server, session, key: try ServerAPITests.key(ws, "ana"), answer: waiting)
        try TestDatabase.sql(url, "INSERT INTO private_items (assessment, name, bytes) VALUES ('demo', 'recording/\(waiting)', "
                             + "convert_to('\(Int(Date().timeIntervalSince1970))', 'UTF8'))")
        let commit = "/web/assessments/demo/consultations/answers/\(waiting)/commit"
        #expect(try WebPagesTests.post(server, commit, session, signed).status == 409)
        try TestDatabase.sql(url, "DELETE FROM private_items WHERE name LIKE 'recording/%'")
        let recorded = try WebPagesTests.post(server, commit, session, signed)
        #expect(recorded.status == 200 && recorded.text.contains("Recorded 1 signed event"), "\(recorded.status) \(recorded.text.prefix(400))")
        #expect(try TestDatabase.sql(url, "SELECT count(*) FROM private_items WHERE name LIKE 'recording/%' OR name LIKE 'submissions/%'") == "0")
        let outcome = server.stop()
        #expect(!(outcome.stdout + outcome.stderr).contains(secret))
    }
}
