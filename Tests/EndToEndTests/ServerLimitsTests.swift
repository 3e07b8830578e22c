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

/// The standings the server keeps in memory (docs/SERVER.md, "What it keeps between requests") hold only while the
/// store's head reads as it did: a command on the workspace is seen at once, and damage behind the server's back is
/// found by the next request, on files and on PostgreSQL.
@Suite("hria serve: standings kept in memory")
struct ServerStandingTests {
    static func ok(_ result: HRIA.Result, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)", sourceLocation: sourceLocation)
    }

    /// Status through the server as ana, twice (the second from the kept standing), returning the second answer.
    static func status(_ ws: TestWorkspace, _ server: RunningServer) throws -> HRIA.Result {
        _ = try ServerAPITests.remote(ws, server, ["status", "demo"], as: "ana")
        return try ServerAPITests.remote(ws, server, ["status", "demo"], as: "ana")
    }

    @Test("files: an event recorded on the workspace is seen by the next request; a line changed behind the server's back is damage, exit 3")
    func files() throws {
        let (ws, server) = try ServerAPITests.serving("hria-serve-standing-files")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        #expect(try Self.status(ws, server).status == 0)
        try Self.ok(ServerAPITests.remote(ws, server, ["comment", "demo", "through the server"], as: "ana"))
        let before = try ws.events("demo").count
        // Recorded on the workspace, not through the server: the next request must stand on it.
        try ws.ok(["comment", "demo", "on the workspace"], as: "ana")
        try Self.ok(ServerAPITests.remote(ws, server, ["comment", "demo", "through the server again"], as: "ana"))
        let texts = try ws.events("demo").compactMap { ($0["data"] as? [String: Any])?["text"] as? String }
        #expect(try ws.events("demo").count == before + 2)
        #expect(Array(texts.suffix(2)) == ["on the workspace", "through the server again"], "\(texts)")
        #expect(try ws.run(["verify", "demo"]).status == 0)

        // One byte of an early line changed in place, sizes and checkpoints untouched.
        #expect(try Self.status(ws, server).status == 0)
        let log = ws.root.appendingPathComponent("assessments/demo/log.jsonl")
        var bytes = try Data(contentsOf: log)
        let at = try #require(bytes.range(of: Data("through the server".utf8))).lowerBound
        bytes[at] = UInt8(ascii: "T")
        try bytes.write(to: log)
        let damaged = try ServerAPITests.remote(ws, server, ["status", "demo"], as: "ana")
        #expect(damaged.status == 3, "\(damaged.stdout)\(damaged.stderr)")
        let refused = try ServerAPITests.remote(ws, server, ["comment", "demo", "on a damaged log"], as: "ana")
        #expect(refused.status == 3, "\(refused.stderr)")
        #expect(try ws.events("demo").count == before + 2)
    }

    @Test("PostgreSQL: an event recorded by a command is seen by the next request; a row changed behind the server's back is damage, exit 3; a row deleted is read again",
          .enabled(if: TestDatabase.available, "PostgreSQL's server is not installed here (CI installs it)"))
    func postgres() throws {
        let ws = try AuditFixture.copy("hria-serve-standing-pg")
        defer { ws.cleanUp() }
        try ws.publishKey("ana")
        let url = try TestDatabase.fresh("standing")
        try ws.ok(["store", "copy", "--to", url])
        var database = ws
        database.store = url
        let serverHome = ws.parent.appendingPathComponent("server-home")
        try FileManager.default.createDirectory(at: serverHome, withIntermediateDirectories: true)
        let server = try RunningServer(in: ws.root, ["--store", url], environment: ["XDG_CONFIG_HOME": serverHome.path, "SSH_AUTH_SOCK": ""])
        defer { _ = server.stop(SIGKILL) }
        #expect(try Self.status(ws, server).status == 0)
        try Self.ok(ServerAPITests.remote(ws, server, ["comment", "demo", "through the server"], as: "ana"))
        try database.ok(["comment", "demo", "by a command on the database"], as: "ana")
        try Self.ok(ServerAPITests.remote(ws, server, ["comment", "demo", "through the server again"], as: "ana"))
        let texts = try database.events("demo").compactMap { ($0["data"] as? [String: Any])?["text"] as? String }
        #expect(Array(texts.suffix(3)) == ["through the server", "by a command on the database", "through the server again"], "\(texts)")
        try database.ok(["verify", "demo"])

        // A line rewritten in place (the checkpoint and the stored leaf left as they were).
        #expect(try Self.status(ws, server).status == 0)
        try TestDatabase.sql(url, "UPDATE events SET line = convert_to(replace(convert_from(line, 'UTF8'), 'through the server again', 'Through the server again'), 'UTF8') WHERE assessment = 'demo'")
        let damaged = try ServerAPITests.remote(ws, server, ["status", "demo"], as: "ana")
        #expect(damaged.status == 3, "\(damaged.stdout)\(damaged.stderr)")
        #expect(try ServerAPITests.remote(ws, server, ["comment", "demo", "on a damaged log"], as: "ana").status == 3)
        // Put back, the log verifies and the server stands on it again; then the last row deleted.
        try TestDatabase.sql(url, "UPDATE events SET line = convert_to(replace(convert_from(line, 'UTF8'), 'Through the server again', 'through the server again'), 'UTF8') WHERE assessment = 'demo'")
        #expect(try Self.status(ws, server).status == 0)
        // The last row deleted (with the checkpoint it held): what is left is a shorter log with its own checkpoint,
        // which verify accepts without an older checkpoint to compare; the server stands on it as a command does,
        // not on the longer standing it kept.
        #expect(try ServerAPITests.remote(ws, server, ["log", "demo"], as: "ana").stdout.contains("through the server again"))
        try TestDatabase.sql(url, "DELETE FROM events WHERE assessment = 'demo' AND seq = (SELECT max(seq) FROM events WHERE assessment = 'demo')")
        let shorter = try ServerAPITests.remote(ws, server, ["log", "demo"], as: "ana")
        let local = try database.run(["log", "demo"], as: "ana")
        #expect(shorter.status == 0 && local.status == 0 && shorter.stdout == local.stdout, "\(shorter.stdout)\(shorter.stderr)\(local.stderr)")
        #expect(!shorter.stdout.contains("through the server again"))
    }
}

