import ArgumentParser
import Foundation
@_spi(Testing) import HRIAKit
import HRIAPostgres

/// Tools for measuring and stress-testing hria through the library, without one process per event.
@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hria-bench",
        abstract: "Benchmark and stress tools for hria.",
        subcommands: [Generate.self, GenerateWorkflow.self, Append.self, FsyncFloor.self, ProfileLines.self, ServeLoad.self]
    )
}

extension BenchCommand {
    /// Appends N comments one by one, each a full durable append; prints each acknowledged seq as it returns.
    struct Append: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append N comment events to an assessment, one durable append each (for crash and concurrency tests)."
        )
        @Option(help: "The workspace folder.") var workspace: String
        @Argument(help: "The assessment.") var id: String
        @Option(help: "How many events.") var count: Int = 1
        @Option(name: .customLong("as"), help: "The acting person.") var actor: String
        @Option(help: "Text prefix of each comment.") var text: String = "bench"
        @Flag(help: "After each acknowledged event, also print how long its append took, in microseconds.") var timings = false

        func run() throws {
            // The workspace's store, files or PostgreSQL (HRIA_STORE or hria.yaml's store:), as hria itself opens it.
            var ws = try Workspace.open(root: Paths.absolute(workspace, from: FileManager.default.currentDirectoryPath),
                                        databases: PostgresStoreOpener())
            if let step = ProcessInfo.processInfo.environment["HRIA_CRASH_AT"] { ws.crashAt = AppendStep(rawValue: step) }
            let person = try ws.person(actor)
            var random = SecureRandom()
            let clock = ContinuousClock()
            for i in 0..<count {
                let started = clock.now
                let events = try ws.perform(id, command: .comment("\(text) \(i)"), actor: person, clock: .system, random: &random)
                let took = started.duration(to: clock.now)
                let micros = took.components.seconds * 1_000_000 + took.components.attoseconds / 1_000_000_000_000
                for event in events where event.type == .commentAdded {
                    // One line per acknowledged event, flushed at once so a killed process's output is exact.
                    FileHandle.standardOutput.write(Data("acked \(event.seq) \(text) \(i)\(timings ? " took \(micros)" : "")\n".utf8))
                }
            }
        }
    }
}

/// Skips fsync: only for generating benchmark data, where losing it on a power cut costs nothing.
struct NoSyncFileSystem: FileSystem {
    let base = PosixFileSystem()
    func openForAppend(_ path: String) throws(FileSystemError) -> Int32 { try base.openForAppend(path) }
    func openForWriting(_ path: String, exclusive: Bool) throws(FileSystemError) -> Int32 { try base.openForWriting(path, exclusive: exclusive) }
    func openForReading(_ path: String) throws(FileSystemError) -> Int32 { try base.openForReading(path) }
    func close(_ fd: Int32) { base.close(fd) }
    func write(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FileSystemError) { try base.write(fd, bytes, path: path) }
    func fsync(_ fd: Int32, path: String) throws(FileSystemError) {}
    func truncate(_ fd: Int32, to size: Int, path: String) throws(FileSystemError) { try base.truncate(fd, to: size, path: path) }
    func lockExclusive(_ fd: Int32, timeout: Double) -> Bool { base.lockExclusive(fd, timeout: timeout) }
    func readAll(_ path: String) throws(FileSystemError) -> [UInt8] { try base.readAll(path) }
    func rename(_ from: String, _ to: String) throws(FileSystemError) { try base.rename(from, to) }
    func link(_ from: String, _ to: String) throws(FileSystemError) { try base.link(from, to) }
    func unlink(_ path: String) { base.unlink(path) }
    func makeDirectory(_ path: String, mode: mode_t) throws(FileSystemError) { try base.makeDirectory(path, mode: mode) }
    func fsyncDirectory(_ path: String) throws(FileSystemError) {}
    func fileExists(_ path: String) -> Bool { base.fileExists(path) }
    func listDirectory(_ path: String) -> [String] { base.listDirectory(path) }
}

