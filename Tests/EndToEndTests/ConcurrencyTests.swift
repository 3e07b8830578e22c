import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Testing

// Concurrent writers (docs/AUDIT-LOG.md, "How an append is made durable"; F7–F9 label the cases): processes appending
// to one assessment at once never fork it, never interleave bytes, and wait for the lock up to lock_timeout_seconds.

@Suite("Concurrency: one writer at a time, no fork, no interleaved bytes")
struct ConcurrencyTests {
    /// Two hria-bench processes appending `count` comments each to a new assessment at the same time.
    static func twoWriters(count: Int, lockTimeout: Int?) throws {
        let ws = try AuditFixture.copy("hria-concurrency")
        defer { ws.cleanUp() }
        if let lockTimeout {
            try ws.editConfiguration { $0.replacingOccurrences(of: "lock_timeout_seconds: 10", with: "lock_timeout_seconds: \(lockTimeout)") }
        }
        let id = "race"
        let created = try ws.run(["new", id, "--workflow", "demo", "--partner", "Race Co", "--as", "ana"])
        #expect(created.status == 0, "\(created.stderr)")

        let arguments = { (text: String) in
            ["append", "--workspace", ws.root.path, id, "--count", String(count), "--as", "ana", "--text", text]
        }
        let a = try ChildProcess(executable: AuditBench.executable, arguments: arguments("A"))
        let b = try ChildProcess(executable: AuditBench.executable, arguments: arguments("B"))
        let outA = a.wait(), outB = b.wait()
        // Exit 4 here would mean one writer was starved of the lock for lock_timeout_seconds.
        #expect(outA.status == 0 && !outA.signalled, "writer A: exit \(outA.status): \(outA.stderr)")
        #expect(outB.status == 0 && !outB.signalled, "writer B: exit \(outB.status): \(outB.stderr)")

        // Every line is one whole JSON object: no interleaved bytes.
        let lines = try ws.logLines(id)
        #expect(lines.count == 1 + 2 * count, "\(lines.count) lines")
        #expect(try ws.logBytes(id).last == 0x0A)
        let events = try ws.events(id)
        // seq 0…2N contiguous, the chain unforked.
        #expect(events.map { $0["seq"] as? Int ?? -1 } == Array(0...(2 * count)))
        let texts = events.compactMap { ($0["data"] as? [String: Any])?["text"] as? String }
        for writer in ["A", "B"] {
            let expected = (0..<count).map { "\(writer) \($0)" }
            let found = texts.filter { $0.hasPrefix("\(writer) ") }
            // Each writer's appends are in its own order, interleaved with the other's.
            #expect(found == expected, "writer \(writer): \(found.count) of \(count) texts, in order: \(found == expected)")
        }
        // What each writer acknowledged is exactly at the seq it was told.
        for outcome in [outA, outB] {
            for (seq, text) in outcome.acknowledged {
                #expect(seq < events.count && (events[seq]["data"] as? [String: Any])?["text"] as? String == text,
                        "acknowledged #\(seq) \(text) is not in the log there")
            }
        }
        try ws.expectVerifies(id)
        let checkpoint = String(decoding: try ws.bytes(ws.checkpointURL(id)), as: UTF8.self).split(separator: "\n")
        #expect(checkpoint.count > 1 && checkpoint[1] == Substring(String(lines.count)))
        print("two writers × \(count): \(ws.files(in: ws.assessment(id).appendingPathComponent("checkpoints")).count) checkpoints")
    }

    @Test("two processes × 500 appends at once: 1,001 lines, seq contiguous, every line whole, both writers' events present (F7)")
    func twoWriters() throws {
        // The workspace's default lock_timeout_seconds (10): each writer must get its turn well within it.
        try Self.twoWriters(count: 500, lockTimeout: nil)
    }

    @Test("eight processes × 150 appends to one assessment at once: none is starved of the lock, 1,201 lines, contiguous")
    func eightWriters() throws {
        let ws = try AuditFixture.copy("hria-eight")
        defer { ws.cleanUp() }
        let id = "crowd"
        let created = try ws.run(["new", id, "--workflow", "demo", "--partner", "Crowd Co", "--as", "ana"])
        #expect(created.status == 0, "\(created.stderr)")
        let outcomes = try (0..<8).map { writer in
            try ChildProcess(executable: AuditBench.executable,
                             arguments: ["append", "--workspace", ws.root.path, id, "--count", "150", "--as", "ana", "--text", "writer \(writer)"])
        }.map { $0.wait() }
        // With the workspace's default lock_timeout_seconds (10): exit 4 would mean a writer lost the lock to the
        // others for all that time.
        for (writer, outcome) in outcomes.enumerated() {
            #expect(outcome.status == 0 && !outcome.signalled && outcome.acknowledged.count == 150,
                    "writer \(writer): exit \(outcome.status), \(outcome.acknowledged.count) acknowledged: \(outcome.stderr)")
        }
        let events = try ws.events(id)
        #expect(events.map { $0["seq"] as? Int ?? -1 } == Array(0...1200))
        try ws.expectVerifies(id)
    }

    /// Holds an exclusive flock on a file from a helper process until its stdin is closed.
    final class LockHolder {
        let process = Process()
        let input = Pipe()
        let output = Pipe()

        init(path: String) throws {
            if let python = HRIA.which("python3") {
                process.executableURL = URL(fileURLWithPath: python)
                process.arguments = ["-c", """
                    import fcntl, sys
                    f = open(sys.argv[1], "a")
                    fcntl.flock(f, fcntl.LOCK_EX)
                    print("locked", flush=True)
                    sys.stdin.read()
                    """, path]
            } else if let flock = HRIA.which("flock") {
                process.executableURL = URL(fileURLWithPath: flock)
                process.arguments = ["-x", path, "sh", "-c", "echo locked; cat >/dev/null"]
            } else {
                throw HarnessError("neither python3 nor flock(1) is available to hold a lock")
            }
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            let line = output.fileHandleForReading.availableData
            guard String(decoding: line, as: UTF8.self).hasPrefix("locked") else {
                throw HarnessError("the lock helper did not take the lock")
            }
        }

        func release() {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }

        func kill9() {
            signalProcess(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    @Test("a held lock makes a write wait lock_timeout_seconds, then exit 4 with a clear message; nothing is written")
    func lockTimeout() throws {
        let ws = try AuditFixture.copy("hria-lock")
        defer { ws.cleanUp() }
        try ws.editConfiguration { $0.replacingOccurrences(of: "lock_timeout_seconds: 10", with: "lock_timeout_seconds: 1") }
        let log = try ws.logBytes(), checkpoint = try ws.bytes(ws.checkpointURL())
        let holder = try LockHolder(path: ws.assessment().appendingPathComponent("log.lock").path)
        let started = Date()
        let busy = try ws.run(["comment", AuditFixture.id, "while locked", "--as", "ana"])
        let waited = Date().timeIntervalSince(started)
        #expect(busy.status == 4, "exit \(busy.status): \(busy.stdout)\(busy.stderr)")
        #expect(busy.stderr.contains("another hria command is writing"), "\(busy.stderr)")
        #expect(waited >= 0.9 && waited < 8, "waited \(waited) s for a 1 s timeout")
        #expect(try ws.logBytes() == log)
        #expect(try ws.bytes(ws.checkpointURL()) == checkpoint)
        // Reading is not blocked by a writer's lock.
        let verify = try ws.run(["verify", AuditFixture.id])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        holder.release()
        // Once released, the write goes through.
        try ws.comment("after the lock")
        try ws.expectVerifies()
    }

    @Test("a lock holder killed with -9 frees the lock at once: no stale lock to clean up (F8)")
    func killedLockHolder() throws {
        let ws = try AuditFixture.copy("hria-lock-kill")
        defer { ws.cleanUp() }
        try ws.editConfiguration { $0.replacingOccurrences(of: "lock_timeout_seconds: 10", with: "lock_timeout_seconds: 1") }
        let holder = try LockHolder(path: ws.assessment().appendingPathComponent("log.lock").path)
        holder.kill9()
        let started = Date()
        try ws.comment("after the holder died")
        #expect(Date().timeIntervalSince(started) < 5)
        try ws.expectVerifies()
    }

    @Test("verify while a writer appends never reports false tampering (F9)")
    func verifyDuringAppends() throws {
        let ws = try AuditFixture.copy("hria-verify-race")
        defer { ws.cleanUp() }
        let writer = try ChildProcess(executable: AuditBench.executable,
                                      arguments: ["append", "--workspace", ws.root.path, AuditFixture.id, "--count", "150", "--as", "ana",
                                                  "--text", "w"])
        var checks = 0
        while writer.process.isRunning && checks < 200 {
            let verify = try ws.run(["verify", AuditFixture.id])
            #expect(verify.status == 0, "verify during an append: \(verify.stdout)\(verify.stderr)")
            checks += 1
        }
        let outcome = writer.wait()
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(checks > 0)
        try ws.expectVerifies()
    }
}
