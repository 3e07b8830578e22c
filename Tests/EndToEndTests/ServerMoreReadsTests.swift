import Foundation
import HRIAKit
import Testing

/// The rest of the reading commands through `hria serve` (HRIA_SERVER): list, the portfolio, disclosures, people show,
/// allowed-signers and workflow diff print and exit as on the workspace itself; the disclosures refuse, through the
/// server, who could not erase them; and the server's own verification of a log fails closed.
@Suite("hria serve: list, portfolio, disclosures, people show, allowed-signers, workflow diff and the server's verification")
struct ServerMoreReadsTests {
    /// The same command here and through the server (ServerClientReadTests' twin): the local run's result.
    @discardableResult
    static func same(_ ws: TestWorkspace, _ server: RunningServer, _ arguments: [String], as person: String = "ana",
                     sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> HRIA.Result {
        try ServerClientReadTests.same(ws, server, arguments, as: person, sourceLocation: sourceLocation)
    }

    /// A signed GET of `path?query` as `person`, written here with the person's key.
    static func get(_ ws: TestWorkspace, _ server: RunningServer, _ path: String, query: String = "", as person: String = "ana") throws -> RunningServer.Reply {
        let key = try ServerAPITests.key(ws, person)
        let signed = try RequestSignature.sign(method: "GET", path: path, query: query, body: [], keyid: person,
                                               created: Int(Date().timeIntervalSince1970), nonce: UUID().uuidString) { try key.signRaw($0) }
        return try server.request("GET", path + (query.isEmpty ? "" : "?" + query),
                                  headers: Dictionary(uniqueKeysWithValues: signed.map { ($0.name, $0.value) }))
    }

    /// Changes one comment of `id`'s log in place: the log no longer verifies.
    static func damage(_ ws: TestWorkspace, _ id: String, _ old: String, _ new: String) throws {
        let log = ws.root.appendingPathComponent("assessments/\(id)/log.jsonl")
        let text = try String(contentsOf: log, encoding: .utf8)
        try #require(text.contains(old), "\(old) is not in the log of \(id)")
        try text.replacingOccurrences(of: old, with: new).write(to: log, atomically: true, encoding: .utf8)
    }

    @Test("list (filters, order, --json, nothing matches, a typo) and report --portfolio (md, html, --output); an assessment that does not verify")
    func listAndPortfolio() throws {
        let (ws, server) = try ServerAPITests.serving("hria-more-reads-list")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        try ws.ok(["new", "second", "--workflow", "demo", "--partner", "Beta Ltd", "--title", "Second"], as: "ana")
        // demo ends (done), second stays open in intake: the filters tell them apart.
        try ws.ok(["advance", "demo"], as: "ana")
        let runs: [[String]] = [
            ["list"], ["list", "--json"], ["list", "--stage", "intake"], ["list", "--stage", "intake", "--json"], ["list", "--stage", "intak"],
            ["list", "--outcome", "open"], ["list", "--outcome", "done"], ["list", "--outcome", "none"], ["list", "--overdue"],
            ["list", "--sort", "partner"], ["list", "--sort", "age", "--json"], ["list", "--sort", "days-in-stage"], ["list", "--tier", "high"],
            ["report", "--portfolio"], ["report", "--portfolio", "--format", "html"],
        ]
        var outputs: [String] = []
        for arguments in runs {
            let local = try Self.same(ws, server, arguments)
            outputs.append("\(local.status) \(local.stdout)\(local.stderr)")
        }
        // What the runs said, so that the equality above is not that of two failures.
        #expect(outputs[0].hasPrefix("0 ID ") && outputs[0].contains("demo") && outputs[0].contains("second"), "\(outputs[0])")
        #expect(outputs[2].contains("second") && !outputs[2].contains("Acme Corp"), "\(outputs[2])")
        #expect(outputs[4] == "2 hria: no workflow of these assessments has a stage \"intak\"\n  help: did you mean \"intake\"?\n", "\(outputs[4])")
        #expect(outputs[5].contains("second") && !outputs[5].contains("Acme Corp"), "\(outputs[5])")
        #expect(outputs[6].hasPrefix("0 ") && outputs[6].contains("Acme Corp") && !outputs[6].contains("second"), "\(outputs[6])")
        #expect(outputs[7].hasPrefix("2 hria: no workflow of these assessments has an outcome \"none\""), "\(outputs[7])")
        #expect(outputs[8] == "0 no assessment matches\n", "\(outputs[8])")
        let acme = outputs[9].range(of: "Acme Corp"), beta = outputs[9].range(of: "Beta Ltd")
        #expect(acme != nil && beta != nil && (acme?.lowerBound ?? outputs[9].endIndex) < (beta?.lowerBound ?? outputs[9].startIndex), "\(outputs[9])")
        #expect(outputs[12].hasPrefix("2 hria: no workflow of these assessments has a risk tier"), "\(outputs[12])")
        #expect(outputs[13].hasPrefix("0 # Portfolio of human-rights impact assessments"), "\(outputs[13])")
        #expect(outputs[14].hasPrefix("0 <!DOCTYPE html>"), "\(outputs[14])")

        // Written to a file where each runs, readable by anyone as the command writes it: the portfolio holds no confidential value.
        let written = try Self.same(ws, server, ["report", "--portfolio", "--output", "portfolio.md"])
        #expect(written.stdout == "wrote portfolio.md\n", "\(written.stdout)\(written.stderr)")
        let here = ws.root.appendingPathComponent("portfolio.md"), there = ws.parent.appendingPathComponent("portfolio.md")
        #expect(Files.text(here) == Files.text(there) && Files.text(there).contains("Beta Ltd"))
        for file in [here, there] {
            let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
            #expect(mode == 0o644, "\(file.path): \(String(mode ?? 0, radix: 8))")
        }

        // An assessment that does not verify is left out of the list and named, and stops the portfolio: exit 3 both ways.
        try Self.damage(ws, "demo", "note 2", "note X")
        for arguments in [["list"], ["list", "--json"], ["list", "--outcome", "done"], ["report", "--portfolio"]] {
            let local = try Self.same(ws, server, arguments)
            #expect(local.status == 3 && local.stderr.contains("demo") && !local.stdout.contains("Acme Corp"), "\(arguments): \(local.stdout)\(local.stderr)")
        }
        let listed = try Self.get(ws, server, "/api/v1/assessments", query: "format=text")
        #expect(listed.status == 200, "\(listed.text)")
        let leftOut = listed.json["left_out"] as? [[String: Any]]
        #expect(leftOut?.count == 1 && leftOut?.first?["id"] as? String == "demo", "\(listed.text)")
        #expect(try Self.get(ws, server, "/api/v1/portfolio").status == 500)
        #expect(try Self.get(ws, server, "/api/v1/assessments", query: "sort=size").status == 400)
    }

    @Test("disclosures (text, --json, after an erasure) for who may erase them; refused to anyone else, through the server only; no value in the server's log")
    func disclosures() throws {
        let (ws, server) = try ServerAPITests.serving("hria-more-reads-disclosures")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        // lena holds dpo, a role the demo workflow does not declare: she may not erase its values.
        try ws.publishKey("lena")
        var outputs: [String] = []
        for arguments in [["disclosures", "demo"], ["disclosures", "demo", "--json"], ["disclosures", "dmeo"], ["disclosures", "Not-An-Id!"]] {
            let local = try Self.same(ws, server, arguments)
            outputs.append("\(local.status) \(local.stdout)\(local.stderr)")
        }
        #expect(outputs[0].hasPrefix("0 #2 talks (consultation)") && outputs[0].contains("participants") && outputs[0].contains("kept"), "\(outputs[0])")
        #expect(outputs[2] == "2 hria: unknown assessment \"dmeo\"\n  help: did you mean \"demo\"?\n", "\(outputs[2])")
        #expect(outputs[3].hasPrefix("2 hria: \"Not-An-Id!\" is not a valid assessment id"), "\(outputs[3])")

        // After an erasure: the map says which value was erased, by which event.
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(outputs[1].dropFirst(2).utf8)) as? [[String: Any]])
        let statement = try #require(rows.first { $0["field"] as? String == "statement" }?["digest"] as? String)
        let participants = try #require(rows.first { $0["field"] as? String == "participants" }?["digest"] as? String)
        try ws.ok(["erase", "demo", statement, "--reason", "asked"], as: "ana")
        let erased = try Self.same(ws, server, ["disclosures", "demo"])
        #expect(erased.status == 0 && erased.stdout.contains("erased by #6"), "\(erased.stdout)\(erased.stderr)")
        try Self.same(ws, server, ["disclosures", "demo", "--json"])

