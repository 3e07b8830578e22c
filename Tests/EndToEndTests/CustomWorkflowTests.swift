import Foundation
import HRIAKit
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// The officer's day with a workflow written for this test, whose field names are not the standard library's:
/// every public field of every item reaches `hria log` and the decision record, voiding a sign-off is announced and
/// needs consent, and every refusal names the command that resolves it.
@Suite("Custom workflows get the whole product")
struct CustomWorkflowTests {
    static let workflow = """
    schema: hria.workflow/v1
    id: data-sharing
    version: 1
    title: Data-sharing agreement with a telecom operator
    roles:
      officer: { description: Runs the assessment }
      analyst: { description: Rates the impacts }
      counsel: { description: Reviews the agreement }
    facts:
      verdict: { type: enum, values: [approve_with_conditions, decline] }
      agreement_end: { type: date, informational: true }
    evidence_types:
      brief: { fields: { headline: string, origin: string }, file: optional }
      rating: { fields: { right_affected: string, gravity: "int(1..4)", chance: "int(1..4)", measure: text, source_name: "string?" } }
    initial: intake
    stages:
      intake:
        owner: officer
        requires:
          - { id: partner_brief, type: brief }
        transitions: [ { to: rating } ]
      rating:
        owner: analyst
        requires:
          - { id: risk_rating, type: rating }
        signoff: { roles: [counsel], quorum: 1 }
        transitions: [ { to: verdict } ]
      verdict:
        owner: officer
        transitions:
          - { to: approved, when: 'facts.verdict == "approve_with_conditions"' }
          - { to: declined, when: 'facts.verdict == "decline"' }
      approved: { terminal: true, outcome: approved_with_conditions }
      declined: { terminal: true, outcome: declined }
    """

    static let at = "2026-03-02T09:00:00Z"

    static func office(mode: TestWorkspace.Mode = .local) throws -> TestWorkspace {
        try TestWorkspace.initialised("hria-custom", people: [
            "olga: { name: Olga, roles: [officer] }", "ade: { name: Ade, roles: [analyst] }", "cora: { name: Cora, roles: [counsel] }",
        ], workflows: ["data-sharing": workflow], withSampleTeam: false, mode: mode)
    }

    @Test("the journey: lint, waiting for, consent to void, voided-by, unset facts, the end, log and record with every field", arguments: TestWorkspace.Mode.allCases)
    func journey(mode: TestWorkspace.Mode) throws {
        let ws = try Self.office(mode: mode)
        defer { ws.cleanUp() }
        // A fact kept for the record passes --strict.
        #expect(try ws.ok(["workflow", "lint", "--strict", "workflows/data-sharing.yaml"]).stdout == "no problems in 1 workflow file\n")
        try ws.ok(["new", "dsa1", "--workflow", "data-sharing", "--partner", "TelcoNet"], as: "olga", at: Self.at)
        // Status names the command that supplies what is missing, with its fields.
        let waiting = try ws.ok(["status", "dsa1"], at: Self.at).stdout
        #expect(waiting.contains("      hria evidence add dsa1 partner_brief --field headline=… --field origin=…\n"), "\(waiting)")
        let refusedAdvance = try ws.refused(["advance", "dsa1"], as: "olga", at: Self.at)
        #expect(refusedAdvance.stderr.contains("      hria evidence add dsa1 partner_brief --field headline=… --field origin=…\n"),
                "\(refusedAdvance.stderr)")
        try ws.ok(["evidence", "add", "dsa1", "partner_brief", "--field", "headline=Location data for a census", "--field",
                   "origin=TelcoNet proposal"], as: "olga", at: Self.at)
        try ws.ok(["advance", "dsa1"], as: "olga", at: Self.at)

