import Foundation
import Testing

/// A comment that sends a reader to a document must send them somewhere that exists in this repository.
@Suite("Comments cite documents that exist")
struct DocumentCitationTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func swiftFiles() -> [URL] {
        var files: [URL] = []
        for folder in ["Sources", "Tests", "Fuzz"] {
            let enumerator = FileManager.default.enumerator(at: repository.appendingPathComponent(folder), includingPropertiesForKeys: nil)
            while let url = enumerator?.nextObject() as? URL {
                if url.pathExtension == "swift" { files.append(url) }
            }
        }
        return files
    }

    @Test("every document under docs/ that a source or test names exists, and none names the design document outside the repository")
    func citationsResolve() throws {
        let files = Self.swiftFiles()
        #expect(files.count > 50)
        let citation = try Regex(#"docs/[A-Za-z0-9_-]+\.md"#)
        var missing: [String] = []
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            let name = file.path.replacingOccurrences(of: Self.repository.path + "/", with: "")
            for match in text.matches(of: citation) {
                let cited = String(text[match.range])
                if !FileManager.default.fileExists(atPath: Self.repository.appendingPathComponent(cited).path) {
                    missing.append("\(name) cites \(cited)")
                }
            }
            // The product design lives outside the repository; comments point at the docs/ that carry it.
            if name != "Tests/HRIAKitTests/DocumentCitationTests.swift", text.contains("DESIGN" + ".md") {
                missing.append("\(name) cites DESIGN.md, which is not in the repository")
            }
        }
        #expect(missing.isEmpty, "\(missing.joined(separator: "\n"))")
    }
}
