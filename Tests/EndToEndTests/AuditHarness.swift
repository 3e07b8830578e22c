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
// the `hria-bench` locator, a small assessment built once by the CLI and copied for each test, byte-level
// editing of its files, `hria verify` result parsing, and child processes that can be killed mid-append.

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

/// A deterministic random source for tests that must be reproducible (SplitMix64).
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
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

    /// The built template, once per test process; each test works on its own copy.
    private static let template: Result<URL, TemplateError> = {
        do {
            let parent = try HRIA.temporaryDirectory("hria-audit-template")
            templateParent = parent.path
            atexit {
                if let path = AuditFixture.templateParent { try? FileManager.default.removeItem(atPath: path) }
            }
            let root = parent.appendingPathComponent("ws")
            try build(at: root)
            return .success(root)
        } catch let error as TemplateError {
            return .failure(error)
        } catch {
            return .failure(TemplateError(message: "\(error)"))
        }
    }()
    nonisolated(unsafe) private static var templateParent: String?

    struct TemplateError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// Makes a workspace with `hria init`, adds the demo workflow, and starts nothing.
    static func initWorkspace(at root: URL, origin: String = AuditFixture.origin) throws {
        let made = try HRIA.run(["init", root.path, "--organisation", "Audit Test Office", "--origin", origin])
        guard made.status == 0 else { throw TemplateError(message: "hria init: \(made.stderr)") }
        try workflow.write(to: root.appendingPathComponent("workflows/demo.yaml"), atomically: true, encoding: .utf8)
    }

    /// Builds the fixture assessment: created (#0), evidence with a file (#1), evidence with two confidential
    /// values (#2), three comments (#3–#5).
    static func build(at root: URL) throws {
        try initWorkspace(at: root)
        try "The partnership brief.\n".write(to: root.appendingPathComponent("brief.txt"), atomically: true, encoding: .utf8)
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
            let result = try HRIA.run(step + ["--as", "ana"], in: root,
                                      environment: ["HRIA_NOW": "2026-01-05T10:0\(index):00Z"])
            guard result.status == 0 else {
                throw TemplateError(message: "hria \(step.joined(separator: " ")): exit \(result.status): \(result.stderr)")
            }
        }
    }

    /// A fresh copy of the fixture workspace in its own temporary folder.
    static func copy(_ name: String = "hria-audit") throws -> AuditWorkspace {
        let template = try template.get()
        let parent = try HRIA.temporaryDirectory(name)
        let root = parent.appendingPathComponent("ws")
        // cp -a keeps the files as they are (checkpoint and checkpoints/N are hard links of one another).
        let copy = Process()
        copy.executableURL = URL(fileURLWithPath: "/bin/cp")
        copy.arguments = ["-a", template.path, root.path]
        try copy.run()
        copy.waitUntilExit()
        guard copy.terminationStatus == 0 else { throw TemplateError(message: "cp -a failed") }
        return AuditWorkspace(parent: parent, root: root)
    }
}

/// One test's workspace, with the helpers the audit tests share.
struct AuditWorkspace {
    let parent: URL
    let root: URL

    func cleanUp() { HRIA.cleanUp(parent) }

    func folder(_ id: String = AuditFixture.id) -> URL { root.appendingPathComponent("assessments/\(id)") }
    func logURL(_ id: String = AuditFixture.id) -> URL { folder(id).appendingPathComponent("log.jsonl") }
    func checkpointURL(_ id: String = AuditFixture.id) -> URL { folder(id).appendingPathComponent("checkpoint") }

    @discardableResult
    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> HRIA.Result {
        try HRIA.run(arguments, in: root, environment: environment)
    }

    /// A write command (a comment by ana) that must be acknowledged.
    @discardableResult
    func comment(_ text: String, id: String = AuditFixture.id, as actor: String = "ana",
                 sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> HRIA.Result {
        let result = try run(["comment", id, text, "--as", actor])
        #expect(result.status == 0, "hria comment: exit \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
        return result
    }

    func bytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }

    /// Replaces a file by writing a new one and renaming it over (so hard links to the old file keep their bytes).
    func replace(_ url: URL, with bytes: [UInt8]) throws {
        try Data(bytes).write(to: url, options: .atomic)
    }

    func logBytes(_ id: String = AuditFixture.id) throws -> [UInt8] { try bytes(logURL(id)) }

    /// The log's complete lines (without `\n`) and what follows the last `\n`.
    func logLines(_ id: String = AuditFixture.id) throws -> [[UInt8]] {
        var lines = try logBytes(id).split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }

    func writeLog(lines: [[UInt8]], id: String = AuditFixture.id) throws {
        try replace(logURL(id), with: lines.flatMap { $0 + [0x0A] })
    }

