import Foundation
import Testing

@Suite("hria workflow lint / show / graph, run as a user would")
struct WorkflowCommandTests {
    @Test("the standard library lints clean, warnings included")
    func standardLibraryIsClean() throws {
        let files = HRIA.standardWorkflows
        #expect(files.count >= 3, "the standard workflows are missing")
        let result = try HRIA.run(["workflow", "lint", "--strict"] + files)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout == "no problems in \(files.count) workflow files\n")
    }

    static let broken = """
    schema: hria.workflow/v1
    id: broken
    version: 1
    title: Broken
    roles:
      assessor: { description: Runs it }
    initial: screening
    stages:
      screening:
        owner: assessor
        transitions:
          - to: scopng
      scoping:
        owner: assessor
        transitions: [ { to: done } ]
      done: { terminal: true, outcome: done }
    """

    @Test("a broken file: located diagnostic with snippet, help, summary and exit 1")
    func brokenFileText() throws {
        let dir = try HRIA.temporaryDirectory()
        defer { HRIA.cleanUp(dir) }
        try Self.broken.write(to: dir.appendingPathComponent("x.yaml"), atomically: true, encoding: .utf8)
        let result = try HRIA.run(["workflow", "lint", "x.yaml"], in: dir)
        #expect(result.status == 1)
        #expect(result.stdout.contains("""
        x.yaml:12:13: error[undefined-stage]: transition target "scopng" is not a stage of this workflow
           |
        12 |       - to: scopng
           |             ^~~~~~
           = help: did you mean "scoping"? (defined at 13:3)
        """))
        #expect(!result.stdout.contains("unreachable-stage"), "a misspelt target must not cascade")
        #expect(result.stdout.hasSuffix("1 problem (1 error, 0 warnings)\n"))
    }

    @Test("--format json gives exactly the contract's keys")
    func jsonFormat() throws {
        let dir = try HRIA.temporaryDirectory()
        defer { HRIA.cleanUp(dir) }
        try Self.broken.write(to: dir.appendingPathComponent("x.yaml"), atomically: true, encoding: .utf8)
        let result = try HRIA.run(["workflow", "lint", "--format", "json", "x.yaml"], in: dir)
        #expect(result.status == 1)
        let items = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(items.count == 1)
        for item in items {
            #expect(Set(item.keys) == ["file", "line", "column", "severity", "rule", "message", "pointer", "help"])
        }
        let first = items[0]
        #expect(first["file"] as? String == "x.yaml")
        #expect(first["line"] as? Int == 12)
        #expect(first["column"] as? Int == 13)
        #expect(first["rule"] as? String == "undefined-stage")
        #expect(first["severity"] as? String == "error")
        #expect(first["pointer"] as? String == "/stages/screening/transitions/0/to")
    }

    @Test("warnings pass unless --strict")
    func strictMode() throws {
        let dir = try HRIA.temporaryDirectory()
        defer { HRIA.cleanUp(dir) }
        let text = Self.broken.replacingOccurrences(of: "scopng", with: "scoping")
            .replacingOccurrences(of: "roles:\n", with: "roles:\n  spare: { description: Nobody uses it }\n")
        try text.write(to: dir.appendingPathComponent("w.yaml"), atomically: true, encoding: .utf8)
        let lenient = try HRIA.run(["workflow", "lint", "w.yaml"], in: dir)
        #expect(lenient.status == 0, "\(lenient.stdout)")
        #expect(lenient.stdout.contains("warning[unused-role]"))
        let strict = try HRIA.run(["workflow", "lint", "--strict", "w.yaml"], in: dir)
        #expect(strict.status == 1)
    }

    @Test("usage errors and unreadable files exit 2 with a clear message")
    func usageErrors() throws {
        let missing = try HRIA.run(["workflow", "lint", "no-such-file.yaml"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("cannot read no-such-file.yaml: no such file"))
        let badOption = try HRIA.run(["workflow", "lint", "--format", "xml", "workflows/rapid-screening.yaml"])
        #expect(badOption.status == 2)
        let noFiles = try HRIA.run(["workflow", "lint"])
        #expect(noFiles.status == 2)
        let folder = try HRIA.run(["workflow", "lint", "workflows"])
        #expect(folder.status == 2)
        #expect(folder.stderr.contains("it is a folder"))
    }

    @Test("show describes stages, requirements, sign-offs and transitions in words")
    func show() throws {
        let result = try HRIA.run(["workflow", "show", "workflows/partnership-hria.yaml"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("Human-rights impact assessment of a private-sector partnership\n"))
        #expect(result.stdout.contains("partnership-hria, version 4"))
        #expect(result.stdout.contains("Stages, starting at intake"))
        #expect(result.stdout.contains("Requires:"))
        #expect(result.stdout.contains("Sign-off before leaving:"))
        #expect(result.stdout.contains("→ to declined (ends: declined) when facts.exclusion_hit"))
        #expect(result.stdout.contains("Ends\n"))
    }

    @Test("a workflow NAME is found in the workspace's workflows/ folder")
    func showByName() throws {
        let dir = try HRIA.temporaryDirectory()
        defer { HRIA.cleanUp(dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("workflows"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("deep/er"), withIntermediateDirectories: true)
        try "organisation: Test\n".write(to: dir.appendingPathComponent("hria.yaml"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(at: HRIA.packageRoot.appendingPathComponent("workflows/rapid-screening.yaml"),
                                         to: dir.appendingPathComponent("workflows/rapid-screening.yaml"))
        let byName = try HRIA.run(["workflow", "show", "rapid-screening"], in: dir.appendingPathComponent("deep/er"))
        #expect(byName.status == 0, "\(byName.stderr)")
        #expect(byName.stdout.contains("workflows/rapid-screening.yaml"))
        let typo = try HRIA.run(["workflow", "show", "rapid-screenin"], in: dir)
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("unknown workflow \"rapid-screenin\""))
        #expect(typo.stderr.contains("did you mean \"rapid-screening\"?"))
    }

    @Test("show refuses a workflow with errors and points to lint")
    func showBroken() throws {
        let dir = try HRIA.temporaryDirectory()
        defer { HRIA.cleanUp(dir) }
        try Self.broken.write(to: dir.appendingPathComponent("x.yaml"), atomically: true, encoding: .utf8)
        let result = try HRIA.run(["workflow", "show", "x.yaml"], in: dir)
        #expect(result.status == 1)
        #expect(result.stderr.contains("error[undefined-stage]"))
        #expect(result.stderr.contains("hria workflow lint x.yaml"))
    }

    @Test("the DOT graph marks terminals, labels guards and renders with Graphviz", arguments: HRIA.standardWorkflows)
    func dotGraph(file: String) throws {
        let result = try HRIA.run(["workflow", "graph", file, "--format", "dot"])
        #expect(result.status == 0, "\(result.stderr)")
        let dot = result.stdout
        #expect(dot.hasPrefix("digraph \""))
        #expect(dot.hasSuffix("}\n"))
        #expect(dot.contains("shape=doublecircle"))
        #expect(dot.contains("label=\"facts."))
        #expect(dot.contains("\"__start\" -> "))
        if let graphviz = HRIA.which("dot") {
            let dir = try HRIA.temporaryDirectory()
            defer { HRIA.cleanUp(dir) }
            let input = dir.appendingPathComponent("g.dot")
            try dot.write(to: input, atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: graphviz)
            process.arguments = ["-Tsvg", input.path, "-o", dir.appendingPathComponent("g.svg").path]
            let err = Pipe()
            process.standardError = err
            try process.run()
            process.waitUntilExit()
            let warnings = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(process.terminationStatus == 0, "dot failed: \(warnings)")
            #expect(warnings.isEmpty, "dot warned: \(warnings)")
            let svg = try String(contentsOf: dir.appendingPathComponent("g.svg"), encoding: .utf8)
            #expect(svg.contains("<svg"))
        }
    }

    @Test("the Mermaid graph is a well-formed flowchart with every stage and transition", arguments: HRIA.standardWorkflows)
    func mermaidGraph(file: String) throws {
        let result = try HRIA.run(["workflow", "graph", file])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "flowchart TD")
        let node = try Regex(#"^    s_[a-z][a-z0-9_]*(\["[^"]*"\]|\(\(\("[^"]*"\)\)\))$"#)
        let edge = try Regex(#"^    (start_\(\(" "\)\)|s_[a-z][a-z0-9_]*) -->(\|"[^"]*"\|)? s_[a-z][a-z0-9_]*$"#)
        let style = try Regex(#"^    (classDef|class|linkStyle) [^"]+$"#)
        for line in lines.dropFirst() {
            #expect(line.wholeMatch(of: node) != nil || line.wholeMatch(of: edge) != nil || line.wholeMatch(of: style) != nil,
                    "not a line of the flowchart grammar we emit: \(line)")
        }
        #expect(result.stdout.contains("class ") && result.stdout.contains(" terminal"))
        #expect(lines.contains { $0.contains("-->|\"otherwise\"|") } || lines.contains { $0.contains("-->|\"facts.") })
    }
}
