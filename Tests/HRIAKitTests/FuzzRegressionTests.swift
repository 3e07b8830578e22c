import Foundation
import HRIAKit
@testable import HRIAFuzz
import Testing

/// The fuzz targets, run here on every seed and on every input a fuzzer ever crashed on (kept in
/// `Fixtures/fuzz/TARGET/`), so a finding stays fixed in every `swift test`, not only when someone fuzzes.
@Suite("Fuzz targets: seeds and past findings")
struct FuzzRegressionTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let findings = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/fuzz")

    static func findings(of target: FuzzTarget) -> [(name: String, bytes: [UInt8])] {
        let folder = findings.appendingPathComponent(target.rawValue)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
        return names.compactMap { name in
            FileManager.default.contents(atPath: folder.appendingPathComponent(name).path).map { (name, [UInt8]($0)) }
        }
    }

    @Test("each target runs on its seeds, which are not trivially few", arguments: FuzzTarget.allCases)
    func seeds(_ target: FuzzTarget) {
        let seeds = target.seeds(repository: Self.repository)
        let least = [FuzzTarget.workflow: 50, .guard: 50, .logLine: 50, .note: 8, .proof: 4, .bundle: 8, .sshsig: 7][target] ?? 1
        #expect(seeds.count >= least, "\(target.rawValue) has \(seeds.count) seeds")
        for seed in seeds { target.run(seed) }
    }

    @Test("each input a fuzzer once crashed on runs cleanly now", arguments: FuzzTarget.allCases)
    func pastFindings(_ target: FuzzTarget) {
        for finding in Self.findings(of: target) { target.run(finding.bytes) }
    }

    @Test("findings are kept only under the names of real targets")
    func findingFolders() throws {
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: Self.findings.path)) ?? []
        let names = Set(FuzzTarget.allCases.map(\.rawValue))
        #expect(folders.filter { !names.contains($0) }.isEmpty, "unknown fuzz target folders: \(folders)")
        #expect(!folders.isEmpty)
    }

    @Test("the seeds reach past the signature checks: the bundle verifies, the proofs verify with the fuzz key")
    func seedsAreValid() throws {
        let (report, manifest) = try BundleTemplate.shared.withOriginal { folder in
            try PublicBundle.verify(folder: folder.path, pinnedKey: FuzzTarget.verifierKey, against: nil)
        }
        #expect(report.ok, "\(report.problems)")
        #expect(manifest.id == "tiny")
        let proofs = FuzzTarget.proof.seeds(repository: Self.repository)
        #expect(!proofs.isEmpty)
        for proof in proofs {
            let file = try InclusionProofFile.parse(proof)
            _ = try file.verify(verifier: FuzzTarget.verifier)
        }
        let notes = FuzzTarget.note.seeds(repository: Self.repository)
        let signed = notes.filter { (try? SignedCheckpoint.open($0, verifier: FuzzTarget.verifier, expectedOrigin: FuzzTarget.origin)) != nil }
        #expect(signed.count == 4)
    }
}
