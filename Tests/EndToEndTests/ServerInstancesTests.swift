import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HRIAKit
import HRIAServer
import Testing

/// Several `hria serve` on one PostgreSQL database and one workspace folder, with no sticky routing
/// (docs/SERVER.md, "Several instances on one database"): drafts, answers to commits and nonces are the database's,
/// so any instance answers any request as the one before it would have.
@Suite("hria serve: several instances on one database")
struct ServerInstancesTests {
    @Test("two servers on one database: prepare on A and commit on B, a retry on B gets A's answer, a replay to B is refused, an upload through A is committed through B, and the draft bounds hold across both",
          .enabled(if: TestDatabase.available, "PostgreSQL's server is not installed here (CI installs it)"))
    func twoInstances() throws {
        let url = try TestDatabase.fresh("instances")
        var ws = try AuditFixture.copy("hria-instances")
        defer { ws.cleanUp() }
        try ws.publishKey("ana")
        try ws.publishKey("amina")
        try ws.ok(["store", "copy", "--to", url])
        ws.store = url
        let temporary = ws.parent.appendingPathComponent("server-tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        let environment = ["TMPDIR": temporary.path, "SSH_AUTH_SOCK": ""]
        let a = try RunningServer(in: ws.root, ["--store", url], environment: environment)
        defer { _ = a.stop(SIGKILL) }
        // Signed before B starts: B's own start is not what counts, the database's is (nothing of its nonces was lost).
        let ana = try ServerAPITests.key(ws, "ana")
        let early = try ServerAPITests.headers("GET", "/api/v1/assessments/demo", as: "ana", key: ana)
        let signedAt = Int(Date().timeIntervalSince1970)
        while Int(Date().timeIntervalSince1970) == signedAt { Thread.sleep(forTimeInterval: 0.05) }
        let b = try RunningServer(in: ws.root, ["--store", url], environment: environment)
        defer { _ = b.stop(SIGKILL) }
        let status = try ServerAPITests.send(b, "GET", "/api/v1/assessments/demo", headers: early)
        #expect(status.status == 200, "\(status.text)")
        let before = try ws.events("demo").count

        // Prepared on A, committed on B: recorded once.
        let body = try ServerAPITests.signedComment(a, ws, "demo", text: "prepared on A, committed on B", as: "ana", key: ana)
        let commit = try ServerAPITests.signed(b, "POST", "/api/v1/assessments/demo/commit", body: body, as: "ana", key: ana, idempotency: "first")
        #expect(commit.status == 201, "\(commit.text)")
        #expect(try ws.events("demo").count == before + 1)

        // The same commit again on A with the same key, signed anew: the first answer, and nothing recorded twice.
        let retried = try ServerAPITests.signed(a, "POST", "/api/v1/assessments/demo/commit", body: body, as: "ana", key: ana, idempotency: "first")
        #expect(retried.status == 201 && retried.body == commit.body, "\(retried.status) \(retried.text)")

        // Committed on A with a key, retried on B with it: A's answer from B.
        let secondBody = try ServerAPITests.signedComment(b, ws, "demo", text: "committed on A, retried on B", as: "ana", key: ana)
        let onA = try ServerAPITests.signed(a, "POST", "/api/v1/assessments/demo/commit", body: secondBody, as: "ana", key: ana, idempotency: "second")
        #expect(onA.status == 201, "\(onA.text)")
        let onB = try ServerAPITests.signed(b, "POST", "/api/v1/assessments/demo/commit", body: secondBody, as: "ana", key: ana, idempotency: "second")
        #expect(onB.status == 201 && onB.body == onA.body, "\(onB.status) \(onB.text)")
        #expect(try ws.events("demo").count == before + 2)

        // A request captured on its way to A and sent again to B: refused, nothing recorded.
        let thirdBody = try ServerAPITests.signedComment(a, ws, "demo", text: "replayed to B", as: "ana", key: ana)
        var captured = try ServerAPITests.headers("POST", "/api/v1/assessments/demo/commit", body: thirdBody, as: "ana", key: ana)
        captured["Idempotency-Key"] = "third"
        #expect(try ServerAPITests.send(a, "POST", "/api/v1/assessments/demo/commit", headers: captured, body: thirdBody).status == 201)
        let replayed = try ServerAPITests.send(b, "POST", "/api/v1/assessments/demo/commit", headers: captured, body: thirdBody)
        #expect(replayed.status == 401 && replayed.json["title"] as? String == "Replayed request", "\(replayed.status) \(replayed.text)")
        #expect(try ws.events("demo").count == before + 3)

        // An evidence file uploaded through A and committed through B: the bytes went with the draft, not A's disk.
        let file: [UInt8] = (0 ..< 200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let upload = try ServerWriteTests.upload(ServerWriteTests.command(file), file: file, as: "ana", key: ana)
        let uploaded = try a.request("POST", upload.path, body: Data(upload.body), headers: upload.headers)
        try #require(uploaded.status == 200, "\(uploaded.text)")
        #expect(ServerWriteTests.leftovers(temporary).isEmpty, "the file waits in the database, not on A's disk")
        let evidence = try ServiceWire.Prepared(try JSONParser.parse(Array(uploaded.body)))
        let evidenceBody = try ServerAPITests.commitBody(evidence, try ServerAPITests.sign(evidence, with: ws, as: "ana"))
        let kept = try ServerAPITests.signed(b, "POST", "/api/v1/assessments/demo/commit", body: evidenceBody, as: "ana", key: ana, idempotency: "file")
        #expect(kept.status == 201, "\(kept.text)")
        let sha256 = HRIAKit.Digest.sha256Hex(file)
        #expect(try TestDatabase.sql(url, "SELECT octet_length(bytes) FROM evidence WHERE assessment = 'demo' AND sha256 = '\(sha256)'") == "\(file.count)")
        #expect(try ws.events("demo").count == before + 4)

        // Drafts are bounded per person across the instances (16 MiB). As if ana had left 13 MiB of drafts on either
        // instance (a row that counts that much, rather than thirteen prepares of a megabyte), a comment of a
        // megabyte (a draft of two: its line and the line to sign) still fits on A, and one more on B is busy.
        let filler = (16 << 20) - 3_000_000
        try TestDatabase.sql(url, "INSERT INTO server_drafts (id, scope, actor, expires, bytes, file_bytes, draft) "
                                 + "VALUES ('left-by-ana', 'demo', 'ana', now() + interval '1 minute', \(filler), 0, '\\x00')")
        let long = #"{"command":"comment","text":""# + String(repeating: "x", count: 1_000_000) + #""}"#
        let fits = try ServerAPITests.signed(a, "POST", "/api/v1/assessments/demo/prepare", body: long, as: "ana", key: ana)
        #expect(fits.status == 200, "\(fits.text)")
        let busy = try ServerAPITests.signed(b, "POST", "/api/v1/assessments/demo/prepare", body: long, as: "ana", key: ana)
        #expect(busy.status == 503 && busy.json["type"] as? String == "urn:hria:problem:busy" && busy.header("Retry-After") != nil,
                "\(busy.status) \(busy.text)")
        let amina = try ServerAPITests.key(ws, "amina")
        _ = try ServerAPITests.prepare(b, "demo", text: "another person's draft", as: "amina", key: amina)
        let held = try TestDatabase.sql(url, "SELECT actor || ' ' || count(*) FROM server_drafts GROUP BY actor ORDER BY actor")
        #expect(held == "amina 1\nana 2", "\(held)")

        // Once, in the right order, each signed by ana; and the record verifies.
        let recorded = try ws.events("demo").dropFirst(before)
        #expect(recorded.count == 4 && recorded.allSatisfy { $0["actor"] as? String == "ana" && $0["sig"] is String })
        let comments = try ws.events("demo").compactMap { ($0["data"] as? [String: Any])?["text"] as? String }
        for text in ["prepared on A, committed on B", "committed on A, retried on B", "replayed to B"] {
            #expect(comments.filter { $0 == text }.count == 1, "\(text)")
        }
        try ws.expectVerifiesOnDatabase("demo")
    }
}

extension ServerInstancesTests {
    @Test("a database at schema version 2 is brought to version 3, whose tables the servers share",
          .enabled(if: TestDatabase.available, "PostgreSQL's server is not installed here (CI installs it)"))
    func migrationThree() throws {
        let url = try TestDatabase.fresh("schema3")
        let ws = try TestWorkspace.initialised("pg-schema3")
        defer { ws.cleanUp() }
        #expect(try ws.run(["store", "migrate"], environment: ["HRIA_STORE": url]).status == 0)
        // Back to version 2, as a database of the hria before this one is.
        try TestDatabase.sql(url, "DROP TABLE server_nonces, server_drafts, server_answers; DROP FUNCTION server_keep_draft; "
                                 + "DELETE FROM hria_schema WHERE version = 3")
        let migrated = try ws.run(["store", "migrate"], environment: ["HRIA_STORE": url])
        #expect(migrated.status == 0 && migrated.stdout.contains("is now at schema version 3 (was 2)"), "\(migrated.stdout)\(migrated.stderr)")
        #expect(try TestDatabase.sql(url, "SELECT string_agg(relname || ' ' || relpersistence::text, ',' ORDER BY relname) FROM pg_class "
                                     + "WHERE relname IN ('server_answers', 'server_drafts', 'server_nonces')")
                == "server_answers u,server_drafts u,server_nonces u", "what the servers share is unlogged")
        #expect(try TestDatabase.sql(url, "SELECT count(*) FROM server_drafts") == "0")
    }
}