        let rating = ["evidence", "add", "dsa1", "risk_rating", "--field", "right_affected=Privacy", "--field", "gravity=3",
                      "--field", "chance=2", "--field", "measure=Aggregate to districts of 5,000 people before sharing"]
        try ws.ok(rating, as: "ade", at: Self.at)
        try ws.ok(["signoff", "dsa1", "--approve"], as: "cora", at: Self.at)
        // A second rating would void cora's approval: refused, naming her, until ade consents; then announced.
        let second = ["evidence", "add", "dsa1", "risk_rating", "--field", "right_affected=Non-discrimination", "--field", "gravity=2",
                      "--field", "chance=3", "--field", "measure=Audit the model for bias against minority districts",
                      "--field", "source_name=Civil-society letter"]
        let refusedVoid = try ws.refused(second, as: "ade", at: Self.at, id: "dsa1",
                                         blockers: ["it voids the approvals of cora: they must sign again"])
        #expect(refusedVoid.stderr.contains("help: give --void-signoffs to go ahead"))
        let voided = try ws.ok(second + ["--void-signoffs"], as: "ade", at: Self.at)
        #expect(voided.stdout.contains("voids the approvals of cora: they must sign again"), "\(voided.stdout)")
        let seq = try #require(ws.events("dsa1").last?["seq"] as? Int)
        let again = try ws.refused(["advance", "dsa1"], as: "ade", at: Self.at, id: "dsa1",
                                   blockers: ["sign-off: 1 more approval needed from counsel (1 in all; approved by cora, voided by #\(seq))"],
                                   exactly: true)
        #expect(again.stderr.contains("      hria signoff dsa1 --approve (by someone holding counsel)"), "\(again.stderr)")
        try ws.ok(["signoff", "dsa1", "--approve"], as: "cora", at: Self.at)
        try ws.ok(["advance", "dsa1"], as: "ade", at: Self.at)

