import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// The C calls whose names ChildProcess also uses for its methods, reached without naming one C library.
func readFile(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(fd, buffer, count) }
func signalProcess(_ pid: Int32, _ signal: Int32) { _ = kill(pid, signal) }
import Testing

// Shared helpers of the audit-log tests (TamperTests, CrashTests, ConcurrencyTests, SignedEventsTests, ProofTests):
// the `hria-bench` locator, a small assessment built once by the CLI and copied for each test as a `TestWorkspace`
// (which edits its files byte for byte and checks `hria verify`), and child processes that can be killed mid-append.

/// The `hria-bench` executable built next to this test binary (the same search as `HRIA.executable`).
enum AuditBench {
    static let executable: URL = HRIA.builtProduct("hria-bench")

    /// Runs `hria-bench append` to completion.
    static func append(workspace: URL, id: String, count: Int, as actor: String = "ana", text: String,
                       environment: [String: String] = [:]) throws -> ChildProcess.Outcome {
        let child = try ChildProcess(executable: executable,
                                     arguments: ["append", "--workspace", workspace.path, id, "--count", String(count), "--as", actor,
                                                 "--text", text],
                                     environment: environment)
        return child.wait()
    }
}

/// A child process whose output is collected as it arrives, so it can be killed at any moment and what it
/// printed before dying is still known exactly.
final class ChildProcess: @unchecked Sendable {
    struct Outcome {
        var status: Int32
        /// True when the process ended by a signal (then `status` is the signal number).
        var signalled: Bool
        var stdout: String
        var stderr: String

        /// The `acked SEQ TEXT` lines hria-bench printed: each an event it reported durable.
        var acknowledged: [(seq: Int, text: String)] {
            stdout.split(separator: "\n", omittingEmptySubsequences: true).compactMap { line in
                let parts = line.split(separator: " ", maxSplits: 2)
                guard parts.count == 3, parts[0] == "acked", let seq = Int(parts[1]) else { return nil }
                return (seq, String(parts[2]))
            }
        }
    }

    let process = Process()
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()
    private let readers = DispatchGroup()
    private let firstLine = DispatchSemaphore(value: 0)
    private var sawFirstLine = false

