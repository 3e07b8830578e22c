import Foundation
import HRIAKit
import Testing

/// The read-only routes of `hria serve`, each held to the command it wraps: the real server and the real `hria`, on
/// the same workspace, must say the same thing (byte for byte, but for the moment a report was made).
@Suite("hria serve: the read routes answer as the commands print")
struct ServerReadTests {
    /// A signed GET of `path?query` as `person`: the query is covered by the signature, as the client signs it.
    static func get(_ server: RunningServer, _ path: String, query: String = "", as person: String = "ana",
                    key: SSHPrivateKey) throws -> RunningServer.Reply {
        let signed = try RequestSignature.sign(method: "GET", path: path, query: query, body: [UInt8](), keyid: person,
                                               created: Int(Date().timeIntervalSince1970), nonce: UUID().uuidString) { try key.signRaw($0) }
        return try server.request("GET", path + (query.isEmpty ? "" : "?" + query),
                                  headers: Dictionary(uniqueKeysWithValues: signed.map { ($0.name, $0.value) }))
    }

    /// The command's standard output, which must have exited with `status`.
    static func printed(_ ws: TestWorkspace, _ arguments: [String], status: Int32 = 0,
                        sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> String {
        let result = try ws.run(arguments)
        #expect(result.status == status, "hria \(arguments.joined(separator: " ")): \(result.status) \(result.stderr)", sourceLocation: sourceLocation)
        return result.stdout
    }

    /// A report states when it was made; the server made its copy a moment apart from the command's.
    static func timeless(_ text: String) -> String {
        text.replacingOccurrences(of: #"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?Z?( UTC)?"#, with: "TIME", options: .regularExpression)
    }

    static func expectSame(_ reply: RunningServer.Reply, _ printed: String, type: String, _ what: String,
                           sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(reply.status == 200, "\(what): \(reply.status) \(reply.text)", sourceLocation: sourceLocation)
        #expect(reply.text == printed, "\(what): the server's answer is not what the command prints", sourceLocation: sourceLocation)
        #expect(reply.header("Content-Type") == type, "\(what): \(reply.header("Content-Type") ?? "no type")", sourceLocation: sourceLocation)
    }

    @Test("log, report, checkpoint, proof and roster: what hria log, report, checkpoint, prove and people list print")
    func assessmentReads() throws {
        let (ws, server) = try ServerAPITests.serving("hria-read-same")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        let ana = try ServerAPITests.key(ws, "ana")

        // hria log, in each format, unfiltered and with the auditor's filters.
        Self.expectSame(try Self.get(server, "/api/v1/assessments/demo/log", key: ana), try Self.printed(ws, ["log", "demo", "--json"]),
                        type: "application/json", "log")
        Self.expectSame(try Self.get(server, "/api/v1/assessments/demo/log", query: "format=text", key: ana), try Self.printed(ws, ["log", "demo"]),
                        type: "text/plain; charset=utf-8", "log text")
        Self.expectSame(try Self.get(server, "/api/v1/assessments/demo/log", query: "format=csv", key: ana),
                        try Self.printed(ws, ["log", "demo", "--format", "csv"]), type: "text/csv; charset=utf-8", "log csv")
        let filtered = try Self.get(server, "/api/v1/assessments/demo/log",
                                    query: "actor=ana&type=comment.added&type=evidence.added&since=2026-01-05T10:02:00Z&until=2026-01-05", key: ana)
        let filteredCLI = try Self.printed(ws, ["log", "demo", "--json", "--actor", "ana", "--type", "comment.added", "--type", "evidence.added",
                                                "--since", "2026-01-05T10:02:00Z", "--until", "2026-01-05"])
        Self.expectSame(filtered, filteredCLI, type: "application/json", "filtered log")
        // The filters did filter: the confidential evidence (#2) and the three comments, nothing else.
        let seqs = (try JSONSerialization.jsonObject(with: filtered.body) as? [[String: Any]])?.compactMap { $0["seq"] as? Int }
        #expect(seqs == [2, 3, 4, 5], "\(filtered.text)")
        let byStage = try Self.get(server, "/api/v1/assessments/demo/log", query: "stage=nowhere&format=text", key: ana)
        Self.expectSame(byStage, try Self.printed(ws, ["log", "demo", "--stage", "nowhere"]), type: "text/plain; charset=utf-8", "log of no stage")

        // hria report: internal by default, with the confidential values; public on request, without them.
        let internalReport = try Self.get(server, "/api/v1/assessments/demo/report", key: ana)
        #expect(internalReport.status == 200 && internalReport.header("Content-Type") == "text/markdown; charset=utf-8", "\(internalReport.text)")
        #expect(Self.timeless(internalReport.text) == Self.timeless(try Self.printed(ws, ["report", "demo"])))
        #expect(internalReport.text.contains("We fear reprisals."))
        #expect(internalReport.header("Cache-Control") == "no-store")
        let html = try Self.get(server, "/api/v1/assessments/demo/report", query: "format=html&public=true", key: ana)
        #expect(html.status == 200 && html.header("Content-Type") == "text/html; charset=utf-8")
        #expect(Self.timeless(html.text) == Self.timeless(try Self.printed(ws, ["report", "demo", "--public", "--format", "html"])))
        #expect(!html.text.contains("reprisals") && html.text.contains("Acme Corp"))
        #expect(html.header("Content-Security-Policy")?.hasPrefix("default-src 'none'") == true)

        // hria checkpoint, byte for byte, and the same as the read path's.
        let checkpoint = try Self.get(server, "/api/v1/assessments/demo/checkpoint", key: ana)
        Self.expectSame(checkpoint, try Self.printed(ws, ["checkpoint", "demo"]), type: "text/plain; charset=utf-8", "checkpoint")
        #expect(checkpoint.body == (try server.get("/logs/demo/checkpoint")).body)

        // hria prove, byte for byte; the proof checks offline against the published key.
        let proof = try Self.get(server, "/api/v1/assessments/demo/prove", query: "seq=3", key: ana)
        Self.expectSame(proof, try Self.printed(ws, ["prove", "demo", "3"]), type: "text/plain; charset=utf-8", "proof")
        let proofFile = ws.parent.appendingPathComponent("served.proof")
        try proof.body.write(to: proofFile)
        let checked = try HRIA.run(["verify", "--proof", proofFile.path, "--key", try ws.logKey])
        #expect(checked.status == 0 && checked.stdout.contains("verified: event 3"), "\(checked.stdout)\(checked.stderr)")

        // hria people list: the roster with its public keys, and nothing private.
        let roster = try Self.get(server, "/api/v1/roster", key: ana)
        Self.expectSame(roster, try Self.printed(ws, ["people", "list", "--json"]), type: "application/json", "roster")
        #expect(roster.text.contains("ssh-ed25519 ") && !roster.text.contains("PRIVATE"))
        Self.expectSame(try Self.get(server, "/api/v1/roster", query: "format=text", key: ana), try Self.printed(ws, ["people", "list"]),
                        type: "text/plain; charset=utf-8", "roster text")
    }

    @Test("workflows listed, described, drawn and checked as hria workflow show, graph and lint --workspace; one with errors refused")
    func workflowReads() throws {
        let (ws, server) = try ServerAPITests.serving("hria-read-workflows")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        let ana = try ServerAPITests.key(ws, "ana")
        // A second workflow with an error, and a stage owner role nobody holds: lint reports both, show refuses it.
        let broken = AuditFixture.workflow.replacingOccurrences(of: "id: demo", with: "id: broken")
            .replacingOccurrences(of: "transitions: [ { to: done } ]", with: "transitions: [ { to: nowhere } ]")
        try broken.write(to: ws.root.appendingPathComponent("workflows/broken.yaml"), atomically: true, encoding: .utf8)

        let listed = try Self.get(server, "/api/v1/workflows", key: ana)
        #expect(listed.status == 200, "\(listed.text)")
        let rows = try #require((listed.json["workflows"] as? [[String: Any]]))
        // Every file of workflows/, by name, as hria workflow takes NAME there: hria init's and the two here.
        let names = try FileManager.default.contentsOfDirectory(atPath: ws.root.appendingPathComponent("workflows").path)
            .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
        #expect(rows.compactMap { $0["name"] as? String } == names && names.contains("broken") && names.contains("demo"))
        let demo = try #require(rows.first { $0["name"] as? String == "demo" })
        let brokenRow = try #require(rows.first { $0["name"] as? String == "broken" })
        #expect(demo["id"] as? String == "demo" && demo["version"] as? Int == 1 && demo["errors"] as? Int == 0, "\(demo)")
        #expect(demo["file"] as? String == "workflows/demo.yaml" && demo["title"] as? String == "Demo workflow of the audit-log tests")
        #expect((brokenRow["errors"] as? Int ?? 0) > 0 && brokenRow["id"] == nil, "\(brokenRow)")

        Self.expectSame(try Self.get(server, "/api/v1/workflows/demo", key: ana), try Self.printed(ws, ["workflow", "show", "demo"]),
                        type: "text/plain; charset=utf-8", "show")
        Self.expectSame(try Self.get(server, "/api/v1/workflows/demo/graph", key: ana), try Self.printed(ws, ["workflow", "graph", "demo"]),
                        type: "text/plain; charset=utf-8", "graph")
        Self.expectSame(try Self.get(server, "/api/v1/workflows/demo/graph", query: "format=dot", key: ana),
                        try Self.printed(ws, ["workflow", "graph", "demo", "--format", "dot"]), type: "text/vnd.graphviz; charset=utf-8", "dot")
        Self.expectSame(try Self.get(server, "/api/v1/workflows/demo/graph", query: "format=svg", key: ana),
                        try Self.printed(ws, ["workflow", "graph", "demo", "--format", "svg"]), type: "image/svg+xml", "svg")
        for name in ["demo", "broken"] {
            let status: Int32 = name == "broken" ? 1 : 0
            Self.expectSame(try Self.get(server, "/api/v1/workflows/\(name)/lint", key: ana),
                            try Self.printed(ws, ["workflow", "lint", name, "--format", "json", "--workspace", ws.root.path], status: status),
                            type: "application/json", "lint \(name)")
            Self.expectSame(try Self.get(server, "/api/v1/workflows/\(name)/lint", query: "format=text", key: ana),
                            try Self.printed(ws, ["workflow", "lint", name, "--workspace", ws.root.path], status: status),
                            type: "text/plain; charset=utf-8", "lint \(name) text")
        }
        let lint = try Self.get(server, "/api/v1/workflows/broken/lint", key: ana)
        #expect(lint.text.contains("nowhere"), "\(lint.text)")

        let refused = try Self.get(server, "/api/v1/workflows/broken", key: ana)
        #expect(refused.status == 422 && refused.json["type"] as? String == "urn:hria:problem:invalid-workflow", "\(refused.text)")
        #expect(refused.json["exit_code"] as? Int == 1)
        #expect(try Self.get(server, "/api/v1/workflows/broken/graph", key: ana).status == 422)
        let unknown = try Self.get(server, "/api/v1/workflows/dmeo", key: ana)
        #expect(unknown.status == 404 && unknown.json["help"] as? String == "did you mean \"demo\"?", "\(unknown.text)")
        // Only names workflows/ lists are read: never a path, however it is spelt.
        for path in ["/api/v1/workflows/..%2Fhria", "/api/v1/workflows/..%2F..%2Fetc%2Fpasswd/lint", "/api/v1/workflows/demo.yaml"] {
            let reply = try Self.get(server, path, key: ana)
            #expect(reply.status == 404, "\(path): \(reply.status) \(reply.text)")
        }
    }

    /// Every file of a folder, by path relative to it.
    static func files(under folder: URL) throws -> [String: Data] {
        var found: [String: Data] = [:]
        for relative in Files.all(under: folder) {
            found[relative] = try Data(contentsOf: folder.appendingPathComponent(relative))
        }
        return found
    }

    @Test("the public bundle as a ustar archive, signed and anonymous: the files hria export --public writes; it verifies")
    func bundle() throws {
        // The server builds bundles in its own temporary folder here, so what it leaves behind is its alone to answer for.
        let ws = try AuditFixture.copy("hria-read-bundle")
        defer { ws.cleanUp() }
        try ws.publishKey("ana")
        let scratch = ws.parent.appendingPathComponent("server-tmp")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let server = try RunningServer(in: ws.root, environment: ["TMPDIR": scratch.path, "SSH_AUTH_SOCK": ""])
        defer { _ = server.stop(SIGKILL) }
        let ana = try ServerAPITests.key(ws, "ana")
        let tar = try #require(HRIA.which("tar"))
        let exported = ws.parent.appendingPathComponent("exported")
        try ws.ok(["export", "demo", "--public", exported.path])
        let expected = try Self.files(under: exported)
        #expect(expected["log.jsonl"] != nil && expected["evidence/sha256/" + Digest.sha256Hex(Array("The partnership brief.\n".utf8))] != nil)

        for (name, reply) in [("signed", try Self.get(server, "/api/v1/assessments/demo/bundle", key: ana)),
                              ("anonymous", try server.get("/public/demo/bundle"))] {
            #expect(reply.status == 200, "\(name): \(reply.status) \(reply.text)")
            #expect(reply.header("Content-Type") == "application/x-tar")
            #expect(reply.header("Content-Disposition") == "attachment; filename=\"demo-public.tar\"")
            #expect(reply.body.count % 512 == 0 && reply.body.suffix(1024).allSatisfy { $0 == 0 })
            let archive = ws.parent.appendingPathComponent("\(name).tar"), into = ws.parent.appendingPathComponent("extracted-\(name)")
            try reply.body.write(to: archive)
            try FileManager.default.createDirectory(at: into, withIntermediateDirectories: true)
            // GNU tar, strictly as POSIX: a header it would not write the same way is reported.
            let extracted = try HRIA.run(["--format=posix", "-xf", archive.path, "-C", into.path], program: URL(fileURLWithPath: tar))
            #expect(extracted.status == 0 && extracted.stderr.isEmpty, "\(name): \(extracted.stderr)")
            let listing = try HRIA.run(["-tf", archive.path], program: URL(fileURLWithPath: tar))
            #expect(listing.stdout.split(separator: "\n").allSatisfy { $0.hasPrefix("demo/") }, "\(listing.stdout)")
            let served = try Self.files(under: into.appendingPathComponent("demo"))
            #expect(served.keys.sorted() == expected.keys.sorted(), "\(name)")
            for (path, bytes) in expected {
                if path.hasPrefix("report.") {
                    #expect(Self.timeless(String(decoding: served[path] ?? Data(), as: UTF8.self)) == Self.timeless(String(decoding: bytes, as: UTF8.self)),
                            "\(name): \(path)")
                } else {
                    #expect(served[path] == bytes, "\(name): \(path) differs from what hria export wrote")
                }
            }
            #expect(!String(decoding: served["report.md"] ?? Data(), as: UTF8.self).contains("reprisals"))
            let verified = try HRIA.run(["verify", "--bundle", into.appendingPathComponent("demo").path, "--key", try ws.logKey])
            #expect(verified.status == 0, "\(name): \(verified.stdout)\(verified.stderr)")
        }

        // An id of 60 characters puts its evidence file at a path of 141 bytes: past a ustar name's 100, so the
        // archive splits it into prefix and name, and tar puts it back together.
        let long = "a-very-long-assessment-id-of-sixty-characters-for-ustar-0001"
        #expect(long.count == 60)
        try ws.ok(["new", long, "--workflow", "demo", "--partner", "Long Co"], as: "ana")
        try ws.ok(["evidence", "add", long, "brief", "--file", "brief.txt", "--field", "title=Brief"], as: "ana")
        let longReply = try server.get("/public/\(long)/bundle")
        #expect(longReply.status == 200, "\(longReply.text)")
        let longArchive = ws.parent.appendingPathComponent("long.tar"), longInto = ws.parent.appendingPathComponent("extracted-long")
        try longReply.body.write(to: longArchive)
        try FileManager.default.createDirectory(at: longInto, withIntermediateDirectories: true)
        let longExtracted = try HRIA.run(["-xf", longArchive.path, "-C", longInto.path], program: URL(fileURLWithPath: tar))
        #expect(longExtracted.status == 0 && longExtracted.stderr.isEmpty, "\(longExtracted.stderr)")
        let evidencePath = "\(long)/evidence/sha256/" + Digest.sha256Hex(Array("The partnership brief.\n".utf8))
        #expect(evidencePath.utf8.count > 100)
        #expect(try Data(contentsOf: longInto.appendingPathComponent(evidencePath)) == Data("The partnership brief.\n".utf8))
        let longVerified = try HRIA.run(["verify", "--bundle", longInto.appendingPathComponent(long).path, "--key", try ws.logKey])
        #expect(longVerified.status == 0, "\(longVerified.stdout)\(longVerified.stderr)")

        // The public report, for anyone: hria report --public.
        let report = try server.get("/public/demo/report")
        #expect(report.status == 200 && report.header("Cache-Control") == "no-cache")
        #expect(Self.timeless(report.text) == Self.timeless(try Self.printed(ws, ["report", "demo", "--public"])))
        #expect(!report.text.contains("reprisals"))
        // Nothing was left behind where the bundles were built.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.path)
        #expect(leftovers.isEmpty, "\(leftovers)")
        // And it was there that they were built: with a file where that folder was (root may write anywhere, but not
        // into a file), the server says it cannot build one and serves nothing.
        try FileManager.default.removeItem(at: scratch)
        try Data("not a folder".utf8).write(to: scratch)
        let nowhere = try server.get("/public/demo/bundle")
        #expect(nowhere.status == 503 && (nowhere.json["detail"] as? String ?? "").hasPrefix("could not make a folder to build the bundle in"),
                "\(nowhere.status) \(nowhere.text)")
    }

