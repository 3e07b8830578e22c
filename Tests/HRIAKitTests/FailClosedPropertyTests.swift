import Foundation
@testable import HRIAKit
import Testing
import HRIATestSupport

// The fail-closed property, over random histories: random commands with random tampering between them. After each
// step, a command fails for integrity exactly when `verify` rejects the log it read, and then changes nothing.

/// A workspace in a temporary folder, driven through the library.
private struct PropertyWorkspace {
    let root: URL
    let workspace: Workspace
    static let id = "gate"
    var folder: URL { root.appendingPathComponent("assessments/\(Self.id)") }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("hria-property-\(UUID().uuidString)")
        _ = try WorkspaceInitializer.initialize(at: root.path, organisation: "Property Office", origin: "property.example/hria")
        // A workspace without a roster, whose people are hria.yaml's: the library is driven directly, with no keys.
        let configuration = root.appendingPathComponent("hria.yaml")
        try (String(contentsOf: configuration, encoding: .utf8) + TestWorkflows.legacyPeople).write(to: configuration, atomically: true, encoding: .utf8)
        try TestWorkflows.gate.write(to: root.appendingPathComponent("workflows/gate.yaml"), atomically: true, encoding: .utf8)
        workspace = try Workspace.open(root: root.path)
    }

    func cleanUp() { try? FileManager.default.removeItem(at: root) }

    func person(_ id: String) throws -> Person { try workspace.person(id) }

    /// Every file of the assessment (not the lock file or temporary files), by path.
    func files() -> [String: Data] {
        var result: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = enumerator?.nextObject() as? URL {
            let relative = String(url.path.dropFirst(folder.path.count + 1))
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true, relative != "log.lock",
                  !url.lastPathComponent.hasPrefix(".") else { continue }
            result[relative] = try? Data(contentsOf: url)
        }
        return result
    }

    func restore(_ files: [String: Data]) throws {
        try FileManager.default.removeItem(at: folder)
        for (relative, data) in files {
            let url = folder.appendingPathComponent(relative)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
        }
        for sub in ["checkpoints", "evidence/sha256", "private/disclosures"] {
            try FileManager.default.createDirectory(at: folder.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
    }

    var logURL: URL { folder.appendingPathComponent("log.jsonl") }

    func lines() throws -> [[UInt8]] {
        EventLine.split([UInt8](try Data(contentsOf: logURL))).lines.map(Array.init)
    }

    func write(lines: [[UInt8]]) throws {
        try Data(lines.flatMap { $0 + [0x0A] }).write(to: logURL)
    }
}

@Suite("Fail closed over random histories with random tampering")
struct FailClosedPropertyTests {
    /// Ways of damaging the files, some of which leave a log that still verifies (an honest torn tail, an edited cache).
    enum Tampering: CaseIterable {
        case flipByte, deleteLine, duplicateLine, forgeLine, forgeWalkAround, deleteCheckpoint, olderLatestCheckpoint,
             changeEvidence, alterDisclosure, tornTail, editSnapshot, truncate
    }

    @Test("a command fails for integrity exactly when verify rejects the log it read, and then changes nothing",
          arguments: [UInt64(1), 2, 3, 4])
    func commandsFollowVerify(seed: UInt64) throws {
        let ws = try PropertyWorkspace()
        defer { ws.cleanUp() }
        var rng = SplitMix64(seed: seed)
        var clock = Date(timeIntervalSince1970: 1_800_000_000)
        func tick() -> Clock {
            clock = clock.addingTimeInterval(60)
            return .fixed(clock)
        }
        let ana = try ws.person("ana"), ravi = try ws.person("ravi"), kofi = try ws.person("kofi")
        _ = try ws.workspace.create(id: PropertyWorkspace.id, workflowName: "gate", partner: "Gate Co", title: nil, facts: [],
                                    actor: ana, now: clock)
        var random = SecureRandom()
        var good = ws.files()
        var integrityFailures = 0, successes = 0
        for step in 0..<60 {
            if rng.next() % 3 == 0 {
                try tamper(ws, Tampering.allCases[Int(rng.next() % UInt64(Tampering.allCases.count))], &rng, clock: clock)
            }
            let report = try ws.workspace.verify(PropertyWorkspace.id)
            let before = ws.files()
            let command: (Command, Person)
            switch rng.next() % 7 {
            case 0: command = (.comment("note \(step)"), ana)
            case 1: command = (.setFacts([("tier", rng.next() % 2 == 0 ? "low" : "high")], reason: nil), ana)
            case 2: command = (.addEvidence(requirement: "brief", fields: [("title", "Brief \(step)")], confidential: [], file: nil), ana)
            case 3: command = (.addEvidence(requirement: "talks", fields: [("group", "G\(step)")], confidential: [("statement", "s\(step)")],
                                            file: nil), ana)
            case 4: command = (.signoff(approve: rng.next() % 4 != 0, comment: "because"), rng.next() % 2 == 0 ? ravi : kofi)
            case 5: command = (.advance(to: nil, reason: nil), ana)
            default: command = (.comment("another note"), ravi)
            }
            var outcome: String
            do {
                if rng.next() % 5 == 0 {
                    _ = try ws.workspace.current(PropertyWorkspace.id)
                } else {
                    try ws.workspace.perform(PropertyWorkspace.id, command: command.0, actor: command.1, clock: tick(), random: &random)
                }
                outcome = "accepted"
                successes += 1
            } catch let error as HRIAError where error.status == .integrity {
                outcome = "integrity: \(error.message)"
                integrityFailures += 1
            } catch {
                // Refused by the rules or bad input: decided on a verified standing.
                outcome = "refused: \(error)"
            }
            let failedIntegrity = outcome.hasPrefix("integrity")
            #expect(failedIntegrity == !report.ok, "seed \(seed), step \(step): \(outcome)\nverify said:\n\(report.text)")
            if !report.ok {
                #expect(ws.files() == before, "seed \(seed), step \(step): a command changed files of a log that does not verify")
                // Mostly go back to the last good state, so the history grows; sometimes try more commands on the damage.
                if rng.next() % 4 != 0 { try ws.restore(good) }
            } else if try ws.workspace.verify(PropertyWorkspace.id).ok {
                good = ws.files()
            }
        }
        #expect(integrityFailures > 0 && successes > 0, "seed \(seed): \(integrityFailures) integrity failures, \(successes) accepted")
    }

    private func tamper(_ ws: PropertyWorkspace, _ kind: Tampering, _ rng: inout SplitMix64, clock: Date) throws {
        var lines = try ws.lines()
        guard !lines.isEmpty else { return }
        let index = Int(rng.next() % UInt64(lines.count))
        switch kind {
        case .flipByte:
            let at = Int(rng.next() % UInt64(lines[index].count))
            lines[index][at] ^= 0x01
            try ws.write(lines: lines)
        case .deleteLine where lines.count > 1:
            lines.remove(at: index)
            try ws.write(lines: lines)
        case .duplicateLine:
            lines.insert(lines[index], at: index)
            try ws.write(lines: lines)
        case .forgeLine, .forgeWalkAround:
            // Well formed and well chained, appended past the last checkpoint: a comment by someone without a workflow
            // role, or a move past the stage's unmet sign-off.
            let last = try EventLine.decode(lines[lines.count - 1])
            let payload: EventPayload = kind == .forgeLine
                ? .commentAdded(CommentAdded(text: "forged", roles: ["publisher"]))
                : .stageAdvanced(StageAdvanced(from: "review", to: "approved", transition: 0, visit: 1, condition: nil, approvals: [],
                                               reason: nil, roles: ["requester"]))
            let draft = EventDraft(actor: kind == .forgeLine ? "sam" : "ana", stage: last.stage, time: clock, payload: payload)
            let prev = lines[lines.count - 1].withUnsafeBytes { SHA256Hash.leaf($0) }
            lines.append(EventLine.encode(draft, seq: lines.count, prev: prev))
            try ws.write(lines: lines)
        case .deleteCheckpoint:
            let folder = ws.folder.appendingPathComponent("checkpoints")
            let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            if let name = names.randomElement(using: &rng) { try FileManager.default.removeItem(at: folder.appendingPathComponent(name)) }
        case .olderLatestCheckpoint:
            let folder = ws.folder.appendingPathComponent("checkpoints")
            let sizes = try FileManager.default.contentsOfDirectory(atPath: folder.path).compactMap(Int.init).sorted()
            if sizes.count > 1 {
                let older = try Data(contentsOf: folder.appendingPathComponent(String(sizes[0])))
                let latest = ws.folder.appendingPathComponent("checkpoint")
                try? FileManager.default.removeItem(at: latest)
                try older.write(to: latest)
            }
        case .changeEvidence, .alterDisclosure:
            let folder = ws.folder.appendingPathComponent(kind == .changeEvidence ? "evidence/sha256" : "private/disclosures")
            if let name = try FileManager.default.contentsOfDirectory(atPath: folder.path).randomElement(using: &rng) {
                try Data("changed".utf8).write(to: folder.appendingPathComponent(name))
            }
        case .tornTail:
            let handle = try FileHandle(forWritingTo: ws.logURL)
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("{\"_sd\":[],\"actor\":".utf8))
            try handle.close()
        case .editSnapshot:
            let file = ws.root.appendingPathComponent(".hria/cache/\(PropertyWorkspace.id).json")
            if let text = try? String(contentsOf: file, encoding: .utf8) {
                try text.replacingOccurrences(of: "\"review\"", with: "\"approved\"").write(to: file, atomically: true, encoding: .utf8)
            }
        case .truncate where lines.count > 1:
            try ws.write(lines: Array(lines.dropLast()))
        default:
            break
        }
    }
}