    /// The log's lines parsed as JSON objects; fails the test on any line that is not one.
    func events(_ id: String = AuditFixture.id, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
        try logLines(id).enumerated().map { index, line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                Issue.record("line \(index + 1) of the log is not a JSON object: \(String(decoding: line, as: UTF8.self))",
                             sourceLocation: sourceLocation)
                return [:]
            }
            return object
        }
    }

    /// Runs `hria verify ID` in text and in JSON.
    func verify(_ id: String = AuditFixture.id, _ extra: [String] = []) throws -> (text: HRIA.Result, json: HRIA.Result) {
        (try run(["verify", id] + extra), try run(["verify", id, "--json"] + extra))
    }

    /// Verification must pass.
    func expectVerifies(_ id: String = AuditFixture.id, _ extra: [String] = [],
                        sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let result = try run(["verify", id] + extra)
        #expect(result.status == 0, "hria verify \(id) should pass: exit \(result.status)\n\(result.stdout)\(result.stderr)",
                sourceLocation: sourceLocation)
        #expect(result.stdout.contains("\(id): verified"), "\(result.stdout)", sourceLocation: sourceLocation)
    }

    /// Verification must fail with exit 3, naming the first bad event and the kind, in text and in JSON.
    func expectTamper(_ id: String = AuditFixture.id, _ extra: [String] = [], kind: String, firstBadEvent: Int?,
                      sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let (text, json) = try verify(id, extra)
        let shown = "exit \(text.status)\n\(text.stdout)\(text.stderr)"
        #expect(text.status == 3, "hria verify should exit 3: \(shown)", sourceLocation: sourceLocation)
        #expect(text.stdout.contains("\(id): FAILED"), "\(shown)", sourceLocation: sourceLocation)
        #expect(text.stdout.contains("[\(kind)]"), "the text should name the kind \(kind): \(shown)", sourceLocation: sourceLocation)
        if let firstBadEvent {
            #expect(text.stdout.contains("first bad event: #\(firstBadEvent)\n"),
                    "the text should name first bad event #\(firstBadEvent): \(shown)", sourceLocation: sourceLocation)
        }
        #expect(json.status == 3, "hria verify --json should exit 3: \(json.stdout)\(json.stderr)", sourceLocation: sourceLocation)
        guard let report = VerifyJSON(json.stdout) else {
            Issue.record("hria verify --json did not print the expected JSON: \(json.stdout)", sourceLocation: sourceLocation)
            return
        }
        #expect(report.ok == false, sourceLocation: sourceLocation)
        #expect(report.kinds.contains(kind), "JSON kinds \(report.kinds) should include \(kind)", sourceLocation: sourceLocation)
        if let firstBadEvent {
            #expect(report.firstBadEvent == firstBadEvent,
                    "JSON first_bad_event is \(report.firstBadEvent.map(String.init) ?? "null"), expected \(firstBadEvent): \(json.stdout)",
                    sourceLocation: sourceLocation)
        }
    }

    /// Edits one hria.yaml line by text replacement; the edit must change something.
    func editConfiguration(_ transform: (String) -> String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let url = root.appendingPathComponent("hria.yaml")
        let text = try String(contentsOf: url, encoding: .utf8)
        let changed = transform(text)
        #expect(changed != text, "the edit of hria.yaml changed nothing", sourceLocation: sourceLocation)
        try changed.write(to: url, atomically: true, encoding: .utf8)
    }

    /// The workspace's published verifier key (log_key in hria.yaml).
    func logKey() throws -> String {
        let text = try String(contentsOf: root.appendingPathComponent("hria.yaml"), encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("log_key:") }),
              let open = line.firstIndex(of: "\""), let close = line.lastIndex(of: "\""), open < close else {
            throw AuditFixture.TemplateError(message: "hria.yaml has no log_key line")
        }
        return String(line[line.index(after: open)..<close])
    }

    /// Files of a folder whose names start with a prefix.
    func files(in folder: URL, prefix: String = "") -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasPrefix(prefix) }.sorted()
    }
}

/// The parts of `hria verify --json` the tests read.
struct VerifyJSON {
    var ok: Bool
    var firstBadEvent: Int?
    var kinds: [String]
    var events: Int?

    init?(_ text: String) {
        guard let top = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
              let ok = top["ok"] as? Bool, let list = top["assessments"] as? [[String: Any]], let first = list.first else { return nil }
        self.ok = ok
        firstBadEvent = first["first_bad_event"] as? Int
        kinds = ((first["problems"] as? [[String: Any]]) ?? []).compactMap { $0["kind"] as? String }
        events = first["events"] as? Int
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

/// base64url without padding (disclosures).
enum AuditBase64URL {
    static func decode(_ text: String) -> Data? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s)
    }

    static func encode(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A disclosure `[salt, name, value]` with its value changed, re-encoded the way hria encodes one.
    static func alteredDisclosure(_ encoded: String) throws -> String {
        guard let raw = decode(encoded), let array = try JSONSerialization.jsonObject(with: raw) as? [String],
              array.count == 3 else {
            throw AuditFixture.TemplateError(message: "not a disclosure: \(encoded)")
        }
        let changed = try JSONSerialization.data(withJSONObject: [array[0], array[1], array[2] + " (edited)"],
                                                 options: [.withoutEscapingSlashes])
        return encode(changed)
    }
}