    @Test("unsigned 401, unknown ids 404, bad filters and parameters 400 or 422 as problem details naming what is wrong")
    func refusals() throws {
        let (ws, server) = try ServerAPITests.serving("hria-read-refusals")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        let ana = try ServerAPITests.key(ws, "ana")
        let signedRoutes = ["/api/v1/assessments/demo/log", "/api/v1/assessments/demo/report", "/api/v1/assessments/demo/checkpoint",
                            "/api/v1/assessments/demo/prove?seq=1", "/api/v1/assessments/demo/bundle", "/api/v1/roster", "/api/v1/workflows",
                            "/api/v1/workflows/demo", "/api/v1/workflows/demo/graph", "/api/v1/workflows/demo/lint"]
        for path in signedRoutes {
            let reply = try server.get(path)
            #expect(reply.status == 401 && reply.json["type"] as? String == "urn:hria:problem:unauthorized", "\(path): \(reply.status) \(reply.text)")
        }
        for route in ["log", "report", "checkpoint", "bundle"] {
            let reply = try Self.get(server, "/api/v1/assessments/nosuch/\(route)", key: ana)
            // Said as the workspace says it, for the command line to print as it does there.
            #expect(reply.status == 404 && reply.json["detail"] as? String == "unknown assessment \"nosuch\"", "\(route): \(reply.text)")
        }
        #expect(try Self.get(server, "/api/v1/assessments/nosuch/prove", query: "seq=0", key: ana).status == 404)
        for route in ["report", "bundle"] {
            let reply = try server.get("/public/nosuch/\(route)")
            #expect(reply.status == 404 && reply.header("Content-Type") == "application/problem+json", "\(route): \(reply.text)")
        }

        let cases: [(path: String, query: String, status: Int, detail: String, help: String?)] = [
            ("/api/v1/assessments/demo/log", "type=comment.add", 400, "unknown event kind \"comment.add\"", "did you mean \"comment.added\"?"),
            ("/api/v1/assessments/demo/log", "since=yesterday", 400, "since \"yesterday\" is neither a date nor a time",
             "write YYYY-MM-DD, or a time such as 2026-03-01T12:00:00Z"),
            ("/api/v1/assessments/demo/log", "until=2026-13-01", 400, "until \"2026-13-01\" is neither a date nor a time", nil),
            ("/api/v1/assessments/demo/log", "actors=ana", 400, "unknown query parameter \"actors\"", "did you mean \"actor\"?"),
            ("/api/v1/assessments/demo/log", "since=2026-01-01&since=2026-01-02", 400, "since is given 2 times; give it once", nil),
            ("/api/v1/assessments/demo/log", "format=pdf", 400, "format \"pdf\" is not one of json, text, csv", nil),
            ("/api/v1/assessments/demo/report", "public=yes", 400, "public \"yes\" is not one of true, false", nil),
            ("/api/v1/assessments/demo/checkpoint", "roster=true", 400, "unknown query parameter \"roster\"", "this route takes no query parameters"),
            ("/api/v1/assessments/demo/prove", "", 400, "say which event to prove: seq=N", nil),
            ("/api/v1/assessments/demo/prove", "seq=-1", 400, "seq \"-1\" is not an event number (0, 1, 2…)", nil),
            ("/api/v1/assessments/demo/prove", "seq=99", 422, "assessment demo has events 0 to 5, not 99", nil),
            ("/api/v1/workflows/demo/graph", "format=png", 400, "format \"png\" is not one of mermaid, dot, svg", nil),
        ]
        for item in cases {
            let reply = try Self.get(server, item.path, query: item.query, key: ana)
            #expect(reply.status == item.status && reply.header("Content-Type") == "application/problem+json",
                    "\(item.path)?\(item.query): \(reply.status) \(reply.text)")
            #expect(reply.json["detail"] as? String == item.detail, "\(item.path)?\(item.query): \(reply.text)")
            if let help = item.help { #expect(reply.json["help"] as? String == help, "\(item.path)?\(item.query): \(reply.text)") }
            #expect(reply.json["exit_code"] as? Int == 2)
        }
        // The command line refuses the same filters with the same words.
        let cli = try ws.run(["log", "demo", "--type", "comment.add"])
        #expect(cli.status == 2 && cli.stderr.contains("unknown event kind \"comment.add\""), "\(cli.stderr)")
        // User text in a problem is escaped as the command line escapes it.
        let control = try Self.get(server, "/api/v1/assessments/demo/log", query: "type=a%1B%5B31m", key: ana)
        #expect(control.status == 400 && control.json["detail"] as? String == "unknown event kind \"a\\u001b[31m\"", "\(control.text)")
    }

