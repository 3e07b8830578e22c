import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HRIAKit
import Testing

// The one workspace helper of the end-to-end tests. A test gets a `TestWorkspace` in one of three ways: a fresh
// `hria init` in a temporary folder (`initialised`, which the fixtures `AuditFixture`, `Hearing` and the suites'
// own builders call with their workflows), a copy of a template workspace built once per test process (`template`
// and `copy(of:)`, behind `AuditFixture.copy` and `Hearing.copy`), or the repository's worked example
// (`workedExample`, read only). It runs the built `hria` in the workspace (`run`, and `ok`, `fails`, `refused`,
// `bad` that assert the outcome), reads and damages the workspace's files byte for byte, and checks `hria verify`.

/// Raised when a workspace cannot be made, or a file of it does not read as the tests expect.
struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// One test's workspace.
struct TestWorkspace: Sendable {
    /// How the test's `hria` commands reach the workspace. The command suites run once in each mode (`arguments:
    /// TestWorkspace.Mode.allCases`): the contract is that a command prints and exits the same either way.
    enum Mode: String, CaseIterable, Sendable, CustomTestStringConvertible {
        /// Every command acts on the workspace's files itself.
        case local
        /// `hria serve` runs on the workspace (started at the first command, stopped by `cleanUp`) and every command
        /// runs with HRIA_SERVER naming it: those the server serves go through it, the others act on the workspace
        /// as they would for a user with HRIA_SERVER set. Everyone on the roster has a key (a server authenticates
        /// each request), the server's clock follows each command's HRIA_NOW, and a command with no `--as` acts as
        /// the admin (HRIA_ACTOR), as the admin's, the only key held, would locally.
        case server

        var testDescription: String { self == .local ? "on the workspace" : "through hria serve" }

        /// For a test of a long journey whose commands another test already runs through a server: CI's time is
        /// counted (docs/TESTING.md), and each journey through a debug server costs about a minute of it.
        static let onWorkspaceOnly: [Mode] = [.local]
    }

    /// The temporary folder that holds the workspace and whatever a test puts beside it (a bundle, an auditor's
    /// folder); the repository root for the worked example.
    let parent: URL
    /// The workspace: the folder that holds hria.yaml.
    let root: URL
    /// The assessment that the `id` parameters default to: the fixture's, when the workspace was made from one.
    let assessmentID: String?
    /// Whether `cleanUp` removes `parent` (false for the worked example, which is the repository itself).
    private let removable: Bool
    /// The database its assessments are kept in (HRIA_STORE for every command), or nil for files.
    var store: String?
    /// How its commands reach it.
    let mode: Mode
    /// The server of `.server` mode, shared by the copies of this value; nil in `.local` mode.
    private let server: WorkspaceServer?

    init(parent: URL, root: URL, assessmentID: String?, removable: Bool = true, store: String? = nil, mode: Mode = .local) {
        self.parent = parent
        self.root = root
        self.assessmentID = assessmentID
        self.removable = removable
        self.store = store
        self.mode = mode
        server = mode == .server ? WorkspaceServer() : nil
    }

    /// The same workspace, its commands acting on it in `mode` (a workspace is made locally, then handed over).
    func through(_ mode: Mode) -> TestWorkspace {
        TestWorkspace(parent: parent, root: root, assessmentID: assessmentID, removable: removable, store: store, mode: mode)
    }

    // MARK: - Making one

    /// The fictional team the tests act as, holding every role of the standard workflows (what `hria init` gave
    /// every workspace before the roster).
    static let sampleTeam: [String] = [
        "ana: { name: \"Ana Ruiz\", roles: [requester] }",
        "amina: { name: \"Amina Diallo\", roles: [assessor] }",
        "kofi: { name: \"Kofi Mensah\", roles: [hr_lead] }",
        "lena: { name: \"Lena Schulz\", roles: [dpo] }",
        "ravi: { name: \"Ravi Iyer\", roles: [dd_focal_point] }",
        "mei: { name: \"Mei Chen\", roles: [dd_committee] }",
        "tomas: { name: \"Tomás Silva\", roles: [dd_committee] }",
        "nadia: { name: \"Nadia Haddad\", roles: [legal] }",
        "seun: { name: \"Oluwaseun Adeyemi\", roles: [approver] }",
        "ingrid: { name: \"Ingrid Larsen\", roles: [executive_head] }",
        "sam: { name: \"Sam Okafor\", roles: [publisher] }",
        "yuki: { name: \"Yuki Tanaka\", roles: [tech_lead] }",
    ]

