import Foundation
import Testing
@testable import HRIAKit

/// Golden-file tests of the workflow linter: every `Fixtures/broken/X.yaml` is a small workflow with one
/// deliberate mistake, and `X.golden` holds the exact text `hria workflow lint` prints for it (each
/// diagnostic with its snippet and caret, then the summary line). The file name in diagnostics is the path
/// relative to `Fixtures`, so the goldens do not depend on where the repository is checked out.
///
/// A fixture's name starts with the id of the rule it exercises (`undefined-stage-in-initial.yaml`
/// exercises `undefined-stage`); that rule must be among its diagnostics.
///
/// To accept new linter output after reviewing it: `HRIA_UPDATE_GOLDEN=1 swift test --filter LintGolden`,
/// then read the `git diff` of the goldens line by line.
@Suite("LintGolden")
struct LintGoldenTests {
    // MARK: The corpus itself

    @Test("the broken-workflow corpus exists and is not trivially small")
    func corpusIsPresent() throws {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: GoldenCorpus.brokenURL.path, isDirectory: &isDirectory)
        try #require(exists && isDirectory.boolValue,
                     "the fixtures folder \(GoldenCorpus.brokenURL.path) is missing; the golden tests would test nothing")
        let names = GoldenCorpus.yamlFileNames()
        #expect(names.count >= GoldenCorpus.minimumFixtureCount,
                "only \(names.count) .yaml fixtures in \(GoldenCorpus.brokenURL.path); expected at least \(GoldenCorpus.minimumFixtureCount)")
    }

    @Test("every lint rule has at least one fixture")
    func everyRuleIsCovered() {
        var covered: Set<String> = Set(GoldenCorpus.yamlFileNames().compactMap { GoldenCorpus.rule(forFileName: $0)?.rawValue })
        // Generated at run time (an 8 MiB file is not worth committing): see `fileTooLarge()`.
        covered.insert(LintRule.fileTooLarge.rawValue)
        let missing = LintRule.allCases.map(\.rawValue).filter { !covered.contains($0) }
        #expect(missing.isEmpty, "no fixture in Fixtures/broken exercises: \(missing.joined(separator: ", "))")
    }

    @Test("every golden file belongs to a fixture")
    func noOrphanGoldens() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: GoldenCorpus.brokenURL.path)
        let yamlStems = Set(files.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(".yaml".count)) })
        let orphans = files.filter { $0.hasSuffix(".golden") }
            .map { String($0.dropLast(".golden".count)) }
            .filter { !yamlStems.contains($0) && $0 != GoldenCorpus.fileTooLargeStem }
        #expect(orphans.isEmpty, "golden files without a .yaml fixture: \(orphans.sorted().joined(separator: ", "))")
        let withoutGolden = yamlStems.filter { !files.contains("\($0).golden") && KnownLinterIssue.all[$0] == nil }
        #expect(GoldenCorpus.updating || withoutGolden.isEmpty,
                "fixtures without a .golden (run with HRIA_UPDATE_GOLDEN=1 and review): \(withoutGolden.sorted().joined(separator: ", "))")
        // A known linter bug has no golden: a golden would either bake in the wrong output or fail.
        let goldenForKnownIssue = KnownLinterIssue.all.keys.filter { files.contains("\($0).golden") }
        #expect(goldenForKnownIssue.isEmpty,
                "these fixtures are listed as known linter bugs but have a .golden; if the bug is fixed, remove the entry from KnownLinterIssue.all: \(goldenForKnownIssue.sorted().joined(separator: ", "))")
    }

    @Test("every known linter bug names an existing fixture")
    func knownIssuesHaveFixtures() {
        let stems = Set(GoldenCorpus.yamlFileNames().map(GoldenCorpus.stem)).union([GoldenCorpus.fileTooLargeStem])
        let stale = KnownLinterIssue.all.keys.filter { !stems.contains($0) }
        #expect(stale.isEmpty, "KnownLinterIssue.all names fixtures that do not exist: \(stale.sorted().joined(separator: ", "))")
    }

    // MARK: One test per fixture

    @Test("lint output matches the golden file", arguments: GoldenCorpus.yamlFileNames())
    func golden(_ name: String) throws {
        let url = GoldenCorpus.brokenURL.appendingPathComponent(name)
        let bytes = try [UInt8](Data(contentsOf: url))
        let fileName = "\(GoldenCorpus.folderName)/\(name)"

        let clock = ContinuousClock()
        var result: WorkflowLoadResult?
        let elapsed = clock.measure { result = WorkflowLoader.load(bytes: bytes, fileName: fileName) }
        let loaded = try #require(result)
        // Small files load in milliseconds; this catches an alias bomb or a runaway loop in the loader.
        #expect(elapsed < .seconds(10), "loading \(name) took \(elapsed)")

        // Each fixture says in its first line what is wrong with it (the empty file cannot).
        if !bytes.isEmpty {
            #expect(bytes.first == UInt8(ascii: "#"), "the first line of \(name) should be a YAML comment saying what is wrong")
        }

        let rule = GoldenCorpus.rule(forFileName: name)
        #expect(rule != nil, "the name of \(name) does not start with a lint rule id")
        if let rule {
            let rules = loaded.diagnostics.map(\.rule)
            #expect(rules.contains(rule.rawValue),
                    "\(name) should report \(rule.rawValue), but reported: \(rules.isEmpty ? "nothing" : rules.joined(separator: ", "))")
        }
        #expect(loaded.diagnostics.allSatisfy { $0.file == fileName })
        #expect((loaded.workflow == nil) == loaded.diagnostics.hasErrors,
                "a workflow must be returned exactly when there are no errors")

        let rendered = GoldenCorpus.render(loaded)
        if let known = KnownLinterIssue.all[GoldenCorpus.stem(name)] {
            // The linter's output is wrong here, so there is deliberately no golden to match: when the bug is
            // fixed this known issue stops occurring, the test fails, and the entry can become a golden.
            let fixed = known.isFixed(loaded, rendered)
            withKnownIssue("linter bug: \(known.summary)") {
                #expect(fixed, "\(name): \(known.summary)\n--- actual output ---\n\(rendered)")
            }
            return
        }
        try GoldenCorpus.compare(rendered, goldenNamed: GoldenCorpus.stem(name) + ".golden")
    }

    // MARK: A file too large to commit

    @Test("a file over 8 MiB is refused before it is read")
    func fileTooLarge() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("hria-lint-golden-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        // A valid workflow padded with comment lines to one byte over the limit.
        let limit = WorkflowLoader.maximumFileSize
        #expect(limit == 8 * 1024 * 1024)
        let url = directory.appendingPathComponent("\(GoldenCorpus.fileTooLargeStem).yaml")
        try Data(GoldenCorpus.paddedWorkflow(size: limit + 1)).write(to: url)
        let bytes = try [UInt8](Data(contentsOf: url))
        #expect(bytes.count == limit + 1)

        let fileName = "\(GoldenCorpus.folderName)/\(GoldenCorpus.fileTooLargeStem).yaml"
        let loaded = WorkflowLoader.load(bytes: bytes, fileName: fileName)
        #expect(loaded.workflow == nil)
        #expect(loaded.diagnostics.map(\.rule) == [LintRule.fileTooLarge.rawValue])
        let rendered = GoldenCorpus.render(loaded)
        if let known = KnownLinterIssue.all[GoldenCorpus.fileTooLargeStem] {
            let fixed = known.isFixed(loaded, rendered)
            withKnownIssue("linter bug: \(known.summary)") {
                #expect(fixed, "\(known.summary)\n--- actual output ---\n\(rendered)")
            }
            return
        }
        try GoldenCorpus.compare(rendered, goldenNamed: "\(GoldenCorpus.fileTooLargeStem).golden")
    }

    @Test("a file of exactly 8 MiB is not too large")
    func fileAtTheLimit() throws {
        let limit = WorkflowLoader.maximumFileSize
        let bytes = GoldenCorpus.paddedWorkflow(size: limit)
        #expect(bytes.count == limit)
        let loaded = WorkflowLoader.load(bytes: bytes, fileName: "at-the-limit.yaml")
        #expect(!loaded.diagnostics.map(\.rule).contains(LintRule.fileTooLarge.rawValue))
        #expect(loaded.diagnostics.isEmpty, "the padded workflow should be clean: \(loaded.diagnostics.map(\.message))")
    }

    // MARK: The documentation's rule table

    @Test("the rules table in docs/WORKFLOW-LANGUAGE.md lists exactly the LintRule cases with their severities")
    func rulesTableMatchesCatalogue() throws {
        let url = GoldenCorpus.repositoryURL.appendingPathComponent("docs/WORKFLOW-LANGUAGE.md")
        let text = try String(contentsOf: url, encoding: .utf8)
        let start = try #require(text.range(of: "RULES-TABLE-START"), "docs/WORKFLOW-LANGUAGE.md has no RULES-TABLE-START")
        let end = try #require(text.range(of: "RULES-TABLE-END", range: start.upperBound..<text.endIndex),
                               "docs/WORKFLOW-LANGUAGE.md has no RULES-TABLE-END after RULES-TABLE-START")
        var documented: [(rule: String, severity: String)] = []
        for line in text[start.upperBound..<end.lowerBound].split(separator: "\n") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            // `| rule | severity | ... |` splits into an empty first cell, then the cells.
            guard cells.count >= 3, cells[1].hasPrefix("`"), cells[1].hasSuffix("`"), cells[1].count > 2 else { continue }
            documented.append((String(cells[1].dropFirst().dropLast()), cells[2]))
        }
        #expect(!documented.isEmpty, "no rows found between RULES-TABLE-START and RULES-TABLE-END")

        let names = documented.map(\.rule)
        let duplicates = Set(names.filter { name in names.filter { $0 == name }.count > 1 })
        #expect(duplicates.isEmpty, "rules listed more than once: \(duplicates.sorted().joined(separator: ", "))")

        let catalogue = Dictionary(uniqueKeysWithValues: LintRule.allCases.map { ($0.rawValue, $0.severity.rawValue) })
        let table = Dictionary(documented.map { ($0.rule, $0.severity) }, uniquingKeysWith: { first, _ in first })
        let undocumented = catalogue.keys.filter { table[$0] == nil }.sorted()
        let unknown = table.keys.filter { catalogue[$0] == nil }.sorted()
        #expect(undocumented.isEmpty, "rules missing from the table: \(undocumented.joined(separator: ", "))")
        #expect(unknown.isEmpty, "the table lists rules LintRule does not have: \(unknown.joined(separator: ", "))")
        for (rule, severity) in catalogue.sorted(by: { $0.key < $1.key }) {
            guard let documentedSeverity = table[rule] else { continue }
            #expect(documentedSeverity == severity, "\(rule): the table says \(documentedSeverity), LintRule says \(severity)")
        }
    }
}