    @Test("a tampered log: every read of it is 500 naming the damage, and nothing of it is served; the others still are")
    func failsClosed() throws {
        let (ws, server) = try ServerAPITests.serving("hria-read-damage")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        let ana = try ServerAPITests.key(ws, "ana")
        try ws.ok(["new", "other", "--workflow", "demo", "--partner", "Other Co"], as: "ana")
        // Read once while intact, so that nothing stale could be served from a cache afterwards.
        #expect(try Self.get(server, "/api/v1/assessments/demo/log", key: ana).status == 200)
        var bytes = try Data(contentsOf: ws.logURL())
        let at = try #require(bytes.range(of: Data("note 2".utf8))).lowerBound
        bytes[at] = UInt8(ascii: "m")
        try bytes.write(to: ws.logURL())

        let signed = ["/api/v1/assessments/demo/log", "/api/v1/assessments/demo/log?format=text", "/api/v1/assessments/demo/report",
                      "/api/v1/assessments/demo/report?public=true", "/api/v1/assessments/demo/checkpoint", "/api/v1/assessments/demo/prove?seq=1",
                      "/api/v1/assessments/demo/bundle"]
        var replies: [(String, RunningServer.Reply)] = []
        for path in signed {
            let parts = path.split(separator: "?", maxSplits: 1).map(String.init)
            replies.append((path, try Self.get(server, parts[0], query: parts.count > 1 ? parts[1] : "", key: ana)))
        }
        for path in ["/public/demo/report", "/public/demo/bundle"] { replies.append((path, try server.get(path))) }
        for (path, reply) in replies {
            #expect(reply.status == 500, "\(path): \(reply.status)")
            #expect(reply.json["type"] as? String == "urn:hria:problem:integrity" && reply.json["exit_code"] as? Int == 3, "\(path): \(reply.text)")
            #expect((reply.json["detail"] as? String ?? "").hasPrefix("demo does not verify"), "\(path): \(reply.text)")
            // Nothing of the record in the answer: no event, no note, no partner.
            #expect(!reply.text.contains("note 1") && !reply.text.contains("Acme"), "\(path): \(reply.text)")
        }
        // A bundle refused names every problem the server found, for a reader who got nothing to check.
        for (path, reply) in replies where path.hasSuffix("/bundle") {
            let verification = reply.json["verification"] as? [String: Any]
            let report = (verification?["assessments"] as? [[String: Any]])?.first
            #expect(verification?["ok"] as? Bool == false && report?["id"] as? String == "demo", "\(path): \(reply.text)")
            let found = report?["problems"] as? [[String: Any]] ?? []
            #expect(!found.isEmpty && found.allSatisfy { $0["kind"] is String && $0["message"] is String }, "\(path): \(reply.text)")
            #expect(found.contains { $0["seq"] as? Int == 4 }, "\(path): \(reply.text)")
        }
        // The command line refuses alike.
        #expect(try ws.run(["log", "demo"]).status == 3)
        #expect(try ws.run(["report", "demo"]).status == 3)
        // Another assessment still reads.
        #expect(try Self.get(server, "/api/v1/assessments/other/log", key: ana).status == 200)
        #expect(try server.get("/public/other/report").status == 200)
    }
}
