import Foundation
import Testing

/// The PostgreSQL store (issue 16, docs/STORE.md), driven through the built `hria` against a real cluster: the same
/// commands give the same output and the same bytes as files, copies go both ways byte for byte, and what is edited
/// behind hria's back in SQL is named by `verify` and refused by writes.
@Suite("The PostgreSQL store", .enabled(if: TestDatabase.available, "PostgreSQL's server is not installed here (CI installs it)"))
struct PostgresStoreTests {
    /// A files workspace, and a copy of it (same log key, same people's keys) whose assessments go to a new database.
    static func twins(_ name: String) throws -> (files: TestWorkspace, database: TestWorkspace, url: String) {
        let files = try TestWorkspace.initialised(name)
        let parent = try HRIA.temporaryDirectory(name + "-db")
        // The workspace and everything beside it (the people's keys): `cp -a` into the existing folder, item by item.
        for item in try FileManager.default.contentsOfDirectory(atPath: files.parent.path) {
            try Files.copyTree(files.parent.appendingPathComponent(item), to: parent.appendingPathComponent(item))
        }
        let url = try TestDatabase.fresh(name)
        let database = TestWorkspace(parent: parent, root: parent.appendingPathComponent("ws"), assessmentID: nil, store: url)
        return (files, database, url)
    }

    @Test("the same commands give the same output and the same log bytes on files and on PostgreSQL, and copies go both ways byte for byte")
    func sameOnBothStores() throws {
        let (files, database, _) = try Self.twins("pg-same")
        defer { files.cleanUp(); database.cleanUp() }
        let id = "kestrel"
        for ws in [files, database] {
            let journey = DigitalJourney(ws: ws, id: id)
            try journey.intake()
            try journey.screening()
            try ws.ok(["comment", id, "the record is the same wherever it is kept"], as: "amina", at: "2026-03-06T09:00:00Z")
        }
        for command in [["status", id], ["log", id], ["log", id, "--json"], ["list"], ["verify", id], ["verify", id, "--json"],
                        ["report", id, "--format", "md"], ["report", id, "--format", "html"], ["checkpoint", id], ["prove", id, "3"]] {
            let onFiles = try files.run(command), onDatabase = try database.run(command)
            #expect(onFiles.status == 0 && onDatabase.status == 0, "hria \(command): \(onFiles.stderr) \(onDatabase.stderr)")
            #expect(onFiles.stdout == onDatabase.stdout, "hria \(command.joined(separator: " ")) differs between the stores")
        }
        // Out of the database into a folder: the log, every checkpoint and every evidence file, byte for byte.
        let out = try database.outside("copied")
        let copied = try database.ok(["store", "copy", "--to", out.path])
        #expect(copied.stdout.contains("copied \(id):") && copied.stdout.contains("verified in files"), "\(copied.stdout)")
        for relative in ["log.jsonl", "checkpoint", "workflow.yaml"] + files.files(in: files.assessment(id).appendingPathComponent("checkpoints"), prefix: "checkpoints/")
            + files.files(in: files.assessment(id).appendingPathComponent("evidence/sha256"), prefix: "evidence/sha256/") {
            let original = try files.bytes(files.assessment(id).appendingPathComponent(relative))
            let copy = try files.bytes(out.appendingPathComponent("assessments/\(id)/\(relative)"))
            #expect(original == copy, "\(relative) differs after copying out of the database")
        }
        // Run again, it leaves the copy alone.
        let again = try database.ok(["store", "copy", "--to", out.path])
        #expect(again.stdout.contains("already in files"), "\(again.stdout)")
        // From files into another database: it verifies there and reads the same.
        let second = try TestDatabase.fresh("pg-same-back")
        let back = try files.ok(["store", "copy", "--to", second])
        #expect(back.stdout.contains("copied \(id):"), "\(back.stdout)")
        let there = try files.run(["log", id], environment: ["HRIA_STORE": second])
        let here = try files.run(["log", id])
        #expect(there.status == 0 && there.stdout == here.stdout, "\(there.stderr)")
        let verified = try files.run(["verify", id], environment: ["HRIA_STORE": second])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
    }

