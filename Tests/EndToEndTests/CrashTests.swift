import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
@_spi(Testing) import HRIAKit
import Testing
import HRIATestSupport

// Crash safety of an append (docs/AUDIT-LOG.md, "How an append is made durable"; F1 labels the case): a process that
// dies at any step of an append loses no acknowledged event, leaves a log that verifies, and the next append succeeds.

@Suite("Crashes: no acknowledged event is lost and the log always verifies")
struct CrashTests {
    @Test("a crash at each step of an append (HRIA_CRASH_AT)", arguments: AppendStep.allCases.map(\.rawValue))
    func crashAtStep(step: String) throws {
        let ws = try AuditFixture.copy("hria-crash")
        defer { ws.cleanUp() }
        let acknowledged = try ws.logLines()
        let checkpointBefore = try ws.bytes(ws.checkpointURL())

        let crashed = try ws.run(["comment", AuditFixture.id, "crashing at \(step)", "--as", "ana"],
                                 environment: ["HRIA_CRASH_AT": step])
        #expect(crashed.status == 99, "HRIA_CRASH_AT=\(step) should end the process with 99: exit \(crashed.status): \(crashed.stderr)")
        #expect(!crashed.stdout.contains("recorded"), "a crashed append must not be reported as recorded: \(crashed.stdout)")
        if [AppendStep.locked, .validated, .torn].map(\.rawValue).contains(step) {
            #expect(try ws.bytes(ws.checkpointURL()) == checkpointBefore, "no checkpoint can be signed before the write")
        }

        // The crashed state verifies (an interrupted write is only a note).
        let first = try ws.run(["verify", AuditFixture.id])
        #expect(first.status == 0, "verify after a crash at \(step): \(first.stdout)\(first.stderr)")
        let afterCrash = try ws.logLines()
        #expect(Array(afterCrash.prefix(acknowledged.count)) == acknowledged, "acknowledged events changed by a crash at \(step)")
        #expect(afterCrash.count <= acknowledged.count + 1, "at most the one unacknowledged event may be in the log")

        // The next append succeeds, repairing or checkpointing what the crash left.
        let next = try ws.comment("after a crash at \(step)")
        #expect(next.stdout.contains("recorded #"), "\(next.stdout)")
        let lines = try ws.logLines()
        #expect(Array(lines.prefix(acknowledged.count)) == acknowledged, "an acknowledged event was lost after a crash at \(step)")
        let events = try ws.events()
        #expect((events.last?["data"] as? [String: Any])?["text"] as? String == "after a crash at \(step)")
        let texts = events.compactMap { ($0["data"] as? [String: Any])?["text"] as? String }
        #expect(texts.filter { $0 == "crashing at \(step)" }.count <= 1, "the crashed event appears at most once")
        if step == AppendStep.torn.rawValue {
            #expect(events.contains { $0["type"] as? String == "recovery.truncated" }, "the torn half line is recorded as repaired")
            #expect(ws.files(in: ws.assessment(), prefix: "log.jsonl.broken-").count == 1)
            #expect(!texts.contains("crashing at \(step)"))
        }
        for (index, event) in events.enumerated() { #expect(event["seq"] as? Int == index) }
        #expect(ws.files(in: ws.assessment(), prefix: ".tmp").isEmpty, "leftover temporary files: \(ws.files(in: ws.assessment(), prefix: ".tmp"))")
        // The latest checkpoint covers the whole log again.
        let checkpoint = String(decoding: try ws.bytes(ws.checkpointURL()), as: UTF8.self).split(separator: "\n")
        #expect(checkpoint.count > 1 && checkpoint[1] == Substring(String(lines.count)), "checkpoint \(checkpoint) for \(lines.count) lines")
        try ws.expectVerifies()
    }

    @Test("a crash at each step of the repair of a torn tail", arguments: ["validated", "written", "checkpoint-written"])
    func crashDuringRepair(step: String) throws {
        let ws = try AuditFixture.copy("hria-crash-repair")
        defer { ws.cleanUp() }
        let acknowledged = try ws.logLines()
        try ws.replace(ws.logURL(), with: try ws.logBytes() + [UInt8](repeating: 0, count: 100))
        let crashed = try ws.run(["comment", AuditFixture.id, "crashing", "--as", "ana"], environment: ["HRIA_CRASH_AT": step])
        #expect(crashed.status == 99, "exit \(crashed.status): \(crashed.stderr)")
        let verify = try ws.run(["verify", AuditFixture.id])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        try ws.comment("after")
        #expect(Array(try ws.logLines().prefix(acknowledged.count)) == acknowledged)
        try ws.expectVerifies()
    }

    /// Reads the log and checks that every acknowledged (seq, text) is there with exactly that text.
    static func checkAcknowledged(_ ws: TestWorkspace, _ acked: [(seq: Int, text: String)], context: String) throws {
        let events = try ws.events()
        var missing: [String] = []
        for (seq, text) in acked {
            let actual = seq < events.count ? (events[seq]["data"] as? [String: Any])?["text"] as? String : nil
            if actual != text { missing.append("#\(seq) \"\(text)\" (found \(actual.map { "\"\($0)\"" } ?? "nothing"))") }
        }
        #expect(missing.isEmpty, "\(context): \(missing.count) acknowledged events lost or changed: \(missing.prefix(10))")
        for (index, event) in events.enumerated() where event["seq"] as? Int != index {
            Issue.record("\(context): line \(index + 1) carries seq \(event["seq"] ?? "nil")")
            break
        }
    }

