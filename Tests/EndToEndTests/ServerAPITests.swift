import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HRIAKit
import HRIAServer
import Testing

/// Acting through `hria serve`: the command line as its client (HRIA_SERVER), every request signed with the person's
/// key, every event signed on the person's machine; the server holds no key that signs as a person.
@Suite("hria serve: acting through the server")
struct ServerAPITests {
    /// The fixture with keys for ana and amina on the roster, and a server that holds neither of them: its own key
    /// folder is empty and it has no ssh-agent.
    static func serving(_ name: String) throws -> (TestWorkspace, RunningServer) {
        let ws = try AuditFixture.copy(name)
        try ws.publishKey("ana")
        try ws.publishKey("amina")
        let serverHome = ws.parent.appendingPathComponent("server-home")
        try FileManager.default.createDirectory(at: serverHome, withIntermediateDirectories: true)
        let server = try RunningServer(in: ws.root, environment: ["XDG_CONFIG_HOME": serverHome.path, "SSH_AUTH_SOCK": ""])
        return (ws, server)
    }

    /// `hria ARGS…` through the server as `person`, from the workspace's parent folder (no hria.yaml there).
    static func remote(_ ws: TestWorkspace, _ server: RunningServer, _ arguments: [String], as person: String) throws -> HRIA.Result {
        try ws.run(arguments, as: person, in: ws.parent, environment: ["HRIA_SERVER": server.base])
    }