    @Test("confidential values, evidence files, erasure, export and a move to another workflow version work on PostgreSQL")
    func everyKindOfRecord() throws {
        let ws = try AuditFixture.initialised("pg-kinds")
        defer { ws.cleanUp() }
        var db = ws
        db.store = try TestDatabase.fresh("pg_kinds")
        let id = AuditFixture.id
        try AuditFixture.build(db)
        let disclosures = try db.ok(["disclosures", id]).stdout
        #expect(disclosures.components(separatedBy: "kept").count == 3, "\(disclosures)")
        let digest = try #require(disclosures.split(separator: "\n").first { $0.contains("kept") }?.split(separator: " ").last.map(String.init))
        let stored = try TestDatabase.sql(try #require(db.store), "SELECT count(*) FROM disclosures")
        #expect(stored == "2")
        try db.expectVerifiesOnDatabase(id)
        let erased = try db.ok(["erase", id, digest, "--reason", "asked to be forgotten"], as: "ana", at: "2026-03-02T11:00:00Z")
        let after = try db.ok(["disclosures", id]).stdout
        #expect(after.components(separatedBy: "kept").count == 2 && after.contains("erased by #"), "\(erased.stdout)\n\(after)")
        #expect(try TestDatabase.sql(try #require(db.store), "SELECT count(*) FROM disclosures") == "1")
        let v2 = try db.file("demo-v2.yaml", AuditFixture.workflow.replacingOccurrences(of: "version: 1", with: "version: 2"))
        let moved = try db.ok(["migrate", id, "--to", v2, "--reason", "the office's new version"], as: "admin", at: "2026-03-02T12:00:00Z")
        #expect(moved.stdout.contains("moved from demo version 1 to version 2"), "\(moved.stdout)")
        let bundle = try db.outside("bundle")
        try db.ok(["export", id, "--public", bundle.path])
        let exported = try ws.bytes(bundle.appendingPathComponent("log.jsonl"))
        let lines = try TestDatabase.sql(try #require(db.store),
                                         "SELECT string_agg(convert_from(line, 'UTF8'), E'\\n' ORDER BY seq) FROM events WHERE assessment = '\(id)'")
        #expect(String(decoding: exported, as: UTF8.self) == lines + "\n")
        try db.ok(["verify", "--bundle", bundle.path])
        try db.expectVerifiesOnDatabase(id)
    }

    @Test("an event, a checkpoint, an evidence file or a leaf edited in SQL is named by verify (exit 3) and refused by writes")
    func tamperingInSQL() throws {
        let ws = try AuditFixture.initialised("pg-tamper")
        defer { ws.cleanUp() }
        var db = ws
        let url = try TestDatabase.fresh("pg_tamper")
        db.store = url
        let id = AuditFixture.id
        try AuditFixture.build(db)
        try db.expectVerifiesOnDatabase(id)
        let event = "assessment = '\(id)' AND seq ="
        let cases: [(what: String, damage: String, repair: String, expected: String)] = [
            ("an event's bytes", "UPDATE events SET line = convert_to(replace(convert_from(line, 'UTF8'), 'note 2', 'note X'), 'UTF8') WHERE \(event) 4",
             "UPDATE events SET line = convert_to(replace(convert_from(line, 'UTF8'), 'note X', 'note 2'), 'UTF8') WHERE \(event) 4",
             "event 4"),
            ("a checkpoint", "UPDATE events SET checkpoint = overlay(checkpoint placing '\\x00'::bytea from 40) WHERE \(event) 2",
             "", "checkpoint"),
            ("an evidence file", "UPDATE evidence SET bytes = convert_to('Another brief.', 'UTF8') WHERE assessment = '\(id)'",
             "UPDATE evidence SET bytes = convert_to(E'The partnership brief.\\n', 'UTF8') WHERE assessment = '\(id)'",
             "evidence file of event 1"),
            ("a leaf hash", "UPDATE events SET leaf = sha256('x') WHERE \(event) 5",
             "UPDATE events SET leaf = sha256('\\x00'::bytea || line) WHERE \(event) 5", "event 5"),
            ("a deleted event", "DELETE FROM events WHERE \(event) 2", "", "event 2"),
        ]
        for (index, c) in cases.enumerated() {
            // Each case on its own copy of the database, so one's damage does not hide the next.
            let copy = try TestDatabase.copy(of: url, as: "pg_tamper_\(index)")
            var damaged = db
            damaged.store = copy
            try TestDatabase.sql(copy, c.damage)
            let verify = try damaged.run(["verify", id])
            #expect(verify.status == 3, "\(c.what): \(verify.stdout)\(verify.stderr)")
            #expect(verify.stdout.contains(c.expected), "\(c.what): \(verify.stdout)")
            let write = try damaged.run(["comment", id, "on top of damage"], as: "ana", at: "2026-03-03T09:00:00Z")
            #expect(write.status == 3 && write.stderr.contains("does not verify"), "\(c.what): \(write.stderr)")
            // What to restore is said in the database's words: there is no folder to restore files into.
            #expect(write.stderr.contains("restore the damaged rows of assessment \(id) in postgresql://") && !write.stderr.contains("assessments/"),
                    "\(c.what): \(write.stderr)")
            if !c.repair.isEmpty {
                try TestDatabase.sql(copy, c.repair)
                let repaired = try damaged.run(["verify", id])
                #expect(repaired.status == 0, "\(c.what) repaired: \(repaired.stdout)")
            }
        }
    }