    /// When the roster of a test workspace is made: before every time the tests record at.
    static let rosterTime = "1990-01-01T00:00:00Z"

    /// `hria init` of `parent/folder` with `admin` as its first admin (their key in the test's own key folder), the
    /// sample team and `people` (lines of a `people:` map) written to hria.yaml with `require_signatures: false`,
    /// and, unless `legacy`, imported into the roster by the admin; `workflows` (name → YAML) are written to
    /// workflows/. A `legacy` workspace has no roster: its people are hria.yaml's, as in a workspace made before the
    /// roster existed. `parent` is a new temporary folder whose name starts with `name`, unless the caller gives one.
    static func initialised(_ name: String = "hria-e2e", in parent: URL? = nil, folder: String = "ws",
                            organisation: String = "Test Office", origin: String? = "test.example/hria",
                            people: [String] = [], workflows: [String: String] = [:],
                            assessment: String? = nil, legacy: Bool = false, requireSignatures: Bool = false,
                            withSampleTeam: Bool = true, mode: Mode = .local) throws -> TestWorkspace {
        let parent = try parent ?? HRIA.temporaryDirectory(name)
        let ws = TestWorkspace(parent: parent, root: parent.appendingPathComponent(folder), assessmentID: assessment)
        let made = try ws.run(["init", ws.root.path, "--organisation", organisation, "--admin", "admin", "--name", "Test Admin"]
                                + (origin.map { ["--origin", $0] } ?? []), at: rosterTime, in: parent)
        guard made.status == 0 else { throw HarnessError("hria init: exit \(made.status): \(made.stderr)") }
        if legacy { try FileManager.default.removeItem(at: ws.root.appendingPathComponent("roster")) }
        let text = try String(contentsOf: ws.root.appendingPathComponent("hria.yaml"), encoding: .utf8)
        var lines = (withSampleTeam ? sampleTeam : []) + people
        // Through a server everyone needs a key on the roster, from the start (as an organisation that runs one
        // would give them): keys published later would be roster events dated after the tests' own times.
        if mode == .server { lines = try lines.map { try withKey($0, keys: PersonalKeys(environment: ["XDG_CONFIG_HOME": parent.appendingPathComponent("config").path])) } }
        let team = lines.map { "  \($0)\n" }.joined()
        try (text.replacingOccurrences(of: "policies:\n", with: "policies:\n  require_signatures: \(requireSignatures)\n")
             + "\npeople:\n" + team).write(to: ws.root.appendingPathComponent("hria.yaml"), atomically: true, encoding: .utf8)
        if !legacy {
            let imported = try ws.run(["people", "import", "--publish-names", "--as", "admin"], at: rosterTime)
            guard imported.status == 0 else { throw HarnessError("hria people import: exit \(imported.status): \(imported.stderr)") }
        }
        for (name, text) in workflows {
            try text.write(to: ws.root.appendingPathComponent("workflows/\(name).yaml"), atomically: true, encoding: .utf8)
        }
        return ws.through(mode)
    }

    /// A `people:` line of hria.yaml (`id: { name: …, roles: […] }`) with a key made for the person in the test's
    /// own key folder; a line that names a key already is left as it is.
    private static func withKey(_ line: String, keys: PersonalKeys) throws -> String {
        guard !line.contains("key:"), line.hasSuffix("}"), let colon = line.firstIndex(of: ":") else { return line }
        let person = String(line[..<colon]).trimmingCharacters(in: .whitespaces)
        let key = try keys.key(of: person) ?? keys.make(for: person)
        return String(line.dropLast()).trimmingCharacters(in: .whitespaces) + ", key: \"\(key.publicKey.authorizedKey)\" }"
    }

