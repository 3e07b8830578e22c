import Foundation
import Testing
@testable import HRIAKit

/// The compiled form of a workflow must give exactly the workflow its file gives, be refused when it is damaged,
/// stale or for other bytes, and be used only through a store that a command can lose without harm.
@Suite("Compiled workflows")
struct CompiledWorkflowTests {
    /// Every workflow that loads: the standard library and the linter fixtures that have warnings only.
    static func loadableWorkflows() throws -> [(name: String, bytes: [UInt8])] {
        var files: [URL] = []
        let library = GoldenCorpus.repositoryURL.appendingPathComponent("workflows")
        files += try FileManager.default.contentsOfDirectory(at: library, includingPropertiesForKeys: nil)
        files += try FileManager.default.contentsOfDirectory(at: GoldenCorpus.brokenURL, includingPropertiesForKeys: nil)
        return try files.filter { $0.pathExtension == "yaml" }.sorted { $0.path < $1.path }.compactMap { url in
            let bytes = try [UInt8](Data(contentsOf: url))
            return WorkflowLoader.load(bytes: bytes, fileName: url.lastPathComponent).workflow == nil ? nil : (url.lastPathComponent, bytes)
        }
    }

    /// Everything a reader of the workflow sees of it: the description (which walks every stage, rule, guard and
    /// position) and the diagram.
    static func rendering(_ workflow: Workflow) -> String {
        WorkflowDescription.render(workflow, file: "f.yaml", sha256: "0") + WorkflowDiagram.render(workflow, format: .dot)
            + WorkflowDiagram.render(workflow, format: .mermaid)
    }

    @Test("a compiled form reads back to the same syntax, and checks to the same workflow, for every workflow that loads")
    func roundTrip() throws {
        let workflows = try Self.loadableWorkflows()
        #expect(workflows.count >= 10, "only \(workflows.count) workflows load")
        for (name, bytes) in workflows {
            let loaded = WorkflowLoader.load(bytes: bytes, fileName: name)
            let syntax = try #require(loaded.syntax, "\(name)")
            let sha = Digest.sha256Hex(bytes)
            let compiled = CompiledWorkflow.encode(syntax, sha256: sha)
            let decoded = try #require(CompiledWorkflow.decode(compiled, sha256: sha), "\(name) does not decode")
            #expect(CompiledWorkflow.encode(decoded, sha256: sha) == compiled, "\(name): the compiled form is not read back exactly")
            var checker = WorkflowChecker(file: name)
            let checked = checker.check(decoded)
            let rechecked = try #require(checked, "\(name) does not check from its compiled form")
            #expect(!checker.diagnostics.hasErrors)
            // Warnings carry positions, lengths and pointers: the compiled form keeps every one.
            func described(_ d: [Diagnostic]) -> [String] { d.map { "\($0.location) \($0.length) \($0.pointer) \($0.rule) \($0.message) \($0.help ?? "")" } }
            #expect(described(checker.diagnostics) == described(loaded.diagnostics), "\(name): other warnings")
            #expect(Self.rendering(rechecked) == Self.rendering(try #require(loaded.workflow)), "\(name) differs from its file")
        }
    }

    @Test("a compiled form cut short anywhere, for other bytes, of another format or with extra bytes is refused")
    func damaged() throws {
        let (name, bytes) = try #require(try Self.loadableWorkflows().first { $0.name == "rapid-screening.yaml" })
        let sha = Digest.sha256Hex(bytes)
        let compiled = CompiledWorkflow.encode(try #require(WorkflowLoader.load(bytes: bytes, fileName: name).syntax), sha256: sha)
        for end in 0..<compiled.count {
            #expect(CompiledWorkflow.decode(Array(compiled[..<end]), sha256: sha) == nil, "accepted when cut at \(end) of \(compiled.count)")
        }
        #expect(CompiledWorkflow.decode(compiled + [0], sha256: sha) == nil)
        #expect(CompiledWorkflow.decode(compiled, sha256: Digest.sha256Hex(bytes + [0x0A])) == nil)
        var otherFormat = compiled
        otherFormat[CompiledWorkflow.magic.count] = UInt8(2 * (CompiledWorkflow.format + 1))
        #expect(CompiledWorkflow.decode(otherFormat, sha256: sha) == nil)
        var otherMagic = compiled
        otherMagic[0] ^= 0x20
        #expect(CompiledWorkflow.decode(otherMagic, sha256: sha) == nil)
    }

    final class MemoryStore: CompiledWorkflowStore, @unchecked Sendable {
        let lock = NSLock()
        var forms: [String: [UInt8]] = [:]
        var reads = 0
        func read(sha256: String) -> [UInt8]? {
            lock.withLock {
                reads += 1
                return forms[sha256]
            }
        }
        func write(sha256: String, _ bytes: [UInt8]) { lock.withLock { forms[sha256] = bytes } }
    }

    @Test("a memo with a store compiles a workflow once, and a later process loads it without its YAML")
    func storeIsUsed() throws {
        let (name, bytes) = try #require(try Self.loadableWorkflows().first { $0.name == "partnership-hria.yaml" })
        let sha = Digest.sha256Hex(bytes)
        let store = MemoryStore()
        let first = try #require(WorkflowMemo(store: store).workflow(bytes: bytes, sha256: sha, fileName: name))
        #expect(store.forms[sha] != nil, "nothing was compiled")
        // A later process with the same store: given no YAML at all, the compiled form alone gives the workflow.
        let later = try #require(WorkflowMemo(store: store).workflow(bytes: [], sha256: sha, fileName: name))
        #expect(Self.rendering(later) == Self.rendering(first))
        // A compiled form the checker refuses is not used: the file is loaded instead.
        var broken = try #require(WorkflowLoader.load(bytes: bytes, fileName: name).syntax)
        broken.initial = Located("no-such-stage", broken.initial.span)
        store.forms[sha] = CompiledWorkflow.encode(broken, sha256: sha)
        let fromFile = try #require(WorkflowMemo(store: store).workflow(bytes: bytes, sha256: sha, fileName: name))
        #expect(Self.rendering(fromFile) == Self.rendering(first))
        #expect(WorkflowMemo(store: MemoryStore()).workflow(bytes: [], sha256: sha, fileName: name) == nil)
    }
}