    @Test("8 processes × 200 appends to one assessment, and to 8 assessments: contiguous, chained, verified")
    func concurrentWriters() throws {
        let ws = try TestWorkspace.initialised("pg-writers")
        defer { ws.cleanUp() }
        var db = ws
        db.store = try TestDatabase.fresh("pg_writers")
        let ids = (0..<8).map { "w\($0)" }
        for id in ["shared"] + ids {
            try db.ok(["new", id, "--workflow", "partnership-hria", "--partner", "Partner \(id)"], as: "ana", at: "2026-03-02T09:00:00Z")
        }
        let writers = db
        for spread in [false, true] {
            let failures = Failures()
            // Each writer one process making 200 durable appends through the library, as `hria comment` makes each
            // (the whole command's start is covered elsewhere; 3,200 debug processes would be most of CI's time).
            DispatchQueue.concurrentPerform(iterations: 8) { writer in
                let id = spread ? ids[writer] : "shared"
                do {
                    let outcome = try AuditBench.append(workspace: writers.root, id: id, count: 200, text: "writer \(writer) note",
                                                        environment: ["HRIA_STORE": writers.store ?? "",
                                                                      "XDG_CONFIG_HOME": writers.parent.appendingPathComponent("config").path])
                    if outcome.status != 0 || outcome.acknowledged.count != 200 {
                        failures.add("writer \(writer): exit \(outcome.status), \(outcome.acknowledged.count) acknowledged: \(outcome.stderr)")
                    }
                } catch {
                    failures.add("\(error)")
                }
            }
            #expect(failures.all.isEmpty, "\(failures.all.prefix(3))")
        }
        for id in ["shared"] + ids {
            let events = try db.events(id)
            #expect(events.count == (id == "shared" ? 1 + 1600 : 1 + 200))
            #expect(events.enumerated().allSatisfy { $0.element["seq"] as? Int == $0.offset })
            try db.expectVerifiesOnDatabase(id)
        }
        // Every writer's every note is there once.
        let notes = Set(try db.events("shared").compactMap { ($0["data"] as? [String: Any])?["text"] as? String })
        #expect(notes.count == 1600)
    }