/// `hria verify` through a server: the bundle downloaded and checked on the reader's machine, the server believed in nothing.
@Suite("hria serve: verifying through it")
struct ServerVerifyTests {
    @Test("hria verify ID --key KEY with HRIA_SERVER: verified here; no --key refused; a lying server's bundle or archive is damage, exit 3")
    func verifyThroughServer() throws {
        let (ws, server) = try ServerAPITests.serving("hria-serve-verify")
        defer { _ = server.stop(SIGKILL); ws.cleanUp() }
        let key = try ws.logKey
        let through = ["HRIA_SERVER": server.base]
        let verified = try ws.run(["verify", "demo", "--key", key], in: ws.parent, environment: through)
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        // The same log as verified on the workspace: same size, same root (the bundle carries no confidential value).
        let local = try ws.run(["verify", "demo"])
        #expect(verified.stdout.split(separator: "\n").first == local.stdout.split(separator: "\n").first,
                "through the server:\n\(verified.stdout)\nlocally:\n\(local.stdout)")
        let keyless = try ws.run(["verify", "demo"], in: ws.parent, environment: through)
        #expect(keyless.status == 2 && keyless.stderr.contains("give the log's verifier key with --key"), "\(keyless.stderr)")
        let unknown = try ws.run(["verify", "nosuch", "--key", key], in: ws.parent, environment: through)
        #expect(unknown.status == 2 && unknown.stderr.contains("nosuch"), "\(unknown.stderr)")