    /// A template workspace, built once per test process and removed when the process exits: `build` is given the
    /// template's temporary folder and returns the workspace it made in it. Each test works on `copy(of:)`.
    static func template(_ name: String, _ build: (URL) throws -> URL) -> Result<URL, any Error> {
        Result {
            let parent = try HRIA.temporaryDirectory(name)
            TemplateFolders.removeAtExit(parent)
            return try build(parent)
        }
    }

    /// A template workspace for each mode (in `.server` mode, everyone on its roster has a key), each built the first
    /// time a test asks for it; `build` is given the template's temporary folder and the mode and returns the
    /// workspace it made in it. The templates themselves are built locally.
    static func templates(_ name: String, _ build: @escaping @Sendable (URL, Mode) throws -> URL) -> WorkspaceTemplate {
        WorkspaceTemplate { mode in template("\(name)-\(mode.rawValue)") { try build($0, mode) } }
    }

    /// A fresh copy of one mode's template, its commands acting on it in that mode.
    static func copy(of template: WorkspaceTemplate, _ name: String, assessment: String?, mode: Mode) throws -> TestWorkspace {
        try copy(of: template.built(mode), name, assessment: assessment).through(mode)
    }

    /// A fresh copy of a template workspace in its own temporary folder (`cp -a`, which keeps checkpoint and
    /// checkpoints/N the hard links of one another that they are).
    static func copy(of template: Result<URL, any Error>, _ name: String, assessment: String?) throws -> TestWorkspace {
        let template = try template.get()
        let parent = try HRIA.temporaryDirectory(name)
        let ws = TestWorkspace(parent: parent, root: parent.appendingPathComponent("ws"), assessmentID: assessment)
        try Files.copyTree(template, to: ws.root)
        // The people's own keys (the admin's among them), which live beside the template, not in it.
        let keys = template.deletingLastPathComponent().appendingPathComponent("config")
        if FileManager.default.fileExists(atPath: keys.path) { try Files.copyTree(keys, to: parent.appendingPathComponent("config")) }
        return ws
    }

    /// The worked example in the repository root, which is itself a workspace. Read it; never change it
    /// (`cleanUp` leaves it alone).
    static let workedExample = TestWorkspace(parent: HRIA.packageRoot, root: HRIA.packageRoot, assessmentID: WorkedExample.id,
                                             removable: false)

    /// Stops the workspace's server, if it started one, and removes the temporary folder and everything in it.
    func cleanUp() {
        server?.stop()
        if removable { HRIA.cleanUp(parent) }
    }

    // MARK: - Places

    /// `id`, or the fixture's assessment when none is given.
    func id(_ id: String?) -> String {
        guard let id = id ?? assessmentID else { preconditionFailure("no assessment id given, and the workspace has no fixture assessment") }
        return id
    }

    /// assessments/ID, for `id` or the fixture's assessment.
    func assessment(_ id: String? = nil) -> URL { root.appendingPathComponent("assessments/\(self.id(id))") }

    func logURL(_ id: String? = nil) -> URL { assessment(id).appendingPathComponent("log.jsonl") }

    func checkpointURL(_ id: String? = nil) -> URL { assessment(id).appendingPathComponent("checkpoint") }