    @Test("a writer queued for an assessment's append lock is not overtaken: a fresh write waits behind it, or exits 4 at the timeout")
    func queuedWriterNotOvertaken() throws {
        let ws = try TestWorkspace.initialised("pg-queue")
        defer { ws.cleanUp() }
        var db = ws
        let url = try TestDatabase.fresh("pg_queue")
        db.store = url
        try db.ok(["new", "shared", "--workflow", "partnership-hria", "--partner", "Partner"], as: "ana", at: "2026-03-02T09:00:00Z")
        // A session in psql stands for a writer that lost a race and holds the assessment's append lock while it tries
        // again: a command that has not lost yet must not write past it.
        let key = "hashtextextended('hria-append:shared', 0)"
        func holdLock(seconds: Int, released: Failures) throws -> DispatchGroup {
            let holder = DispatchGroup()
            DispatchQueue.global().async(group: holder) {
                do {
                    try TestDatabase.sql(url, "SELECT pg_advisory_lock(\(key)); SELECT pg_sleep(\(seconds))")
                } catch {
                    released.add("the holder failed: \(error)")
                }
                released.add("released at \(Date().timeIntervalSinceReferenceDate)")
            }
            var held = false
            for _ in 0..<200 where !held {
                held = try TestDatabase.sql(url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                                            + "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())") == "1"
                if !held { Thread.sleep(forTimeInterval: 0.05) }
            }
            #expect(held, "the lock holder never took the lock")
            return holder
        }
        // Held long enough that even a slow machine starts the command well before the holder lets go.
        let released = Failures()
        _ = try holdLock(seconds: 5, released: released)
        try db.ok(["comment", "shared", "after the queued writer"], as: "ana", at: "2026-03-02T09:01:00Z")
        let finished = Date().timeIntervalSinceReferenceDate
        let releasedAt = released.all.compactMap { $0.hasPrefix("released at ") ? Double($0.dropFirst(12)) : nil }.first
        #expect(released.all.count == 1 && releasedAt != nil, "\(released.all)")
        #expect(finished >= (releasedAt ?? .infinity), "the command wrote while another writer held the append lock")
        #expect(try db.events("shared").count == 2)

        // With the lock held past lock_timeout_seconds, the command gives up with exit 4 and writes nothing.
        try db.editConfiguration { $0.replacingOccurrences(of: "lock_timeout_seconds: 10", with: "lock_timeout_seconds: 1") }
        let second = Failures()
        let holder = try holdLock(seconds: 8, released: second)
        let started = Date()
        let busy = try db.run(["comment", "shared", "while queued behind"], as: "ana", at: "2026-03-02T09:02:00Z")
        let waited = Date().timeIntervalSince(started)
        #expect(busy.status == 4, "exit \(busy.status): \(busy.stdout)\(busy.stderr)")
        #expect(busy.stderr.contains("other hria commands kept writing to shared"), "\(busy.stderr)")
        #expect(waited >= 0.9 && waited < 7.5, "waited \(waited) s for a 1 s timeout")
        #expect(try db.events("shared").count == 2)
        try db.expectVerifiesOnDatabase("shared")
        _ = holder.wait(timeout: .now() + 30)
    }

