import Foundation
import HRIAKit

/// A small public bundle made once per process with the fixed fuzz key, so every seed still verifies in later runs;
/// each input replaces one of its files (the first byte chooses which, or gives an `--against` checkpoint) and the
/// bundle is verified as `hria verify --bundle` would. Small on purpose: a mutated bundle is verified hundreds of
/// times a second, where the worked example's would be a few.
final class BundleTemplate: @unchecked Sendable {
    // @unchecked: `lock` guards the folder; libFuzzer calls from one thread, the tests may not.
    static let shared = BundleTemplate()

    private let lock = NSLock()
    let folder: URL
    /// The files an input may replace, with their original bytes.
    private(set) var files: [(relative: String, bytes: [UInt8])] = []
    private var changed: Int?

    static let workflow = """
    schema: hria.workflow/v1
    id: tiny
    version: 1
    title: One reviewed stage
    roles:
      requester: { description: Asks }
      dd_focal_point: { description: Signs off }
    facts:
      tier: { type: enum, values: [low, high] }
    evidence_types:
      document:
        fields: { title: string }
        file: optional
      consultation:
        fields: { group: string }
        confidential: [statement]
    initial: review
    stages:
      review:
        owner: requester
        requires:
          - { id: brief, type: document }
          - { id: talks, type: consultation, min: 0 }
        signoff: { roles: [dd_focal_point], quorum: 1 }
        transitions: [ { to: approved, when: "facts.tier == \\"low\\" && evidence.brief.size() > 0" } ]
      approved: { terminal: true, outcome: approved }

    """

    /// Always the same bytes: salts come from this counter, not the system's generator.
    struct CountingRandom: RandomSource {
        var next: UInt8 = 1
        mutating func bytes(_ count: Int) -> [UInt8] {
            (0..<count).map { _ in next &+= 37; return next }
        }
    }

    private init() {
        let temporary = FileManager.default.temporaryDirectory
        // The folders of processes that have ended (a fuzz run, a test run) are removed by the next one.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? [] where name.hasPrefix("hria-fuzz-") {
            if let pid = Int32(name.dropFirst("hria-fuzz-".count)), kill(pid, 0) != 0, errno == ESRCH {
                try? FileManager.default.removeItem(at: temporary.appendingPathComponent(name))
            }
        }
        let base = temporary.appendingPathComponent("hria-fuzz-\(getpid())")
        let root = base.appendingPathComponent("workspace")
        folder = base.appendingPathComponent("bundle")
        try? FileManager.default.removeItem(at: base)
        do {
            try Self.makeBundle(root: root, to: folder)
        } catch {
            fatalError("the fuzz bundle cannot be made: \(error)")
        }
        let checkpoints = ((try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("checkpoints").path)) ?? []).sorted()
        let evidence = ((try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("evidence/sha256").path)) ?? []).sorted()
        let relatives = ["bundle.json", "log.jsonl", "checkpoint", "workflow.yaml"] + checkpoints.prefix(2).map { "checkpoints/\($0)" }
            + evidence.prefix(1).map { "evidence/sha256/\($0)" }
        for relative in relatives {
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(relative).path) else {
                fatalError("the fuzz bundle has no \(relative)")
            }
            files.append((relative, [UInt8](data)))
        }
    }

    static func makeBundle(root: URL, to bundle: URL) throws {
        let fm = FileManager.default
        for sub in ["workflows", "assessments", ".hria"] { try fm.createDirectory(at: root.appendingPathComponent(sub), withIntermediateDirectories: true) }
        // A workspace without a roster: its two people are hria.yaml's, as before the roster existed.
        try Data((WorkspaceInitializer.configurationText(organisation: "Fuzz", origin: FuzzTarget.origin, logKey: FuzzTarget.verifierKey)
                  + "people:\n  ana: { name: Ana, roles: [requester] }\n  ravi: { name: Ravi, roles: [dd_focal_point] }\n").utf8)
            .write(to: root.appendingPathComponent("hria.yaml"))
        try Data((FuzzTarget.privateKey + "\n").utf8).write(to: root.appendingPathComponent(".hria/log.key"))
        try Data(workflow.utf8).write(to: root.appendingPathComponent("workflows/tiny.yaml"))
        let workspace = try Workspace.open(root: root.path)
        let ana = try workspace.person("ana"), ravi = try workspace.person("ravi")
        let start = Date(timeIntervalSince1970: 1_769_940_000)
        var random = CountingRandom()
        _ = try workspace.create(id: "tiny", workflowName: "tiny", partner: "Tiny Co", title: nil, facts: [], actor: ana, now: start)
        let brief = InputFile(bytes: Array("The brief.\n".utf8), permissions: 0o644)
        let file = EvidenceFile(sha256: Digest.sha256Hex(brief.bytes), size: brief.bytes.count, name: "brief.txt")
        let steps: [(Command, Person, [String: InputFile])] = [
            (.addEvidence(requirement: "brief", fields: [("title", "Brief")], confidential: [], file: file), ana, [file.sha256: brief]),
            (.addEvidence(requirement: "talks", fields: [("group", "Youth")], confidential: [("statement", "We fear reprisals.")], file: nil), ana, [:]),
            (.setFacts([("tier", "low")], reason: nil), ana, [:]),
            (.comment("Ready for review."), ana, [:]),
            (.signoff(approve: true, comment: "Complete"), ravi, [:]),
            (.advance(to: nil, reason: nil), ana, [:]),
        ]
        for (minute, (command, actor, files)) in steps.enumerated() {
            _ = try workspace.perform("tiny", command: command, actor: actor, clock: .fixed(start.addingTimeInterval(Double(minute + 1) * 60)),
                                      random: &random, files: files)
        }
        _ = try workspace.exportPublicBundle("tiny", to: bundle.path, reportHTML: "", reportMarkdown: "")
    }

    /// One seed per replaceable file (its number, then its bytes), and the checkpoint again as `--against`.
    func seeds() -> [[UInt8]] {
        files.indices.map { [UInt8($0)] + files[$0].bytes } + [[UInt8(files.count)] + files[2].bytes]
    }

    func run(_ input: [UInt8]) {
        guard let selector = input.first else { return }
        lock.lock()
        defer { lock.unlock() }
        if let changed { write(files[changed].relative, files[changed].bytes) }
        changed = nil
        let content = Array(input.dropFirst())
        let index = Int(selector) % (files.count + 1)
        var against: [UInt8]?
        if index == files.count {
            against = content
        } else {
            write(files[index].relative, content)
            changed = index
        }
        _ = try? PublicBundle.verify(folder: folder.path, pinnedKey: nil, against: against)
    }

    /// Runs `body` on the bundle as it was made, with no input's change in it.
    func withOriginal<T>(_ body: (URL) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        if let changed { write(files[changed].relative, files[changed].bytes) }
        changed = nil
        return try body(folder)
    }

    private func write(_ relative: String, _ bytes: [UInt8]) {
        guard FileManager.default.createFile(atPath: folder.appendingPathComponent(relative).path, contents: Data(bytes)) else {
            fatalError("cannot write the fuzz bundle's \(relative)")
        }
    }
}