        // The verdict is a fact nobody has set: named, with the command and its values.
        let unset = try ws.refused(["advance", "dsa1"], as: "olga", at: Self.at)
        #expect(unset.stderr.contains("  - fact verdict is not set, and a transition reads it\n      hria fact dsa1 verdict=approve_with_conditions|decline\n"),
                "\(unset.stderr)")
        #expect(try ws.ok(["status", "dsa1"], at: Self.at).stdout.contains("hria fact dsa1 verdict=approve_with_conditions|decline"))
        try ws.ok(["fact", "dsa1", "verdict=approve_with_conditions", "agreement_end=2027-12-31"], as: "olga", at: Self.at)
        try ws.ok(["advance", "dsa1"], as: "olga", at: Self.at)
        // A note after the end is recorded and reopens nothing.
        try ws.ok(["comment", "dsa1", "Monitoring: the first district aggregates arrived on time."], as: "olga", at: Self.at)
        #expect(try ws.ok(["status", "dsa1"], at: Self.at).stdout.contains("ended at stage approved"))

        // Every public field of every item is in the plain-words log and in the decision record.
        let log = try ws.ok(["log", "dsa1"]).stdout
        let report = try ws.ok(["report", "dsa1", "--public", "--format", "md"], at: Self.at).stdout
        for event in try ws.events("dsa1") where event["type"] as? String == "evidence.added" {
            let fields = (event["data"] as? [String: Any])?["fields"] as? [String: Any] ?? [:]
            #expect(!fields.isEmpty)
            for (name, value) in fields {
                let text = (value as? String) ?? "\(value)"
                #expect(log.contains(text), "hria log lacks \(name) = \(text):\n\(log)")
                #expect(report.contains(text), "the decision record lacks \(name) = \(text)")
            }
        }
        try ws.expectVerifies("dsa1")
    }

    @Test("a misspelt command is answered with the closest one", arguments: [
        (["nwe"], "hria: unknown command \"hria nwe\"", "did you mean \"hria new\"?"),
        (["stauts", "acme"], "hria: unknown command \"hria stauts\"", "did you mean \"hria status\"?"),
        (["workflow", "lnt", "x.yaml"], "hria: unknown command \"hria workflow lnt\"", "did you mean \"hria workflow lint\"?"),
        (["people", "lsit"], "hria: unknown command \"hria people lsit\"", "did you mean \"hria people list\"?"),
    ])
    func subcommandTypos(_ arguments: [String], _ message: String, _ help: String) throws {
        let result = try HRIA.run(arguments)
        #expect(result.status == 2, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.first == message, "\(result.stderr)")
        #expect(lines.contains("  help: \(help)"), "\(result.stderr)")
    }

    @Test("workflow lint takes the workspace's workflow names; read-only commands do not advertise --as, and init shows its default once")
    func workflowNamesAndHelp() throws {
        let ws = try Self.office()
        defer { ws.cleanUp() }
        #expect(try ws.ok(["workflow", "lint", "--strict", "data-sharing"]).stdout == "no problems in 1 workflow file\n")
        let unknown = try ws.run(["workflow", "lint", "data-shaing"])
        #expect(unknown.status == 2 && unknown.stderr.contains("did you mean \"data-sharing\"?"), "\(unknown.stderr)")
        for command in [["status"], ["log"], ["verify"], ["report"], ["list"], ["workflow", "show"]] {
            let help = try ws.ok(["help"] + command).stdout
            #expect(!help.contains("--as"), "hria \(command.joined(separator: " ")) advertises --as:\n\(help)")
        }
        #expect(try ws.ok(["help", "comment"]).stdout.contains("--as"))
        // Still accepted, so scripts that pass it everywhere keep working.
        try ws.ok(["list", "--as", "olga"])
        let initHelp = try ws.ok(["help", "init"]).stdout
        #expect(initHelp.components(separatedBy: "default").count - 1 == initHelp.components(separatedBy: "(default: ").count - 1, "\(initHelp)")
        #expect(!initHelp.contains("this folder). (default"), "\(initHelp)")
    }

    @Test("the shell completes assessment ids, workflow names, requirements and people from the workspace")
    func dynamicCompletion() throws {
        let ws = try Self.office()
        defer { ws.cleanUp() }
        try ws.ok(["new", "dsa1", "--workflow", "data-sharing", "--partner", "TelcoNet"], as: "olga", at: Self.at)
        // As the completion script generated by --generate-completion-script calls hria.
        func complete(_ command: [String], _ at: String, _ words: [String]) throws -> [String] {
            // The word being completed is the last, with the cursor at its end.
            let result = try ws.run(["---completion"] + command + ["--", at, "\(words.count - 1)", "\(words.last!.count)"] + words)
            #expect(result.status == 0, "\(result.stderr)")
            return result.stdout.split(separator: "\n").map(String.init)
        }
        #expect(try complete(["status"], "positional@0", ["hria", "status", "ds"]) == ["dsa1"])
        #expect(try complete(["new"], "--workflow", ["hria", "new", "x", "--workflow", "da"]) == ["data-sharing"])
        #expect(try complete(["comment"], "--as", ["hria", "comment", "dsa1", "--as", "c"]) == ["cora"])
        #expect(try complete(["evidence", "add"], "positional@1", ["hria", "evidence", "add", "dsa1", "risk"]) == ["risk_rating"])
        #expect(try ws.ok(["--generate-completion-script", "bash"]).stdout.contains("---completion status"))
    }

    @Test("workflow graph draws SVG itself, with owners, requirements, sign-offs and guards as tooltips; --output for every format")
    func svgGraph() throws {
        let ws = try Self.office()
        defer { ws.cleanUp() }
        // A terminal stage with a very long name must not widen the drawing.
        let long = Self.workflow.replacingOccurrences(of: "approved: { terminal: true, outcome: approved_with_conditions }",
                                                      with: "approved: { terminal: true, outcome: approved_with_conditions, title: \"" + String(repeating: "Approved with a long list of conditions ", count: 6) + "\" }")
        try long.write(to: ws.root.appendingPathComponent("workflows/long.yaml"), atomically: true, encoding: .utf8)
        let svg = try ws.ok(["workflow", "graph", "long", "--format", "svg"]).stdout
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(try XMLDocument(xmlString: svg).rootElement()?.name == "svg")
        for stage in ["intake", "rating", "verdict", "approved", "declined"] { #expect(svg.contains("id=\"stage-\(stage)\""), "\(stage)") }
        #expect(svg.contains("owner: analyst") && svg.contains("requires: risk_rating") && svg.contains("sign-off: counsel"))
        // The whole guard is the edge's tooltip.
        #expect(svg.contains("<title>verdict → approved: facts.verdict == &quot;approve_with_conditions&quot;</title>"), "\(svg)")
        let width = try #require(svg.firstMatch(of: /width="(\d+)"/).map { Int($0.1)! })
        #expect(width < 1000, "a long name widened the drawing to \(width)")
        for format in ["mermaid", "dot", "svg"] {
            let file = "graph.\(format)"
            let written = try ws.ok(["workflow", "graph", "data-sharing", "--format", format, "--output", file])
            #expect(written.stdout.contains("wrote the \(format) drawing"))
            let text = try String(contentsOf: ws.root.appendingPathComponent(file), encoding: .utf8)
            #expect(text == (try ws.ok(["workflow", "graph", "data-sharing", "--format", format]).stdout), "\(format)")
        }
    }

    @Test("a confidential value is read from standard input (NAME=-) or refused without a terminal to ask on, never needed on the command line", arguments: TestWorkspace.Mode.allCases)
    func confidentialOffTheCommandLine(mode: TestWorkspace.Mode) throws {
        let ws = try TestWorkspace.initialised("hria-confidential", workflows: ["hearing": Self.hearing], mode: mode)
        defer { ws.cleanUp() }
        try ws.ok(["new", "h1", "--workflow", "hearing", "--partner", "P"], as: "amina", at: Self.at)
        let secret = "We fear reprisals if our names are known."
        let piped = try HRIA.run(["evidence", "add", "h1", "talks", "--field", "group=Youth", "--confidential", "statement=-", "--as", "amina"],
                                 in: ws.root, environment: ["HRIA_NOW": Self.at, "XDG_CONFIG_HOME": ws.parent.appendingPathComponent("config").path],
                                 stdin: Data((secret + "\n").utf8))
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(!piped.stdout.contains(secret) && !piped.stderr.contains(secret))
        // The value stored is exactly what was piped, without its line break; the log holds only its digest.
        let internalReport = try ws.ok(["report", "h1", "--format", "md"], at: Self.at).stdout
        #expect(internalReport.contains(secret), "the internal report shows the confidential value")
        #expect(!String(decoding: try ws.logBytes("h1"), as: UTF8.self).contains(secret))
        // Without a value and without a terminal to ask on: bad input, naming the way to pipe it.
        try ws.bad(["evidence", "add", "h1", "talks", "--field", "group=Elders", "--confidential", "statement"], as: "amina", at: Self.at,
                   id: "h1", message: "a confidential value was not given, and there is no terminal to ask for it on",
                   help: "pipe it in with --confidential NAME=-, or give a file with --confidential-file")
        // A bare word that is not a confidential field of the type may be a value typed without its name: never repeated.
        let stray = try ws.bad(["evidence", "add", "h1", "talks", "--field", "group=Elders", "--confidential", "Haidari"], as: "amina",
                               at: Self.at, id: "h1", message: "malformed confidential field")
        #expect(!stray.stderr.contains("Haidari"))
        try ws.bad(["evidence", "add", "h1", "talks", "--field", "group=Elders", "--confidential", "statement=-", "--confidential", "place=-"],
                   as: "amina", at: Self.at, id: "h1", message: "only one confidential value can be read from standard input")
    }

    static let hearing = """
    schema: hria.workflow/v1
    id: hearing
    version: 1
    title: A hearing
    roles:
      assessor: { description: Hears people }
    evidence_types:
      consultation: { fields: { group: string, statement: text, place: "string?" }, confidential: [statement, place] }
    initial: listen
    stages:
      listen:
        owner: assessor
        requires:
          - { id: talks, type: consultation }
        transitions: [ { to: done } ]
      done: { terminal: true, outcome: heard }
    """
}