        // A server that lies: Python's http.server hands out what this test puts in its folder.
        let python = try #require(HRIA.which("python3"))
        let genuine = try server.get("/public/demo/bundle")
        try #require(genuine.status == 200)
        let site = ws.parent.appendingPathComponent("liar")
        let served = site.appendingPathComponent("public/demo")
        try FileManager.default.createDirectory(at: served, withIntermediateDirectories: true)
        let original = ws.parent.appendingPathComponent("genuine.tar")
        try genuine.body.write(to: original)
        let forge = ws.parent.appendingPathComponent("forge.py")
        // Each way of lying, written as an archive by Python's tarfile: an event edited, a path out of the folder, a link.
        try #"""
        import io, sys, tarfile
        source, target, how = sys.argv[1], sys.argv[2], sys.argv[3]
        with tarfile.open(source) as src, tarfile.open(target, "w", format=tarfile.USTAR_FORMAT) as out:
            for member in src.getmembers():
                data = src.extractfile(member).read() if member.isfile() else None
                if how == "edit" and member.name.endswith("demo/log.jsonl"):
                    data = data.replace(b"Demo Partner", b"Other Partner", 1) if b"Demo Partner" in data else data.replace(b"\"ana\"", b"\"amina\"", 1)
                    member.size = len(data)
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
        for (how, says) in [("edit", "demo"), ("escape", "is not a path inside the bundle"), ("link", "is not a file or a folder")] {
            let made = try HRIA.run([forge.path, original.path, served.appendingPathComponent("bundle").path, how], program: URL(fileURLWithPath: python))
            try #require(made.status == 0, "\(made.stderr)")
            var result = try ws.run(["verify", "demo", "--key", key], in: ws.parent, environment: lying)
            for _ in 0 ..< 50 where result.stderr.contains("could not reach the server") {
                Thread.sleep(forTimeInterval: 0.1)
                result = try ws.run(["verify", "demo", "--key", key], in: ws.parent, environment: lying)
            }
            #expect(result.status == 3, "\(how): \(result.status) \(result.stdout)\(result.stderr)")
            #expect((result.stdout + result.stderr).contains(says), "\(how): \(result.stdout)\(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: FileManager.default.temporaryDirectory.appendingPathComponent("escaped").path))
        // The genuine bundle from the same liar, checked with another workspace's key: not this organisation's log.
        try FileManager.default.copyItem(at: original, to: served.appendingPathComponent("genuine"))
        // The genuine bundle, checked with another organisation's key (a workspace made here, with its own origin and key).
        let elsewhere = ws.parent.appendingPathComponent("elsewhere")
        let made = try ws.run(["init", elsewhere.path, "--admin", "boss", "--name", "Boss", "--key", try ws.makeKey("boss"), "--origin", ws.run(["checkpoint", "demo"]).stdout.split(separator: "\n").first.map(String.init) ?? "x"])
        try #require(made.status == 0, "\(made.stderr)")
        let other = TestWorkspace(parent: ws.parent, root: elsewhere, assessmentID: nil, removable: false)
        #expect(try other.logKey != key)
        let foreign = try ws.run(["verify", "demo", "--key", try other.logKey], in: ws.parent, environment: ["HRIA_SERVER": server.base])
        #expect(foreign.status == 3, "\(foreign.status) \(foreign.stdout)\(foreign.stderr)")
    }
}

/// TLS of the server's own (`--tls-certificate`, `--tls-key`), for deployments without a proxy.
@Suite("hria serve: TLS of its own")
struct ServerTLSTests {
    @Test("HTTPS with a certificate and key: the command line acts through it trusting HRIA_CA_FILE, refuses an untrusted certificate; wrong files are exit 2")
    func ownTLS() throws {
        let ws = try AuditFixture.copy("hria-serve-tls")
        defer { ws.cleanUp() }
        try ws.publishKey("ana")
        let certificate = ws.parent.appendingPathComponent("server.pem"), key = ws.parent.appendingPathComponent("server.key")
        let openssl = try #require(HRIA.which("openssl"))
        let made = try HRIA.run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                                 "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                                 "-keyout", key.path, "-out", certificate.path], program: URL(fileURLWithPath: openssl))
        try #require(made.status == 0, "\(made.stderr)")

        let server = try RunningServer(in: ws.root, ["--tls-certificate", certificate.path, "--tls-key", key.path])
        defer { _ = server.stop(SIGKILL) }
        #expect(server.base.hasPrefix("https://127.0.0.1:"), "\(server.base)")
        let trusted = ["HRIA_SERVER": server.base, "HRIA_CA_FILE": certificate.path]
        let before = try ws.events("demo").count
        let comment = try ws.run(["comment", "demo", "over TLS"], as: "ana", in: ws.parent, environment: trusted)
        #expect(comment.status == 0, "\(comment.stderr)")
        #expect(try ws.events("demo").count == before + 1)
        let status = try ws.run(["status", "demo"], as: "ana", in: ws.parent, environment: trusted)
        let localStatus = try ws.run(["status", "demo"], as: "ana")
        #expect(status.status == 0 && status.stdout == localStatus.stdout, "\(status.stderr)")
        // Without the certificate trusted, nothing is sent: the handshake fails and the command says so at once, naming
        // the way to trust it, rather than trying the same handshake again until its minute is up.
        let asked = Date()
        let untrusted = try ws.run(["comment", "demo", "not trusted"], as: "ana", in: ws.parent, environment: ["HRIA_SERVER": server.base])
        #expect(untrusted.status == 70 && untrusted.stderr.contains("could not reach the server") && untrusted.stderr.contains("TLS handshake failed")
                && untrusted.stderr.contains("HRIA_CA_FILE"), "\(untrusted.status) \(untrusted.stderr)")
        #expect(Date().timeIntervalSince(asked) < 30, "the refused certificate was tried again until the deadline")
        #expect(try ws.events("demo").count == before + 1)
        let missing = try ws.run(["status", "demo"], as: "ana", in: ws.parent,
                                 environment: ["HRIA_SERVER": server.base, "HRIA_CA_FILE": ws.parent.appendingPathComponent("nope.pem").path])
        #expect(missing.status == 2 && missing.stderr.contains("HRIA_CA_FILE"), "\(missing.stderr)")

