import Foundation
import HRIAKit
import Testing

/// The reading commands through `hria serve` (HRIA_SERVER): each must print, on standard output and standard error,
/// and exit, as the same command on the workspace itself — byte for byte, but for the moment a report was made.
@Suite("hria serve: the command line reads through the server as it reads a workspace")
struct ServerClientReadTests {
    /// Runs `arguments` on the workspace and through the server as `person`, and expects the same exit status,
    /// standard output (with report times masked when `timeless`) and standard error. The local run's result.
    @discardableResult
    static func same(_ ws: TestWorkspace, _ server: RunningServer, _ arguments: [String], as person: String = "ana", timeless: Bool = false,
                     sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> HRIA.Result {
        let local = try ws.run(arguments, as: person)
        let remote = try ServerAPITests.remote(ws, server, arguments, as: person)
        let what = "hria \(arguments.joined(separator: " "))"
        #expect(remote.status == local.status, "\(what): exit \(remote.status) through the server, \(local.status) here\n\(remote.stderr)\n\(local.stderr)",
                sourceLocation: sourceLocation)
        let (a, b) = timeless ? (ServerReadTests.timeless(remote.stdout), ServerReadTests.timeless(local.stdout)) : (remote.stdout, local.stdout)
        #expect(a == b, "\(what): standard output differs\n--- through the server\n\(remote.stdout)\n--- here\n\(local.stdout)", sourceLocation: sourceLocation)
        #expect(remote.stderr == local.stderr, "\(what): standard error differs\n--- through the server\n\(remote.stderr)\n--- here\n\(local.stderr)",
                sourceLocation: sourceLocation)
        return local
    }

    /// A workflow of one stage to approve, by `role`: an assessor here (amina), or one nobody on the roster holds.
    static func signed(_ id: String, by role: String) -> String {
        """
        schema: hria.workflow/v1
        id: \(id)
        version: 1
        title: One stage to approve
        roles:
          requester: { description: Runs the assessment }
          \(role): { description: Approves it }
        initial: review
        stages:
          review:
            owner: requester
            signoff:
              - { roles: [\(role)], description: The stage is approved }
            transitions: [ { to: done } ]
          done: { terminal: true, outcome: done }

        """
    }

    @Test("log (every format, filters), status (team warnings, an interrupted write), unknown and invalid ids")
    func logAndStatus() throws {
        let (ws, server) = try ServerAPITests.serving("hria-cli-reads-log")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        let runs: [[String]] = [
            ["log", "demo"], ["log", "demo", "--json"], ["log", "demo", "--format", "json"], ["log", "demo", "--format", "csv"],
            ["log", "demo", "--json", "--actor", "ana", "--type", "comment.added", "--type", "evidence.added", "--since", "2026-01-05T10:02:00Z",
             "--until", "2026-01-05"],
            ["log", "demo", "--stage", "intake", "--stage", "nowhere"],
            ["log", "demo", "--since", "yesterday"], ["log", "demo", "--type", "comment.add"],
            ["log", "dmeo"], ["log", "Not-An-Id!"], ["status", "dmeo"], ["status", "demo"], ["status", "demo", "--json"],
        ]
        var outputs: [String] = []
        for arguments in runs {
            let local = try Self.same(ws, server, arguments)
            outputs.append("\(local.status) \(local.stdout)\(local.stderr)")
        }
        // What the runs said, so that the equality above is not that of two failures.
        #expect(outputs[0].hasPrefix("0 ") && outputs[0].contains("note 3"), "\(outputs[0])")
        #expect(outputs[3].hasPrefix("0 seq,"), "\(outputs[3])")
        #expect(outputs[6].hasPrefix("2 hria: --since"), "\(outputs[6])")
        #expect(outputs[8] == "2 hria: unknown assessment \"dmeo\"\n  help: did you mean \"demo\"?\n", "\(outputs[8])")
        #expect(outputs[9].hasPrefix("2 hria: \"Not-An-Id!\" is not a valid assessment id"), "\(outputs[9])")
        #expect(outputs[10] == outputs[8], "\(outputs[10])")

        // An assessment whose current stage nobody can run: status warns of it, through the server too.
        try Self.signed("lonely", by: "auditor").write(to: ws.root.appendingPathComponent("workflows/lonely.yaml"), atomically: true, encoding: .utf8)
        try ws.ok(["new", "lone", "--workflow", "lonely", "--partner", "Nobody Ltd"], as: "ana")
        let warned = try Self.same(ws, server, ["status", "lone"])
        #expect(warned.status == 0 && warned.stderr.contains("hria: warning: ") && warned.stderr.contains("auditor"), "\(warned.stderr)")
        try Self.same(ws, server, ["status", "lone", "--json"])

        // An interrupted write at the end of the log: status notes it, and leaves it for the next recording command.
        let log = ws.root.appendingPathComponent("assessments/demo/log.jsonl")
        let handle = try FileHandle(forWritingTo: log)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"seq\":6,\"half".utf8))
        try handle.close()
        let torn = try Self.same(ws, server, ["status", "demo"])
        #expect(torn.status == 0 && torn.stderr.contains("interrupted write"), "\(torn.stderr)")
        try Self.same(ws, server, ["log", "demo", "--format", "csv"])
    }

    @Test("report (md, html, public, --output), checkpoint (and --roster), prove (and --output), and what they refuse")
    func reportsAndProofs() throws {
        let (ws, server) = try ServerAPITests.serving("hria-cli-reads-report")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        for arguments in [["report", "demo"], ["report", "demo", "--format", "html"], ["report", "demo", "--public"],
                          ["report", "demo", "--public", "--format", "html"], ["report", "dmeo"]] {
            try Self.same(ws, server, arguments, timeless: true)
        }
        // Written to a file where each runs (the workspace here, its parent through the server), as the command writes it.
        let written = try Self.same(ws, server, ["report", "demo", "--output", "internal.md"])
        #expect(written.stdout == "wrote internal.md\n", "\(written.stdout)\(written.stderr)")
        let here = ws.root.appendingPathComponent("internal.md"), there = ws.parent.appendingPathComponent("internal.md")
        #expect(ServerReadTests.timeless(Files.text(here)) == ServerReadTests.timeless(Files.text(there)))
        #expect(Files.text(there).contains("We fear reprisals."), "the internal report holds the confidential values")
        for file in [here, there] {
            let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(file.path): \(String(mode ?? 0, radix: 8))")
        }
        // The portfolio too (ServerMoreReadsTests covers its formats and what it refuses).
        try Self.same(ws, server, ["report", "--portfolio"])

        for arguments in [["checkpoint", "demo"], ["checkpoint", "--roster"], ["checkpoint", "dmeo"], ["prove", "demo", "3"],
                          ["prove", "demo", "0"], ["prove", "demo", "99"], ["prove", "dmeo", "1"]] {
            let local = try Self.same(ws, server, arguments)
            if arguments == ["prove", "demo", "3"] { #expect(local.status == 0 && local.stdout.contains("tlog-proof"), "\(local.stdout)") }
            if arguments == ["prove", "demo", "99"] { #expect(local.status == 2, "\(local.stderr)") }
        }
        let proved = try Self.same(ws, server, ["prove", "demo", "3", "--output", "three.proof"])
        #expect(proved.status == 0 && proved.stdout.contains("--key \"audit.example/hria+"), "\(proved.stdout)\(proved.stderr)")
        #expect(Files.data(ws.root.appendingPathComponent("three.proof")) == Files.data(ws.parent.appendingPathComponent("three.proof")))
        try ws.ok(["verify", "--proof", ws.parent.appendingPathComponent("three.proof").path], as: "ana")
    }

    @Test("export --public through the server writes the files export writes here, refuses what it refuses, and the bundle verifies")
    func export() throws {
        let (ws, server) = try ServerAPITests.serving("hria-cli-reads-export")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        // A destination a few levels new, given relative to where each runs.
        let made = try Self.same(ws, server, ["export", "demo", "--public", "out/demo-bundle"])
        #expect(made.status == 0 && made.stdout.hasPrefix("wrote a public bundle of demo to out/demo-bundle ("), "\(made.stdout)\(made.stderr)")
        let here = ws.root.appendingPathComponent("out/demo-bundle"), there = ws.parent.appendingPathComponent("out/demo-bundle")
        let local = try ServerReadTests.files(under: here), remote = try ServerReadTests.files(under: there)
        #expect(local.keys.sorted() == remote.keys.sorted() && local.count > 10, "\(local.keys.sorted())\n\(remote.keys.sorted())")
        for (path, bytes) in local {
            // The reports state when they were made; every other file is the same to the byte.
            if path.hasPrefix("report.") {
                #expect(ServerReadTests.timeless(String(decoding: bytes, as: UTF8.self))
                    == ServerReadTests.timeless(String(decoding: remote[path] ?? Data(), as: UTF8.self)), "\(path)")
            } else {
                #expect(remote[path] == bytes, "\(path) differs")
            }
        }
        let key = try #require(made.stdout.split(separator: "\"").dropFirst().first.map(String.init))
        let verified = try ws.run(["verify", "--bundle", there.path, "--key", key], in: ws.parent)
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")

        // An empty folder is filled; one that holds something is refused, and nothing is written in it.
        let empty = ws.parent.appendingPathComponent("empty"), full = ws.parent.appendingPathComponent("full")
        for folder in [empty, full] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        try "mine\n".write(to: full.appendingPathComponent("keep.txt"), atomically: true, encoding: .utf8)
        let refused = try Self.same(ws, server, ["export", "demo", "--public", full.path])
        #expect(refused.status == 2 && refused.stderr == "hria: \(full.path) already exists and is not empty\n", "\(refused.stderr)")
        #expect(Files.all(under: full) == ["keep.txt"])
        let filled = try ServerAPITests.remote(ws, server, ["export", "demo", "--public", empty.path], as: "ana")
        #expect(filled.status == 0 && Files.all(under: empty).count == local.count, "\(filled.stderr)")
        try Self.same(ws, server, ["export", "dmeo", "--public", ws.parent.appendingPathComponent("none").path])
        // Nothing of the scratch folders is left beside the destinations.
        #expect(try FileManager.default.contentsOfDirectory(atPath: ws.parent.path).allSatisfy { !$0.hasPrefix(".hria-export-") })
        #expect(try FileManager.default.contentsOfDirectory(atPath: ws.parent.appendingPathComponent("out").path) == ["demo-bundle"])
    }

    @Test("people list, workflow show, graph and lint by name; a workflow with errors, an unknown one; a file stays local")
    func peopleAndWorkflows() throws {
        let (ws, server) = try ServerAPITests.serving("hria-cli-reads-workflows")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        let broken = AuditFixture.workflow.replacingOccurrences(of: "id: demo", with: "id: broken")
            .replacingOccurrences(of: "transitions: [ { to: done } ]", with: "transitions: [ { to: nowhere } ]")
        try broken.write(to: ws.root.appendingPathComponent("workflows/broken.yaml"), atomically: true, encoding: .utf8)
        try Self.signed("lonely", by: "auditor").write(to: ws.root.appendingPathComponent("workflows/lonely.yaml"), atomically: true, encoding: .utf8)
        let runs: [[String]] = [
            ["people", "list"], ["people", "list", "--json"],
            ["workflow", "show", "demo"], ["workflow", "show", "broken"], ["workflow", "show", "dmeo"],
            ["workflow", "graph", "demo"], ["workflow", "graph", "demo", "--format", "dot"], ["workflow", "graph", "demo", "--format", "svg"],
            ["workflow", "graph", "broken"],
            ["workflow", "lint", "demo"], ["workflow", "lint", "demo", "--format", "json"], ["workflow", "lint", "broken"],
            ["workflow", "lint", "broken", "--format", "json"], ["workflow", "lint", "lonely", "--strict"], ["workflow", "lint", "dmeo"],
            ["workflow", "lint", "dmeo", "--format", "json"],
        ]
        var outputs: [String] = []
        for arguments in runs {
            let local = try Self.same(ws, server, arguments)
            outputs.append("\(local.status) \(local.stdout)\(local.stderr)")
        }
        #expect(outputs[0].hasPrefix("0 ") && outputs[0].contains("ana"), "\(outputs[0])")
        #expect(outputs[3].hasPrefix("1 ") && outputs[3].contains("nowhere") && outputs[3].contains("has errors; fix them first"), "\(outputs[3])")
        #expect(outputs[4].hasPrefix("2 hria: unknown workflow \"dmeo\""), "\(outputs[4])")
        #expect(outputs[11].hasPrefix("1 ") && outputs[11].contains("nowhere"), "\(outputs[11])")
        #expect(outputs[14].hasPrefix("2 hria: unknown workflow \"dmeo\""), "\(outputs[14])")

        let drawn = try Self.same(ws, server, ["workflow", "graph", "demo", "--format", "dot", "--output", "demo.dot"])
        #expect(drawn.stdout == "wrote the dot drawing of demo to demo.dot\n", "\(drawn.stdout)\(drawn.stderr)")
        #expect(Files.data(ws.root.appendingPathComponent("demo.dot")) == Files.data(ws.parent.appendingPathComponent("demo.dot")))

        // Several names at once: one at a time through a server, said so.
        let several = try ServerAPITests.remote(ws, server, ["workflow", "lint", "demo", "broken"], as: "ana")
        #expect(several.status == 2 && several.stderr.hasPrefix("hria: through a server, hria workflow lint checks one"), "\(several.stderr)")
        // A file on this machine is read here, whatever HRIA_SERVER says: the same path gives the same answer.
        let file = ws.root.appendingPathComponent("workflows/demo.yaml").path
        try Self.same(ws, server, ["workflow", "show", file])
        try Self.same(ws, server, ["workflow", "lint", file])
    }

    @Test("signoff through the server says that an approval already stood, as it does here")
    func repeatedApproval() throws {
        let (ws, server) = try ServerAPITests.serving("hria-cli-reads-signoff")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        try Self.signed("signed", by: "assessor").write(to: ws.root.appendingPathComponent("workflows/signed.yaml"), atomically: true, encoding: .utf8)
        try ws.ok(["new", "approve-me", "--workflow", "signed", "--partner", "Acme Corp"], as: "ana")
        let twinParent = try HRIA.temporaryDirectory("hria-cli-reads-twin")
        let twin = TestWorkspace(parent: twinParent, root: twinParent.appendingPathComponent("ws"), assessmentID: AuditFixture.id)
        defer { twin.cleanUp() }
        try Files.copyTree(ws.root, to: twin.root)
        try Files.copyTree(ws.parent.appendingPathComponent("config"), to: twinParent.appendingPathComponent("config"))
        var outputs: [String] = []
        for _ in 0 ..< 2 {
            let through = try ServerAPITests.remote(ws, server, ["signoff", "approve-me", "--approve"], as: "amina")
            let local = try twin.run(["signoff", "approve-me", "--approve"], as: "amina")
            #expect(through.status == local.status && through.stdout == local.stdout && through.stderr == local.stderr,
                    "through the server: \(through.status) \(through.stdout)\(through.stderr)\nhere: \(local.status) \(local.stdout)\(local.stderr)")
            outputs.append("\(through.status) \(through.stdout)\(through.stderr)")
        }
        #expect(outputs[0].hasPrefix("0 recorded #") && outputs[0].hasSuffix(": amina approved review\n"), "\(outputs[0])")
        #expect(outputs[1].hasPrefix("0 recorded #")
                    && outputs[1].hasSuffix(": amina approved review\namina had already approved this visit of the stage: the approval counts once\n"),
                "\(outputs[1])")
    }

    @Test("a lying server: an archive that is not a plain bundle of the assessment writes nothing; text it sends is escaped; garbage is an error")
    func lyingServer() throws {
        let (ws, server) = try ServerAPITests.serving("hria-cli-reads-liar")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        let python = try #require(HRIA.which("python3"))
        let genuine = try server.get("/public/demo/bundle")
        try #require(genuine.status == 200)
        let original = ws.parent.appendingPathComponent("genuine.tar")
        try genuine.body.write(to: original)
        // Python's http.server hands out whatever this test puts in its folder, at the paths the client asks for.
        let site = ws.parent.appendingPathComponent("liar")
        let assessment = site.appendingPathComponent("api/v1/assessments/demo")
        let workflows = site.appendingPathComponent("api/v1/workflows")
        for folder in [assessment, workflows] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        try Data("#0  \u{1B}]0;owned\u{07}\u{1B}[31mred\n".utf8).write(to: assessment.appendingPathComponent("log"))
        try Data("not json at all".utf8).write(to: assessment.appendingPathComponent("prove"))
        try Data("stage \u{202E}reversed\n".utf8).write(to: workflows.appendingPathComponent("demo"))
        let forge = ws.parent.appendingPathComponent("forge.py")
        // Each way of lying, written as an archive by Python's tarfile: a path out of the folder, a link, another assessment.
        try #"""
        import io, sys, tarfile
        source, target, how = sys.argv[1], sys.argv[2], sys.argv[3]
        with tarfile.open(source) as src, tarfile.open(target, "w", format=tarfile.USTAR_FORMAT) as out:
            for member in src.getmembers():
                data = src.extractfile(member).read() if member.isfile() else None
                if how == "other":
                    member.name = member.name.replace("demo/", "other/", 1)
                out.addfile(member, io.BytesIO(data) if data is not None else None)
            if how == "escape":
                evil = tarfile.TarInfo("demo/../../escaped"); evil.size = 4
                out.addfile(evil, io.BytesIO(b"evil"))
            if how == "link":
                link = tarfile.TarInfo("demo/link"); link.type = tarfile.SYMTYPE; link.linkname = "/etc/passwd"
                out.addfile(link)
        """#.write(to: forge, atomically: true, encoding: .utf8)
        let port = 20_000 + Int.random(in: 0 ..< 20_000)
        let liar = try ChildProcess(executable: URL(fileURLWithPath: python), arguments: ["-m", "http.server", String(port), "--bind", "127.0.0.1"],
                                    directory: site)
        defer { liar.kill(SIGKILL); _ = liar.wait() }
        let lying = ["HRIA_SERVER": "http://127.0.0.1:\(port)"]
        func run(_ arguments: [String]) throws -> HRIA.Result {
            var result = try ws.run(arguments, as: "ana", in: ws.parent, environment: lying)
            for _ in 0 ..< 50 where result.stderr.contains("could not reach the server") {
                Thread.sleep(forTimeInterval: 0.1)
                result = try ws.run(arguments, as: "ana", in: ws.parent, environment: lying)
            }
            return result
        }
        let destination = ws.parent.appendingPathComponent("out")
        for (how, says) in [("escape", "is not a path inside the bundle"), ("link", "is not a file or a folder"), ("other", "has no demo/bundle.json")] {
            let made = try HRIA.run([forge.path, original.path, assessment.appendingPathComponent("bundle").path, how], program: URL(fileURLWithPath: python))
            try #require(made.status == 0, "\(made.stderr)")
            let result = try run(["export", "demo", "--public", destination.path])
            #expect(result.status == 3 && result.stdout.isEmpty && result.stderr.contains(says), "\(how): \(result.status) \(result.stdout)\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: destination.path), "\(how): something was written")
            #expect(try FileManager.default.contentsOfDirectory(atPath: ws.parent.path).allSatisfy { !$0.hasPrefix(".hria-export-") }, "\(how)")
        }
        #expect(!FileManager.default.fileExists(atPath: ws.parent.deletingLastPathComponent().appendingPathComponent("escaped").path))
        // What the command prints as text is printed so: a control sequence or an override shows as an escape.
        let log = try run(["log", "demo"])
        #expect(log.status == 0 && !log.stdout.contains("\u{1B}") && log.stdout.contains("red"), "\(log.stdout.debugDescription)")
        let shown = try run(["workflow", "show", "demo"])
        #expect(shown.status == 0 && !shown.stdout.contains("\u{202E}") && shown.stdout.contains("reversed"), "\(shown.stdout.debugDescription)")
        // An answer that is not what the route gives: a clear error, exit 70, never a crash.
        let proof = try run(["prove", "demo", "1"])
        #expect(proof.status == 70 && proof.stderr.hasPrefix("hria: the server's proof answer is not JSON"), "\(proof.status) \(proof.stderr)")
        let missing = try run(["checkpoint", "demo"])
        #expect(missing.status == 70 && missing.stderr.hasPrefix("hria: the server answered 404"), "\(missing.status) \(missing.stderr)")
    }
}