extension BenchCommand {
    /// Writes a valid, verifiable workspace through the library: A assessments of N events each.
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate a workspace of A assessments with N events each (valid and verifiable; written without fsync)."
        )
        @Argument(help: "The folder to create.") var directory: String
        @Option(help: "How many assessments.") var assessments: Int = 1
        @Option(help: "How many events each (at least 1).") var events: Int = 100
        @Option(help: "Events written per append (one checkpoint per append).") var batch: Int = 5000
        @Option(help: "The standard workflow to use.") var workflow: String = "rapid-screening"
        @Flag(help: "Leave signatures required (the default of a new roster) and sign every act with ana's own key; otherwise the roster records that they are not.")
        var signed = false
        @Flag(help: "Move each assessment to the next version of its workflow right after it starts (a workflow.migrated by the admin), so every later event is judged by the snapshot the move keeps.")
        var migrated = false

        func run() throws {
            let root = Paths.absolute(directory, from: FileManager.default.currentDirectoryPath)
            _ = try WorkspaceInitializer.initialize(at: root, organisation: "Benchmark workspace", origin: "bench.example/hria")
            let fs = NoSyncFileSystem()
            let workspace = try Workspace.open(root: root, fs: fs)
            let bytes = try fs.readAll(Paths.join(root, "workflows", "\(workflow).yaml"))
            guard let pinned = WorkflowLoader.load(bytes: bytes, fileName: workflow).workflow else {
                throw HRIAError.badInput("workflow \(workflow) has errors")
            }
            let sha = Digest.sha256Hex(bytes)
            let owner = pinned.stage(pinned.initial.value)?.owner?.value ?? ""
            let start = Date(timeIntervalSince1970: 1_767_225_600) // 2026-01-01
            // A roster as hria init and hria people add make one: an admin, and ana owning the first stage, each with
            // a key of their own in the key folder ($XDG_CONFIG_HOME/hria/keys, which scripts/bench points at its
            // scratch folder).
            let personal = PersonalKeys(environment: ProcessInfo.processInfo.environment)
            let adminKey = try personal.key(of: "bench-admin") ?? personal.make(for: "bench-admin")
            let anaKey = try personal.key(of: "ana") ?? personal.make(for: "ana")
            var changes: [RosterCommand] = [
                .add(id: "bench-admin", name: "Bench Admin", title: nil, roles: [Roster.adminRole], key: adminKey.publicKey.authorizedKey,
                     publishName: true),
                .add(id: "ana", name: "Ana", title: nil, roles: [owner], key: anaKey.publicKey.authorizedKey, publishName: true),
            ]
            if !signed { changes.append(.requireSignatures(false, reason: "a benchmark of unsigned acts")) }
            try workspace.changeRoster(changes, actor: "bench-admin", clock: .fixed(start.addingTimeInterval(-86_400)))
            guard let roster = try workspace.roster()?.roster, let actor = roster.member("ana")?.person,
                  let admin = roster.member("bench-admin")?.person else {
                throw HRIAError(.internalError, "the benchmark roster was not written")
            }
            // The next version: the same workflow with its version number raised, as an organisation's revision would.
            let nextBytes = Array(String(decoding: bytes, as: UTF8.self)
                .replacingOccurrences(of: "\nversion: \(pinned.version)\n", with: "\nversion: \(pinned.version + 1)\n").utf8)
            let next = WorkflowLoader.load(bytes: nextBytes, fileName: workflow).workflow
            if migrated, next?.version != pinned.version + 1 { throw HRIAError.badInput("workflow \(workflow) has no version line to raise") }
            func sign(_ line: [UInt8]) throws -> String? {
                signed ? Base64.standard.encode(try anaKey.sign(line, namespace: PersonKey.namespace)) : nil
            }
            let width = String(max(assessments - 1, 1)).count
            for a in 0..<assessments {
                let number = String(a)
                let id = "a" + String(repeating: "0", count: max(0, width - number.count)) + number
                let created = start.addingTimeInterval(Double(a) * 60)
                let outcome = try Engine.create(id: id, workflow: pinned, workflowSHA256: sha, partner: "Partner \(a)",
                                                title: "Generated assessment \(a)", facts: [], actor: actor, now: created)
                let signing = try workspace.signing(for: id)
                let log = AssessmentLog(folder: Paths.join(workspace.assessmentsFolder, id), fs: fs)
                var first = outcome.events[0]
                first.roster = roster.size
                let unsigned = EventLine.encode(first, seq: 0, prev: .zero)
                try log.create(workflowBytes: bytes, firstLine: try sign(unsigned).map { EventLine.encode(first, seq: 0, prev: .zero, signature: $0) } ?? unsigned,
                               signing: signing)
                var written = 1
                // Each batch builds on the standing the last one left, instead of verifying the growing log again.
                var standing = try workspace.standing(id)
                if migrated, let next, written < events {
                    let nextSHA = Digest.sha256Hex(nextBytes)
                    try log.storeWorkflowSnapshot(nextBytes)
                    var random = SecureRandom()
                    var move = try Engine.decide(standing.history, command: .migrate(to: next, sha256: nextSHA, stages: [:], reason: "benchmark"),
                                                 actor: admin, now: created, random: &random).events[0]
                    move.roster = roster.size
                    let previous = standing
                    standing = try log.append(lockTimeout: 10, signing: signing, now: created, establish: { previous },
                                              signEvent: { _, line in signed ? Base64.standard.encode(try adminKey.sign(line, namespace: PersonKey.namespace)) : nil }) { _ in
                        [move]
                    }.standing
                    written += 1
                }
                while written < events {
                    let count = min(batch, events - written)
                    let first = written
                    let previous = standing
                    standing = try log.append(lockTimeout: 10, signing: signing, now: created, establish: { previous },
                                              signEvent: { _, line in try sign(line) }) { _ in
                        (0..<count).map { i in
                            let seq = first + i
                            let text = "Generated note \(seq): the assessor records a routine observation about the partnership "
                                + "so that the log has events of a realistic size for benchmarking."
                            return EventDraft(actor: actor.id, stage: pinned.initial.value, time: created.addingTimeInterval(Double(seq)),
                                              payload: .commentAdded(CommentAdded(text: text, roles: actor.roles)), roster: roster.size)
                        }
                    }.standing
                    written += count
                }
            }
            print("generated \(assessments) assessment\(assessments == 1 ? "" : "s") of \(events) events in \(directory)")
        }
    }

    /// The fsync floor: the same size of write plus fsync, in a loop, for comparing append latency.
    struct FsyncFloor: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Time N writes of B bytes, each followed by fsync, in one file.")
        @Argument(help: "A scratch file to write.") var file: String
        @Option(help: "How many writes.") var count: Int = 100
        @Option(help: "Bytes per write.") var bytes: Int = 400

        func run() throws {
            let fs = PosixFileSystem()
            let fd = try fs.openForAppend(file)
            defer { fs.close(fd) }
            let payload = [UInt8](repeating: 0x61, count: bytes)
            let began = Date()
            for _ in 0..<count {
                try fs.write(fd, payload, path: file)
                try fs.fsync(fd, path: file)
            }
            let each = Date().timeIntervalSince(began) / Double(count)
            print(String(format: "write+fsync of %d bytes: %.3f ms each (%d runs)", bytes, each * 1000, count))
        }
    }
}

