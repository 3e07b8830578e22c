import Foundation
import Testing

/// The floors of HRIAKit point down (docs/ARCHITECTURE.md): a file may use the types of its own floor and of the
/// floors below, never of one above. This reads the sources and finds, for every type declared on a floor, the
/// files of lower floors that name it; any such use fails, naming both.
@Suite("Architecture: every arrow between the floors of HRIAKit points down")
struct ArchitectureTests {
    /// Bottom first.
    static let floors = ["Support", "JSON", "Diagnostics", "Expressions", "WorkflowLanguage", "Engine", "AuditLog", "Workspace", "Reports", "Service"]
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/HRIAKit")

    struct SourceFile {
        var path: String
        var floor: Int
        var text: String
        /// Every identifier the code names.
        var names: Set<Substring> {
            Set(text.split { !($0.isLetter || $0.isNumber || $0 == "_") })
        }
    }

    static func files() throws -> [SourceFile] {
        var result: [SourceFile] = []
        for (floor, name) in floors.enumerated() {
            let folder = sources.appendingPathComponent(name)
            guard let enumerator = FileManager.default.enumerator(atPath: folder.path) else { continue }
            for case let relative as String in enumerator where relative.hasSuffix(".swift") {
                let text = try String(contentsOf: folder.appendingPathComponent(relative), encoding: .utf8)
                // Comments may name any type: only code counts.
                let code = text.split(separator: "\n", omittingEmptySubsequences: false)
                    .map { line in line.range(of: "//").map { String(line[..<$0.lowerBound]) } ?? String(line) }.joined(separator: "\n")
                result.append(SourceFile(path: "\(name)/\(relative)", floor: floor, text: code))
            }
        }
        return result
    }

    @Test("no file names a type declared on a floor above its own")
    func floorsPointDown() throws {
        let files = try Self.files()
        #expect(Set(files.map(\.floor)).count == Self.floors.count, "every floor has sources")
        let declaration = try Regex(#"(?m)^(?:(?:public|@_spi\(\w+\)|final|indirect)\s+)*(?:struct|enum|class|protocol|typealias)\s+(\w+)"#)
        var home: [String: Int] = [:]
        for file in files {
            for match in file.text.matches(of: declaration) {
                if let name = match.output[1].substring { home[String(name), default: file.floor] = min(home[String(name)] ?? file.floor, file.floor) }
            }
        }
        #expect(home.count > 100, "the declarations were found")
        var violations: [String] = []
        for file in files {
            let names = file.names
            for (name, floor) in home where floor > file.floor && names.contains(Substring(name)) {
                violations.append("\(file.path) (\(Self.floors[file.floor])) uses \(name) (\(Self.floors[floor]))")
            }
        }
        #expect(violations.isEmpty, "arrows pointing up:\n\(violations.sorted().joined(separator: "\n"))")
    }

    @Test("the search finds the names a file uses")
    func seesViolations() throws {
        let files = try Self.files()
        #expect(!files.filter { $0.path.hasPrefix("Engine/") }.contains { $0.names.contains("WorkspaceConfiguration") })
        #expect(files.filter { $0.path.hasPrefix("Reports/") }.contains { $0.names.contains("Workflow") },
                "a higher floor does name lower ones, so the search finds names")
    }

    @Test("the engine speaks no command line: no exit codes, no flag names")
    func engineHasNoCommandLine() throws {
        let engine = try Self.files().filter { $0.path.hasPrefix("Engine/") }
        #expect(engine.count > 5)
        for file in engine {
            #expect(!file.names.contains("HRIAError") && !file.names.contains("ExitStatus"), "\(file.path) speaks in exit codes")
            #expect(file.text.range(of: "--[a-z]", options: .regularExpression) == nil, "\(file.path) names a command-line flag")
        }
    }
}