    @Test("kill -9 of hria-bench at random moments, 200 times: every acknowledged event survives (F1)")
    func randomKills() throws {
        let ws = try AuditFixture.copy("hria-kill")
        defer { ws.cleanUp() }
        let seed: UInt64 = 0x4852_4941_2026
        var random = SplitMix64(seed: seed)
        let iterations = 200
        var acked: [(seq: Int, text: String)] = []
        var killedMidRun = 0, diedEarly = 0
        let started = Date()
        for iteration in 1...iterations {
            // Mostly a kill 0–40 ms after the first acknowledgement, so it lands inside an append; sometimes
            // 0–40 ms after start, so it lands in start-up or the first append.
            let afterFirstAck = random.next() % 4 != 0
            let delay = UInt32(random.next() % 40_001)
            let child = try ChildProcess(executable: AuditBench.executable,
                                         arguments: ["append", "--workspace", ws.root.path, AuditFixture.id, "--count", "1000",
                                                     "--as", "ana", "--text", "k\(iteration)"])
            if afterFirstAck {
                #expect(child.waitForFirstLine(timeout: 30), "iteration \(iteration): no output within 30 s")
            }
            usleep(delay)
            child.kill()
            let outcome = child.wait()
            if outcome.signalled && outcome.status == SIGKILL {
                killedMidRun += 1
            } else {
                diedEarly += 1
                Issue.record("iteration \(iteration) (seed \(seed)): hria-bench ended by itself with \(outcome.status): \(outcome.stderr)")
            }
            acked += outcome.acknowledged
            if iteration % 50 == 0 || iteration == iterations {
                let verify = try ws.run(["verify", AuditFixture.id])
                #expect(verify.status == 0, "iteration \(iteration) (seed \(seed)): \(verify.stdout)\(verify.stderr)")
                try Self.checkAcknowledged(ws, acked, context: "iteration \(iteration) (seed \(seed))")
            }
        }
        #expect(killedMidRun == iterations)
        #expect(acked.count >= iterations / 2, "too few acknowledgements (\(acked.count)) for the kills to land inside appends")
        // A last clean append, then everything still holds.
        try ws.comment("after the kills")
        try ws.expectVerifies()
        try Self.checkAcknowledged(ws, acked, context: "after the kills")
        let elapsed = Date().timeIntervalSince(started)
        let repairs = try ws.events().filter { $0["type"] as? String == "recovery.truncated" }.count
        print("kill -9 loop: \(iterations) kills, \(acked.count) acknowledged events, \(repairs) torn tails repaired, "
              + "\(try ws.logLines().count) events, \(String(format: "%.1f", elapsed)) s")
    }
}