    /// A folder next to the workspace (not inside it, and no hria.yaml above it), created on first use.
    func outside(_ name: String = "outside") throws -> URL {
        let url = parent.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes a small file under files/ and gives its path relative to the workspace.
    @discardableResult
    func file(_ name: String, _ text: String? = nil) throws -> String {
        try FileManager.default.createDirectory(at: root.appendingPathComponent("files"), withIntermediateDirectories: true)
        try (text ?? "# \(name)\n\nA small test document.\n").write(to: root.appendingPathComponent("files/\(name)"), atomically: true,
                                                                      encoding: .utf8)
        return "files/\(name)"
    }

    // MARK: - The roster

    /// `hria keys new PERSON` in this test's own key folder; the public key, `ssh-ed25519 AAAA…`.
    func makeKey(_ person: String) throws -> String {
        let made = try run(["keys", "new", person])
        guard made.status == 0 else { throw HarnessError("hria keys new \(person): exit \(made.status): \(made.stderr)") }
        let text = try String(contentsOf: parent.appendingPathComponent("config/hria/keys/\(person).pub"), encoding: .utf8)
        return text.split(separator: " ").prefix(2).joined(separator: " ")
    }

    /// A roster change (`hria people ARGUMENTS`) made by the workspace's admin, at `now` (nil: the real time).
    @discardableResult
    func admin(_ arguments: [String], at now: String? = nil) throws -> HRIA.Result {
        let result = try run(["people"] + arguments + ["--as", "admin"], at: now)
        guard result.status == 0 else {
            throw HarnessError("hria people \(arguments.joined(separator: " ")): exit \(result.status): \(result.stderr)")
        }
        return result
    }

    /// Makes PERSON a key in their own folder and has the admin set it on the roster; the public key.
    @discardableResult
    func publishKey(_ person: String, at now: String? = nil) throws -> String {
        let key = try makeKey(person)
        try admin(["key", person, key], at: now)
        return key
    }

    /// Has the admin record that every act must be signed.
    func requireSignatures(at now: String? = nil) throws {
        try admin(["require-signatures", "on", "--reason", "this test requires signed acts"], at: now)
    }

    // MARK: - Running hria

    /// Runs `hria ARGUMENTS [--as ACTOR]` in the workspace (or in `directory`), with the clock at `now` unless
    /// `environment` sets HRIA_NOW itself.
    @discardableResult
    func run(_ arguments: [String], as actor: String? = nil, at now: String? = nil, in directory: URL? = nil,
             environment: [String: String] = [:]) throws -> HRIA.Result {
        var env = environment
        if let now, env["HRIA_NOW"] == nil { env["HRIA_NOW"] = now }
        // People's own keys (hria keys new) go to a folder of this test, never the home of whoever runs the tests.
        if env["XDG_CONFIG_HOME"] == nil { env["XDG_CONFIG_HOME"] = parent.appendingPathComponent("config").path }
        if let store, env["HRIA_STORE"] == nil { env["HRIA_STORE"] = store }
        var arguments = arguments
        if let server, env["HRIA_SERVER"] == nil {
            env["HRIA_SERVER"] = try server.address(serving: self)
            if env["HRIA_ACTOR"] == nil { env["HRIA_ACTOR"] = "admin" }
            try server.setClock(env["HRIA_NOW"])
            // A reader through a server pins the organisation's log key (the server's word proves nothing): as a
            // user of the server would, give the one hria.yaml publishes to a verify that names no key or bundle.
            if arguments.first == "verify", !arguments.contains(where: { ["--key", "--bundle", "--proof"].contains($0) }) {
                arguments += ["--key", try logKey]
            }
        }
        return try HRIA.run(arguments + (actor.map { ["--as", $0] } ?? []), in: directory ?? root, environment: env)
    }

    /// Runs a command that must exit 0.
    @discardableResult
    func ok(_ arguments: [String], as actor: String? = nil, at now: String? = nil, in directory: URL? = nil,
            sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> HRIA.Result {
        let result = try run(arguments, as: actor, at: now, in: directory)
        #expect(result.status == 0,
                "hria \(arguments.joined(separator: " ")) --as \(actor ?? "-"): exit \(result.status)\n\(result.stdout)\(result.stderr)",
                sourceLocation: sourceLocation)
        return result
    }

    /// Runs a command that must exit with `status`.
    @discardableResult
    func fails(_ status: Int32, _ arguments: [String], as actor: String? = nil, at now: String? = nil, in directory: URL? = nil,
               sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> HRIA.Result {
        let result = try run(arguments, as: actor, at: now, in: directory)
        #expect(result.status == status,
                "hria \(arguments.joined(separator: " ")) should exit \(status), not \(result.status)\n\(result.stdout)\(result.stderr)",
                sourceLocation: sourceLocation)
        return result
    }

    /// Runs a command the rules must refuse: exit 1, the summary and each blocker line on stderr, nothing written.
    @discardableResult
    func refused(_ arguments: [String], as actor: String? = nil, at now: String? = nil, id: String? = nil, summary: String? = nil,
                 blockers: [String] = [], exactly: Bool = false, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> HRIA.Result {
        let before = id.map(snapshot)
        let folders = listing("assessments")
        let result = try run(arguments, as: actor, at: now)
        let context = "hria \(arguments.joined(separator: " ")) --as \(actor ?? "-")\n\(result.stderr)"
        #expect(result.status == 1, "\(context)", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, "\(context)\nstdout: \(result.stdout)", sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
        #expect(lines.first?.hasPrefix("hria: ") == true, "\(context)", sourceLocation: sourceLocation)
        if let summary {
            #expect(lines.first == "hria: \(summary)" || lines.first == "hria: \(summary):", "\(context)", sourceLocation: sourceLocation)
        }
        for blocker in blockers {
            #expect(lines.contains("  - \(blocker)"), "missing blocker line \"  - \(blocker)\" in\n\(context)", sourceLocation: sourceLocation)
        }
        if exactly {
            // The blockers exactly; the commands printed under them (six spaces in) are checked apart.
            #expect(Array(lines.dropFirst()).filter { !$0.hasPrefix("      ") } == blockers.map { "  - \($0)" }, "\(context)",
                    sourceLocation: sourceLocation)
        }
        if let id, let before { expectUnchanged(id, before: before, after: context, sourceLocation: sourceLocation) }
        #expect(listing("assessments").filter { !$0.hasSuffix("/log.lock") } == folders.filter { !$0.hasSuffix("/log.lock") },
                "\(context)", sourceLocation: sourceLocation)
        return result
    }