        // Someone without a role of the workflow: refused as an erasure is refused, exit 1, nothing on standard output.
        let refused = try ServerAPITests.remote(ws, server, ["disclosures", "demo"], as: "lena")
        #expect(refused.status == 1 && refused.stdout.isEmpty, "\(refused.status) \(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.hasPrefix("hria: lena cannot list the confidential values of demo:\n")
                    && refused.stderr.contains("lena cannot list the confidential values: that needs the role"), "\(refused.stderr)")
        let erasing = try ServerAPITests.remote(ws, server, ["erase", "demo", participants, "--reason", "mine"], as: "lena")
        #expect(erasing.status == 1 && erasing.stderr.contains("cannot erase"), "\(erasing.stderr)")
        let forbidden = try Self.get(ws, server, "/api/v1/assessments/demo/disclosures", query: "format=text", as: "lena")
        #expect(forbidden.status == 403 && forbidden.json["type"] as? String == "urn:hria:problem:forbidden"
                    && forbidden.json["exit_code"] as? Int == 1 && forbidden.json["refusal"] != nil, "\(forbidden.status) \(forbidden.text)")
        #expect(!forbidden.text.contains("participants"), "a refusal names no field: \(forbidden.text)")
        // On the workspace, whoever can read private/ lists them: no role is asked for there.
        #expect(try ws.run(["disclosures", "demo"], as: "lena").status == 0)
        // Unknown to everyone alike, and 401 without a signature.
        #expect(try Self.get(ws, server, "/api/v1/assessments/dmeo/disclosures", as: "lena").status == 404)
        #expect(try server.get("/api/v1/assessments/demo/disclosures").status == 401)

        // The confidential values, and the internal report that holds them, never reach the server's log.
        _ = try ServerAPITests.remote(ws, server, ["report", "demo"], as: "ana")
        let logged = server.stop(SIGTERM)
        #expect(logged.stderr.contains("/api/v1/assessments/demo/disclosures"), "the requests are logged: \(logged.stderr.suffix(2000))")
        for secret in ["R. H.; M. O.", "We fear reprisals", "R. H."] {
            #expect(!logged.stderr.contains(secret), "\(secret) is in the server's log")
        }
    }

    @Test("people show (published and confidential names, unknown), allowed-signers, and a name that must be percent-encoded in the path")
    func peopleShowAndAllowedSigners() throws {
        let (ws, server) = try ServerAPITests.serving("hria-more-reads-people")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        // A person whose name is kept confidential: shown as on the machine that holds it.
        try ws.admin(["add", "zoe", "--name", "Zoe Quiet", "--role", "assessor"])
        var outputs: [String] = []
        for arguments in [["people", "show", "ana"], ["people", "show", "zoe"], ["people", "show", "amina"], ["people", "show", "nobody"],
                          ["people", "show", "No Body"], ["people", "allowed-signers"]] {
            let local = try Self.same(ws, server, arguments)
            outputs.append("\(local.status) \(local.stdout)\(local.stderr)")
        }
        #expect(outputs[0].hasPrefix("0 ") && outputs[0].contains("Ana Ruiz"), "\(outputs[0])")
        #expect(outputs[1].hasPrefix("0 ") && outputs[1].contains("Zoe Quiet"), "\(outputs[1])")
        #expect(outputs[3] == "2 hria: unknown person \"nobody\": not on the roster\n  help: see hria people list\n", "\(outputs[3])")
        #expect(outputs[5].hasPrefix("0 # people of Audit Test Office") && outputs[5].contains("ana namespaces=\"hria-event\" ssh-ed25519 "),
                "\(outputs[5])")
        #expect(try Self.get(ws, server, "/api/v1/roster/people/nobody").status == 404)
        #expect(try Self.get(ws, server, "/api/v1/roster/allowed-signers", query: "format=text").status == 400)
    }

    @Test("workflow diff by name (--json, the same, unknown, with errors) and --assessment (its current copy, a named one, unknown ids, no copy)")
    func workflowDiff() throws {
        let (ws, server) = try ServerAPITests.serving("hria-more-reads-diff")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        let workflows = ws.root.appendingPathComponent("workflows")
        let newer = AuditFixture.workflow.replacingOccurrences(of: "version: 1", with: "version: 2")
            .replacingOccurrences(of: "hr_lead: { description: Reviews }", with: "hr_lead: { description: Reviews }\n  legal: { description: Advises }")
            .replacingOccurrences(of: "- { id: talks, type: consultation }", with: "- { id: talks, type: consultation, min: 2 }")
        try newer.write(to: workflows.appendingPathComponent("demo-v2.yaml"), atomically: true, encoding: .utf8)
        let broken = AuditFixture.workflow.replacingOccurrences(of: "id: demo", with: "id: broken")
            .replacingOccurrences(of: "transitions: [ { to: done } ]", with: "transitions: [ { to: nowhere } ]")
        try broken.write(to: workflows.appendingPathComponent("broken.yaml"), atomically: true, encoding: .utf8)
        try ServerClientReadTests.signed("lonely", by: "assessor").write(to: workflows.appendingPathComponent("lonely.yaml"), atomically: true, encoding: .utf8)
        try ws.ok(["new", "lone", "--workflow", "lonely", "--partner", "Nobody Ltd"], as: "ana")
        try FileManager.default.removeItem(at: workflows.appendingPathComponent("lonely.yaml"))
        let runs: [[String]] = [
            ["workflow", "diff", "demo", "demo-v2"], ["workflow", "diff", "demo", "demo-v2", "--json"], ["workflow", "diff", "demo", "demo"],
            ["workflow", "diff", "demo", "demo", "--json"], ["workflow", "diff", "demo", "dmeo"], ["workflow", "diff", "dmeo", "demo"],
            ["workflow", "diff", "broken", "demo"], ["workflow", "diff", "demo", "broken"],
            ["workflow", "diff", "--assessment", "demo"], ["workflow", "diff", "--assessment", "demo", "--json"],
            ["workflow", "diff", "--assessment", "demo", "demo-v2"], ["workflow", "diff", "--assessment", "demo", "demo-v2", "--json"],
            ["workflow", "diff", "--assessment", "dmeo"], ["workflow", "diff", "--assessment", "demo", "dmeo"],
            ["workflow", "diff", "--assessment", "demo", "broken"], ["workflow", "diff", "--assessment", "lone"],
        ]
        var outputs: [String] = []
        for arguments in runs {
            let local = try Self.same(ws, server, arguments)
            outputs.append("\(local.status) \(local.stdout)\(local.stderr)")
        }
        #expect(outputs[0].hasPrefix("1 ") && outputs[0].contains("from workflows/demo.yaml to workflows/demo-v2.yaml")
                    && outputs[0].contains("added role legal"), "\(outputs[0])")
        #expect(outputs[2] == "0 workflows/demo.yaml and workflows/demo.yaml are the same workflow\n", "\(outputs[2])")
        #expect(outputs[4].hasPrefix("2 hria: unknown workflow \"dmeo\""), "\(outputs[4])")
        #expect(outputs[6].hasPrefix("1 ") && outputs[6].contains("nowhere") && outputs[6].contains("has errors; fix them first"), "\(outputs[6])")
        #expect(outputs[8] == "0 demo's demo version 1 and workflows/demo.yaml (version 1) are the same workflow\n", "\(outputs[8])")
        #expect(outputs[10].hasPrefix("1 ") && outputs[10].contains("from demo's demo version 1 to workflows/demo-v2.yaml"), "\(outputs[10])")
        #expect(outputs[12] == "2 hria: unknown assessment \"dmeo\"\n  help: did you mean \"demo\"?\n", "\(outputs[12])")
        #expect(outputs[13].hasPrefix("2 hria: unknown workflow \"dmeo\""), "\(outputs[13])")
        #expect(outputs[15].hasPrefix("2 hria: the workspace has no workflows/lonely.yaml that loads"), "\(outputs[15])")
        // A file here is compared here, whatever HRIA_SERVER says.
        try Self.same(ws, server, ["workflow", "diff", workflows.appendingPathComponent("demo.yaml").path, workflows.appendingPathComponent("demo-v2.yaml").path])
        // The routes' statuses: an unknown workflow after a known assessment is 422, not a 404 that would name the assessment.
        #expect(try Self.get(ws, server, "/api/v1/assessments/demo/workflow-diff", query: "to=dmeo").status == 422)
        #expect(try Self.get(ws, server, "/api/v1/assessments/dmeo/workflow-diff").status == 404)
        #expect(try Self.get(ws, server, "/api/v1/workflows/demo/diff").status == 400)
        #expect(try Self.get(ws, server, "/api/v1/workflows/demo/diff", query: "to=dmeo").status == 404)
        let text = try Self.get(ws, server, "/api/v1/workflows/demo/diff", query: "to=demo-v2&format=text")
        #expect(text.status == 200 && outputs[0] == "1 " + text.text, "\(text.text)")
    }

    @Test("the server's verification of a log: ok as hria verify --json says it; damage is a 500 naming it, with the whole report; unknown ids")
    func verification() throws {
        let (ws, server) = try ServerAPITests.serving("hria-more-reads-verify")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        let good = try Self.get(ws, server, "/api/v1/assessments/demo/verify")
        #expect(good.status == 200 && good.json["ok"] as? Bool == true, "\(good.status) \(good.text)")
        let local = try ws.run(["verify", "demo", "--json"])
        #expect(local.status == 0)
        // The same report as the command's, member for member.
        let here = try JSONParser.parse(Array(local.stdout.utf8)), there = try JSONParser.parse(Array(good.body))
        #expect(here == there, "here: \(local.stdout)\nthere: \(good.text)")
        #expect(try Self.get(ws, server, "/api/v1/assessments/dmeo/verify").status == 404)
        #expect(try Self.get(ws, server, "/api/v1/assessments/demo/verify", query: "deep=true").status == 400)
        #expect(try server.get("/api/v1/assessments/demo/verify").status == 401)

        // Damage: never a 200. The first problem named, the whole report as the command gives it, exit code 3.
        try Self.damage(ws, "demo", "note 2", "note X")
        let damaged = try Self.get(ws, server, "/api/v1/assessments/demo/verify")
        #expect(damaged.status == 500 && damaged.json["type"] as? String == "urn:hria:problem:integrity" && damaged.json["exit_code"] as? Int == 3,
                "\(damaged.status) \(damaged.text)")
        #expect((damaged.json["detail"] as? String)?.hasPrefix("demo does not verify: ") == true, "\(damaged.text)")
        let broken = try ws.run(["verify", "demo", "--json"])
        #expect(broken.status == 3)
        let problem = try JSONParser.parse(Array(damaged.body))
        #expect(problem["verification"] == (try JSONParser.parse(Array(broken.stdout.utf8))), "here: \(broken.stdout)\nthere: \(damaged.text)")
        #expect(problem["verification"]?["ok"]?.boolValue == false)
        // Every other read of it fails closed too, as on the workspace.
        for arguments in [["status", "demo"], ["disclosures", "demo"], ["log", "demo"]] {
            let result = try Self.same(ws, server, arguments)
            #expect(result.status == 3, "\(arguments): \(result.stderr)")
        }
        // hria verify through the server still checks the public bundle itself, which the server no longer gives.
        let verified = try ServerAPITests.remote(ws, server, ["verify", "demo", "--key", try ws.logKey], as: "ana")
        #expect(verified.status == 3, "\(verified.stdout)\(verified.stderr)")
    }
}