    @Test("hria killed with -9 mid-append, 100 times: nothing partial, every acknowledged event present")
    func killedMidAppend() throws {
        let ws = try TestWorkspace.initialised("pg-kill")
        defer { ws.cleanUp() }
        var db = ws
        db.store = try TestDatabase.fresh("pg_kill")
        let id = "acme"
        try db.ok(["new", id, "--workflow", "partnership-hria", "--partner", "Acme Corp"], as: "ana", at: "2026-03-02T09:00:00Z")
        var acknowledged: [String] = []
        var generator = SystemRandomNumberGenerator()
        for n in 0..<100 {
            let text = "kill round \(n)"
            let process = Process()
            process.executableURL = HRIA.executable
            process.arguments = ["comment", id, text, "--as", "ana"]
            process.currentDirectoryURL = db.root
            var environment = ProcessInfo.processInfo.environment
            environment["HRIA_STORE"] = db.store
            environment["XDG_CONFIG_HOME"] = db.parent.appendingPathComponent("config").path
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: 20_000...140_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if process.terminationReason == .exit, process.terminationStatus == 0 { acknowledged.append(text) }
        }
        let texts = try db.events(id).compactMap { ($0["data"] as? [String: Any])?["text"] as? String }
        for text in acknowledged { #expect(texts.contains(text), "acknowledged \"\(text)\" is missing") }
        #expect(Set(texts).count == texts.count, "an event was recorded twice")
        try db.expectVerifiesOnDatabase(id)
        try db.comment("after the kills", id: id)
    }

    @Test("PostgreSQL stopped as by a power cut during appends: commands fail with exit 70 and a clear message, nothing acknowledged is lost")
    func databaseCrash() throws {
        let cluster = try TestDatabase.startCluster().get()
        let ws = try TestWorkspace.initialised("pg-crash")
        defer { ws.cleanUp() }
        var db = ws
        db.store = try TestDatabase.fresh("pg_crash", on: cluster)
        let id = "acme"
        try db.ok(["new", id, "--workflow", "partnership-hria", "--partner", "Acme Corp"], as: "ana", at: "2026-03-02T09:00:00Z")
        var acknowledged: [String] = []
        var outage: [HRIA.Result] = []
        for n in 0..<60 {
            if n == 20 {
                // Stopped while the next appends are on their way.
                DispatchQueue.global().asyncAfter(deadline: .now() + 0.05) { try? cluster.crash() }
            }
            if n == 40 { try cluster.restart() }
            let result = try db.run(["comment", id, "stream \(n)"], as: "ana", environment: ["HRIA_NOW": ""])
            if result.status == 0 {
                acknowledged.append("stream \(n)")
            } else {
                outage.append(result)
            }
        }
        #expect(!outage.isEmpty, "no command saw the outage")
        for result in outage {
            #expect(result.status == 70, "\(result.stderr)")
            #expect(result.stderr.contains("the database postgresql://") && result.stderr.contains("nothing was recorded") || result.stderr.contains("refused")
                    || result.stderr.contains("did not answer within"),
                    "\(result.stderr)")
        }
        let texts = try db.events(id).compactMap { ($0["data"] as? [String: Any])?["text"] as? String }
        for text in acknowledged { #expect(texts.contains(text), "acknowledged \"\(text)\" is missing") }
        try db.expectVerifiesOnDatabase(id)
    }

    @Test("store: and HRIA_STORE are checked, a password never sits in hria.yaml, and an unreachable database is exit 70")
    func configuration() throws {
        let ws = try TestWorkspace.initialised("pg-config")
        defer { ws.cleanUp() }
        try ws.editConfiguration { $0 + "store: postgresql://hria:secret@127.0.0.1:5432/hria\n" }
        let password = try ws.fails(2, ["list"])
        #expect(password.stderr.contains("hria.yaml must not hold the database password") && !password.stdout.contains("secret"), "\(password.stderr)")
        try ws.editConfiguration { $0.replacingOccurrences(of: "store: postgresql://hria:secret@127.0.0.1:5432/hria\n", with: "") }
        try ws.bad(["list"], message: "HRIA_STORE: \"mysql://x\" is not a store hria knows", environment: ["HRIA_STORE": "mysql://x"])
        // A port nobody listens on.
        let closed = try ws.run(["list"], environment: ["HRIA_STORE": "postgresql://hria@127.0.0.1:9/hria?sslmode=disable"])
        #expect(closed.status == 70 && closed.stderr.contains("could not connect to the database postgresql://hria@127.0.0.1:9/hria"), "\(closed.stderr)")
        let url = try TestDatabase.fresh("pg_config")
        let migrated = try ws.run(["store", "migrate"], environment: ["HRIA_STORE": url])
        #expect(migrated.status == 0 && migrated.stdout.contains("schema version 3"), "\(migrated.stdout)\(migrated.stderr)")
        let shown = try ws.run(["store"], environment: ["HRIA_STORE": url])
        #expect(shown.stdout.contains("assessments are kept in \(url): 0 assessments"), "\(shown.stdout)")
        try ws.bad(["store", "migrate"], message: "this workspace keeps its assessments in files")
    }
}

/// Failures gathered from many threads.
final class Failures: @unchecked Sendable {
    // @unchecked: `items` is reached only under `lock`.
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ item: String) {
        lock.lock()
        items.append(item)
        lock.unlock()
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
}

extension TestWorkspace {
    /// `hria verify ID` exits 0 on this workspace's store.
    func expectVerifiesOnDatabase(_ id: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let result = try run(["verify", id])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)", sourceLocation: sourceLocation)
    }
}
