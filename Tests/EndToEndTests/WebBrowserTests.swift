import Foundation
import Testing

/// The web pages (issue 18) in a real browser: headless Chromium driven by Selenium (Tests/Browser/journey.py)
/// against `hria serve` on a workspace whose assessments are in PostgreSQL, on loopback. Two people enrol their
/// browsers, a roster change, evidence with a file, a sign-off given with the keyboard alone and the move to the
/// decision are each signed in the browser with its own key; the public report is read without a session; axe checks
/// every page. Screenshots of every page are kept in .build/web-artefacts (HRIA_WEB_ARTEFACTS). `.ci/run` installs
/// Chromium, its driver, selenium and axe-selenium-python and sets HRIA_REQUIRE_BROWSER=1, so CI never skips it.
@Suite("The web pages in a real browser",
       .enabled(if: BrowserTools.runs, "Chromium, chromedriver, selenium or axe-selenium-python is missing here (.ci/run installs them)"),
       .enabled(if: TestDatabase.available, "PostgreSQL's server is not installed here (CI installs it)"))
struct WebBrowserTests {
    static let journey = HRIA.packageRoot.appendingPathComponent("Tests/Browser/journey.py")

    static let id = "lark"
    static let workflow = "rapid-screening"

    /// The workspace of the journey, its assessments in a new PostgreSQL database. `lark`, a rapid screening of a
    /// sponsorship, past its intake by the command line and at its screening with one of its two sources recorded and
    /// its facts set: what is left is for the browsers, the second source (by the admin, who is also the assessor and
    /// so owns the stage), the focal point's sign-off (ravi, on the roster without a key) and the move to `cleared`.
    /// `kestrel`, the digital-platform assessment of StandardJourney.swift at its stakeholder input (owned by the
    /// assessor too), where the admin opens a consultation form that someone answers anonymously.
    static func workspace() throws -> TestWorkspace {
        var ws = try DigitalJourney.copy(of: DigitalJourney.atCoverage, "hria-web-browser", mode: .local).ws
        // At the real time, after everything recorded in the template: the browsers act at the server's clock.
        try ws.admin(["grant", "admin", "assessor", "--reason", "the admin is the office's assessor too"])
        let url = try TestDatabase.fresh("web_browser")
        let copied = try ws.run(["store", "copy", "--to", url])
        guard copied.status == 0 else { throw HarnessError("hria store copy --to \(url): exit \(copied.status)\n\(copied.stderr)") }
        ws.store = url
        func must(_ arguments: [String], as actor: String) throws {
            let result = try ws.run(arguments, as: actor)
            guard result.status == 0 else { throw HarnessError("hria \(arguments.joined(separator: " ")): exit \(result.status)\n\(result.stderr)") }
        }
        try must(["new", id, "--workflow", workflow, "--partner", "Lark Events Ltd.", "--title", "Sponsorship of a rights conference"], as: "ana")
        try must(["evidence", "add", id, "engagement_description", "--field", "partner=Lark Events Ltd.",
                  "--field", "purpose=Sponsors the coffee breaks of a two-day conference", "--field", "duration_months=2",
                  "--field", "uses_un_name_or_logo=false"], as: "ana")
        try must(["evidence", "add", id, "exclusion_checklist"] + ["un_sanctions", "un_ineligibility", "weapons", "tobacco", "forced_labour",
                  "child_labour", "human_rights_violations", "other_excluded_sectors"].flatMap { ["--field", "\($0)=clear"] }
                  + ["--field", "sources_searched=UN sanctions and ineligibility lists"], as: "ana")
        try must(["fact", id, "exclusion_hit=false"], as: "ana")
        try must(["signoff", id, "--approve"], as: "amina")
        try must(["advance", id], as: "ana")
        try must(["evidence", "add", id, "controversy_check", "--file", try ws.file("source-1.md"), "--field", "url=https://example.org/lark-1",
                  "--field", "publisher=A press archive", "--field", "retrieved_on=\(today)", "--field", "finding=No allegation found."], as: "amina")
        try must(["fact", id, "screening_outcome=cleared", "credible_allegations=false", "high_risk_sector=false", "personal_data_at_scale=false"],
                 as: "amina")
        return ws
    }

    static var today: String { String(ISO8601DateFormatter().string(from: Date()).prefix(10)) }