        // Wrong TLS settings stop the server before it listens.
        let half = try ws.run(["serve", "--listen", "127.0.0.1:0", "--tls-certificate", certificate.path])
        #expect(half.status == 2 && half.stderr.contains("needs both a certificate chain and its private key"), "\(half.stderr)")
        let swapped = try ws.run(["serve", "--listen", "127.0.0.1:0", "--tls-certificate", key.path, "--tls-key", certificate.path])
        #expect(swapped.status == 2 && swapped.stderr.contains("TLS"), "\(swapped.stderr)")
        let otherKey = ws.parent.appendingPathComponent("other.key")
        _ = try HRIA.run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", otherKey.path],
                         program: URL(fileURLWithPath: openssl))
        let mismatched = try ws.run(["serve", "--listen", "127.0.0.1:0", "--tls-certificate", certificate.path, "--tls-key", otherKey.path])
        #expect(mismatched.status == 2 && mismatched.stderr.contains("do not go together"), "\(mismatched.stderr)")
    }
}

@Suite("hria serve: replay across a restart")
struct ServerRestartReplayTests {
    @Test("a signed request captured before a restart is refused by the new process (its nonce is forgotten, its signature too old for it)")
    func replayAfterRestart() throws {
        let (ws, first) = try ServerAPITests.serving("hria-serve-replay")
        defer { ws.cleanUp() }
        let ana = try ServerAPITests.key(ws, "ana")
        let captured = try ServerAPITests.headers("GET", "/api/v1/assessments", as: "ana", key: ana)
        #expect(try ServerAPITests.send(first, "GET", "/api/v1/assessments", headers: captured).status == 200)
        #expect(try ServerAPITests.send(first, "GET", "/api/v1/assessments", headers: captured).status == 401)
        let port = first.port
        _ = first.stop(SIGKILL)
        // Into the next second, so that the new process starts after the capture was signed.
        Thread.sleep(forTimeInterval: 1.1)
        let second = try RunningServer(in: ws.root, listen: "127.0.0.1:\(port)",
                                       environment: ["XDG_CONFIG_HOME": ws.parent.appendingPathComponent("server-home").path, "SSH_AUTH_SOCK": ""])
        defer { _ = second.stop(SIGKILL) }
        let replayed = try ServerAPITests.send(second, "GET", "/api/v1/assessments", headers: captured)
        #expect(replayed.status == 401 && replayed.text.contains("signed before the server (re)started"), "\(replayed.status) \(replayed.text)")
        // A request signed now is served as ever.
        #expect(try ServerAPITests.signed(second, "GET", "/api/v1/assessments", as: "ana", key: ana).status == 200)
    }
}

/// Evidence uploads wait in temporary files named by the server's process; a server killed outright cannot remove
/// its own, so the next one to start does, and never those of a server still running.
@Suite("hria serve: upload files of a killed server")
struct ServerAbandonedUploadTests {
    @Test("at start, upload files of servers no longer running are removed; those of a running process and other files stay")
    func removedAtStart() throws {
        let ws = try AuditFixture.copy("hria-serve-abandoned")
        defer { ws.cleanUp() }
        let temporary = ws.parent.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        // A process that has ended: its id names no process now.
        let ended = try ChildProcess(executable: URL(fileURLWithPath: "/bin/sh"), arguments: ["-c", "exit 0"])
        _ = ended.wait()
        let abandoned = temporary.appendingPathComponent("hria-upload-\(ended.pid)-1f-2e")
        let running = temporary.appendingPathComponent("hria-upload-\(getpid())-3d-4c")
        let other = temporary.appendingPathComponent("hria-upload-notes.txt")
        for file in [abandoned, running, other] { try Data("evidence".utf8).write(to: file) }

        let server = try RunningServer(in: ws.root, environment: ["TMPDIR": temporary.path])
        defer { _ = server.stop(SIGKILL) }
        #expect(!FileManager.default.fileExists(atPath: abandoned.path), "the killed server's upload is still there")
        #expect(FileManager.default.fileExists(atPath: running.path), "a running process's upload was removed")
        #expect(FileManager.default.fileExists(atPath: other.path))
    }
}
