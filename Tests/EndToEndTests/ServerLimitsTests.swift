import Foundation
import HRIAKit
import Testing

/// The server under many clients, and the limits that keep one person from taking it over.
@Suite("hria serve: load and limits")
struct ServerLimitsTests {
    @Test("a person past their rate gets 429 with Retry-After and records nothing; the command line waits and goes on")
    func rateLimit() throws {
        let ws = try AuditFixture.copy("hria-serve-rate")
        defer { ws.cleanUp() }
        try ws.publishKey("ana")
        try ws.publishKey("amina")
        // One request a second, in bursts of two.
        let server = try RunningServer(in: ws.root, ["--rate-limit", "1"])
        defer { _ = server.stop(SIGKILL) }
        let ana = try ServerAPITests.key(ws, "ana"), amina = try ServerAPITests.key(ws, "amina")
        var statuses: [Int] = []
        var limited: RunningServer.Reply?
        for _ in 0 ..< 4 {
            let reply = try ServerAPITests.signed(server, "GET", "/api/v1/assessments", as: "ana", key: ana)
            statuses.append(reply.status)
            if reply.status == 429 { limited = reply }
        }
        #expect(statuses.prefix(2) == [200, 200] && statuses.last == 429, "\(statuses)")
        let refused = try #require(limited)
        #expect(refused.header("Content-Type") == "application/problem+json")
        #expect(Int(refused.header("Retry-After") ?? "") ?? 0 >= 1, "\(refused.header("Retry-After") ?? "none")")
        #expect(refused.text.contains("more than 1 signed requests a second") && refused.text.contains("\"exit_code\":4"), "\(refused.text)")
        // Ana's rate is hers: amina is not held back by it.
        #expect(try ServerAPITests.signed(server, "GET", "/api/v1/assessments", as: "amina", key: amina).status == 200)
        // Unsigned requests neither spend nor are held by anyone's rate.
        #expect(try server.get("/api/v1/assessments").status == 401)
        #expect(try server.get("/metrics").text.contains("hria_rate_limited_requests_total"))

        // A command is two requests; at one a second the client waits as Retry-After says, and the command is recorded once.
        let before = try ws.events("demo").count
        let started = Date()
        let result = try ServerAPITests.remote(ws, server, ["comment", "demo", "slowly"], as: "ana")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Date().timeIntervalSince(started) >= 0.5, "the command did not have to wait")
        #expect(try ws.events("demo").count == before + 1)

        let bad = try ws.run(["serve", "--rate-limit", "fast"])
        #expect(bad.status == 2 && bad.stderr.contains("--rate-limit: \"fast\" is not a rate"), "\(bad.stderr)")
    }

    @Test("20 clients × 100 commands over 10 assessments on PostgreSQL: every one recorded once, no gap, no fork, verify passes",
          .enabled(if: TestDatabase.available, "PostgreSQL's server is not installed here (CI installs it)"))
    func twentyClients() throws {
        let ws = try AuditFixture.copy("hria-serve-twenty")
        defer { ws.cleanUp() }
        try ws.publishKey("ana")
        let ids = (0 ..< 10).map { "load\($0)" }
        for id in ids { try ws.ok(["new", id, "--workflow", "demo", "--partner", "Partner \(id)"], as: "ana") }
        let url = try TestDatabase.fresh("twenty")
        try ws.ok(["store", "copy", "--to", url])
        var database = ws
        database.store = url
        let before = try Dictionary(uniqueKeysWithValues: ids.map { ($0, try database.events($0).count) })
        let server = try RunningServer(in: ws.root, ["--store", url, "--rate-limit", "0"])
        defer { _ = server.stop(SIGKILL) }

        // hria-bench serve-load is the command line's client (prepare, sign each line with ana's key, commit) on 20 threads:
        // two clients on each assessment, so that half the commits race another and are prepared again.
        let load = try ChildProcess(executable: AuditBench.executable,
                                    arguments: ["serve-load", "--server", server.base, "--as", "ana", "--clients", "20", "--count", "100",
                                                "--assessments", ids.joined(separator: ","), "--json"],
                                    environment: ["XDG_CONFIG_HOME": ws.parent.appendingPathComponent("config").path]).wait()
        #expect(load.status == 0, "\(load.stdout)\(load.stderr)")
        let figures = try JSONParser.parse(Array(load.stdout.utf8))
        #expect(figures["appends"]?.intValue == 2000 && figures["failures"]?.intValue == 0, "\(load.stdout)")
        // The latency, for the test log (the release figures are in docs/PERFORMANCE.md).
        print("20 × 100 through a debug server on PostgreSQL: \(load.stdout)")

        for id in ids {
            let events = try database.events(id)
            #expect(events.count == before[id, default: 0] + 200, "\(id): \(events.count) events")
            #expect(events.enumerated().allSatisfy { $0.element["seq"] as? Int == $0.offset }, "\(id): a gap or a repeated seq")
            let texts = events.compactMap { ($0["data"] as? [String: Any])?["text"] as? String }.filter { $0.hasPrefix("load ") }
            #expect(texts.count == 200 && Set(texts).count == 200, "\(id): \(texts.count) comments, \(Set(texts).count) distinct")
        }
        try database.ok(["verify", "--all"])
    }
}

/// What the server keeps between requests (the verified roster, checked workflows, opened snapshots) never outlives
/// the files it came from.
@Suite("hria serve: nothing kept past a change")
struct ServerMemoryTests {
    @Test("a roster changed behind the server's back is read again: a removed person is refused at once, a damaged older checkpoint stops everyone")
    func rosterChangedBehindItsBack() throws {
        let (ws, server) = try ServerAPITests.serving("hria-serve-memos")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        let ana = try ServerAPITests.key(ws, "ana"), amina = try ServerAPITests.key(ws, "amina")
        // Twice each, so that the second request of each is served from what the first verified.
        for _ in 0 ..< 2 {
            #expect(try ServerAPITests.signed(server, "GET", "/api/v1/assessments", as: "amina", key: amina).status == 200)
            #expect(try ServerAPITests.signed(server, "GET", "/api/v1/assessments/demo", as: "ana", key: ana).status == 200)
        }
        try ws.admin(["remove", "amina", "--reason", "left the organisation"])
        let removed = try ServerAPITests.signed(server, "GET", "/api/v1/assessments", as: "amina", key: amina)
        #expect(removed.status == 401, "\(removed.status) \(removed.text)")
        #expect(try ServerAPITests.signed(server, "GET", "/api/v1/assessments", as: "ana", key: ana).status == 200)

        // An older roster checkpoint rewritten in place (same size, same name): the server verifies the roster
        // again and refuses to judge anyone by it.
        let folder = ws.root.appendingPathComponent("roster/checkpoints")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }
            .sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }
        let older = folder.appendingPathComponent(try #require(names.first))
        var bytes = try Data(contentsOf: older)
        let at = try #require(bytes.lastIndex(of: UInt8(ascii: "\n")).map { $0 - 5 })
        bytes[at] = bytes[at] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let handle = try FileHandle(forWritingTo: older)
        try handle.write(contentsOf: bytes)
        try handle.close()
        let damaged = try ServerAPITests.signed(server, "GET", "/api/v1/assessments", as: "ana", key: ana)
        #expect(damaged.status == 500 && damaged.text.contains("roster"), "\(damaged.status) \(damaged.text)")
        #expect(try ws.run(["verify", "--roster"]).status == 3)
    }
}