/// Where the corpus is and how its output is rendered and compared.
enum GoldenCorpus {
    static let folderName = "broken"
    static let minimumFixtureCount = 30
    static let fileTooLargeStem = "file-too-large"

    /// `Tests/HRIAKitTests/Fixtures`, found from this source file so the tests run from any directory.
    static let fixturesURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures", isDirectory: true)
    static let brokenURL = fixturesURL.appendingPathComponent(folderName, isDirectory: true)
    static let repositoryURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static var updating: Bool { ProcessInfo.processInfo.environment["HRIA_UPDATE_GOLDEN"] == "1" }

    /// The `.yaml` fixtures, sorted; empty when the folder is missing (`corpusIsPresent` then fails).
    static func yamlFileNames() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: brokenURL.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted()
    }

    static func stem(_ name: String) -> String {
        name.hasSuffix(".yaml") ? String(name.dropLast(".yaml".count)) : name
    }

    /// The rule a fixture exercises: the longest rule id that its name starts with, followed by `-` or the end.
    static func rule(forFileName name: String) -> LintRule? {
        let stem = stem(name)
        return LintRule.allCases
            .filter { stem == $0.rawValue || stem.hasPrefix($0.rawValue + "-") }
            .max { $0.rawValue.count < $1.rawValue.count }
    }

    /// The linter's text output, as `hria workflow lint` prints it for one file.
    static func render(_ result: WorkflowLoadResult) -> String {
        var out = ""
        for diagnostic in result.diagnostics {
            out += DiagnosticRenderer.text(diagnostic, source: result.source)
        }
        out += DiagnosticRenderer.summary(result.diagnostics) + "\n"
        return out
    }

    /// Compares with the golden file, or rewrites it when `HRIA_UPDATE_GOLDEN=1`.
    static func compare(_ actual: String, goldenNamed goldenName: String,
                        sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let url = brokenURL.appendingPathComponent(goldenName)
        if updating {
            try Data(actual.utf8).write(to: url)
            return
        }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            Issue.record("\(folderName)/\(goldenName) is missing; run with HRIA_UPDATE_GOLDEN=1, then review it. Output:\n\(actual)",
                         sourceLocation: sourceLocation)
            return
        }
        let expected = String(decoding: data, as: UTF8.self)
        if expected != actual {
            Issue.record("""
                lint output differs from \(folderName)/\(goldenName) \(firstDifference(expected, actual))
                --- actual output ---
                \(actual)
                """, sourceLocation: sourceLocation)
        }
    }

    /// Where two texts first differ, by line, for a readable failure.
    static func firstDifference(_ expected: String, _ actual: String) -> String {
        let e = expected.components(separatedBy: "\n"), a = actual.components(separatedBy: "\n")
        for i in 0..<max(e.count, a.count) {
            let el = i < e.count ? e[i] : "<end of file>", al = i < a.count ? a[i] : "<end of output>"
            if el != al { return "at line \(i + 1):\n  golden: \(el)\n  actual: \(al)" }
        }
        return "(only in line endings)"
    }

    /// A clean workflow padded with comment lines to exactly `size` bytes.
    static func paddedWorkflow(size: Int) -> [UInt8] {
        let workflow = """
            # A valid workflow padded with comments to test the size limit.
            schema: hria.workflow/v1
            id: padded
            version: 1
            title: A padded review
            roles:
              assessor: { description: Runs the review }
              approver: { description: Signs the decision }
            initial: review
            stages:
              review:
                owner: assessor
                signoff: { roles: [approver] }
                transitions:
                  - { to: approved }
              approved: { terminal: true, outcome: proceed }

            """
        var bytes = Array(workflow.utf8)
        let line = Array(("# " + String(repeating: "padding ", count: 12) + "\n").utf8)
        while bytes.count + line.count <= size - 2 { bytes += line }
        // Finish with one shorter comment line so the total is exact.
        let rest = size - bytes.count
        if rest >= 2 {
            bytes += [UInt8(ascii: "#")] + [UInt8](repeating: UInt8(ascii: " "), count: rest - 2) + [UInt8(ascii: "\n")]
        }
        return bytes
    }
}

/// Fixtures whose linter output is wrong today. They have no golden file (the wrong output must not be
/// baked in); instead each states what the right output would have, and the test expects that as a known
/// issue. When the linter is fixed the known issue no longer occurs and the test fails: then delete the entry,
/// run with `HRIA_UPDATE_GOLDEN=1`, and review the new golden.
struct KnownLinterIssue: Sendable {
    let summary: String
    /// True once the output is right.
    let isFixed: @Sendable (WorkflowLoadResult, String) -> Bool

    static let all: [String: KnownLinterIssue] = [:
    ]
}

extension WorkflowLoadResult {
    /// Whether a diagnostic of `rule` is at `location` ("line:column").
    func has(_ rule: String, at location: String) -> Bool {
        diagnostics.contains { $0.rule == rule && $0.location.description == location }
    }
}