    /// Runs a command with bad input: exit 2, one clear line starting with "hria: " (and possibly help), nothing written.
    @discardableResult
    func bad(_ arguments: [String], as actor: String? = nil, at now: String? = nil, id: String? = nil, message: String,
             help: String? = nil, environment: [String: String] = [:],
             sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> HRIA.Result {
        let before = id.map(snapshot)
        let everything = listing("")
        let result = try run(arguments, as: actor, at: now, environment: environment)
        let context = "hria \(arguments.joined(separator: " ")) --as \(actor ?? "-")\n\(result.stderr)"
        #expect(result.status == 2, "\(context)", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, "\(context)\nstdout: \(result.stdout)", sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("hria: ") == true, "\(context)", sourceLocation: sourceLocation)
        #expect(lines.first?.contains(message) == true, "expected \"\(message)\" in\n\(context)", sourceLocation: sourceLocation)
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("  help: ") }, "\(context)", sourceLocation: sourceLocation)
        #expect(lines.count <= 2, "\(context)", sourceLocation: sourceLocation)
        if let help { #expect(lines.contains("  help: \(help)"), "expected help \"\(help)\" in\n\(context)", sourceLocation: sourceLocation) }
        if let id, let before { expectUnchanged(id, before: before, after: context, sourceLocation: sourceLocation) }
        // Nothing new anywhere in the workspace (a lock file of an existing assessment, and caches in .hria/, aside).
        func visible(_ paths: [String]) -> [String] { paths.filter { !$0.hasSuffix("/log.lock") && !$0.hasPrefix(".hria/cache") } }
        #expect(visible(listing("")) == visible(everything), "\(context)", sourceLocation: sourceLocation)
        return result
    }

