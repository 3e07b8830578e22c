import Foundation
import HRIAKit
import Testing

/// The snapshot cache and the list index only speed things up: with or without them, every command says the same.
@Suite("State snapshots and the list index never change an answer")
struct CacheTests {
    static let cache = ".hria/cache"

    func statusJSON(_ office: TestWorkspace, _ id: String) throws -> String {
        try office.ok(["status", id, "--json"], at: "2020-03-10T09:00:00Z").stdout
    }

    @Test("status is the same from the snapshot and from a full replay, after every kind of event")
    func snapshotEqualsReplay() throws {
        let office = try TestWorkspace.initialised("hria-cache")
        defer { office.cleanUp() }
        let at = "2020-03-02T09:00:00Z"
        try office.ok(["new", "acme", "--workflow", "partnership-hria", "--partner", "Acme", "--fact", "tier=high"], as: "ana", at: at)
        let brief = try office.file("brief.md")
        let steps: [[String]] = [
            ["evidence", "add", "acme", "partnership_description", "--file", brief, "--field", "title=Brief", "--field", "source=Office"],
            ["comment", "acme", "a note"],
            ["signoff", "acme", "--reject", "--comment", "not yet"],
            ["signoff", "acme", "--approve"],
        ]
        let actors = ["ana", "ana", "ravi", "ravi"]
        for (step, actor) in zip(steps, actors) {
            try office.ok(step, as: actor, at: at)
            let cached = try statusJSON(office, "acme")
            try FileManager.default.removeItem(at: office.root.appendingPathComponent(Self.cache))
            let replayed = try statusJSON(office, "acme")
            #expect(cached == replayed, "after \(step.joined(separator: " "))")
        }
    }

    @Test("a workflow is compiled once per machine; a compiled form that was edited or swapped is not believed")
    func compiledWorkflows() throws {
        let office = try TestWorkspace.initialised("hria-cache")
        defer { office.cleanUp() }
        let at = "2020-03-02T09:00:00Z"
        try office.ok(["new", "acme", "--workflow", "partnership-hria", "--partner", "Acme", "--fact", "tier=high"], as: "ana", at: at)
        let expected = try statusJSON(office, "acme")
        let folder = office.root.appendingPathComponent(Self.cache + "/workflows")
        let pinned = try [UInt8](Data(contentsOf: office.root.appendingPathComponent("assessments/acme/workflow.yaml")))
        let compiled = folder.appendingPathComponent(sha256Hex(Data(pinned)))
        #expect(FileManager.default.fileExists(atPath: compiled.path), "no compiled form of the pinned workflow")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).count == 1, "one workflow, one compiled form")

        // Edited so that it still checks (the intake's deadline, which status shows, one day longer): the seal no
        // longer matches, so status compiles the file again and says the same.
        var edited = try [UInt8](Data(contentsOf: compiled))
        let deadline = try #require(edited.indices.first { edited[$0...].starts(with: Array("P14D".utf8)) })
        edited.replaceSubrange(deadline..<deadline + 4, with: Array("P15D".utf8))
        try Data(edited).write(to: compiled)
        #expect(try statusJSON(office, "acme") == expected)
        #expect(try [UInt8](Data(contentsOf: compiled)) != edited, "the edited compiled form was kept")

        // Another workflow's sealed compiled form put in its place is bound to other bytes and is not used.
        let other = try [UInt8](Data(contentsOf: office.root.appendingPathComponent("workflows/rapid-screening.yaml")))
        try office.ok(["new", "quick", "--workflow", "rapid-screening", "--partner", "Quick"], as: "ana", at: at)
        let otherCompiled = folder.appendingPathComponent(sha256Hex(Data(other)))
        try FileManager.default.removeItem(at: compiled)
        try FileManager.default.copyItem(at: otherCompiled, to: compiled)
        #expect(try statusJSON(office, "acme") == expected)
    }

    @Test("a log changed behind hria's back is read again, not taken from the snapshot")
    func changedLogIsReread() throws {
        let office = try TestWorkspace.initialised("hria-cache")
        defer { office.cleanUp() }
        let at = "2020-03-02T09:00:00Z"
        try office.ok(["new", "acme", "--workflow", "rapid-screening", "--partner", "Acme"], as: "ana", at: at)
        try office.ok(["comment", "acme", "first"], as: "ana", at: at)
        _ = try statusJSON(office, "acme")
        // Another program appends a valid event made by the library, bypassing the CLI's snapshot.
        let bench = HRIA.builtProduct("hria-bench")
        let process = Process()
        process.executableURL = bench
        process.arguments = ["append", "--workspace", office.root.path, "acme", "--count", "2", "--as", "ana"]
        process.standardOutput = Pipe()
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let status = try #require(try JSONSerialization.jsonObject(with: Data(statusJSON(office, "acme").utf8)) as? [String: Any])
        #expect(status["events"] as? Int == 4)
        // Damage in the middle changes the file's stamp: the next write reads everything and refuses.
        let logURL = office.root.appendingPathComponent("assessments/acme/log.jsonl")
        var text = try String(contentsOf: logURL, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"first\"", with: "\"frist\"")
        try text.write(to: logURL, atomically: false, encoding: .utf8)
        let refused = try office.run(["comment", "acme", "after"], as: "ana", at: at)
        #expect(refused.status == 3, "\(refused.stderr)")
    }

    @Test("the list index follows every assessment's latest state")
    func listIndexFollowsChanges() throws {
        let office = try TestWorkspace.initialised("hria-cache")
        defer { office.cleanUp() }
        let at = "2020-03-02T09:00:00Z"
        for id in ["a1", "a2"] {
            try office.ok(["new", id, "--workflow", "rapid-screening", "--partner", "P \(id)"], as: "ana", at: at)
        }
        func rows() throws -> [[String: Any]] {
            try #require(try JSONSerialization.jsonObject(with: Data(office.ok(["list", "--json"], at: at).stdout.utf8)) as? [[String: Any]])
        }
        #expect(try rows().map { $0["id"] as? String } == ["a1", "a2"])
        try office.ok(["new", "a3", "--workflow", "partnership-hria", "--partner", "P a3", "--fact", "tier=high"], as: "ana", at: at)
        let third = try rows()
        #expect(third.map { $0["id"] as? String } == ["a1", "a2", "a3"])
        #expect(third.last?["tier"] as? String == "high")
        try office.ok(["fact", "a3", "tier=low"], as: "ana", at: at)
        #expect(try rows().last?["tier"] as? String == "low")
        try FileManager.default.removeItem(at: office.root.appendingPathComponent("assessments/a1"))
        #expect(try rows().map { $0["id"] as? String } == ["a2", "a3"])
    }
}
