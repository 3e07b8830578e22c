import Foundation
@testable import HRIAKit
import Testing

/// The generated file that embeds the standard workflows must say exactly what `workflows/` says: a workflow
/// edited without regenerating would otherwise ship a different library with `hria init` than the repository shows.
@Suite("Generated code: the embedded standard library matches workflows/")
struct StandardLibraryTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let regenerate = "the generated file is out of date: run scripts/embed-standard-library and commit the result"

    @Test("the same files, in the same order, with the same bytes")
    func noDrift() throws {
        let folder = Self.repository.appendingPathComponent("workflows")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(StandardLibrary.files.map(\.name) == names, "\(Self.regenerate)")
        for name in names {
            let onDisk = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            #expect(StandardLibrary.text(of: name) == onDisk, "\(name): \(Self.regenerate)")
        }
    }

    @Test("each embedded workflow loads without a problem")
    func embeddedWorkflowsLoad() {
        for (name, text) in StandardLibrary.files {
            let result = WorkflowLoader.load(text: text, fileName: name)
            #expect(result.workflow != nil && result.diagnostics.isEmpty, "\(name): \(result.diagnostics.map(\.message))")
        }
    }
}