    /// A write command (a comment, by ana unless told) that must be acknowledged.
    @discardableResult
    func comment(_ text: String, id: String? = nil, as actor: String = "ana",
                 sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> HRIA.Result {
        let result = try run(["comment", self.id(id), text, "--as", actor])
        #expect(result.status == 0, "hria comment: exit \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
        return result
    }

    /// The JSON a command printed; the command must have exited 0.
    func json(_ result: HRIA.Result, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> Any {
        #expect(result.status == 0, "\(result.stderr)", sourceLocation: sourceLocation)
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    }

    // MARK: - hria verify

    /// Runs `hria verify ID` in text and in JSON.
    func verify(_ id: String? = nil, _ extra: [String] = []) throws -> (text: HRIA.Result, json: HRIA.Result) {
        let id = self.id(id)
        return (try run(["verify", id] + extra), try run(["verify", id, "--json"] + extra))
    }

    /// Verification must pass.
    func expectVerifies(_ id: String? = nil, _ extra: [String] = [],
                        sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let id = self.id(id)
        let result = try run(["verify", id] + extra)
        #expect(result.status == 0, "hria verify \(id) should pass: exit \(result.status)\n\(result.stdout)\(result.stderr)",
                sourceLocation: sourceLocation)
        #expect(result.stdout.contains("\(id): verified"), "\(result.stdout)", sourceLocation: sourceLocation)
    }

    /// Verification must fail with exit 3, naming the first bad event and the kind, in text and in JSON.
    func expectTamper(_ id: String? = nil, _ extra: [String] = [], kind: String, firstBadEvent: Int?,
                      sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let id = self.id(id)
        let (text, json) = try verify(id, extra)
        let shown = "exit \(text.status)\n\(text.stdout)\(text.stderr)"
        #expect(text.status == 3, "hria verify should exit 3: \(shown)", sourceLocation: sourceLocation)
        #expect(text.stdout.contains("\(id): FAILED"), "\(shown)", sourceLocation: sourceLocation)
        #expect(text.stdout.contains("[\(kind)]"), "the text should name the kind \(kind): \(shown)", sourceLocation: sourceLocation)
        if let firstBadEvent {
            #expect(text.stdout.contains("first bad event: #\(firstBadEvent)\n"),
                    "the text should name first bad event #\(firstBadEvent): \(shown)", sourceLocation: sourceLocation)
        }
        #expect(json.status == 3, "hria verify --json should exit 3: \(json.stdout)\(json.stderr)", sourceLocation: sourceLocation)
        guard let report = VerifyJSON(json.stdout) else {
            Issue.record("hria verify --json did not print the expected JSON: \(json.stdout)", sourceLocation: sourceLocation)
            return
        }
        #expect(report.ok == false, sourceLocation: sourceLocation)
        #expect(report.kinds.contains(kind), "JSON kinds \(report.kinds) should include \(kind)", sourceLocation: sourceLocation)
        if let firstBadEvent {
            #expect(report.firstBadEvent == firstBadEvent,
                    "JSON first_bad_event is \(report.firstBadEvent.map(String.init) ?? "null"), expected \(firstBadEvent): \(json.stdout)",
                    sourceLocation: sourceLocation)
        }
    }

    /// The root `hria verify ID --json` reports (it must verify).
    func verifiedRoot(_ id: String? = nil, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> String {
        let result = try ok(["verify", self.id(id), "--json"], sourceLocation: sourceLocation)
        return try Self.root(ofVerifyJSON: result.stdout)
    }

    /// The root in the JSON of `hria verify` of one assessment.
    static func root(ofVerifyJSON text: String) throws -> String {
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let reports = object["assessments"] as? [[String: Any]], reports.count == 1, let root = reports[0]["root"] as? String else {
            throw HarnessError("not the JSON of hria verify: \(text)")
        }
        return root
    }

    /// The base64 root in the text of `hria verify`: "ID: verified — N events, root ROOT, …".
    static func root(ofVerifyText text: String) -> String? {
        guard let range = text.range(of: ", root ") else { return nil }
        return String(text[range.upperBound...].prefix { $0 != "," && $0 != "\n" })
    }

    // MARK: - hria.yaml

    /// Edits hria.yaml by text replacement; the edit must change something.
    func editConfiguration(_ transform: (String) -> String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let url = root.appendingPathComponent("hria.yaml")
        let text = try String(contentsOf: url, encoding: .utf8)
        let changed = transform(text)
        #expect(changed != text, "the edit of hria.yaml changed nothing", sourceLocation: sourceLocation)
        try changed.write(to: url, atomically: true, encoding: .utf8)
    }

    /// The workspace's published verifier key (log_key in hria.yaml).
    var logKey: String {
        get throws {
            let text = try String(contentsOf: root.appendingPathComponent("hria.yaml"), encoding: .utf8)
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("log_key:") }) else {
                throw HarnessError("hria.yaml has no log_key")
            }
            return line.dropFirst("log_key:".count).trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
    }

    // MARK: - Files, byte for byte

    func bytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }

    /// Replaces a file by writing a new one and renaming it over (so hard links to the old file keep their bytes).
    func replace(_ url: URL, with bytes: [UInt8]) throws {
        try Data(bytes).write(to: url, options: .atomic)
    }

    func logBytes(_ id: String? = nil) throws -> [UInt8] {
        guard let store else { return try bytes(logURL(id)) }
        // The lines as the database holds them, each followed by a line break, as log.jsonl would hold them.
        let lines = try TestDatabase.sql(store, "SELECT convert_from(line, 'UTF8') FROM events WHERE assessment = '\(self.id(id))' ORDER BY seq")
        return lines.isEmpty ? [] : Array((lines + "\n").utf8)
    }

    /// The log's complete lines (without `\n`) and what follows the last `\n`.
    func logLines(_ id: String? = nil) throws -> [[UInt8]] {
        var lines = try logBytes(id).split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }

    /// The log's non-empty lines as text (none when there is no log).
    func logTextLines(_ id: String? = nil) -> [String] {
        String(decoding: (try? logBytes(id)) ?? [], as: UTF8.self).split(separator: "\n").map(String.init)
    }

    func writeLog(lines: [[UInt8]], id: String? = nil) throws {
        try replace(logURL(id), with: lines.flatMap { $0 + [0x0A] })
    }

    /// The log's lines parsed as JSON objects; fails the test on any line that is not one.
    func events(_ id: String? = nil, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
        try logLines(id).enumerated().map { index, line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                Issue.record("line \(index + 1) of the log is not a JSON object: \(String(decoding: line, as: UTF8.self))",
                             sourceLocation: sourceLocation)
                return [:]
            }
            return object
        }
    }

    /// The names in a folder that start with a prefix, sorted.
    func files(in folder: URL, prefix: String = "") -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasPrefix(prefix) }.sorted()
    }

    /// Every path under a folder of the workspace ("" for the workspace itself), relative to it, sorted.
    func listing(_ folder: String) -> [String] {
        let base = folder.isEmpty ? root : root.appendingPathComponent(folder)
        guard let enumerator = FileManager.default.enumerator(atPath: base.path) else { return [] }
        return (enumerator.allObjects as? [String] ?? []).sorted()
    }

    /// Every file under assessments/ID and its bytes, the lock file aside.
    func snapshot(_ id: String) -> [String: Data] {
        var files: [String: Data] = [:]
        for path in listing("assessments/\(id)") where !path.hasSuffix("log.lock") {
            let url = root.appendingPathComponent("assessments/\(id)/\(path)")
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
            files[path] = isDirectory.boolValue ? Data("<folder>".utf8) : (try? Data(contentsOf: url)) ?? Data("<unreadable>".utf8)
        }
        return files
    }

    /// assessments/ID must hold exactly what `snapshot` gave before `context` ran.
    func expectUnchanged(_ id: String, before: [String: Data], after context: String, sourceLocation: Testing.SourceLocation) {
        let now = snapshot(id)
        #expect(now["log.jsonl"] == before["log.jsonl"], "log.jsonl changed: \(context)", sourceLocation: sourceLocation)
        let added = Set(now.keys).subtracting(before.keys).sorted()
        let removed = Set(before.keys).subtracting(now.keys).sorted()
        let changed = before.keys.filter { now[$0] != nil && now[$0] != before[$0] }.sorted()
        #expect(added.isEmpty && removed.isEmpty && changed.isEmpty,
                "assessments/\(id): added \(added), removed \(removed), changed \(changed) by \(context)", sourceLocation: sourceLocation)
    }
}