    @Test("comment, fact, sign-off and advance through the server print and exit as they do locally; the events are the person's")
    func sameAsLocal() throws {
        let (ws, server) = try Self.serving("hria-api-same")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        // A twin of the workspace, acted on locally, to compare with.
        let twinParent = try HRIA.temporaryDirectory("hria-api-twin")
        let twin = TestWorkspace(parent: twinParent, root: twinParent.appendingPathComponent("ws"), assessmentID: AuditFixture.id)
        defer { twin.cleanUp() }
        try Files.copyTree(ws.root, to: twin.root)
        try Files.copyTree(ws.parent.appendingPathComponent("config"), to: twinParent.appendingPathComponent("config"))

        let steps: [(String, [String])] = [
            ("ana", ["comment", "demo", "through the server"]),
            ("ana", ["fact", "demo", "nothing=1"]),
            ("ana", ["advance", "demo", "--to", "nowhere"]),
            ("amina", ["signoff", "demo", "--approve"]),
            ("ana", ["advance", "demo"]),
            ("ana", ["comment", "demo", "after the end"]),
            ("ana", ["status", "demo"]),
            ("ana", ["status", "demo", "--json"]),
        ]
        var outputs: [String] = []
        for (person, step) in steps {
            let through = try Self.remote(ws, server, step, as: person)
            let local = try twin.run(step, as: person)
            outputs.append("\(through.status) \(through.stdout)\(through.stderr)")
            #expect(through.status == local.status, "\(step): \(through.status) vs \(local.status)\n\(through.stderr)\n\(local.stderr)")
            // The twin's events were recorded a moment later: their times may differ by a second, nothing else may.
            #expect(Self.timeless(through.stdout) == Self.timeless(local.stdout), "\(step)")
            #expect(through.stderr == local.stderr, "\(step)")
        }
        // What each step said, so that equality above is not the equality of two failures.
        #expect(outputs[0] == "0 recorded #6: comment by ana\n", "\(outputs[0])")
        #expect(outputs[1].hasPrefix("2 hria: ") && outputs[1].contains("nothing"), "\(outputs[1])")
        #expect(outputs[2].hasPrefix("2 hria: ") && outputs[2].contains("nowhere"), "\(outputs[2])")
        #expect(outputs[6].hasPrefix("0 ") && outputs[6].contains("demo"), "\(outputs[6])")
        #expect(outputs[7].hasPrefix("0 {"), "\(outputs[7])")
        // The same events, each signed by the person who acted, and the record verifies.
        let remoteEvents = try ws.events("demo"), localEvents = try twin.events("demo")
        #expect(remoteEvents.count == localEvents.count && remoteEvents.count > AuditFixture.eventCount)
        for (a, b) in zip(remoteEvents, localEvents) {
            #expect(a["type"] as? String == b["type"] as? String && a["actor"] as? String == b["actor"] as? String)
        }
        for event in remoteEvents.dropFirst(AuditFixture.eventCount) { #expect(event["sig"] is String, "\(event)") }
        try ws.ok(["verify", "demo"])
        // No personal key was ever written where the server runs.
        #expect(Files.all(under: ws.parent.appendingPathComponent("server-home")).isEmpty)
    }

    @Test("unsigned, wrongly signed, expired, replayed and cross-person requests are refused and record nothing")
    func refusedRequests() throws {
        let (ws, server) = try Self.serving("hria-api-refused")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        let ana = try Self.key(ws, "ana"), amina = try Self.key(ws, "amina")
        let before = try ws.events("demo").count

        #expect(try server.get("/api/v1/assessments").status == 401)
        let listed = try Self.signed(server, "GET", "/api/v1/assessments", as: "ana", key: ana)
        #expect(listed.status == 200, "\(listed.text)")
        #expect(listed.text.contains("\"demo\""))
        // Ana's key, claiming to be amina.
        let impostor = try Self.signed(server, "GET", "/api/v1/assessments", as: "amina", key: ana)
        #expect(impostor.status == 401 && impostor.text.contains("does not verify"), "\(impostor.text)")
        let stranger = try Self.signed(server, "GET", "/api/v1/assessments", as: "nobody", key: ana)
        #expect(stranger.status == 401 && stranger.text.contains("nobody has no key on the roster"), "\(stranger.text)")
        let old = try Self.signed(server, "GET", "/api/v1/assessments", as: "ana", key: ana, created: Int(Date().timeIntervalSince1970) - 400)
        #expect(old.status == 401 && old.text.contains("seconds ago"), "\(old.text)")
        // The same request sent twice: the second is a replay.
        let headers = try Self.headers("GET", "/api/v1/assessments", as: "ana", key: ana)
        #expect(try Self.send(server, "GET", "/api/v1/assessments", headers: headers).status == 200)
        let replayed = try Self.send(server, "GET", "/api/v1/assessments", headers: headers)
        #expect(replayed.status == 401 && replayed.text.contains("already used"), "\(replayed.text)")
        // A body changed after signing.
        var tampered = try Self.headers("POST", "/api/v1/assessments/demo/prepare", body: #"{"command":"comment","text":"a"}"#, as: "ana", key: ana)
        let changed = try Self.send(server, "POST", "/api/v1/assessments/demo/prepare", headers: tampered, body: #"{"command":"comment","text":"b"}"#)
        #expect(changed.status == 401 && changed.text.contains("Content-Digest"), "\(changed.text)")
        tampered = try Self.headers("POST", "/api/v1/assessments/demo/prepare", body: "{}", as: "ana", key: ana)
        tampered["Content-Digest"] = RequestSignature.contentDigest(Array("{\"x\":1}".utf8))
        #expect(try Self.send(server, "POST", "/api/v1/assessments/demo/prepare", headers: tampered, body: "{\"x\":1}").status == 401)

        // Prepared by ana, committed by amina with her own valid signatures: forbidden.
        let prepared = try Self.prepare(server, "demo", text: "ana's words", as: "ana", key: ana)
        let signatures = try Self.sign(prepared, with: ws, as: "amina")
        let crossed = try Self.signed(server, "POST", "/api/v1/assessments/demo/commit", body: Self.commitBody(prepared, signatures),
                                      as: "amina", key: amina)
        #expect(crossed.status == 403, "\(crossed.text)")
        // Amina's attempt left ana's draft alone: ana can still commit it.
        let own = try Self.signed(server, "POST", "/api/v1/assessments/demo/commit",
                                  body: Self.commitBody(prepared, try Self.sign(prepared, with: ws, as: "ana")), as: "ana", key: ana)
        #expect(own.status == 201, "\(own.text)")
        // Committed by ana with amina's event signatures: the server checks each against ana's key.
        let prepared2 = try Self.prepare(server, "demo", text: "ana's words", as: "ana", key: ana)
        let wrong = try Self.signed(server, "POST", "/api/v1/assessments/demo/commit",
                                    body: Self.commitBody(prepared2, try Self.sign(prepared2, with: ws, as: "amina")), as: "ana", key: ana)
        #expect(wrong.status == 422 && wrong.text.contains("does not verify with the key the roster lists for ana"), "\(wrong.text)")
        #expect(try ws.events("demo").count == before + 1)
        // Sizes no log has: refused or not found, never a crash.
        for size in ["9223372036854775807", "281474976710655", "-1"] {
            let odd = try Self.signed(server, "POST", "/api/v1/assessments/demo/commit", body: #"{"draft":"x","size":\#(size),"signatures":["AAAA"]}"#,
                                      as: "ana", key: ana)
            #expect([400, 409].contains(odd.status), "\(size): \(odd.status) \(odd.text)")
        }
        #expect(try server.get("/healthz").status == 200)
        try ws.ok(["verify", "demo"])
        #expect(try server.get("/metrics").text.contains("hria_unauthorized_requests_total"))
        // A roster that does not verify judges nobody: 500 naming the damage, not "no key".
        let roster = ws.root.appendingPathComponent("roster/log.jsonl")
        var bytes = try Data(contentsOf: roster)
        let at = try #require(bytes.range(of: Data("\"admin\"".utf8))).lowerBound
        bytes[at + 1] = UInt8(ascii: "b")
        try bytes.write(to: roster)
        let damaged = try Self.signed(server, "GET", "/api/v1/assessments", as: "ana", key: ana)
        #expect(damaged.status == 500 && damaged.text.contains("urn:hria:problem:integrity") && damaged.text.contains("roster"), "\(damaged.text)")
    }

    @Test("a commit retried with its Idempotency-Key, or after the server restarted, records its events once; a stale one is refused")
    func retries() throws {
        let (ws, server) = try Self.serving("hria-api-retries")
        defer { ws.cleanUp() }
        let ana = try Self.key(ws, "ana")
        let before = try ws.events("demo").count

        let prepared = try Self.prepare(server, "demo", text: "once", as: "ana", key: ana)
        let body = try Self.commitBody(prepared, try Self.sign(prepared, with: ws, as: "ana"))
        let first = try Self.signed(server, "POST", "/api/v1/assessments/demo/commit", body: body, as: "ana", key: ana, idempotency: "k1")
        #expect(first.status == 201, "\(first.text)")
        let again = try Self.signed(server, "POST", "/api/v1/assessments/demo/commit", body: body, as: "ana", key: ana, idempotency: "k1")
        #expect(again.status == 201 && again.body == first.body, "\(again.text)")
        #expect(try ws.events("demo").count == before + 1)

        // Killed after recording, restarted with nothing in memory: the same commit is recognised in the log.
        _ = server.stop(SIGKILL)
        let restarted = try RunningServer(in: ws.root)
        defer { _ = restarted.stop(SIGKILL) }
        let afterRestart = try Self.signed(restarted, "POST", "/api/v1/assessments/demo/commit", body: body, as: "ana", key: ana, idempotency: "k2")
        #expect(afterRestart.status == 200, "\(afterRestart.text)")
        #expect(try JSONSerialization.jsonObject(with: afterRestart.body) as? [String: AnyHashable]
            == JSONSerialization.jsonObject(with: first.body) as? [String: AnyHashable])
        #expect(try ws.events("demo").count == before + 1)

        // Prepared, then someone else acted: the prepared lines no longer fit, and nothing is recorded.
        let stale = try Self.prepare(restarted, "demo", text: "late", as: "ana", key: ana)
        try ws.ok(["comment", "demo", "in between"], as: "ana")
        let refused = try Self.signed(restarted, "POST", "/api/v1/assessments/demo/commit",
                                      body: Self.commitBody(stale, try Self.sign(stale, with: ws, as: "ana")), as: "ana", key: ana)
        #expect(refused.status == 409 && refused.text.contains("urn:hria:problem:stale"), "\(refused.text)")
        #expect(try ws.events("demo").count == before + 2)
        try ws.ok(["verify", "demo"])
    }

    @Test("8 clients × 6 commands on 4 assessments at once, through the server: all recorded, no gap, no fork, verify passes")
    func concurrentClients() throws {
        let (ws, server) = try Self.serving("hria-api-concurrent")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        for index in 1 ... 3 { try ws.ok(["new", "a\(index)", "--workflow", "demo", "--partner", "P\(index)"], as: "ana") }
        let ids = ["demo", "a1", "a2", "a3"]
        let failures = NSLock()
        nonisolated(unsafe) var problems: [String] = []
        DispatchQueue.concurrentPerform(iterations: 8) { client in
            for step in 0 ..< 6 {
                let id = ids[(client + step) % ids.count]
                do {
                    let result = try Self.remote(ws, server, ["comment", id, "client \(client) step \(step)"], as: client % 2 == 0 ? "ana" : "amina")
                    if result.status != 0 { failures.withLock { problems.append("client \(client) step \(step): \(result.status) \(result.stderr)") } }
                } catch {
                    failures.withLock { problems.append("client \(client) step \(step): \(error)") }
                }
            }
        }
        #expect(problems.isEmpty, "\(problems)")
        var texts: [String] = []
        for id in ids {
            let events = try ws.events(id)
            #expect(events.enumerated().allSatisfy { $0.element["seq"] as? Int == $0.offset }, "\(id)")
            texts += events.compactMap { ($0["data"] as? [String: Any])?["text"] as? String }.filter { $0.hasPrefix("client ") }
        }
        #expect(Set(texts).count == 48 && texts.count == 48)
        try ws.ok(["verify", "--all"])
    }

    static func timeless(_ text: String) -> String {
        text.replacingOccurrences(of: #"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"#, with: "TIME", options: .regularExpression)
    }

    /// Every acknowledged comment is in its log at the seq it was acknowledged with, and no comment is there twice.
    static func checkAcknowledged(_ ws: TestWorkspace, _ acknowledged: [(id: String, seq: Int, text: String)], ids: [String]) throws {
        for id in Set(ids) {
            let events = try ws.events(id)
            let texts = events.compactMap { ($0["data"] as? [String: Any])?["text"] as? String }.filter { $0.hasPrefix("load ") }
            #expect(Set(texts).count == texts.count, "\(id): a comment recorded twice")
            for ack in acknowledged where ack.id == id {
                let text = ack.seq < events.count ? (events[ack.seq]["data"] as? [String: Any])?["text"] as? String : nil
                #expect(text == ack.text, "\(id) #\(ack.seq) was acknowledged as \"\(ack.text)\" but holds \(text ?? "nothing")")
            }
        }
        try ws.ok(["verify", "--all"])
    }

    @Test("kill -9 of the server under load, then a restart: every acknowledged event is there once, and the logs verify")
    func killedUnderLoad() throws {
        let (ws, first) = try Self.serving("hria-api-kill")
        defer { ws.cleanUp() }
        try ws.ok(["new", "k1", "--workflow", "demo", "--partner", "K"], as: "ana")
        let ids = ["demo", "k1"]
        let port = first.port
        let load = ClientLoad(ws: ws, clients: 4, ids: ids, person: "ana") { "http://127.0.0.1:\(port)" }
        load.waitFor(10)
        _ = first.stop(SIGKILL)
        Thread.sleep(forTimeInterval: 0.5)
        let second = try RunningServer(in: ws.root, listen: "127.0.0.1:\(port)")
        defer { _ = second.stop(SIGKILL) }
        let before = load.count
        load.waitFor(before + 10)
        let (acknowledged, statuses) = load.stop()
        #expect(acknowledged.count >= before + 10, "\(statuses)")
        // While it was down, commands failed as an unreachable server does (exit 70), and nothing else.
        #expect(Set(statuses.keys).isSubset(of: [0, 4, 70]), "\(statuses) \(load.unexpected)")
        try Self.checkAcknowledged(ws, acknowledged, ids: ids)
    }

    @Test("PostgreSQL stopped under load: 503 and exit 70 while it is down, full recovery after, nothing acknowledged lost",
          .enabled(if: TestDatabase.available, "PostgreSQL's server is not installed here (CI installs it)"))
    func databaseOutage() throws {
        let cluster = try TestDatabase.startCluster().get()
        let url = try TestDatabase.fresh("outage", on: cluster)
        let ws = try AuditFixture.copy("hria-api-outage")
        defer { ws.cleanUp() }
        try ws.publishKey("ana")
        try ws.ok(["store", "copy", "--to", url])
        let server = try RunningServer(in: ws.root, ["--store", url])
        defer { _ = server.stop(SIGKILL) }
        let base = server.base
        let load = ClientLoad(ws: ws, clients: 3, ids: ["demo"], person: "ana") { base }
        load.waitFor(8)
        try cluster.crash()
        let down = try server.get("/readyz")
        #expect(down.status == 503 && down.header("Retry-After") != nil, "\(down.status) \(down.text)")
        Thread.sleep(forTimeInterval: 1)
        try cluster.restart()
        var ready = try server.get("/readyz")
        for _ in 0 ..< 100 where ready.status != 200 {
            Thread.sleep(forTimeInterval: 0.1)
            ready = try server.get("/readyz")
        }
        #expect(ready.status == 200)
        let before = load.count
        load.waitFor(before + 8)
        let (acknowledged, statuses) = load.stop()
        #expect(acknowledged.count >= before + 8, "\(statuses)")
        // While it was down, commands failed as an unreachable store does (exit 70); a few clients on one assessment
        // may also give up as busy (exit 4) when the others keep recording first. Nothing else.
        #expect(Set(statuses.keys).isSubset(of: [0, 4, 70]) && statuses[70, default: 0] > 0, "\(statuses) \(load.unexpected)")
        var database = ws
        database.store = url
        try Self.checkAcknowledged(database, acknowledged, ids: ["demo"])
    }

    /// Whether schemathesis can run here; `.ci/run` installs it and sets HRIA_REQUIRE_SCHEMATHESIS, so CI never skips it.
    static let schemathesis: Bool = {
        if ProcessInfo.processInfo.environment["HRIA_REQUIRE_SCHEMATHESIS"] == "1" { return true }
        guard let python = HRIA.which("python3") else { return false }
        return (try? HRIA.run(["-c", "import schemathesis, cryptography"], program: URL(fileURLWithPath: python)).status) == 0
    }()

    @Test("schemathesis against the OpenAPI document, every request signed: no 5xx, every response as documented",
          .enabled(if: schemathesis, "schemathesis is not installed here (.ci/run installs it)"))
    func propertyBased() throws {
        let (ws, server) = try Self.serving("hria-api-fuzz")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        let python = try #require(HRIA.which("python3"))
        let key = ws.parent.appendingPathComponent("config/hria/keys/ana")
        let fuzz = try HRIA.run([HRIA.packageRoot.appendingPathComponent("scripts/api-fuzz").path, server.base, "ana", key.path, "--examples", "25"],
                                program: URL(fileURLWithPath: python))
        #expect(fuzz.status == 0, "\(fuzz.stdout)\(fuzz.stderr)")
        #expect(fuzz.stdout.contains(" 0 failure(s)"), "\(fuzz.stdout)")
        // Whatever it sent, the record still verifies.
        try ws.ok(["verify", "demo"])
    }

    @Test("every route the server has is in api/openapi.yaml, and every path there is a route")
    func routesMatchTheDocument() throws {
        let text = try String(contentsOf: HRIA.packageRoot.appendingPathComponent("api/openapi.yaml"), encoding: .utf8)
        var documented: Set<String> = []
        var path: String?
        for line in text.split(separator: "\n") {
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if let current = path, line.hasPrefix("    "), !line.hasPrefix("     "),
                      let method = ["get", "post", "put", "delete", "patch"].first(where: { line == "    \($0):" }) {
                // {name} is one path element; the tile paths are one catch-all route.
                var route = current.replacingOccurrences(of: #"\{([a-z]+)\}"#, with: ":$1", options: .regularExpression)
                if let tiles = route.range(of: "/tile/") { route = route[..<tiles.lowerBound] + "/tile/**" }
                documented.insert(method.uppercased() + " " + route)
            }
        }
        let served = Set(HRIAServer.routes.map { $0.method + " " + $0.path })
        #expect(documented == served, "only documented: \(documented.subtracting(served)); only served: \(served.subtracting(documented))")
        #expect(served.count == 33)
    }

    // MARK: - A client written here, to send what the command line never would

    static func key(_ ws: TestWorkspace, _ person: String) throws -> SSHPrivateKey {
        try #require(try PersonalKeys(environment: ["XDG_CONFIG_HOME": ws.parent.appendingPathComponent("config").path]).key(of: person))
    }

    static func headers(_ method: String, _ path: String, body: String = "", as person: String, key: SSHPrivateKey,
                        created: Int = Int(Date().timeIntervalSince1970)) throws -> [String: String] {
        let signed = try RequestSignature.sign(method: method, path: path, query: "", body: Array(body.utf8), keyid: person, created: created,
                                               nonce: UUID().uuidString) { try key.signRaw($0) }
        return Dictionary(uniqueKeysWithValues: signed.map { ($0.name, $0.value) })
    }

    static func send(_ server: RunningServer, _ method: String, _ path: String, headers: [String: String], body: String = "") throws -> RunningServer.Reply {
        try server.request(method, path, body: body.isEmpty ? nil : Data(body.utf8), headers: headers)
    }

    static func signed(_ server: RunningServer, _ method: String, _ path: String, body: String = "", as person: String, key: SSHPrivateKey,
                       created: Int = Int(Date().timeIntervalSince1970), idempotency: String? = nil) throws -> RunningServer.Reply {
        var headers = try headers(method, path, body: body, as: person, key: key, created: created)
        if let idempotency { headers["Idempotency-Key"] = idempotency }
        return try send(server, method, path, headers: headers, body: body)
    }

    static func prepare(_ server: RunningServer, _ id: String, text: String, as person: String, key: SSHPrivateKey) throws -> ServiceWire.Prepared {
        let reply = try signed(server, "POST", "/api/v1/assessments/\(id)/prepare", body: #"{"command":"comment","text":"\#(text)"}"#,
                               as: person, key: key)
        try #require(reply.status == 200, "\(reply.text)")
        return try ServiceWire.Prepared(try JSONParser.parse(Array(reply.body)))
    }

    /// Event signatures as `person` would make them with their own key.
    static func sign(_ prepared: ServiceWire.Prepared, with ws: TestWorkspace, as person: String) throws -> [String] {
        let key = try key(ws, person)
        return try PreparedLines.sign(prepared.lines) { Base64.standard.encode(try key.sign($0, namespace: PersonKey.namespace)) }
            .signatures.map { $0 ?? "" }
    }

    static func commitBody(_ prepared: ServiceWire.Prepared, _ signatures: [String]) throws -> String {
        ServiceWire.commit(draft: prepared.draft, size: prepared.size, signatures: signatures).rendered(pretty: false)
    }

    /// A comment prepared on `server` and signed by `person` with their own key: the body of its commit.
    static func signedComment(_ server: RunningServer, _ ws: TestWorkspace, _ id: String, text: String, as person: String,
                              key: SSHPrivateKey) throws -> String {
        let prepared = try prepare(server, id, text: text, as: person, key: key)
        return try commitBody(prepared, try sign(prepared, with: ws, as: person))
    }
}
