import Foundation
import Testing

/// `hria serve` as a user runs it: a real process on a loopback port, read with an HTTP client and with an
/// independent tlog-tiles reader (scripts/read-tiles, Python), never through hria's own code.
@Suite("hria serve", .enabled(if: ProofTests.pythonHasCryptography, "needs python3 with the cryptography package"))
struct ServerTests {
    @Test("health, readiness, metrics and the OpenAPI document; errors as problem details; SIGTERM stops it cleanly")
    func operations() throws {
        let ws = try AuditFixture.copy("hria-serve-ops")
        defer { ws.cleanUp() }
        let server = try RunningServer(in: ws.root)
        let health = try server.get("/healthz")
        #expect(health.status == 200 && health.text == "ok\n")
        let ready = try server.get("/readyz")
        #expect(ready.status == 200 && ready.text == "ready\n")
        // The served document is api/openapi.yaml exactly (scripts/embed-openapi writes the copy the binary holds).
        let document = try server.get("/api/v1/openapi.yaml")
        let committed = try Data(contentsOf: HRIA.packageRoot.appendingPathComponent("api/openapi.yaml"))
        #expect(document.status == 200)
        #expect(document.body == committed, "the server's OpenAPI document is not api/openapi.yaml: run scripts/embed-openapi")

        let missing = try server.get("/no/such/thing")
        #expect(missing.status == 404)
        #expect(missing.header("Content-Type") == "application/problem+json")
        #expect(missing.json["type"] as? String == "urn:hria:problem:not-found")
        #expect(missing.json["exit_code"] as? Int == 2)
        let tooLarge = try server.request("POST", "/healthz", body: Data(count: 2 << 20))
        #expect(tooLarge.status == 413, "\(tooLarge.status) \(tooLarge.text)")
        #expect(tooLarge.json["detail"] as? String == "the body is 2097152 bytes; this server takes at most 1048576")

        let metrics = try server.get("/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.text.contains("hb_requests{http_route=\"/healthz\",http_request_method=\"GET\",http_response_status_code=\"200\"} 1"),
                "\(metrics.text)")
        #expect(metrics.text.contains("http_server_request_duration_bucket{http_route=\"/readyz\""), "\(metrics.text)")

        let outcome = server.stop(SIGTERM)
        #expect(outcome.status == 0 && !outcome.signalled, "\(outcome.status) \(outcome.stderr)")
        // Every log line is one JSON object; the last says it stopped.
        let lines = outcome.stderr.split(separator: "\n")
        for line in lines {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any], "not JSON: \(line)")
        }
        #expect(lines.last?.contains("\"message\":\"stopped\"") == true, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("\"hb.request.path\":\"/healthz\""), "\(outcome.stderr)")
    }

    @Test("each log and the roster's on the tlog-tiles read path, read back by an independent reader; the same layout in a bundle")
    func tiles() throws {
        let parent = try HRIA.temporaryDirectory("hria-serve-tiles")
        defer { try? FileManager.default.removeItem(at: parent) }
        let root = parent.appendingPathComponent("ws")
        // 600 events: two full tiles and a partial one at level 0, and a level-1 tile.
        let generated = try HRIA.run(["generate", root.path, "--events", "600", "--batch", "250"], program: AuditBench.executable)
        try #require(generated.status == 0, "\(generated.stderr)")
        let key = try #require(try String(contentsOf: root.appendingPathComponent("hria.yaml"), encoding: .utf8)
            .split(separator: "\n").first { $0.hasPrefix("log_key:") }.map { $0.dropFirst(8).trimmingCharacters(in: CharacterSet(charactersIn: " \"")) })
        let server = try RunningServer(in: root)
        defer { _ = server.stop(SIGKILL) }

        let readBack = parent.appendingPathComponent("read.jsonl")
        let read = try TileReader.read(server.base + "/logs/a0", key: key, out: readBack)
        #expect(read.status == 0, "\(read.stdout)\(read.stderr)")
        #expect(read.stdout.contains("size 600: 600 entries and 2 level(s) of hash tiles"), "\(read.stdout)")
        #expect(try Data(contentsOf: readBack) == Data(contentsOf: root.appendingPathComponent("assessments/a0/log.jsonl")))
        let roster = try TileReader.read(server.base + "/logs/_roster", key: key)
        #expect(roster.status == 0 && roster.stdout.hasPrefix("OK"), "\(roster.stdout)\(roster.stderr)")

        // Caching as the spec asks: tiles for ever, the checkpoint never.
        let full = try server.get("/logs/a0/tile/0/001")
        #expect(full.status == 200 && full.body.count == 256 * 32)
        #expect(full.header("Cache-Control") == "public, max-age=31536000, immutable")
        #expect(full.header("Content-Type") == "application/octet-stream")
        let partial = try server.get("/logs/a0/tile/0/001.p/9")
        #expect(partial.body == full.body.prefix(9 * 32))
        #expect(try server.get("/logs/a0/checkpoint").header("Cache-Control") == "no-cache")
        let entries = try server.get("/logs/a0/tile/entries/002.p/88")
        #expect(entries.status == 200)
        for (path, status) in [("/logs/a0/tile/0/002", 404), ("/logs/a0/tile/entries/002.p/89", 404), ("/logs/a0/tile/1/000.p/3", 404),
                               ("/logs/a0/tile/0/2", 404), ("/logs/a0/tile/0/x000/001", 404), ("/logs/nobody/checkpoint", 404),
                               ("/logs/a0/tile/entries/000.p/256", 404), ("/logs/..%2F..%2Fhria.yaml/checkpoint", 404)] {
            let reply = try server.get(path)
            #expect(reply.status == status, "\(path): \(reply.status) \(reply.text)")
            #expect(reply.header("Content-Type") == "application/problem+json", "\(path)")
        }

        // The same layout in a public bundle: its folder on a static host is the same log.
        let bundle = parent.appendingPathComponent("bundle")
        let exported = try HRIA.run(["export", "a0", "--public", bundle.path], in: root)
        try #require(exported.status == 0, "\(exported.stderr)")
        let fromBundle = try TileReader.read(bundle.path, key: key)
        #expect(fromBundle.status == 0 && fromBundle.stdout.contains("size 600"), "\(fromBundle.stdout)")
        #expect(try TileReader.read(bundle.appendingPathComponent("roster").path, key: key).status == 0)
        #expect(try Data(contentsOf: bundle.appendingPathComponent("tile/0/001")) == full.body)
        #expect(try HRIA.run(["verify", "--bundle", bundle.path, "--key", key]).status == 0)

        // A bundle whose tiles disagree with its log does not verify, and says which tile.
        let tile = bundle.appendingPathComponent("tile/1/000.p/2")
        var bytes = try Data(contentsOf: tile)
        bytes[5] ^= 1
        try bytes.write(to: tile)
        let altered = try HRIA.run(["verify", "--bundle", bundle.path, "--key", key])
        #expect(altered.status == 3, "\(altered.stdout)\(altered.stderr)")
        #expect(altered.stdout.contains("tile/1/000.p/2 does not hold what the log's checkpointed tree gives"), "\(altered.stdout)")
        try FileManager.default.removeItem(at: tile)
        try Data().write(to: bundle.appendingPathComponent("tile/0/009"))
        let missing = try HRIA.run(["verify", "--bundle", bundle.path, "--key", key])
        #expect(missing.status == 3)
        #expect(missing.stdout.contains("tile/1/000.p/2 is missing") && missing.stdout.contains("tile/0/009 is not a tile of the log at size 600"),
                "\(missing.stdout)")
        #expect(try TileReader.read(bundle.path, key: key).status == 1)
        // A tile that is not a file is named, not read: verify never hangs on a device or a FIFO.
        try FileManager.default.removeItem(at: bundle.appendingPathComponent("tile/0/000"))
        try FileManager.default.createSymbolicLink(atPath: bundle.appendingPathComponent("tile/0/000").path, withDestinationPath: "/dev/zero")
        let device = try HRIA.run(["verify", "--bundle", bundle.path, "--key", key])
        #expect(device.status == 3 && device.stdout.contains("tile/0/000 cannot be read"), "\(device.stdout)")
    }

    @Test("a log that does not verify is not served: 500 naming the damage, counted in the metrics; the others still are")
    func failsClosed() throws {
        let ws = try AuditFixture.copy("hria-serve-damage")
        defer { ws.cleanUp() }
        #expect(try ws.run(["new", "other", "--workflow", "demo", "--partner", "Other Co", "--as", "ana"]).status == 0)
        let server = try RunningServer(in: ws.root)
        defer { _ = server.stop(SIGKILL) }
        #expect(try server.get("/logs/demo/tile/entries/000.p/6").status == 200)
        // One byte of event 4 changed behind hria's back.
        let log = ws.logURL()
        var bytes = try Data(contentsOf: log)
        let at = try #require(bytes.range(of: Data("note 2".utf8))).lowerBound
        bytes[at] = UInt8(ascii: "m")
        try bytes.write(to: log)
        for path in ["/logs/demo/checkpoint", "/logs/demo/tile/0/000.p/6", "/logs/demo/tile/entries/000.p/6"] {
            let reply = try server.get(path)
            #expect(reply.status == 500, "\(path): \(reply.status)")
            #expect(reply.json["type"] as? String == "urn:hria:problem:integrity", "\(reply.text)")
            #expect(reply.json["exit_code"] as? Int == 3)
            #expect((reply.json["detail"] as? String ?? "").hasPrefix("demo does not verify"), "\(reply.text)")
        }
        #expect(try server.get("/logs/other/checkpoint").status == 200)
        #expect(try server.get("/metrics").text.contains("hria_integrity_failures_total 3"))
    }

    @Test("settings from flags, then the environment, then a file; wrong ones refused with exit 2 before listening")
    func settings() throws {
        let ws = try AuditFixture.copy("hria-serve-settings")
        defer { ws.cleanUp() }
        let bad = try ws.run(["serve", "--listen", "localhost"])
        #expect(bad.status == 2 && bad.stderr.contains("--listen: \"localhost\" is not an address to listen on"), "\(bad.stderr)")
        let badEnvironment = try ws.run(["serve"], environment: ["HRIA_LISTEN": "127.0.0.1:99999"])
        #expect(badEnvironment.status == 2 && badEnvironment.stderr.contains("HRIA_LISTEN: \"127.0.0.1:99999\""), "\(badEnvironment.stderr)")
        let level = try ws.run(["serve", "--log-level", "loud"])
        #expect(level.status == 2 && level.stderr.contains("is not a log level"), "\(level.stderr)")
        let file = ws.root.appendingPathComponent("serve.yaml")
        try "lisen: 127.0.0.1:0\n".write(to: file, atomically: true, encoding: .utf8)
        let misspelt = try ws.run(["serve", "--config", file.path])
        #expect(misspelt.status == 2 && misspelt.stderr.contains("unknown setting \"lisen\""), "\(misspelt.stderr)")
        #expect(misspelt.stderr.contains("did you mean listen?"), "\(misspelt.stderr)")
        let store = try ws.run(["serve", "--store", "mysql://x"])
        #expect(store.status == 2 && store.stderr.contains("--store:"), "\(store.stderr)")
        let outside = try HRIA.run(["serve", "--workspace", ws.root.appendingPathComponent("nowhere").path])
        #expect(outside.status == 2, "\(outside.stderr)")

        // The file's settings apply when neither a flag nor the environment gives them; a flag beats the environment.
        try "listen: 127.0.0.1:0\nlog_level: warning\n".write(to: file, atomically: true, encoding: .utf8)
        let child = try ChildProcess(executable: HRIA.executable, arguments: ["serve", "--config", file.path], directory: ws.root,
                                     environment: ["HRIA_LISTEN": ""])
        #expect(child.waitForFirstLine(timeout: 60))
        #expect(child.outputSoFar().stdout.hasPrefix("hria serve: listening on http://127.0.0.1:"), "\(child.outputSoFar())")
        child.kill(SIGTERM)
        let quiet = child.wait()
        // At warning, the notices (listening, stopped) and the request lines are not logged.
        #expect(quiet.status == 0 && quiet.stderr.isEmpty, "\(quiet.stderr)")
        let flagWins = try RunningServer(in: ws.root, ["--log-level", "info"], environment: ["HRIA_LISTEN": "127.0.0.1:1", "HRIA_LOG_LEVEL": "error"])
        #expect(try flagWins.get("/healthz").status == 200)
        #expect(flagWins.stop().stderr.contains("\"message\":\"listening\""))
    }

    @Test("served from PostgreSQL: the same checkpoint and tiles as from the folder it was copied from",
          .enabled(if: TestDatabase.available, "PostgreSQL's server is not installed here (CI installs it)"))
    func fromPostgres() throws {
        let ws = try AuditFixture.copy("hria-serve-pg")
        defer { ws.cleanUp() }
        let url = try TestDatabase.fresh("serve")
        let copied = try ws.run(["store", "copy", "--to", url])
        try #require(copied.status == 0, "\(copied.stderr)")
        let files = try RunningServer(in: ws.root)
        defer { _ = files.stop(SIGKILL) }
        let database = try RunningServer(in: ws.root, ["--store", url])
        defer { _ = database.stop(SIGKILL) }
        #expect(try database.get("/readyz").status == 200)
        let key = try ws.logKey
        let read = try TileReader.read(database.base + "/logs/demo", key: key)
        #expect(read.status == 0, "\(read.stdout)\(read.stderr)")
        for path in ["/logs/demo/checkpoint", "/logs/demo/tile/0/000.p/6", "/logs/demo/tile/entries/000.p/6", "/logs/_roster/checkpoint"] {
            let fromFiles = try files.get(path), fromDatabase = try database.get(path)
            #expect(fromDatabase.status == 200 && fromDatabase.body == fromFiles.body, "\(path): \(fromDatabase.text)")
        }
    }
}