/// The templates of `TestWorkspace.templates`: one per mode, each built on first use.
final class WorkspaceTemplate: @unchecked Sendable {
    // @unchecked: `built` is reached only under `lock`.
    private let lock = NSLock()
    private var built: [TestWorkspace.Mode: Result<URL, any Error>] = [:]
    private let build: @Sendable (TestWorkspace.Mode) -> Result<URL, any Error>

    init(_ build: @escaping @Sendable (TestWorkspace.Mode) -> Result<URL, any Error>) { self.build = build }

    func built(_ mode: TestWorkspace.Mode) -> Result<URL, any Error> {
        lock.withLock {
            if let done = built[mode] { return done }
            let made = build(mode)
            built[mode] = made
            return made
        }
    }
}

/// The `hria serve` of a `.server` mode workspace: started at its first command, on a free loopback port, with an
/// empty key folder and no ssh-agent (it never signs as a person), and its clock in a file each command sets.
final class WorkspaceServer: @unchecked Sendable {
    // @unchecked: `running` is reached only under `lock`.
    private let lock = NSLock()
    private var running: (server: RunningServer, clock: URL)?

    /// The server's address, starting it on the workspace if it is not running yet.
    func address(serving ws: TestWorkspace) throws -> String {
        try lock.withLock {
            if let running { return running.server.base }
            let home = ws.parent.appendingPathComponent("server-home"), clock = ws.parent.appendingPathComponent("server-now")
            try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
            try Data().write(to: clock)
            var environment = ["XDG_CONFIG_HOME": home.path, "SSH_AUTH_SOCK": "", "HRIA_NOW_FILE": clock.path]
            if let store = ws.store { environment["HRIA_STORE"] = store }
            let server = try RunningServer(in: ws.root, environment: environment)
            running = (server, clock)
            return server.base
        }
    }