    init(executable: URL, arguments: [String], directory: URL? = nil, environment: [String: String] = [:]) throws {
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "HRIA_ACTOR")
        env.removeValue(forKey: "HRIA_NOW")
        env.removeValue(forKey: "HRIA_CRASH_AT")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        read(outPipe.fileHandleForReading.fileDescriptor, isStdout: true)
        read(errPipe.fileHandleForReading.fileDescriptor, isStdout: false)
    }

    var pid: Int32 { process.processIdentifier }

    private func read(_ fd: Int32, isStdout: Bool) {
        readers.enter()
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { readFile(fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
                lock.lock()
                if isStdout {
                    out.append(contentsOf: buffer[0..<count])
                    if !sawFirstLine, out.contains(0x0A) {
                        sawFirstLine = true
                        firstLine.signal()
                    }
                } else {
                    err.append(contentsOf: buffer[0..<count])
                }
                lock.unlock()
            }
            if isStdout {
                lock.lock()
                if !sawFirstLine {
                    sawFirstLine = true
                    firstLine.signal()
                }
                lock.unlock()
            }
            readers.leave()
        }
    }

    /// What the process printed so far: its standard output and standard error.
    func outputSoFar() -> (stdout: String, stderr: String) {
        lock.lock()
        defer { lock.unlock() }
        return (String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    /// Waits until the process printed its first complete line (or closed its output); false on timeout.
    func waitForFirstLine(timeout: Double) -> Bool {
        firstLine.wait(timeout: .now() + timeout) == .success
    }

    func kill(_ signal: Int32 = SIGKILL) {
        signalProcess(process.processIdentifier, signal)
    }

    /// Waits for the process to end and for its output to be read to the end.
    func wait() -> Outcome {
        process.waitUntilExit()
        readers.wait()
        lock.lock()
        defer { lock.unlock() }
        return Outcome(status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
                       stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }
}

/// A workflow whose first stage takes a file and confidential values, so one short CLI run produces every kind
/// of thing the verifier checks: a pinned workflow, an evidence file, disclosures, and plain events.
enum AuditFixture {
    static let workflow = """
    schema: hria.workflow/v1
    id: demo
    version: 1
    title: Demo workflow of the audit-log tests
    roles:
      requester: { description: Runs the assessment }
      assessor: { description: Helps }
      hr_lead: { description: Reviews }
    evidence_types:
      document:
        fields: { title: string }
        file: required
      consultation:
        fields: { group: string }
        confidential: [participants, statement]
    initial: intake
    stages:
      intake:
        owner: requester
        requires:
          - { id: brief, type: document }
          - { id: talks, type: consultation }
        transitions: [ { to: done } ]
      done: { terminal: true, outcome: done }

    """

    static let id = "demo"
    static let origin = "audit.example/hria"
    /// The events of the fixture's assessment, by seq.
    static let createdSeq = 0, evidenceFileSeq = 1, confidentialSeq = 2, firstCommentSeq = 3, eventCount = 6

    /// A workspace made by `hria init` in a new temporary folder (or in `parent`), with the demo workflow and no
    /// assessment yet; `assessment` is the one its helpers default to.
    static func initialised(_ name: String, in parent: URL? = nil, assessment: String? = nil, mode: TestWorkspace.Mode = .local) throws -> TestWorkspace {
        try TestWorkspace.initialised(name, in: parent, organisation: "Audit Test Office", origin: origin, workflows: [id: workflow],
                                      assessment: assessment, mode: mode)
    }

    /// Builds the fixture assessment: created (#0), evidence with a file (#1), evidence with two confidential
    /// values (#2), three comments (#3–#5).
    static func build(_ ws: TestWorkspace) throws {
        try "The partnership brief.\n".write(to: ws.root.appendingPathComponent("brief.txt"), atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            ["new", id, "--workflow", "demo", "--partner", "Acme Corp", "--title", "Tamper fixture"],
            ["evidence", "add", id, "brief", "--file", "brief.txt", "--field", "title=Partnership brief"],
            ["evidence", "add", id, "talks", "--field", "group=Youth", "--confidential", "participants=R. H.; M. O.",
             "--confidential", "statement=We fear reprisals."],
            ["comment", id, "note 1"],
            ["comment", id, "note 2"],
            ["comment", id, "note 3"],
        ]
        for (index, step) in steps.enumerated() {
            let result = try ws.run(step, as: "ana", at: "2026-01-05T10:0\(index):00Z")
            guard result.status == 0 else {
                throw HarnessError("hria \(step.joined(separator: " ")): exit \(result.status): \(result.stderr)")
            }
        }
    }

    /// The built fixture, once per test process and mode (built locally; in `.server` mode everyone has a key);
    /// each test works on its own copy.
    private static let template = TestWorkspace.templates("hria-audit-template") { parent, mode in
        let ws = try initialised("hria-audit-template", in: parent, assessment: id, mode: mode).through(.local)
        try build(ws)
        return ws.root
    }

    /// A fresh copy of the fixture workspace in its own temporary folder, its commands acting in `mode`.
    static func copy(_ name: String = "hria-audit", mode: TestWorkspace.Mode = .local) throws -> TestWorkspace {
        try TestWorkspace.copy(of: template, name, assessment: id, mode: mode)
    }
}

extension Array where Element == UInt8 {
    /// The bytes with the first occurrence of `old` replaced by `new`; the test fails if `old` is absent.
    func replacingFirst(_ old: String, with new: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [UInt8] {
        let needle = Array(old.utf8)
        guard let range = self.firstRange(of: needle) else {
            Issue.record("\"\(old)\" not found in \(String(decoding: self, as: UTF8.self))", sourceLocation: sourceLocation)
            return self
        }
        var copy = self
        copy.replaceSubrange(range, with: Array(new.utf8))
        return copy
    }
}