/// The practitioner's first finding (issue 19): the decision owner could set the tier during the decision stage,
/// dropping the committee's, legal's and the executive head's sign-offs. The tier is now set only where it is
/// assessed.
@Suite("The method: no walk-around of the decision gate")
struct DecisionGateTests {
    @Test("the tier cannot be lowered at the decision stage of the standard workflows; a hand-written line that does it fails verify", arguments: TestWorkspace.Mode.allCases)
    func tierNotSetAtDecision(mode: TestWorkspace.Mode) throws {
        let ws = try TestWorkspace.initialised("hria-gate-tier", mode: mode)
        defer { ws.cleanUp() }
        for workflow in ["partnership-hria", "digital-platform-hria"] {
            let text = try String(contentsOf: ws.root.appendingPathComponent("workflows/\(workflow).yaml"), encoding: .utf8)
            #expect(text.contains("set_in: [intake, screening, impact_analysis]"), "\(workflow)")
        }
        // In a workflow with the same rule, a person who owns the stage is refused at the stage where it is not assessed.
        let gate = """
        schema: hria.workflow/v1
        id: gate
        version: 1
        title: A gate
        roles:
          assessor: { description: Assesses }
        facts:
          tier: { type: enum, values: [low, high], set_in: [assess] }
        initial: assess
        stages:
          assess:
            owner: assessor
            transitions: [ { to: decide, when: 'has(facts.tier)' } ]
          decide:
            owner: assessor
            transitions: [ { to: done } ]
          done: { terminal: true, outcome: done }
        """
        try gate.write(to: ws.root.appendingPathComponent("workflows/gate.yaml"), atomically: true, encoding: .utf8)
        #expect(try ws.ok(["workflow", "lint", "--strict", "gate"]).stdout == "no problems in 1 workflow file\n")
        let at = "2026-04-01T09:00:00Z"
        try ws.ok(["new", "g1", "--workflow", "gate", "--partner", "P"], as: "amina", at: at)
        try ws.ok(["fact", "g1", "tier=high"], as: "amina", at: at)
        try ws.ok(["advance", "g1"], as: "amina", at: at)
        try ws.refused(["fact", "g1", "tier=low"], as: "amina", at: at, id: "g1",
                       summary: "fact tier may be set only in assess, not in decide")
        // Written by hand into the log, the same change is what verify rejects.
        var lines = try ws.logLines("g1")
        let last = try EventLine.decode(lines[lines.count - 1])
        let draft = EventDraft(actor: "amina", stage: "decide", time: last.time,
                               payload: .factSet(FactSet(facts: ["tier": .string("low")], reason: nil, roles: ["assessor"])), roster: last.roster)
        let prev = try #require(SHA256Hash(hex: SHA256Hash.leafHex(lines[lines.count - 1])))
        lines.append(EventLine.encode(draft, seq: lines.count, prev: prev))
        try ws.writeLog(lines: lines, id: "g1")
        try ws.expectTamper("g1", kind: "history", firstBadEvent: lines.count - 1)
        // A stage that does not exist is a lint error.
        try gate.replacingOccurrences(of: "set_in: [assess]", with: "set_in: [asess]")
            .write(to: ws.root.appendingPathComponent("workflows/gate.yaml"), atomically: true, encoding: .utf8)
        let lint = try ws.fails(1, ["workflow", "lint", "gate"])
        #expect(lint.stdout.contains("error[undefined-stage]: fact \"tier\" may be set in \"asess\", which is not a stage of this workflow"), "\(lint.stdout)")
        #expect(lint.stdout.contains("did you mean \"assess\"?"), "\(lint.stdout)")
    }

    @Test("finding 2: from moderate tier the standard workflows require a grievance channel checked against GP31 before the decision", arguments: TestWorkspace.Mode.allCases)
    func grievanceRequired(mode: TestWorkspace.Mode) throws {
        let ws = try TestWorkspace.initialised("hria-gate-grievance", mode: mode)
        defer { ws.cleanUp() }
        for workflow in ["partnership-hria", "digital-platform-hria"] {
            let yaml = try String(contentsOf: ws.root.appendingPathComponent("workflows/\(workflow).yaml"), encoding: .utf8)
            let mitigation = try #require(yaml.components(separatedBy: "\n  mitigation:\n").last?.components(separatedBy: "\n  decision:\n").first)
            #expect(mitigation.contains("- id: grievance_mechanism\n        type: grievance_mechanism\n        when: 'facts.tier != \"low\"'"),
                    "\(workflow)")
            let shown = try ws.ok(["workflow", "show", workflow]).stdout
            #expect(shown.contains("grievance_mechanism"), "\(workflow)")
        }
    }
}