    /// The moment the next command acts at (HRIA_NOW), or the system's clock for nil.
    func setClock(_ now: String?) throws {
        try lock.withLock {
            guard let running else { return }
            try Data((now ?? "").utf8).write(to: running.clock, options: .atomic)
        }
    }

    func stop() {
        lock.withLock {
            if let running { _ = running.server.stop(SIGKILL) }
            running = nil
        }
    }

    deinit { if let running { _ = running.server.stop(SIGKILL) } }
}

/// The temporary folders of template workspaces, removed when the test process exits.
private enum TemplateFolders {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var paths: [String] = []
    private static let registered: Void = { atexit { TemplateFolders.removeAll() } }()

    static func removeAtExit(_ folder: URL) {
        _ = registered
        lock.lock()
        paths.append(folder.path)
        lock.unlock()
    }

    private static func removeAll() {
        lock.lock()
        defer { lock.unlock() }
        for path in paths { try? FileManager.default.removeItem(atPath: path) }
    }
}

/// The parts of `hria verify --json` the tests read.
struct VerifyJSON {
    var ok: Bool
    var firstBadEvent: Int?
    var kinds: [String]
    var events: Int?

    init?(_ text: String) {
        guard let top = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
              let ok = top["ok"] as? Bool, let list = top["assessments"] as? [[String: Any]], let first = list.first else { return nil }
        self.ok = ok
        firstBadEvent = first["first_bad_event"] as? Int
        kinds = ((first["problems"] as? [[String: Any]]) ?? []).compactMap { $0["kind"] as? String }
        events = first["events"] as? Int
    }
}

/// Files read and copied outside any one workspace.
enum Files {
    /// Every regular file under a folder, as paths relative to it, sorted.
    static func all(under folder: URL) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder.path) else { return [] }
        var files: [String] = []
        while let path = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent(path).path, isDirectory: &isDirectory),
               !isDirectory.boolValue {
                files.append(path)
            }
        }
        return files.sorted()
    }

    static func data(_ url: URL) -> Data { (try? Data(contentsOf: url)) ?? Data() }

    static func text(_ url: URL) -> String { String(decoding: data(url), as: UTF8.self) }

    /// Runs `cp -a`, which keeps hard links (checkpoint and checkpoints/N) as they are.
    static func copyTree(_ from: URL, to: URL) throws {
        let copy = Process()
        copy.executableURL = URL(fileURLWithPath: "/bin/cp")
        copy.arguments = ["-a", from.path, to.path]
        try copy.run()
        copy.waitUntilExit()
        guard copy.terminationStatus == 0 else { throw HarnessError("cp -a \(from.path) \(to.path) failed") }
    }
}