extension BenchCommand {
    /// A large valid workflow for the linter's budget: a chain of stages with requirements, guarded transitions,
    /// bounded loops back, sign-offs and a terminal, so every check has work to do.
    struct GenerateWorkflow: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate-workflow",
            abstract: "Print a valid workflow of N stages (for the 5,000-stage lint budget)."
        )
        @Option(help: "How many stages.") var stages: Int = 5000

        func run() throws {
            var out = """
            schema: hria.workflow/v1
            id: generated-\(stages)
            version: 1
            title: Generated workflow of \(stages) stages
            roles:
              assessor: { description: Runs each stage }
              reviewer: { description: Signs off }
            facts:
              tier: { type: enum, values: [low, moderate, substantial, high] }
              score: { type: int, min: 0, max: 100 }
              redo: { type: bool }
            evidence_types:
              document: { fields: { title: string, score: int(1..4) }, file: optional }
            initial: s0
            stages:

            """
            for i in 0..<stages {
                let next = i + 1 < stages ? "s\(i + 1)" : "done"
                out += "  s\(i):\n"
                out += "    title: Stage \(i)\n"
                out += "    owner: assessor\n"
                out += "    deadline: P\(1 + i % 30)D\n"
                if i % 10 == 0 { out += "    max_visits: 3\n" }
                out += "    requires:\n"
                out += "      - { id: doc_\(i), type: document, min: \(1 + i % 3), when: 'facts.tier != \"low\" || facts.score > \(i % 100)' }\n"
                if i % 5 == 0 { out += "    signoff: { roles: [reviewer], quorum: 1 }\n" }
                out += "    transitions:\n"
                if i % 10 == 9 {
                    out += "      - { to: s\(i - 9), when: 'facts.redo && evidence.doc_\(i).exists(d, d.score < 2)' }\n"
                }
                out += "      - { to: \(next), when: 'evidence.doc_\(i).all(d, d.score >= 1) && facts.tier in [\"moderate\", \"high\"]' }\n"
                out += "      - { to: \(next) }\n"
            }
            out += "  done: { terminal: true, outcome: done }\n"
            print(out, terminator: "")
        }
    }
}