    @Test("enrol two browsers, add a key on the roster, record evidence, approve with the keyboard alone, reach the decision, read the public report; axe finds nothing serious on any page")
    func journeyInChromium() throws {
        try #require(BrowserTools.missing.isEmpty, "HRIA_REQUIRE_BROWSER=1, but these are missing: \(BrowserTools.missing.joined(separator: ", "))")
        let ws = try Self.workspace()
        defer { ws.cleanUp() }
        let store = try #require(ws.store)
        let serverHome = ws.parent.appendingPathComponent("server-home")
        try FileManager.default.createDirectory(at: serverHome, withIntermediateDirectories: true)
        // The server holds no key that signs as a person: an empty key folder and no ssh-agent.
        let server = try RunningServer(in: ws.root, ["--log-level", "warning"],
                                       environment: ["HRIA_STORE": store, "XDG_CONFIG_HOME": serverHome.path, "SSH_AUTH_SOCK": ""])
        var stopped = false
        defer { if !stopped { _ = server.stop(SIGKILL) } }

        let environment = ProcessInfo.processInfo.environment
        let artefacts = environment["HRIA_WEB_ARTEFACTS"] ?? HRIA.packageRoot.appendingPathComponent(".build/web-artefacts").path
        let source = ws.parent.appendingPathComponent("source-2.md")
        try "# Source two\n\nA civil-society report on the company: nothing on human rights.\n".write(to: source, atomically: true, encoding: .utf8)
        let arguments = [Self.journey.path, "--base", server.base, "--hria", HRIA.executable.path, "--workspace", ws.root.path,
                         "--assessment", Self.id, "--workflow", Self.workflow, "--admin", "admin", "--approver", "ravi",
                         "--requirement", "controversy_check", "--field", "url=https://example.org/lark-2", "--field", "publisher=A rights NGO",
                         "--field", "retrieved_on=\(Self.today)", "--field", "finding=No allegation of harm.", "--file", source.path,
                         "--advance-to", "cleared", "--outcome", "cleared",
                         "--consultation", "kestrel", "--consultation-requirement", "at_risk_user_consultations", "--consultation-language", "ar",
                         "--answer", "group=Women journalists", "--answer", "statement=We would not speak on this platform under our names.",
                         "--complete", "heightened_risk=true", "--complete", "method=Anonymous web form", "--complete", "secure_channel=true",
                         "--complete", "participants=One person who gave no name", "--complete", "summary=Fear of being identified.",
                         "--artefacts", artefacts]
        let python = try #require(HRIA.which("python3"))
        let started = Date()
        // The admin's old command-line key (in the test's key folder) signs the roster change that sets their browser's
        // key; the journey's `hria people key` finds it there, and the assessments in the same database as the server.
        let child = try ChildProcess(executable: URL(fileURLWithPath: python), arguments: arguments, directory: HRIA.packageRoot,
                                     environment: ["XDG_CONFIG_HOME": ws.parent.appendingPathComponent("config").path, "HRIA_STORE": store,
                                                   "HRIA_WEB_ARTEFACTS": artefacts, "PYTHONUNBUFFERED": "1"])
        // A journey that hangs is stopped (SIGTERM lets it close its browsers) and fails with what it printed.
        let watchdog = DispatchWorkItem { child.kill(SIGTERM) }
        DispatchQueue.global().asyncAfter(deadline: .now() + 300, execute: watchdog)
        let outcome = child.wait()
        watchdog.cancel()
        let seconds = Int(Date().timeIntervalSince(started))
        let log = "journey.py (\(seconds) s), exit \(outcome.status):\n\(outcome.stdout)\(outcome.stderr)"
        try? log.write(toFile: artefacts + "/journey.log", atomically: true, encoding: .utf8)
        if outcome.status != 0 {
            Attachment.record(log, named: "journey.log")
            Attachment.record(server.child.outputSoFar().stderr, named: "hria-serve.log")
        }
        #expect(outcome.status == 0 && !outcome.signalled, "\(log)\nthe server said:\n\(server.child.outputSoFar().stderr.suffix(4000))")
        stopped = true
        _ = server.stop()

        // What the browsers recorded, read back by the command line from the database: each event signed with the key
        // of the browser of the person who acted, and the whole log verifies against the roster.
        guard outcome.status == 0 else { return }
        try ws.expectVerifies(Self.id)
        let events = try ws.events(Self.id)
        let browser = events.filter { ($0["actor"] as? String).map { ["admin", "ravi"].contains($0) } ?? false }
        #expect(browser.map { $0["type"] as? String ?? "" } == ["evidence.added", "signoff.recorded", "stage.advanced", "decision.recorded"],
                "\(browser.map { "\($0["type"] ?? "") by \($0["actor"] ?? "")" })")
        for event in browser { #expect(event["sig"] is String, "\(event)") }
        let status = try ws.ok(["status", Self.id])
        #expect(status.stdout.contains("cleared"), "\(status.stdout)")
        // The key the roster holds for ravi is the one his browser made.
        let made = outcome.stdout.split(separator: "\n").first { $0.contains("ravi's browser key: ") }?.components(separatedBy: "key: ").last
        let roster = try ws.ok(["people", "show", "ravi"])
        #expect(made.map { roster.stdout.contains("key: \($0)") } == true, "\(made ?? "no key printed") \(roster.stdout)")
    }
}

/// What the browser tests need: Debian's chromium and chromium-driver, and selenium and axe-selenium-python from PyPI.
enum BrowserTools {
    /// `.ci/run` sets HRIA_REQUIRE_BROWSER=1: there a missing piece fails the test instead of skipping it.
    static var required: Bool { ProcessInfo.processInfo.environment["HRIA_REQUIRE_BROWSER"] == "1" }

    /// What the browser tests need that is missing here (empty when everything is).
    static let missing: [String] = {
        var missing: [String] = []
        if HRIA.which("chromium") == nil && HRIA.which("chromium-browser") == nil { missing.append("chromium") }
        if HRIA.which("chromedriver") == nil { missing.append("chromedriver") }
        if let python = HRIA.which("python3") {
            let imported = try? HRIA.run(["-c", "import selenium, axe_selenium_python"], program: URL(fileURLWithPath: python))
            if imported?.status != 0 { missing.append("selenium and axe-selenium-python (python3 -m pip install selenium axe-selenium-python)") }
        } else {
            missing.append("python3")
        }
        return missing
    }()

    /// Run when everything is here, and always when required (then a missing piece fails the test).
    static var runs: Bool { required || missing.isEmpty }
}
